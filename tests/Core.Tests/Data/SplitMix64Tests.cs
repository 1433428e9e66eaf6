using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

public sealed class SplitMix64Tests
{
    [Fact]
    public void Next_MatchesReferenceSequence()
    {
        // The first outputs of Vigna's reference splitmix64.c seeded with 1234567.
        var random = new SplitMix64(1234567);

        ulong[] outputs = [random.Next(), random.Next(), random.Next(), random.Next(), random.Next()];

        Assert.Equal(
            [6457827717110365317UL, 3203168211198807973UL, 9817491932198370423UL, 4593380528125082431UL, 16408922859458223821UL],
            outputs);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(3UL)]
    [InlineData(1000UL)]
    [InlineData(ulong.MaxValue)]
    public void NextBelow_StaysBelowBound(ulong bound)
    {
        var random = new SplitMix64(42);

        for (int i = 0; i < 1000; i++)
        {
            Assert.True(random.NextBelow(bound) < bound);
        }
    }

    [Fact]
    public void NextBelow_IsRoughlyUniform()
    {
        var random = new SplitMix64(7);
        int[] counts = new int[6];

        for (int i = 0; i < 60000; i++)
        {
            counts[random.NextBelow(6)]++;
        }

        // Expected 10000 each; 5 standard deviations is about 460.
        Assert.All(counts, c => Assert.InRange(c, 9500, 10500));
    }
}
