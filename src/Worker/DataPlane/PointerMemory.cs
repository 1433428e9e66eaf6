using System.Buffers;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// A <see cref="Memory{T}"/> over unmanaged memory (a mapped segment, pinned data). Socket calls and
/// gradient terms take Memory, not pointers; one manager per region, created once, so steady-state
/// reads allocate nothing. <see cref="Reset"/> re-points it (a connection's receive window).
/// </summary>
internal sealed unsafe class PointerMemory<T>(T* pointer, int length) : MemoryManager<T> where T : unmanaged
{
    private T* _pointer = pointer;
    private int _length = length;

    /// <summary>Points nowhere until <see cref="Reset"/>.</summary>
    public static PointerMemory<T> Unset() => new(null, 0);

    public void Reset(T* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<T> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
