using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>Jobs submitted at once share the cluster without disturbing each other: each ends with
/// exactly the weights it has alone (the README has the 20-job run against real silos).</summary>
[Collection(ClusterCollection.Name)]
public sealed class ConcurrentJobsTests(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task SixJobsAtOnce_AllComplete_EachWithTheWeightsItHasAlone()
    {
        const int Steps = 20;
        // Two seeds, three shapes: jobs that share a dataset, silos and worker-group keys' prefixes.
        var specs = Enumerable.Range(0, 6).Select(i => Jobs.Small(workers: 1 + i % 3, maxSteps: Steps) with { Seed = 7 + i / 3 }).ToArray();
        var ids = specs.Select((_, i) => Jobs.NewId($"concurrent{i}")).ToArray();

        var statuses = await Task.WhenAll(specs.Select((spec, i) => Jobs.RunAsync(fixture.Client, ids[i], spec)));

        for (var i = 0; i < specs.Length; i++)
        {
            Assert.True(statuses[i].State == JobState.Completed, $"{ids[i]}: {statuses[i].State} {statuses[i].Error}");
            var weights = await Jobs.WeightsAsync(fixture.Client, ids[i]);
            var alone = SingleProcessReference.Train(specs[i], Steps, threads: specs[i].Workers, groups: statuses[i].Groups);
            Assert.Equal(alone, weights);
            output.WriteLine($"{ids[i]}: {specs[i].Workers} worker(s), {statuses[i].Groups} group(s), seed {specs[i].Seed}: bit-identical to the job alone");
        }
    }
}
