using System.Runtime.CompilerServices;
using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

/// <summary>
/// One watcher's pending progress events, bounded however slowly it reads: a step event replaces
/// the step event queued just before it (only the latest step matters), while epoch and finished
/// events are always kept, in order. A watcher that stops reading holds at most two events per
/// epoch, not one per step.
/// </summary>
public sealed class ProgressQueue
{
    private readonly List<JobProgress> _pending = [];
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _completed;

    /// <summary>Events waiting to be read (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Step events replaced before they were read.</summary>
    public long Coalesced { get; private set; }

    public void Write(JobProgress progress)
    {
        lock (_pending)
        {
            if (_completed)
            {
                return;
            }
            if (progress.Kind == ProgressKind.Step && _pending.Count > 0 && _pending[^1].Kind == ProgressKind.Step)
            {
                _pending[^1] = progress;
                Coalesced++;
            }
            else
            {
                _pending.Add(progress);
            }
            _arrived.TrySetResult();
        }
    }

    /// <summary>No more events: the reader ends after those pending.</summary>
    public void Complete()
    {
        lock (_pending)
        {
            _completed = true;
            _arrived.TrySetResult();
        }
    }

    public async IAsyncEnumerable<JobProgress> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var batch = new List<JobProgress>();
        while (true)
        {
            Task arrived;
            bool completed;
            lock (_pending)
            {
                batch.AddRange(_pending);
                _pending.Clear();
                completed = _completed;
                if (_arrived.Task.IsCompleted)
                {
                    _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                arrived = _arrived.Task;
            }
            foreach (var progress in batch)
            {
                yield return progress;
            }
            batch.Clear();
            if (completed)
            {
                yield break;
            }
            await arrived.WaitAsync(cancellationToken);
        }
    }
}
