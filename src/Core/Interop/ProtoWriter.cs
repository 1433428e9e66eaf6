using System.Buffers.Binary;
using System.Text;

namespace DistTrain.Core.Interop;

/// <summary>
/// The protocol-buffers wire format, as much of it as ONNX models and TensorBoard event files need:
/// varints, 64-bit and 32-bit fixed values, and length-delimited fields (strings, bytes, nested
/// messages). A nested message is written into a writer of its own and then embedded, so each
/// message is a small function that reads like its .proto definition.
/// </summary>
public sealed class ProtoWriter
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;
    private readonly MemoryStream _bytes = new();

    public ReadOnlySpan<byte> Written => _bytes.GetBuffer().AsSpan(0, (int)_bytes.Length);

    public ProtoWriter Int(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint((ulong)value); // negative values take 10 bytes, as protobuf's int64 does
        return this;
    }

    public ProtoWriter Double(int field, double value)
    {
        Tag(field, Fixed64);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        _bytes.Write(bytes);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _bytes.Write(bytes);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    /// <summary>A nested message, built by <paramref name="build"/>.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> build)
    {
        var nested = new ProtoWriter();
        build(nested);
        return Bytes(field, nested.Written);
    }

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}
