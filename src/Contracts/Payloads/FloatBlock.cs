using System.Runtime.InteropServices;

namespace DistTrain.Contracts.Payloads;

/// <summary>
/// An immutable block of floats: weights or a gradient on the wire.
/// </summary>
/// <remarks>
/// Orleans' built-in <c>float[]</c> codec writes every element with its own field header (5 bytes and
/// ~7 ns per float); <see cref="FloatBlockCodec"/> writes the block as one length-prefixed run of raw
/// bytes instead. Inside a silo <see cref="FloatBlockCopier"/> passes the same instance, so a block
/// must never change while anyone may still read it: the constructor takes ownership of the array.
/// The synchronous protocol relies on that window being short: a worker rewrites its gradient
/// buffer at the next step (the parameter server has read it by then) and the server rewrites a
/// weights buffer two versions later (its readers have finished by then); see WorkerGrain and
/// ParameterServerGrain for the rules this depends on. Readers outside the step loop get copies.
/// </remarks>
[Immutable]
public sealed class FloatBlock
{
    /// <summary>The most floats a block may carry: a job's largest parameter vector (64 MB). The codec
    /// refuses a message claiming more before allocating anything.</summary>
    public const int MaxLength = 16 * 1024 * 1024;

    private readonly float[] _values;

    private FloatBlock(float[] values) => _values = values;

    public static FloatBlock Empty { get; } = new([]);

    public int Length => _values.Length;

    public ReadOnlySpan<float> Span => _values;

    public ReadOnlyMemory<float> Memory => _values;

    public ReadOnlySpan<byte> Bytes => MemoryMarshal.AsBytes(_values.AsSpan());

    /// <summary>Takes ownership of <paramref name="values"/>: the caller must not write to it again.</summary>
    public static FloatBlock Own(float[] values) => new(values ?? throw new ArgumentNullException(nameof(values)));

    public static FloatBlock CopyOf(ReadOnlySpan<float> values) => new(values.ToArray());

    public float[] ToArray() => _values.AsSpan().ToArray();
}
