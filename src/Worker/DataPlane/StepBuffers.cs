namespace DistTrain.Worker.DataPlane;

/// <summary>
/// The buffer-reuse rule of the synchronous protocol, in one place. A grain that publishes a block
/// per step (a worker's gradient, a group's combined gradient, a slice's weights) writes it into
/// one of a few buffers that it keeps, instead of a new one each step, so that a step allocates
/// nothing and the block stays in cache. Buffer <c>version % Count</c> holds version v.
/// </summary>
/// <remarks>
/// Why it is safe: the job asks for step t+1 only after every parameter-server slice has applied
/// step t, and no grain here is reentrant. So every reader of a gradient of step t (the slices, in
/// ApplyAsync(t)) is done before its writer is asked for step t+1: one buffer is enough. Weights of
/// version v are read by the groups during step v and by the slice itself while it computes
/// version v+1, so a slice needs two: v+1 is written into the buffer of v−1, whose readers finished
/// a step ago. Readers outside the loop (a checkpoint, <c>train --out</c>) get copies. An
/// asynchronous mode would have to hand buffers over instead.
/// </remarks>
public sealed class StepBuffers<T>(params T[] buffers) : IDisposable where T : class
{
    public int Count => buffers.Length;

    /// <summary>The buffer that holds (or is to hold) <paramref name="version"/>.</summary>
    public T For(long version) => buffers[(int)(version % buffers.Length)];

    public IReadOnlyList<T> All => buffers;

    public void Dispose()
    {
        foreach (var buffer in buffers)
        {
            (buffer as IDisposable)?.Dispose();
        }
    }
}
