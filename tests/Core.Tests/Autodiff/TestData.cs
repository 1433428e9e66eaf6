namespace DistTrain.Core.Tests.Autodiff;

/// <summary>Seeded random inputs for gradient checks.</summary>
internal static class TestData
{
    public static double[] Values(int count, int seed, double low = -2, double high = 2)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = low + (high - low) * random.NextDouble();
        }
        return values;
    }

    /// <summary>Values bounded away from 0 (for log, sqrt, 1/x and kinks).</summary>
    public static double[] Positive(int count, int seed) => Values(count, seed, 0.3, 2.5);

    public static (double[] Values, int[] Shape) Input(int seed, params int[] shape) =>
        (Values(shape.Aggregate(1, (a, b) => a * b), seed), shape);

    public static (double[] Values, int[] Shape) PositiveInput(int seed, params int[] shape) =>
        (Positive(shape.Aggregate(1, (a, b) => a * b), seed), shape);
}
