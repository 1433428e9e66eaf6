using System.IO.MemoryMappedFiles;
using DistTrain.Contracts.Payloads;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// This process's mappings of other processes' shared-memory segments on the same host,
/// mapped once and then read in place. Bounded: the least recently used mapping goes when more
/// than <see cref="Capacity"/> are open (each job uses a few per silo).
/// </summary>
internal sealed unsafe class SharedMemoryViews(string directory) : IDisposable
{
    private const int Capacity = 64;
    private readonly Dictionary<string, View> _views = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _clock;

    /// <summary>The mapped view of <paramref name="block"/>'s segment, checked against the reference;
    /// throws <see cref="Contracts.Messages.DataPlaneException"/> saying why it cannot be.</summary>
    public View Open(BlockRef block)
    {
        lock (_lock)
        {
            if (_views.TryGetValue(block.Segment, out var view) && view.Id == block.SegmentId)
            {
                view.LastUse = ++_clock;
                return view;
            }
            if (view is not null)
            {
                _views.Remove(block.Segment);
                view.Retire();
            }
            view = View.Map(Path.Combine(directory, block.Segment), block);
            view.LastUse = ++_clock;
            _views[block.Segment] = view;
            if (_views.Count > Capacity)
            {
                var oldest = _views.Values.MinBy(v => v.LastUse)!;
                _views.Remove(oldest.Name);
                oldest.Retire();
            }
            return view;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var view in _views.Values)
            {
                view.Retire();
            }
            _views.Clear();
        }
    }

    internal sealed class View
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _accessor;
        private readonly byte* _header;
        private readonly PointerMemory<float> _floats;

        private View(string name, long id, int length, MemoryMappedFile file, MemoryMappedViewAccessor accessor, byte* header)
        {
            Name = name;
            Id = id;
            Length = length;
            _file = file;
            _accessor = accessor;
            _header = header;
            _floats = new PointerMemory<float>((float*)(header + SegmentHeader.Size), length);
        }

        public string Name { get; }

        public long Id { get; }

        public int Length { get; }

        public long LastUse { get; set; }

        public ReadOnlyMemory<float> Floats => _floats.Memory;

        public string? Check(long id, int length) => SegmentHeader.Check(_header, id, length);

        public long Tag => SegmentHeader.ReadTag(_header);

        /// <summary>Blocks (sleeping, see <see cref="Futex"/>) until the owner publishes <paramref name="tag"/>.</summary>
        public void WaitForTag(long tag, TimeSpan timeout)
        {
            if (!SegmentHeader.WaitForTag(_header, tag, timeout))
            {
                throw new Contracts.Messages.DataPlaneException(
                    $"segment {Name} did not reach tag {tag} within {timeout.TotalSeconds:0.#} s (it holds {Tag}): is its silo gone?");
            }
        }


        public static View Map(string path, BlockRef block)
        {
            MemoryMappedFile? file = null;
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists || (info.Attributes & (FileAttributes.Directory | FileAttributes.ReparsePoint)) != 0)
                {
                    throw new Contracts.Messages.DataPlaneException($"segment {block.Segment} of {block.Owner.Silo} is not on this host");
                }
                var bytes = info.Length;
                if (bytes < SegmentHeader.Size || (bytes - SegmentHeader.Size) / sizeof(float) < block.Length)
                {
                    throw new Contracts.Messages.DataPlaneException($"segment {block.Segment} of {block.Owner.Silo} holds {bytes} bytes, too few for {block.Length} floats");
                }
                var length = (int)Math.Min(int.MaxValue, (bytes - SegmentHeader.Size) / sizeof(float));
                // Mapped for writing although readers never write a float: a reader that sleeps on the
                // segment counts itself in the header, where the owner looks before waking anyone.
                file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
                var accessor = file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.ReadWrite);
                byte* pointer = null;
                accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                var view = new View(block.Segment, block.SegmentId, length, file, accessor, pointer + accessor.PointerOffset);
                if (view.Check(block.SegmentId, block.Length) is { } problem)
                {
                    view.Retire();
                    throw new Contracts.Messages.DataPlaneException($"segment {block.Segment} of {block.Owner.Silo}: {problem}");
                }
                return view;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                file?.Dispose();
                throw new Contracts.Messages.DataPlaneException($"segment {block.Segment} of {block.Owner.Silo} cannot be mapped: {e.Message}");
            }
        }

        /// <summary>Unmapped a minute later: a reader may still be inside the step it was opened for.</summary>
        public void Retire() => Task.Delay(TimeSpan.FromMinutes(1)).ContinueWith(_ => Unmap(), TaskScheduler.Default);

        private void Unmap()
        {
            _accessor.SafeMemoryMappedViewHandle.ReleasePointer();
            _accessor.Dispose();
            _file.Dispose();
        }
    }
}
