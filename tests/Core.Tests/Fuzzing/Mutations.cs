using System.Buffers.Binary;
using CsCheck;

namespace DistTrain.Core.Tests.Fuzzing;

/// <summary>
/// Random damage to a valid file or message: bytes overwritten, cut short, inserted, or a 32-bit
/// field replaced by a random (often huge) count, as a corrupt or hostile header would carry.
/// </summary>
internal static class Mutations
{
    /// <summary>Cases per reader: the issue asks for at least 2,000.</summary>
    public const int Cases = 2_000;

    /// <summary>The same <see cref="Cases"/> mutations on every run: CsCheck's generator driven by a
    /// PCG with a fixed seed (its Sample draws a fresh seed per iteration, which CI must not).</summary>
    public static IEnumerable<byte[]> FixedCases(byte[] valid, ulong seed = 2026)
    {
        var gen = Of(valid);
        var random = new PCG(stream: 1, seed);
        for (var i = 0; i < Cases; i++)
        {
            yield return gen.Generate(random, null, out _);
        }
    }

    private static readonly Gen<(int Kind, int Position, uint Value, int Length)> One =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, int.MaxValue], Gen.UInt, Gen.Int[1, 64]);

    /// <summary>One to four mutations of <paramref name="valid"/>.</summary>
    public static Gen<byte[]> Of(byte[] valid) => One.Array[1, 4].Select(list => Apply(valid, list));

    private static byte[] Apply(byte[] valid, (int Kind, int Position, uint Value, int Length)[] mutations)
    {
        var bytes = valid.ToList();
        foreach (var (kind, position, value, length) in mutations)
        {
            var at = bytes.Count == 0 ? 0 : position % bytes.Count;
            switch (kind)
            {
                case 0 when bytes.Count > 0: // overwrite a byte
                    bytes[at] = (byte)value;
                    break;
                case 1: // cut short
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2: // insert bytes
                    bytes.InsertRange(at, Enumerable.Repeat((byte)value, length));
                    break;
                case 3 when bytes.Count >= 4: // a 32-bit field (a count, a size) set to anything
                    var field = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(field, value);
                    at = Math.Min(at, bytes.Count - 4);
                    for (var i = 0; i < 4; i++)
                    {
                        bytes[at + i] = field[i];
                    }
                    break;
                default: // remove a range
                    bytes.RemoveRange(at, Math.Min(length, bytes.Count - at));
                    break;
            }
        }
        return [.. bytes];
    }
}
