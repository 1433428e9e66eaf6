using System.Runtime.InteropServices;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace DistTrain.Contracts.Payloads;

/// <summary>
/// Writes a <see cref="FloatBlock"/> as a length-prefixed field of raw little-endian float bytes.
/// </summary>
/// <remarks>Every machine .NET runs a silo on is little-endian, so the bytes need no swapping.</remarks>
[RegisterSerializer]
public sealed class FloatBlockCodec : IFieldCodec<FloatBlock>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, FloatBlock? value)
        where TBufferWriter : System.Buffers.IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(FloatBlock), WireType.LengthPrefixed);
        var bytes = value!.Bytes;
        writer.WriteVarUInt32((uint)bytes.Length);
        writer.Write(bytes);
    }

    public FloatBlock ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<FloatBlock, TInput>(ref reader, field)!;
        }

        field.EnsureWireType(WireType.LengthPrefixed);
        uint byteCount;
        try
        {
            byteCount = reader.ReadVarUInt32();
        }
        catch (OverflowException e)
        {
            throw new InvalidDataException("A FloatBlock's length is not a 32-bit varint.", e); // found by fuzzing
        }
        if (byteCount > (uint)FloatBlock.MaxLength * sizeof(float))
        {
            throw new InvalidDataException($"A FloatBlock claims {byteCount:N0} bytes; blocks hold at most {FloatBlock.MaxLength:N0} floats.");
        }

        // Allocate only what the message really holds: a 30-byte message claiming 64 MB must not
        // cost 64 MB before the read finds the bytes missing.
        if (RemainingBytes(ref reader) is { } remaining && byteCount > remaining)
        {
            throw new InvalidDataException($"A FloatBlock claims {byteCount:N0} bytes; the message holds only {remaining:N0} more.");
        }

        if (byteCount % sizeof(float) != 0)
        {
            throw new InvalidDataException($"A FloatBlock of {byteCount} bytes is not a whole number of floats.");
        }

        // Every byte is read into it next, so the runtime need not zero it first (a megabyte a step).
        var values = GC.AllocateUninitializedArray<float>((int)(byteCount / sizeof(float)));
        reader.ReadBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        var result = FloatBlock.Own(values);
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }

    /// <summary>Unread bytes of the input, or null for a stream that cannot tell.</summary>
    private static long? RemainingBytes<TInput>(ref Reader<TInput> reader)
    {
        try
        {
            return reader.Remaining;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }
}
