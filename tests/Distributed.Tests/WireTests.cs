using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>`--wire bf16`: what crosses between silos is rounded to bfloat16 (with error feedback),
/// and training learns as well as with exact fp32 on the wire.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WireTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static JobSpec Spec(string wire) => Jobs.Small(workers: 3) with
    {
        Network = "784-32-10", Epochs = 2, TrainLimit = 6000, TestLimit = 1000, GlobalBatchSize = 48, Wire = wire,
    };

    [Fact]
    public async Task Bf16OnTheWire_LearnsAsWellAsFp32()
    {
        var exact = await Jobs.RunAsync(fixture.Client, Jobs.NewId("fp32"), Spec("fp32"));
        var first = Jobs.NewId("bf16-a");
        var rounded = await Jobs.RunAsync(fixture.Client, first, Spec("bf16"));
        output.WriteLine($"fp32: {exact.FinalTestAccuracy:P2}, bf16: {rounded.FinalTestAccuracy:P2}");

        Assert.Equal(JobState.Completed, rounded.State);
        Assert.Equal(3, rounded.Groups);
        Assert.True(rounded.FinalTestAccuracy >= 0.85, $"bf16: test accuracy {rounded.FinalTestAccuracy:P2} < 85%");
        // Within 3 points on these 1,000 test images. Usually 89.20 % against fp32's 89.50 %, but on
        // 2026-12-02 (an AVX2-only machine) two of about twelve runs of this test gave 87.40 %: bf16
        // training is then not bit-identical across processes, a fault not found yet (see the README,
        // "Things to know"); 30-step runs in one process stay identical (below).
        Assert.True(Math.Abs(rounded.FinalTestAccuracy!.Value - exact.FinalTestAccuracy!.Value) <= 0.03,
            $"bf16 {rounded.FinalTestAccuracy:P2} against fp32 {exact.FinalTestAccuracy:P2}");

        // Every replica computed with the published (rounded) weights: they are bfloat16 values.
        var weights = await Jobs.WeightsAsync(fixture.Client, first);
        Assert.All(weights, w => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(w) & 0xFFFF));

        // Rounding is deterministic: a second run gives the same weights.
        var second = Jobs.NewId("bf16-b");
        await Jobs.RunAsync(fixture.Client, second, Spec("bf16") with { Epochs = 1, MaxSteps = 30 });
        var third = Jobs.NewId("bf16-c");
        await Jobs.RunAsync(fixture.Client, third, Spec("bf16") with { Epochs = 1, MaxSteps = 30 });
        Assert.Equal(await Jobs.WeightsAsync(fixture.Client, second), await Jobs.WeightsAsync(fixture.Client, third));
    }
}
