using DistTrain.Core.Training;

namespace DistTrain.Core.Tests.Training;

/// <summary>The one epoch loop: where it starts, how it cuts rounds, where it stops.</summary>
public sealed class EpochDriverTests
{
    /// <summary>Records what the driver asks; each call runs as many steps as it may, in rounds of h.</summary>
    private sealed class Recorder(int runRounds = 1) : IEpochSteps
    {
        public List<string> Calls { get; } = [];

        public void BeginEpoch(int epoch) => Calls.Add($"begin {epoch}");

        public ValueTask<int> RunAsync(int epoch, int stepInEpoch, long step, int h, int left, EpochTotals totals, CancellationToken cancellation)
        {
            var done = Math.Min(left / h, runRounds) * h;
            Calls.Add($"run e{epoch} b{stepInEpoch} s{step} h{h} left{left} -> {done}");
            totals.Add(epoch, stepInEpoch, loss: 1.0, samples: done, steps: done);
            return ValueTask.FromResult(done);
        }

        public void OnSteps(int epoch, long step, int stepInEpoch, EpochTotals totals, double seconds, bool endOfEpoch)
        {
            if (endOfEpoch)
            {
                Calls.Add($"end of epoch {epoch} at s{step}");
            }
        }

        public ValueTask EndEpochAsync(int epoch, EpochTotals totals, double trainingSeconds, CancellationToken cancellation)
        {
            Calls.Add($"epoch {epoch}: {totals.Steps} steps");
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task RoundsOfH_EndShorter_AtAnEpochsEnd_AndAtTheStepLimit()
    {
        var steps = new Recorder();

        // 5 batches an epoch, H = 2, 2 epochs cut at 8 steps in all.
        await EpochDriver.RunAsync(steps, new EpochSchedule(Epochs: 2, StepsPerEpoch: 5, TotalSteps: 8, SyncEvery: 2), finishedEpochs: 0, firstStep: 0, default);

        Assert.Equal(
        [
            "begin 1", "run e1 b0 s0 h2 left5 -> 2", "run e1 b2 s2 h2 left3 -> 2", "run e1 b4 s4 h1 left1 -> 1", "end of epoch 1 at s5", "epoch 1: 5 steps",
            "begin 2", "run e2 b0 s5 h2 left3 -> 2", "run e2 b2 s7 h1 left1 -> 1", "end of epoch 2 at s8", "epoch 2: 3 steps",
        ], steps.Calls);
    }

    [Fact]
    public async Task AResumedRun_StartsAfterItsFinishedEpochs_AtTheBatchItStandsAt()
    {
        var steps = new Recorder(runRounds: 10);

        // Epoch 1 finished and epoch 2 stood at batch 3 (global step 8) when the job resumed.
        await EpochDriver.RunAsync(steps, new EpochSchedule(Epochs: 3, StepsPerEpoch: 5, TotalSteps: 15), finishedEpochs: 1, firstStep: 8, default);

        Assert.Equal(
        [
            "begin 2", "run e2 b3 s8 h1 left2 -> 2", "end of epoch 2 at s10", "epoch 2: 2 steps",
            "begin 3", "run e3 b0 s10 h1 left5 -> 5", "end of epoch 3 at s15", "epoch 3: 5 steps",
        ], steps.Calls);
    }

    [Fact]
    public async Task ACancelledRun_StopsBeforeItsNextStep()
    {
        var steps = new Recorder();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await EpochDriver.RunAsync(steps, new EpochSchedule(1, 5, 5), 0, 0, cancel.Token));
        Assert.Equal(["begin 1"], steps.Calls);
    }
}
