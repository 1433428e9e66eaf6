using System.Numerics;
using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Nn;

/// <summary>
/// A multi-layer perceptron whose parameters all live in one flat vector (layer by layer: W then b)
/// and whose gradients live in another of the same layout. Each layer's W and b are views into
/// them, so flattening is free and <see cref="Bind"/> swaps in other vectors without copying.
/// </summary>
public sealed class Network<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dense<T>[] _layers;

    /// <param name="parameters">The flat parameters (taken, not copied); zeros when null.</param>
    public Network(NetworkSpec spec, T[]? parameters = null)
    {
        Spec = spec;
        Parameters = parameters ?? new T[spec.ParameterCount];
        if (Parameters.Length != spec.ParameterCount)
        {
            throw new ArgumentException($"Network {spec} has {spec.ParameterCount} parameters; the vector holds {Parameters.Length}.");
        }
        Gradients = new T[spec.ParameterCount];
        _layers = new Dense<T>[spec.LayerCount];
        var offset = 0;
        for (var l = 0; l < spec.LayerCount; l++)
        {
            int inputs = spec.LayerSizes[l], outputs = spec.LayerSizes[l + 1];
            var weight = Tensor.View(Parameters, offset, outputs, inputs);
            offset += inputs * outputs;
            var bias = Tensor.View(Parameters, offset, outputs);
            offset += outputs;
            weight.RequiresGrad = bias.RequiresGrad = true;
            weight.Name = $"layer{l}.weight";
            bias.Name = $"layer{l}.bias";
            // Hidden layers use the chosen activation; the last one outputs logits.
            var activation = l == spec.LayerCount - 1 ? ActivationKind.Identity : spec.Activation;
            _layers[l] = new Dense<T>(weight, bias, activation);
        }
        Bind(Parameters, Gradients);
    }

    public NetworkSpec Spec { get; }

    /// <summary>All parameters, flat. Writing here changes the layers (they are views).</summary>
    public T[] Parameters { get; private set; }

    /// <summary>All gradients, flat, in the same layout as <see cref="Parameters"/>.</summary>
    public T[] Gradients { get; private set; }

    public IReadOnlyList<Dense<T>> Layers => _layers;

    public IEnumerable<(string Name, Tensor<T> Tensor)> NamedParameters =>
        _layers.SelectMany(l => new[] { (l.Weight.Name!, l.Weight), (l.Bias.Name!, l.Bias) });

    /// <summary>Points every layer at other parameter and gradient vectors (no copy): how a worker
    /// uses the weights it was sent and writes the gradient it will send back.</summary>
    public void Bind(T[] parameters, T[] gradients)
    {
        if (parameters.Length != Spec.ParameterCount || gradients.Length != Spec.ParameterCount)
        {
            throw new ArgumentException(
                $"Network {Spec} has {Spec.ParameterCount} parameters; got vectors of {parameters.Length} and {gradients.Length}.");
        }
        var offset = 0;
        foreach (var layer in _layers)
        {
            layer.Weight.Bind(parameters, offset, gradients, offset);
            offset += layer.Weight.Length;
            layer.Bias.Bind(parameters, offset, gradients, offset);
            offset += layer.Bias.Length;
        }
        Parameters = parameters;
        Gradients = gradients;
    }

    public void ZeroGrad() => Gradients.AsSpan().Clear();

    /// <summary>
    /// When true, each backward pass writes the gradient vector instead of adding to it (every
    /// parameter is used by exactly one layer), so no ZeroGrad is needed between steps: a training
    /// replica saves clearing the whole vector every step. Default false (PyTorch-like accumulation).
    /// </summary>
    public bool OverwriteGradients
    {
        get => _layers[0].Weight.OverwritesGradient;
        set
        {
            foreach (var layer in _layers)
            {
                layer.Weight.OverwritesGradient = layer.Bias.OverwritesGradient = value;
            }
        }
    }

    /// <summary>Logits (or predictions) for a batch x of shape n×inputs.</summary>
    public Tensor<T> Forward(Tensor<T> x)
    {
        if (x.Rank != 2 || x.Shape[1] != Spec.InputSize)
        {
            throw new ArgumentException($"Network {Spec} takes n×{Spec.InputSize} inputs; got {x.ShapeText}.");
        }
        var a = x;
        foreach (var layer in _layers)
        {
            a = layer.Forward(a);
        }
        return a;
    }
}
