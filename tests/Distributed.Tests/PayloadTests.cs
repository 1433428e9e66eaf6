using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace DistTrain.Distributed.Tests;

/// <summary>The wire format of weights and gradients, without a cluster.</summary>
public sealed class PayloadTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(FloatBlock).Assembly)).BuildServiceProvider();

    [Fact]
    public void FloatBlock_RoundTripsBitExactly_AsRawBytes()
    {
        var values = new float[13_002];
        var random = new Random(3);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }
        values[0] = float.NaN;
        values[1] = float.NegativeZero;
        var message = new ShardGradient { Shard = 2, GlobalStep = 9, SampleCount = 17, Loss = 0.25, Gradient = FloatBlock.CopyOf(values) };
        var serializer = Services.GetRequiredService<Serializer>();

        var bytes = serializer.SerializeToArray(message);
        var back = serializer.Deserialize<ShardGradient>(bytes)!;

        Assert.Equal(message with { Gradient = back.Gradient }, back);
        Assert.True(back.Gradient.Bytes.SequenceEqual(message.Gradient.Bytes));
        // Raw: 4 bytes a float plus a few of framing, not ~5 a float as the float[] codec writes.
        Assert.InRange(bytes.Length, values.Length * 4, values.Length * 4 + 64);
    }

    [Fact]
    public void FloatBlock_IsNotCopiedInsideASilo()
    {
        var block = FloatBlock.Own([1f, 2f, 3f]);
        var copier = Services.GetRequiredService<DeepCopier>();

        Assert.Same(block, copier.Copy(block));
        var request = new StepRequest { Weights = block };
        Assert.Same(block, copier.Copy(request).Weights);
    }
}
