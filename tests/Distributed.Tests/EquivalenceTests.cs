using System.Runtime.InteropServices;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// Synchronous data-parallel SGD is single-process SGD: the K slices of each global batch tile it,
/// and the parameter server's count-weighted mean of their mean gradients is the batch's mean gradient.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EquivalenceTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Steps = 50;

    // A batch of 30 splits unevenly over 4 workers (8, 8, 8, 6): the weighting by count matters.
    private static JobSpec Spec(int workers) => Jobs.Small(workers, maxSteps: Steps);

    private static readonly Lazy<float[]> Reference = new(() => SingleProcessReference.Train(Spec(1), Steps));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task KWorkers_MatchSingleProcessTraining_After50Steps(int workers)
    {
        var id = Jobs.NewId($"equiv{workers}");
        var status = await Jobs.RunAsync(fixture.Client, id, Spec(workers));
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(Steps, status.Step);

        var distributed = await Jobs.WeightsAsync(fixture.Client, id);
        // One group (and parameter-server slice) per silo, at most one per worker.
        Assert.Equal(Math.Min(workers, ClusterFixture.SiloCount), status.Groups);

        var difference = SingleProcessReference.RelativeDifference(distributed, Reference.Value);
        output.WriteLine($"{workers} workers: relative difference to one process {difference:E2}");
        Assert.True(difference <= 1e-5, $"relative difference {difference:E2} with {workers} workers");
        if (workers == 1)
        {
            // One worker computes exactly what the single process computes.
            Assert.Equal(Reference.Value, distributed);
        }
        else
        {
            // The local trainer on K cores, summing in the job's groups, splits and combines exactly as
            // K workers on G silos do, each silo combining its own workers first.
            Assert.Equal(SingleProcessReference.Train(Spec(workers), Steps, threads: workers, groups: status.Groups), distributed);
        }
    }

    [Fact]
    public async Task TwoRuns_SameSeedAndWorkers_AreBitIdentical()
    {
        var first = Jobs.NewId("repeat-a");
        var second = Jobs.NewId("repeat-b");
        await Jobs.RunAsync(fixture.Client, first, Spec(3));
        await Jobs.RunAsync(fixture.Client, second, Spec(3));

        var a = await Jobs.WeightsAsync(fixture.Client, first);
        var b = await Jobs.WeightsAsync(fixture.Client, second);

        Assert.True(MemoryMarshal.AsBytes(a.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.AsSpan())));
    }
}
