using DistTrain.Core.Autodiff;
using DistTrain.Core.Optim;

namespace DistTrain.Core.Tests.Optim;

public class SgdOptimizerTests
{
    [Fact]
    public void PlainStep_MovesAgainstTheGradient()
    {
        var w = new[] { 1f, -2f };
        new SgdOptimizer(new SgdOptions(0.5f), 2).Step(w, [2f, -4f]);
        Assert.Equal([0f, 0f], w);
    }

    [Fact]
    public void Momentum_And_Nesterov_MatchHandComputation()
    {
        // g = (1, 1) twice; μ = 0.9, η = 0.1.
        var w = new[] { 0f, 0f };
        var sgd = new SgdOptimizer(new SgdOptions(0.1f, Momentum: 0.9f), 2);
        sgd.Step(w, [1f, 1f]); // v = 1 → w = −0.1
        sgd.Step(w, [1f, 1f]); // v = 1.9 → w = −0.29
        Assert.Equal(-0.29f, w[0], 5);

        var n = new[] { 0f };
        var nesterov = new SgdOptimizer(new SgdOptions(0.1f, Momentum: 0.9f, Nesterov: true), 1);
        nesterov.Step(n, [1f]); // v = 1, step g + μv = 1.9 → −0.19
        Assert.Equal(-0.19f, n[0], 5);
    }

    [Fact]
    public void WeightDecay_AndClipping_ChangeTheGradient()
    {
        var w = new[] { 2f };
        new SgdOptimizer(new SgdOptions(1f, WeightDecay: 0.5f), 1).Step(w, [0f]);
        Assert.Equal(1f, w[0], 6); // g = 0 + 0.5·2

        var c = new[] { 0f, 0f };
        var clipped = new SgdOptimizer(new SgdOptions(1f, ClipNorm: 1f), 2);
        clipped.Step(c, [3f, 4f]);
        Assert.Equal([-0.6f, -0.8f], c);
        Assert.Equal(5f, clipped.LastGradientNorm, 5);
    }

    [Fact]
    public void Schedules_FollowTheirFormulas()
    {
        var step = new LearningRateSchedule(ScheduleKind.Step, StepSize: 10, Gamma: 0.5f);
        Assert.Equal(1f, step.Factor(9));
        Assert.Equal(0.25f, step.Factor(20));
        var cosine = new LearningRateSchedule(ScheduleKind.Cosine, TotalSteps: 100);
        Assert.Equal(1f, cosine.Factor(0), 6);
        Assert.Equal(0.5f, cosine.Factor(50), 6);
        Assert.Equal(0f, cosine.Factor(100), 6);
    }

    [Theory]
    [InlineData(-0.1f, 0f, "LearningRate")]
    [InlineData(0.1f, 1.5f, "Momentum")]
    public void InvalidOptions_NameTheSetting(float lr, float momentum, string name)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new SgdOptimizer(new SgdOptions(lr, momentum), 1));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Minimizer_StopsWhenTheGradientIsSmall_OrTheBudgetIsSpent()
    {
        // f(x) = Σ (x − 3)², minimum at 3.
        Func<Tensor<float>, Tensor<float>> f = x => ((x - 3f) * (x - 3f)).Sum();
        var x = new[] { 0f, 10f };
        var outcome = Minimizer.Minimize(f, x, new SgdOptions(0.1f), new StoppingRule(1e-3f, 1000));
        Assert.True(outcome.Converged);
        Assert.InRange(outcome.Iterations, 10, 200);
        Assert.Equal(3f, x[0], 3);

        var budget = Minimizer.Minimize(f, [0f], new SgdOptions(0.001f), new StoppingRule(1e-6f, 5));
        Assert.False(budget.Converged);
        Assert.Equal(5, budget.Iterations);
    }

    [Theory]
    [InlineData(0f)]   // plain SGD
    [InlineData(0.9f)] // momentum
    public void StepRangeFromGroups_EqualsCombineThenStep_BitForBit(float momentum)
    {
        var random = new Random(11);
        foreach (var length in new[] { 0, 1, 15, 16, 17, 100, 1000 })
        {
            var shards = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, length + 8).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
            int[] counts = [5, 0, 3]; // an empty shard is skipped
            var current = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
            const int start = 8;

            var fused = new float[length];
            var terms = new DistTrain.Core.Training.GradientTerm[3];
            var ends = new int[1];
            var n = DistTrain.Core.Training.ReductionGroups.Arrange(shards, counts, 1, terms, ends);
            new SgdOptimizer(new SgdOptions(0.1f, momentum), length + start)
                .StepRangeFromGroups(terms.AsSpan(0, n), ends, current, fused, new float[length], start);

            var mean = new float[length];
            DistTrain.Core.Training.GradientAverage.Combine(shards, counts, mean, start);
            var twoPass = new float[length];
            new SgdOptimizer(new SgdOptions(0.1f, momentum), length + start).StepRange(current, twoPass, mean, start);

            Assert.Equal(twoPass, fused);
        }
    }
}
