using System.Buffers.Binary;
using System.Text;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// The data plane's TCP frames, little-endian, fixed-size headers. A connection opens with a hello
/// (magic, protocol version, the cluster's key); then each request names a block and a range of it,
/// and each answer is a status, the block's tag and the raw bytes of the range: no per-float work.
/// </summary>
internal static class WireFormat
{
    public const uint HelloMagic = 0x48505444;    // "DTPH"
    public const uint AcceptMagic = 0x41505444;   // "DTPA"
    public const uint RequestMagic = 0x51525444;  // "DTRQ"
    public const uint ResponseMagic = 0x53525444; // "DTRS"
    public const ushort Version = 1;
    public const int MaxKeyBytes = 256;
    public const int MaxNameBytes = 64;

    /// <summary>Magic, version, key length, key bytes.</summary>
    public const int HelloHeaderSize = 8;

    /// <summary>Magic, status.</summary>
    public const int AcceptSize = 8;

    /// <summary>Magic, name length, flags, segment id, tag, offset, length; the name follows.</summary>
    public const int RequestSize = 32;

    /// <summary>Magic, status, tag, byte count, reserved; the bytes follow.</summary>
    public const int ResponseSize = 24;

    public static int WriteHello(Span<byte> buffer, string clusterKey)
    {
        var keyLength = Encoding.UTF8.GetBytes(clusterKey, buffer[HelloHeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, HelloMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], (ushort)keyLength);
        return HelloHeaderSize + keyLength;
    }

    /// <summary>The length of the key that follows, or why the hello is refused.</summary>
    public static (int KeyLength, string? Error) ReadHelloHeader(ReadOnlySpan<byte> header)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != HelloMagic)
        {
            return (0, "not a DistTrain data-plane peer (bad magic)");
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != Version)
        {
            return (0, $"data-plane protocol version {version}; this silo speaks {Version}");
        }
        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        return keyLength > MaxKeyBytes ? (0, $"a cluster key of {keyLength} bytes") : (keyLength, null);
    }

    public static void WriteAccept(Span<byte> buffer, Status status)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, AcceptMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], (uint)status);
    }

    public static Status ReadAccept(ReadOnlySpan<byte> buffer) =>
        BinaryPrimitives.ReadUInt32LittleEndian(buffer) != AcceptMagic ? Status.BadFrame : (Status)BinaryPrimitives.ReadUInt32LittleEndian(buffer[4..]);

    /// <summary>Request flag: answer once the block holds the tag (up to the peer's timeout), not at once.</summary>
    public const ushort WaitFlag = 1;

    public static int WriteRequest(Span<byte> buffer, string segment, long segmentId, long tag, int offset, int length, bool wait)
    {
        var nameLength = Encoding.ASCII.GetBytes(segment, buffer[RequestSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, RequestMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], (ushort)nameLength);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], wait ? WaitFlag : (ushort)0);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], segmentId);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[16..], tag);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[24..], offset);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[28..], length);
        return RequestSize + nameLength;
    }

    public readonly record struct Request(int NameLength, long SegmentId, long Tag, int Offset, int Length, bool Wait);

    public static (Request Request, string? Error) ReadRequest(ReadOnlySpan<byte> header)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != RequestMagic)
        {
            return (default, "a request without the request magic");
        }
        var request = new Request(
            BinaryPrimitives.ReadUInt16LittleEndian(header[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(header[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(header[28..]),
            (BinaryPrimitives.ReadUInt16LittleEndian(header[6..]) & WaitFlag) != 0);
        if ((BinaryPrimitives.ReadUInt16LittleEndian(header[6..]) & ~WaitFlag) != 0)
        {
            return (default, "a request with unknown flags");
        }
        if (request.NameLength is 0 or > MaxNameBytes)
        {
            return (default, $"a segment name of {request.NameLength} bytes");
        }
        return request.Offset < 0 || request.Length < 0 ? (default, $"a range at {request.Offset} of {request.Length} floats") : (request, null);
    }

    public static void WriteResponse(Span<byte> buffer, Status status, long tag, int byteCount)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, ResponseMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], (uint)status);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], tag);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[16..], byteCount);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[20..], 0);
    }

    public static (Status Status, long Tag, int ByteCount) ReadResponse(ReadOnlySpan<byte> buffer) =>
        BinaryPrimitives.ReadUInt32LittleEndian(buffer) != ResponseMagic
            ? (Status.BadFrame, 0, 0)
            : ((Status)BinaryPrimitives.ReadUInt32LittleEndian(buffer[4..]), BinaryPrimitives.ReadInt64LittleEndian(buffer[8..]), BinaryPrimitives.ReadInt32LittleEndian(buffer[16..]));

    public enum Status : uint
    {
        Ok = 0,
        UnknownSegment = 1,
        StaleTag = 2,
        OutOfRange = 3,
        BadFrame = 4,
        WrongCluster = 5,
    }

    public static string Describe(Status status) => status switch
    {
        Status.UnknownSegment => "the owner holds no such segment (it was released, or its silo restarted)",
        Status.StaleTag => "the block holds another step by now",
        Status.OutOfRange => "the range lies outside the block",
        Status.WrongCluster => "the peer belongs to another cluster",
        Status.BadFrame => "the peer sent a malformed frame",
        _ => $"status {(uint)status}",
    };
}
