using System.Diagnostics;
using System.Runtime.ExceptionServices;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Training;

/// <summary>
/// A fixed team of threads that runs one job split in parts, again and again, with a hand-off of
/// microseconds: the workers spin briefly between jobs (steps of a small network take ~50 µs, too
/// short for a thread-pool round trip) and park on a semaphore when idle longer. No allocation per job.
/// </summary>
internal sealed class WorkerTeam : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 2000; // 0.5 ms of spinning before parking

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _parked;
    private Action<int>? _job;
    private int _generation;
    private int _pending;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _failure;

    public WorkerTeam(int size)
    {
        Size = Math.Max(1, size);
        _threads = new Thread[Size - 1];
        _wake = new SemaphoreSlim[Size - 1];
        _parked = new int[Size - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            var index = i;
            _threads[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"DistTrain worker {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Participants, the calling thread included.</summary>
    public int Size { get; }

    /// <summary>Runs job(0) on the caller and job(1..Size-1) on the team; returns when all are done.</summary>
    public void Run(Action<int> job)
    {
        _job = job;
        _failure = null;
        Volatile.Write(ref _pending, Size - 1);
        Interlocked.Increment(ref _generation);
        for (var i = 0; i < _wake.Length; i++)
        {
            if (Interlocked.Exchange(ref _parked[i], 0) == 1)
            {
                _wake[i].Release();
            }
        }
        RunPart(job, 0);
        var spinner = new SpinWait();
        while (Volatile.Read(ref _pending) > 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        _failure?.Throw();
    }

    private void RunPart(Action<int> job, int part)
    {
        var nested = SgemmAvx512.t_insideParallelPart;
        SgemmAvx512.t_insideParallelPart = Size > 1; // the team already uses every core
        try
        {
            job(part);
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            SgemmAvx512.t_insideParallelPart = nested;
        }
    }

    private void Loop(int index)
    {
        var seen = 0;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                Interlocked.Exchange(ref _parked[index], 1);
                if (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    _wake[index].Wait();
                }
                start = Stopwatch.GetTimestamp();
            }
            if (_disposed)
            {
                return;
            }
            seen = Volatile.Read(ref _generation);
            RunPart(_job!, index + 1);
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var w in _wake)
        {
            w.Release();
        }
        foreach (var t in _threads)
        {
            t.Join();
        }
        foreach (var w in _wake)
        {
            w.Dispose();
        }
    }
}
