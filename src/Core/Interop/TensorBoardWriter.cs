using System.Buffers.Binary;

namespace DistTrain.Core.Interop;

/// <summary>
/// Scalars (loss, accuracy, samples/s, learning rate) in a TensorBoard event file, which
/// TensorBoard reads live: <c>tensorboard --logdir DIR</c>. The file is a sequence of TFRecords
/// (length, masked CRC-32C of the length, an <c>Event</c> protobuf, masked CRC-32C of it); the
/// first event names the format version, each later one holds one scalar at a step.
/// </summary>
/// <remarks>Field numbers are those of TensorFlow's event.proto and summary.proto: Event
/// {wall_time = 1, step = 2, file_version = 3, summary = 5}, Summary {value = 1}, Summary.Value
/// {tag = 1, simple_value = 2}.</remarks>
public sealed class TensorBoardWriter : IDisposable
{
    public const string FileVersion = "brain.Event:2";
    private readonly FileStream _file;

    /// <summary>Creates <c>DIR/events.out.tfevents.{seconds}.{host}.{pid}</c> (TensorBoard finds files by
    /// that name); the folder is created if needed.</summary>
    public TensorBoardWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(directory, $"events.out.tfevents.{seconds}.{Environment.MachineName}.{Environment.ProcessId}");
        _file = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Write(new ProtoWriter().Double(1, WallTime()).String(3, FileVersion));
        Flush();
    }

    public string Path { get; }

    /// <summary>One scalar, e.g. ("train/loss", 120, 0.31).</summary>
    public void Scalar(string tag, long step, double value) =>
        Write(new ProtoWriter()
            .Double(1, WallTime())
            .Int(2, step)
            .Message(5, summary => summary.Message(1, v => v.String(1, tag).Float(2, (float)value))));

    /// <summary>Makes what is written so far visible to a TensorBoard reading the file.</summary>
    public void Flush() => _file.Flush();

    public void Dispose() => _file.Dispose();

    private void Write(ProtoWriter @event)
    {
        var data = @event.Written;
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        _file.Write(header);
        _file.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        _file.Write(footer);
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
