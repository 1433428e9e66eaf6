using System.Diagnostics;

namespace DistTrain.Worker.DataPlane;

/// <summary>Waiting for a segment of this process to hold a tag without holding a thread: the TCP listener's long-polls.</summary>
internal sealed class TagSignal(Func<long> readTag, string name)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _published;
    private int _waiting;

    /// <summary>The owner published a tag: wake whoever waits (nothing to do when nobody does).</summary>
    public void Pulse()
    {
        if (Volatile.Read(ref _waiting) == 0)
        {
            return;
        }
        TaskCompletionSource? published;
        lock (_lock)
        {
            published = _published;
            _published = null;
        }
        published?.TrySetResult();
    }

    public async ValueTask WaitAsync(long tag, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        Interlocked.Increment(ref _waiting);
        try
        {
            while (readTag() != tag)
            {
                Task next;
                lock (_lock)
                {
                    next = (_published ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
                if (readTag() == tag)
                {
                    return; // published between the look and the registration
                }
                var left = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"segment {name} did not reach tag {tag} within {timeout.TotalSeconds:0.#} s (it holds {readTag()})");
                }
                try
                {
                    await next.WaitAsync(left, cancellation).ConfigureAwait(false);
                }
                catch (TimeoutException) when (readTag() == tag)
                {
                    return;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
