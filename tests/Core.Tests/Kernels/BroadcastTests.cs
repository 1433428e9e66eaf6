using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public class BroadcastTests
{
    [Fact]
    public void ResultShape_FollowsNumPyRules()
    {
        Assert.Equal([2, 3, 4], Broadcast.ResultShape([3, 1], [2, 1, 4], "Add"));
        Assert.Equal([5], Broadcast.ResultShape([], [5], "Add"));
        var e = Assert.Throws<ArgumentException>(() => Broadcast.ResultShape([3], [4], "Mul"));
        Assert.Contains("Mul", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void ExpandThenSumInto_AreAdjoint()
    {
        // <expand(x), y> = <x, sumInto(y)>: the forward and backward halves of broadcasting agree.
        int[] small = [3, 1], shape = [2, 3, 4];
        var x = new double[] { 1, -2, 3 };
        var y = Enumerable.Range(0, 24).Select(i => Math.Sin(i)).ToArray();
        var expanded = new double[24];
        Broadcast.Expand<double>(x, small, shape, expanded);
        var summed = new double[3];
        Broadcast.SumInto<double>(y, shape, summed, small);
        Assert.Equal(expanded.Zip(y, (a, b) => a * b).Sum(), x.Zip(summed, (a, b) => a * b).Sum(), 12);
        Assert.Equal(-2, expanded[4]); // [0, 1, 0] reads x[1]
    }
}
