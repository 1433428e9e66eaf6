using DistTrain.Core.Autodiff;
using DistTrain.Core.Expressions;

namespace DistTrain.Core.Tests.Expressions;

public class ExpressionParserTests
{
    private static Dictionary<string, Tensor<double>> Variables(params (string Name, double Value)[] values) =>
        values.ToDictionary(v => v.Name, v =>
        {
            var t = Tensor.Parameter([v.Value]);
            t.Name = v.Name;
            return t;
        });

    [Theory]
    [InlineData("1+2*3", 7)]
    [InlineData("(1+2)*3", 9)]
    [InlineData("2^3^2", 512)]
    [InlineData("-2^2", -4)]
    [InlineData("10/4-1", 1.5)]
    [InlineData("max(1, 2) + min(1, 2) + pow(4, 0.5)", 5)]
    [InlineData("1e-1 * 20", 2)]
    public void Evaluate_FollowsPrecedence(string text, double expected) =>
        Assert.Equal(expected, ExpressionParser.Evaluate(text, Variables()).Item, 12);

    [Fact]
    public void LectureExample_BuildsAGraphWithTheRightGradients()
    {
        var v = Variables(("x1", 1.5), ("x2", 2), ("x3", -1));
        var y = ExpressionParser.Evaluate("2*log(x1+sin(x1))*max(x2,x3)", v);
        y.Backward();
        Assert.Equal(2 * Math.Log(1.5 + Math.Sin(1.5)) * 2, y.Item, 12);
        Assert.Equal(2 * 2 * (1 + Math.Cos(1.5)) / (1.5 + Math.Sin(1.5)), v["x1"].Grad[0], 12);
        var view = new GraphView(y);
        Assert.Contains(view.Rows, r => r.Operation == "log");
        Assert.Contains("n0 -> ", view.ToDot());
        Assert.Equal(["x1", "x2", "x3"], ExpressionParser.VariableNames("2*log(x1+sin(x1))*max(x2,x3)"));
    }

    [Theory]
    [InlineData("2*log(x1", 8, "expected ')'")]
    [InlineData("2**x1", 2, "unexpected '*'")]
    [InlineData("foo(x1)", 0, "unknown function 'foo'")]
    [InlineData("x1 + y", 5, "unknown variable 'y'")]
    [InlineData("", 0, "empty")]
    [InlineData("x1^x1", 3, "must be a constant")]
    public void BadExpressions_PointAtThePosition(string text, int position, string message)
    {
        var e = Assert.Throws<ExpressionException>(() => ExpressionParser.Evaluate(text, Variables(("x1", 1))));
        Assert.Equal(position, e.Position);
        Assert.Contains(message, e.Message);
    }
}
