using System.Globalization;

namespace DistTrain.Core.Nn;

/// <summary>
/// The shape of a multi-layer perceptron: layer widths such as 784-16-16-10 and the hidden layers'
/// activation. The last layer is affine (no activation): it outputs logits or raw predictions.
/// </summary>
public sealed record NetworkSpec
{
    public NetworkSpec(IReadOnlyList<int> layerSizes, ActivationKind activation = ActivationKind.ReLU)
    {
        if (layerSizes.Count < 2)
        {
            throw new ArgumentException($"A network needs at least an input and an output size; got {layerSizes.Count} size(s).");
        }
        for (var i = 0; i < layerSizes.Count; i++)
        {
            if (layerSizes[i] <= 0)
            {
                throw new ArgumentException($"Layer size {i} is {layerSizes[i]}; every size must be positive.");
            }
        }
        // Counted in 64 bits, so a spec such as 100000-100000-10 is refused here with its count
        // instead of overflowing wherever a vector of its parameters is first sized.
        long parameters = 0;
        for (var l = 0; l + 1 < layerSizes.Count; l++)
        {
            parameters += (long)layerSizes[l] * layerSizes[l + 1] + layerSizes[l + 1];
        }
        if (parameters > MaxParameters)
        {
            throw new ArgumentException($"{string.Join("-", layerSizes)} has {parameters:N0} parameters; one vector can hold at most {MaxParameters:N0}.");
        }
        LayerSizes = layerSizes.ToArray();
        Activation = activation;
    }

    /// <summary>The most parameters a network may have: the longest array .NET allocates.</summary>
    public const int MaxParameters = 0x7FFFFFC7; // Array.MaxLength

    public IReadOnlyList<int> LayerSizes { get; }

    public ActivationKind Activation { get; }

    public int InputSize => LayerSizes[0];

    public int OutputSize => LayerSizes[^1];

    public int LayerCount => LayerSizes.Count - 1;

    /// <summary>Weights and biases of every layer: Σ (in·out + out).</summary>
    public int ParameterCount
    {
        get
        {
            var n = 0;
            for (var l = 0; l < LayerCount; l++)
            {
                n += LayerSizes[l] * LayerSizes[l + 1] + LayerSizes[l + 1]; // bounded by the constructor
            }
            return n;
        }
    }

    /// <summary>Multiply-adds of one forward pass per sample (the matrix products).</summary>
    public long WeightCount
    {
        get
        {
            long n = 0;
            for (var l = 0; l < LayerCount; l++)
            {
                n += (long)LayerSizes[l] * LayerSizes[l + 1];
            }
            return n;
        }
    }

    /// <summary>Parses "784-16-16-10" (also accepts 'x' or ',' between sizes).</summary>
    public static NetworkSpec Parse(string text, ActivationKind activation = ActivationKind.ReLU)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(['-', 'x', ','], StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
            {
                throw new FormatException($"Network spec '{text}': '{parts[i]}' is not a positive layer size (expected e.g. 784-16-16-10).");
            }
        }
        if (sizes.Length < 2)
        {
            throw new FormatException($"Network spec '{text}' needs at least two sizes (input and output), e.g. 784-16-16-10.");
        }
        return new NetworkSpec(sizes, activation);
    }

    public override string ToString() => string.Join("-", LayerSizes);

    public bool Equals(NetworkSpec? other) =>
        other is not null && Activation == other.Activation && LayerSizes.SequenceEqual(other.LayerSizes);

    public override int GetHashCode() => HashCode.Combine(ToString(), Activation);
}
