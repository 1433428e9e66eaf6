using System.Buffers.Binary;
using DistTrain.Distributed.Tests.Reports.TensorBoard;

namespace DistTrain.Distributed.Tests.Reports;

/// <summary>Reads a TensorBoard event file as TensorBoard does: TFRecords whose two CRCs are checked
/// (by a bit-by-bit CRC-32C of its own, not the writer's), each an Event parsed by protoc's code.</summary>
internal static class TensorBoardRecords
{
    public static List<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        for (var at = 0; at < bytes.Length;)
        {
            Assert.True(bytes.Length - at >= 16, $"a record cut short at byte {at}");
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(Masked(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            var data = bytes.AsSpan(at + 12, length);
            Assert.Equal(Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)));
            events.Add(Event.Parser.ParseFrom(data));
            at += 12 + length + 4;
        }
        return events;
    }

    /// <summary>CRC-32C one bit at a time (reflected polynomial 0x82F63B78), masked as TFRecord masks it.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }

    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }
        return ~crc;
    }
}
