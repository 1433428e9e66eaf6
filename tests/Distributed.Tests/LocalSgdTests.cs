using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// Local SGD (`--sync-every H`): the workers average their models every H steps instead of every
/// step. It learns about as well as synchronous SGD on the same batches, takes H times fewer
/// averaging rounds, and runs the same from run to run.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LocalSgdTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static JobSpec Spec(int syncEvery) => Jobs.Small(workers: 3) with
    {
        Network = "784-32-10", Momentum = 0, Epochs = 2, TrainLimit = 6000, TestLimit = 1000, GlobalBatchSize = 48, SyncEvery = syncEvery,
    };

    [Fact]
    public async Task LocalSgd_LearnsAsWellAsSynchronousSgd_WithHTimesFewerRounds()
    {
        var synchronous = await Jobs.RunAsync(fixture.Client, Jobs.NewId("sync1"), Spec(1));
        var local = await Jobs.RunAsync(fixture.Client, Jobs.NewId("sync8"), Spec(8));
        output.WriteLine($"H = 1: {synchronous.FinalTestAccuracy:P2} after {synchronous.WeightsVersion} rounds; H = 8: {local.FinalTestAccuracy:P2} after {local.WeightsVersion} rounds");

        Assert.Equal(JobState.Completed, local.State);
        Assert.Equal(synchronous.Step, local.Step); // the same 2 × 125 batches
        // 125 steps an epoch: 15 rounds of 8 and one of 5, twice.
        Assert.Equal(2 * 16, local.WeightsVersion);
        Assert.Equal(2 * 125, synchronous.WeightsVersion);
        Assert.True(local.FinalTestAccuracy >= 0.85, $"H = 8: test accuracy {local.FinalTestAccuracy:P2} < 85%");
        Assert.True(local.FinalTestAccuracy >= synchronous.FinalTestAccuracy - 0.02,
            $"H = 8: {local.FinalTestAccuracy:P2} against {synchronous.FinalTestAccuracy:P2} with H = 1");
    }

    [Fact]
    public async Task LocalSgd_IsBitIdenticalFromRunToRun()
    {
        var spec = Spec(4) with { Epochs = 1, MaxSteps = 40 };
        var first = Jobs.NewId("local-a");
        var second = Jobs.NewId("local-b");
        await Jobs.RunAsync(fixture.Client, first, spec);
        await Jobs.RunAsync(fixture.Client, second, spec);

        Assert.Equal(await Jobs.WeightsAsync(fixture.Client, first), await Jobs.WeightsAsync(fixture.Client, second));
    }
}
