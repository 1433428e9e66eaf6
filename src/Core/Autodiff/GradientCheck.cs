using System.Numerics;

namespace DistTrain.Core.Autodiff;

/// <summary>
/// Compares every analytic gradient with central finite differences,
/// (f(x + h·e_i) − f(x − h·e_i)) / 2h, in double precision.
/// </summary>
public static class GradientCheck
{
    /// <summary>The largest disagreement found, and where.</summary>
    public readonly record struct Result(double MaxError, int Input, int Index, double Analytic, double Numeric)
    {
        public override string ToString() =>
            $"max error {MaxError:E3} at input {Input}[{Index}]: analytic {Analytic:G10}, numeric {Numeric:G10}";
    }

    /// <summary>
    /// Builds the scalar <paramref name="function"/> of fresh leaf tensors with the given values and
    /// shapes, differentiates it in reverse mode, and returns the worst error
    /// |analytic − numeric| / max(1, |analytic|, |numeric|) over all inputs.
    /// </summary>
    public static Result Check(
        Func<Tensor<double>[], Tensor<double>> function,
        (double[] Values, int[] Shape)[] inputs,
        double step = 1e-6)
    {
        var leaves = inputs.Select(i => Tensor.Parameter((double[])i.Values.Clone(), i.Shape)).ToArray();
        var output = function(leaves);
        output.Backward();
        var worst = new Result(0, -1, -1, 0, 0);
        for (var n = 0; n < inputs.Length; n++)
        {
            var analytic = leaves[n].Grad.ToArray();
            for (var i = 0; i < inputs[n].Values.Length; i++)
            {
                var numeric = (Evaluate(function, inputs, n, i, +step) - Evaluate(function, inputs, n, i, -step)) / (2 * step);
                var error = Math.Abs(analytic[i] - numeric) / Math.Max(1, Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)));
                if (error > worst.MaxError || worst.Input < 0)
                {
                    worst = new Result(error, n, i, analytic[i], numeric);
                }
            }
        }
        return worst;
    }

    private static double Evaluate(
        Func<Tensor<double>[], Tensor<double>> function, (double[] Values, int[] Shape)[] inputs, int input, int index, double delta)
    {
        using var _ = NoGradScope.Begin();
        var leaves = inputs.Select((v, n) =>
        {
            var values = (double[])v.Values.Clone();
            if (n == input)
            {
                values[index] += delta;
            }
            return Tensor.FromArray(values, v.Shape);
        }).ToArray();
        return function(leaves).Item;
    }
}
