using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public class ElementwiseTests
{
    [Fact]
    public void Step_MatchesScalarRule_ForEveryLengthUpTo100()
    {
        var random = new Random(3);
        for (var n = 0; n <= 100; n++)
        {
            var x = Enumerable.Range(0, n).Select(i => i % 7 == 0 ? 0f : (float)(random.NextDouble() * 2 - 1)).ToArray();
            var d = new float[n];
            Elementwise.Step<float>(x, d);
            Assert.Equal(x.Select(v => v > 0 ? 1f : 0f), d); // 0 at exactly 0
            var xd = x.Select(v => (double)v).ToArray();
            var dd = new double[n];
            Elementwise.Step<double>(xd, dd);
            Assert.Equal(xd.Select(v => v > 0 ? 1.0 : 0.0), dd);
        }
    }
}
