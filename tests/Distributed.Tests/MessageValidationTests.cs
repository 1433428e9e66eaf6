using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Distributed.Tests.Infrastructure;
using DistTrain.Worker;

namespace DistTrain.Distributed.Tests;

/// <summary>Every message is checked against the job it belongs to before it is used: a worker
/// refuses a step whose weights, epoch, batch or round its job does not have, naming what is wrong.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MessageValidationTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AWorker_RefusesStepsThatCannotBelongToItsJob_AndStillServesAGoodOne()
    {
        var spec = Jobs.Small(workers: 2); // 784-16-10: 12,730 parameters; 2,000 samples in 67 batches of 30; 1 epoch
        var setup = new WorkerSetup { JobId = Jobs.NewId("validate"), Shard = 0, ShardCount = 2, Spec = spec };
        StepRequest Step(int floats, int epoch = 1, int stepInEpoch = 0, int localSteps = 1) => new()
        {
            Epoch = epoch, StepInEpoch = stepInEpoch, GlobalStep = stepInEpoch, LocalSteps = localSteps, Weights = FloatBlock.Own(new float[floats]),
        };

        var outcomes = await fixture.Client.GetGrain<IStepProbeGrain>("probe").SendAsync(WorkerKey.Format(setup.JobId, 0), setup,
        [
            Step(12_729),
            Step(12_730, epoch: 2),
            Step(12_730, epoch: 0),
            Step(12_730, stepInEpoch: 67),
            Step(12_730, stepInEpoch: -1),
            Step(12_730, stepInEpoch: 60, localSteps: 8),
            Step(12_730, localSteps: 0),
            Step(12_730, stepInEpoch: 66),
        ]);

        Assert.Contains("its weights hold 12,729 values for a network of 12,730 parameters", outcomes[0]);
        Assert.Contains("epoch 2 is not one of the job's epochs 1–1", outcomes[1]);
        Assert.Contains("epoch 0 is not one of", outcomes[2]);
        Assert.Contains("batches 67–67 are not all among the epoch's 67 batches", outcomes[3]);
        Assert.Contains("batches -1–-1 are not all among", outcomes[4]);
        Assert.Contains("batches 60–67 are not all among", outcomes[5]);
        Assert.Contains("0 local steps is outside 1–1000", outcomes[6]);
        Assert.All(outcomes[..7], o => Assert.Contains("refused step", o));
        Assert.Equal("accepted", outcomes[7]); // the epoch's last batch
        Assert.Contains("refused to evaluate weights of 3 values for a network of 12,730 parameters", outcomes[8]);
    }
}
