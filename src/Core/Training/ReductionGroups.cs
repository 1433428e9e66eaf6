namespace DistTrain.Core.Training;

/// <summary>
/// How the K shard gradients of a step are summed: in G groups, shard k in group k mod G, each group
/// summed in shard order, then the group sums added in group order. A cluster job uses one group
/// per silo (each silo combines its own workers first, so only one vector per silo crosses the
/// network); floating-point addition is not associative, so the single-process trainer follows the
/// same grouping when it must reproduce such a job bit for bit. One group is the plain shard-order sum.
/// </summary>
public static class ReductionGroups
{
    public static int GroupOf(int shard, int groups) => shard % groups;

    /// <summary>The shards of <paramref name="group"/>, ascending: g, g+G, g+2G, …</summary>
    public static IEnumerable<int> ShardsOf(int group, int groups, int shards)
    {
        for (var k = group; k < shards; k += groups)
        {
            yield return k;
        }
    }

    /// <summary>
    /// Orders shard gradients for <see cref="GradientAverage.CombineGroups"/>: fills
    /// <paramref name="terms"/> group by group (empty shards left out) and <paramref name="groupEnds"/>
    /// with the end of each group's run of terms; returns the number of terms.
    /// </summary>
    public static int Arrange(ReadOnlySpan<float[]> gradients, ReadOnlySpan<int> counts, int groups,
        Span<GradientTerm> terms, Span<int> groupEnds)
    {
        var total = 0;
        foreach (var c in counts)
        {
            total += c;
        }
        var n = 0;
        for (var g = 0; g < groups; g++)
        {
            for (var k = g; k < gradients.Length; k += groups)
            {
                if (counts[k] > 0)
                {
                    terms[n++] = new GradientTerm(gradients[k], GradientTerm.ShareOf(counts[k], total));
                }
            }
            groupEnds[g] = n;
        }
        return n;
    }
}
