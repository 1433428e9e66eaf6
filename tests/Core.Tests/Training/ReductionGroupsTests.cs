using DistTrain.Core.Training;

namespace DistTrain.Core.Tests.Training;

/// <summary>The grouped gradient sum that lets each silo combine its own workers first.</summary>
public sealed class ReductionGroupsTests
{
    private static float[][] Gradients(int shards, int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, shards)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray())
            .ToArray();
    }

    [Theory]
    [InlineData(5, 2)]
    [InlineData(4, 3)]
    [InlineData(7, 7)]
    public void APreCombinedGroup_GivesTheBitsOfItsSeparateTerms(int shards, int groups)
    {
        const int Length = 2500; // more than one chunk, and a ragged last one
        var gradients = Gradients(shards, Length, seed: shards * 10 + groups);
        var counts = Enumerable.Range(0, shards).Select(k => k == 1 ? 0 : 3 + k).ToArray(); // an empty shard too
        var terms = new GradientTerm[shards];
        var ends = new int[groups];
        var n = ReductionGroups.Arrange(gradients, counts, groups, terms, ends);
        var direct = new float[Length];
        GradientAverage.CombineGroups(terms.AsSpan(0, n), ends, direct, 0);

        // What a silo does: its group's terms summed into one block; the server adds the blocks, weight 1.
        var partials = new GradientTerm[groups];
        var partialEnds = new int[groups];
        var first = 0;
        var used = 0;
        for (var g = 0; g < groups; g++)
        {
            if (ends[g] > first)
            {
                var block = new float[Length];
                GradientAverage.CombineGroups(terms.AsSpan(first, ends[g] - first), [ends[g] - first], block, 0);
                partials[used++] = new GradientTerm(block, 1f);
            }
            partialEnds[g] = used;
            first = ends[g];
        }
        var twoLevel = new float[Length];
        GradientAverage.CombineGroups(partials.AsSpan(0, used), partialEnds, twoLevel, 0);

        Assert.Equal(direct, twoLevel);
    }

    [Fact]
    public void Arrange_PutsShardKInGroupKModG_InShardOrder_SkippingEmptyShards()
    {
        var gradients = Gradients(5, 4, seed: 1);
        int[] counts = [2, 2, 0, 2, 2];
        var terms = new GradientTerm[5];
        var ends = new int[2];
        var n = ReductionGroups.Arrange(gradients, counts, 2, terms, ends);

        Assert.Equal(4, n);
        Assert.Equal([2, 4], ends);
        // Group 0: shards 0, 4 (2 is empty); group 1: shards 1, 3; each weighs 2/8 of the batch.
        Assert.Same(gradients[0], GetArray(terms[0]));
        Assert.Same(gradients[4], GetArray(terms[1]));
        Assert.Same(gradients[1], GetArray(terms[2]));
        Assert.Same(gradients[3], GetArray(terms[3]));
        Assert.All(terms.Take(n), t => Assert.Equal(0.25f, t.Weight));
        Assert.Equal([0, 2, 4], ReductionGroups.ShardsOf(0, 2, 5));
    }

    [Fact]
    public void GroupedSum_DiffersFromTheFlatSumOnlyByRounding()
    {
        const int Length = 3000;
        var gradients = Gradients(6, Length, seed: 5);
        var counts = Enumerable.Repeat(10, 6).ToArray();
        var flat = new float[Length];
        GradientAverage.Combine(gradients, counts, flat);
        var terms = new GradientTerm[6];
        var ends = new int[3];
        var n = ReductionGroups.Arrange(gradients, counts, 3, terms, ends);
        var grouped = new float[Length];
        GradientAverage.CombineGroups(terms.AsSpan(0, n), ends, grouped, 0);

        for (var i = 0; i < Length; i++)
        {
            var exact = gradients.Sum(g => (double)g[i]) / 6;
            Assert.True(Math.Abs(grouped[i] - exact) <= 1e-6, $"element {i}: {grouped[i]} vs {exact}");
            Assert.True(Math.Abs(flat[i] - exact) <= 1e-6);
        }
    }

    private static float[] GetArray(GradientTerm term) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(term.Values, out var segment) ? segment.Array! : [];
}
