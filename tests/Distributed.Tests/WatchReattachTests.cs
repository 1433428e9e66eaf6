using System.Diagnostics;
using System.Runtime.CompilerServices;
using DistTrain.Client.Cluster;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// <see cref="JobRunner.FollowAsync"/> when a watch's gateway dies: the call for the next event hangs
/// (Orleans fails it only at its response timeout) while the job runs on. Played by a job whose watch
/// hangs for good after a few events, as a dead gateway's does, and whose status answers or not.
/// </summary>
public sealed class WatchReattachTests
{
    private static readonly WatchPatience Quick = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));

    [Fact]
    public async Task AWatchThatFallsSilentWhileTheJobMovesOn_IsAttachedAgain_AndEachEpochShownOnce()
    {
        var job = new ScriptedJob(statusStep: 40,
            [Step(1, 10), Epoch(1, 20)], // then silent, as through a dead gateway
            [Epoch(1, 20), Step(2, 30), Epoch(2, 40), Finished(40)]);
        var shown = new List<JobProgress>();
        var clock = Stopwatch.StartNew();

        var status = await JobRunner.FollowAsync(job, shown.Add, patience: Quick);

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(2, job.Watches);
        Assert.Equal([ProgressKind.Step, ProgressKind.Epoch, ProgressKind.Step, ProgressKind.Epoch, ProgressKind.Finished], shown.Select(p => p.Kind));
        Assert.Equal([1, 2], shown.Where(p => p.Kind == ProgressKind.Epoch).Select(p => p.Epoch));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"re-attached after {clock.Elapsed}"); // not Orleans' 30 s and more
    }

    [Fact]
    public async Task AWatchWhoseJobStopsAnswering_IsAttachedAgain_AfterTheProbeTimesOut()
    {
        var job = new ScriptedJob(statusStep: 10, [Step(1, 10)], [Step(1, 15), Finished(20)]) { HangingProbes = 1 };
        var shown = new List<JobProgress>();

        var status = await JobRunner.FollowAsync(job, shown.Add, patience: Quick);

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(2, job.Watches);
        Assert.Equal([10L, 15, 20], shown.Select(p => p.Step));
    }

    [Fact]
    public async Task AQuietJob_IsWaitedFor_WithoutAttachingAgain()
    {
        // Silent for 6 × the patience (an evaluation, a recovery), its step unchanged: not a lost watch.
        var job = new ScriptedJob(statusStep: 10, [Step(1, 10), Pause(TimeSpan.FromMilliseconds(600)), Finished(10)]);
        var shown = new List<JobProgress>();

        // A probe that answers, given all the time a busy CI machine may need (a timed-out probe
        // would rightly count as a job that does not answer).
        await JobRunner.FollowAsync(job, shown.Add, patience: Quick with { ProbeTimeout = TimeSpan.FromSeconds(30) });

        Assert.Equal(1, job.Watches);
        Assert.True(job.Probes >= 1, "the silent watch never asked the job how it was");
        Assert.Equal([ProgressKind.Step, ProgressKind.Finished], shown.Select(p => p.Kind));
    }

    private static JobProgress Step(int epoch, long step) => new() { Kind = ProgressKind.Step, State = JobState.Running, Epoch = epoch, Step = step };

    private static JobProgress Epoch(int epoch, long step) => new() { Kind = ProgressKind.Epoch, State = JobState.Running, Epoch = epoch, Step = step };

    private static JobProgress Finished(long step) => new() { Kind = ProgressKind.Finished, State = JobState.Completed, Step = step };

    /// <summary>Not an event: the script waits this long before its next one.</summary>
    private static JobProgress Pause(TimeSpan pause) => new() { Kind = (ProgressKind)(-1), Loss = pause.TotalMilliseconds };

    /// <summary>A job whose n-th watch plays the n-th script; past its last event a script that does
    /// not finish hangs for good, ignoring cancellation, as a call through a dead gateway does.</summary>
    private sealed class ScriptedJob(long statusStep, params JobProgress[][] scripts) : IJobGrain
    {
        public int Watches { get; private set; }

        public int Probes { get; private set; }

        /// <summary>Status calls made during a watch that never answer (as through the dead gateway).</summary>
        public int HangingProbes { get; set; }

        private bool _ended;

        public async Task<JobStatus> GetStatusAsync()
        {
            if (Watches > 0 && !_ended)
            {
                Probes++;
                if (HangingProbes-- > 0)
                {
                    await new TaskCompletionSource().Task;
                }
            }
            return new JobStatus
            {
                JobId = "job-scripted",
                State = _ended ? JobState.Completed : JobState.Running,
                Spec = Jobs.Small(workers: 1),
                Step = statusStep,
            };
        }

        public async IAsyncEnumerable<JobProgress> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (Watches == scripts.Length)
            {
                throw new InvalidOperationException($"attached again (watch {Watches + 1}), and the script has {scripts.Length} watches");
            }
            var script = scripts[Watches++];
            foreach (var progress in script)
            {
                if ((int)progress.Kind == -1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(progress.Loss), cancellationToken);
                    continue;
                }
                _ended |= progress.Kind == ProgressKind.Finished;
                yield return progress;
            }
            if (!_ended)
            {
                await new TaskCompletionSource().Task;
            }
        }

        public Task<SubmitResult> StartAsync(JobSpec spec) => throw new NotSupportedException();

        public Task<JobStatus> CancelAsync() => throw new NotSupportedException();

        public Task<WeightsSnapshot> GetWeightsAsync() => throw new NotSupportedException();

        public Task<LossCurve> GetLossCurveAsync() => throw new NotSupportedException();

        public Task<IReadOnlyList<WorkerInfo>> GetWorkersAsync() => throw new NotSupportedException();
    }
}
