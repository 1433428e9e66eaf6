using System.Numerics;

namespace DistTrain.Core.Nn;

/// <summary>
/// Seeded weight initialisation: He (normal, std √(2/fan_in)) for ReLU networks, which keeps the
/// activations' variance through the layers; Xavier/Glorot (uniform ±√(6/(fan_in+fan_out)))
/// otherwise. Biases start at zero. The same seed gives the same vector on every machine.
/// </summary>
public static class ParameterInit
{
    public static float[] Initialize(NetworkSpec spec, int seed) => Initialize<float>(spec, seed);

    public static T[] Initialize<T>(NetworkSpec spec, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var parameters = new T[spec.ParameterCount];
        var random = new Random(seed); // seeded Random uses a fixed algorithm across .NET versions
        var offset = 0;
        for (var l = 0; l < spec.LayerCount; l++)
        {
            int fanIn = spec.LayerSizes[l], fanOut = spec.LayerSizes[l + 1];
            var weights = parameters.AsSpan(offset, fanIn * fanOut);
            if (spec.Activation == ActivationKind.ReLU)
            {
                var std = Math.Sqrt(2.0 / fanIn);
                for (var i = 0; i < weights.Length; i++)
                {
                    weights[i] = T.CreateChecked(std * StandardNormal(random));
                }
            }
            else
            {
                var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
                for (var i = 0; i < weights.Length; i++)
                {
                    weights[i] = T.CreateChecked((random.NextDouble() * 2 - 1) * limit);
                }
            }
            offset += fanIn * fanOut + fanOut; // biases stay zero
        }
        return parameters;
    }

    private static double StandardNormal(Random random)
    {
        // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
