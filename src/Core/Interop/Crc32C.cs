using System.Buffers.Binary;
using System.Numerics;

namespace DistTrain.Core.Interop;

/// <summary>CRC-32C (Castagnoli), the checksum of TFRecord files, with the hardware instruction
/// where the CPU has one (<see cref="BitOperations.Crc32C(uint, ulong)"/>).</summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }

    /// <summary>TFRecord's masked form: rotated and offset, so a CRC of data that holds CRCs stays strong.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Compute(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }
}
