using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using DistTrain.Contracts.Payloads;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// A block of floats a silo owns and others read: a parameter-server slice's weights, a group's
/// combined gradient. Written only by its owner, between the steps its readers use it for (see
/// <see cref="StepBuffers{T}"/>). Kept in a shared-memory file when other processes on the host may map
/// it, else in pinned memory (in-process readers use it directly; the TCP listener serves both).
/// </summary>
public abstract unsafe class Segment : IDisposable
{
    private readonly PointerMemory<float> _floats;
    private readonly PointerMemory<byte> _bytes;

    private protected Segment(string name, long id, int length, byte* header, float* data)
    {
        Name = name;
        Id = id;
        Length = length;
        Elements = length;
        Header = header;
        _floats = new PointerMemory<float>(data, length);
        _bytes = new PointerMemory<byte>((byte*)data, checked(length * sizeof(float)));
        SegmentHeader.Write(header, id, length);
    }

    public string Name { get; }

    public long Id { get; }

    public int Length { get; }

    public BlockEncoding Encoding { get; private set; }

    /// <summary>Values held: <see cref="Length"/> floats, or up to twice as many bfloat16s.</summary>
    public int Elements { get; private set; }

    /// <summary>The bfloat16 values of a <see cref="BlockEncoding.Bf16"/> segment.</summary>
    public Span<ushort> Halves => MemoryMarshal.Cast<float, ushort>(Floats)[..Elements];

    /// <summary>This segment holding <paramref name="elements"/> bfloat16 values instead of floats.</summary>
    internal Segment AsBf16(int elements)
    {
        if (elements > 2L * Length)
        {
            throw new ArgumentOutOfRangeException(nameof(elements), $"{elements} bfloat16 values do not fit {Length} floats.");
        }
        Encoding = BlockEncoding.Bf16;
        Elements = elements;
        return this;
    }

    /// <summary>A file in the host's shared memory that other processes can map.</summary>
    public abstract bool Shared { get; }

    /// <summary>The floats as an array, when they are one (pinned memory): in-process readers can
    /// hand it to a model replica without a copy.</summary>
    public abstract float[]? Array { get; }

    private protected byte* Header { get; }

    public bool IsDisposed { get; private set; }

    public Span<float> Floats => IsDisposed ? throw new ObjectDisposedException(Name) : _floats.GetSpan();

    public Memory<float> Memory => _floats.Memory;

    internal ReadOnlyMemory<byte> Bytes => _bytes.Memory;

    public long Tag => SegmentHeader.ReadTag(Header);

    private TagSignal? _signal;

    // Created by the first waiter, atomically: two readers of this process that start waiting at
    // once (three groups reading one slice's weights) must share one signal. With `??=` each could
    // make its own, and the one that lost the assignment was never woken: its wait timed out (10 s),
    // the job rolled back at its first run, and a --wire bf16 job, whose error feedback a rollback
    // resets, ended with other weights than an uninterrupted run (WireTests, 2026-12-02).
    private TagSignal Signal => _signal ?? Interlocked.CompareExchange(ref _signal, new TagSignal(() => Tag, Name), null) ?? _signal;

    /// <summary>Marks the floats as holding <paramref name="tag"/>: call after writing them. Wakes
    /// the readers of this process waiting for it (a TCP request, a slice beside its group).</summary>
    public void Publish(long tag)
    {
        SegmentHeader.WriteTag(Header, tag);
        _signal?.Pulse();
    }

    /// <summary>Blocks (sleeping, see <see cref="Futex"/>) until the segment holds
    /// <paramref name="tag"/>; false after <paramref name="timeout"/>.</summary>
    public bool WaitForTag(long tag, TimeSpan timeout) => SegmentHeader.WaitForTag(Header, tag, timeout);

    /// <summary>Waits until the segment holds <paramref name="tag"/> without holding a thread (the
    /// TCP listener's waits). Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public ValueTask WaitForTagAsync(long tag, TimeSpan timeout, CancellationToken cancellation = default) =>
        Tag == tag ? ValueTask.CompletedTask : Signal.WaitAsync(tag, timeout, cancellation);

    internal string? Check(long id, int length) => SegmentHeader.Check(Header, id, length);

    public BlockRef RefFor(DataPlaneAddress owner) => new()
    {
        Owner = owner,
        Segment = Name,
        SegmentId = Id,
        Length = Length,
        Tag = Tag,
        Shared = Shared,
        Encoding = Encoding,
        Elements = Elements,
    };

    /// <summary>Names are "disttrain-{pid}-{16 hex digits}": nothing a hostile reference could turn into another path.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is < 12 or > 64 || !name.StartsWith("disttrain-", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var c in name.AsSpan(10))
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f') && c != '-')
            {
                return false;
            }
        }
        return true;
    }

    internal static (string Name, long Id) NewName()
    {
        var id = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
        return ($"disttrain-{Environment.ProcessId}-{id:x16}", id);
    }

    /// <summary>Frees the memory. The data plane calls it some time after retiring the segment, so
    /// that a reader still inside its last step never touches freed memory.</summary>
    public void Dispose()
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            Free();
        }
        GC.SuppressFinalize(this);
    }

    private protected abstract void Free();
}

/// <summary>A segment in pinned process memory: the floats are an ordinary (pinned) array.</summary>
internal sealed unsafe class PinnedSegment : Segment
{
    private readonly float[] _array;
    private readonly byte* _header;

    private PinnedSegment(string name, long id, float[] array, byte* header)
        : base(name, id, array.Length, header, (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)))
    {
        _array = array;
        _header = header;
    }

    public static PinnedSegment Create(int length)
    {
        var (name, id) = NewName();
        var array = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return new PinnedSegment(name, id, array, (byte*)NativeMemory.AlignedAlloc(SegmentHeader.Size, 64));
    }

    public override bool Shared => false;

    public override float[] Array => _array;

    private protected override void Free() => NativeMemory.AlignedFree(_header);
}

/// <summary>A segment in a file of the host's shared memory (tmpfs), mapped by its owner for writing
/// and by other processes on the host for reading in place.</summary>
internal sealed unsafe class SharedMemorySegment : Segment
{
    private readonly string _path;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    private SharedMemorySegment(string name, long id, int length, string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer)
        : base(name, id, length, pointer, (float*)(pointer + SegmentHeader.Size))
    {
        _path = path;
        _file = file;
        _view = view;
    }

    public static SharedMemorySegment Create(string directory, int length)
    {
        var (name, id) = NewName();
        var path = Path.Combine(directory, name);
        var bytes = SegmentHeader.Size + (long)length * sizeof(float);
        // Owner-only (0600): weights and gradients are the user's data, and a segment is read and
        // written in place, so another local user must not open it (the default mode is 0644).
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        var stream = new FileStream(path, options);
        MemoryMappedFile file;
        try
        {
            file = MemoryMappedFile.CreateFromFile(stream, null, bytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
        try
        {
            var view = file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new SharedMemorySegment(name, id, length, path, file, view, pointer + view.PointerOffset);
        }
        catch
        {
            file.Dispose();
            File.Delete(path);
            throw;
        }
    }

    public override bool Shared => true;

    public override float[]? Array => null;

    /// <summary>The file goes first (no new reader can map it); readers that mapped it keep their pages until they unmap.</summary>
    internal void Unlink()
    {
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Already gone; a silo start sweeps files of dead processes anyway.
        }
    }

    private protected override void Free()
    {
        Unlink();
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
