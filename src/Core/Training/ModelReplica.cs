using DistTrain.Core.Autodiff;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;

namespace DistTrain.Core.Training;

/// <summary>
/// One copy of the model that turns (parameters, a slice of a minibatch) into the mean gradient over
/// that slice: the unit of work of a data-parallel worker, and of each core in the local trainer.
/// After the first call with a given slice size it allocates nothing: the batch buffers are reused
/// and the graph is recycled step to step.
/// </summary>
public sealed class ModelReplica
{
    private readonly Network<float> _network;
    private readonly GraphRecycler<float> _recycler = new();
    private readonly Tensor<float> _input;
    private readonly Tensor<float> _targetTensor;
    private float[] _features = [];
    private float[] _targets = [];
    private int[] _labels = [];

    public ModelReplica(ModelSpec spec)
    {
        Spec = spec;
        // Every step writes the whole gradient, so it never has to be cleared first.
        _network = new Network<float>(spec.Network) { OverwriteGradients = true };
        _input = Tensor.Zeros<float>(0, spec.Network.InputSize);
        _targetTensor = Tensor.Zeros<float>(0, spec.Network.OutputSize);
    }

    public ModelSpec Spec { get; }

    public int ParameterCount => Spec.Network.ParameterCount;

    /// <summary>
    /// Writes into <paramref name="gradient"/> the gradient of the mean loss over the samples
    /// <paramref name="indices"/> of <paramref name="data"/>, at <paramref name="parameters"/>
    /// (both used in place, not copied), and returns that mean loss.
    /// </summary>
    public float ComputeGradient(float[] parameters, Dataset data, ReadOnlySpan<int> indices, float[] gradient)
    {
        _network.Bind(parameters, gradient);
        var n = indices.Length;
        if (n == 0)
        {
            _network.ZeroGrad(); // an empty shard contributes nothing
            return 0f;
        }
        Gather(data, indices);
        // A replica uses one core: parallelism comes from running several replicas (cores of the
        // local trainer, worker grains of a silo), never from splitting one replica's products.
        using (Kernels.SingleCoreScope.Begin())
        using (_recycler.BeginStep())
        {
            var output = _network.Forward(_input);
            var loss = LossOf(output, n, data.IsClassification);
            loss.Backward();
            return loss.Item;
        }
    }

    private void Gather(Dataset data, ReadOnlySpan<int> indices)
    {
        var n = indices.Length;
        var width = Spec.Network.InputSize;
        if (_features.Length < n * width)
        {
            _features = new float[n * width];
            _labels = new int[n];
            _targets = new float[n * Spec.Network.OutputSize];
        }
        if (data.IsClassification)
        {
            BatchGather.Gather(data, indices, _features, _labels);
        }
        else
        {
            BatchGather.Gather(data, indices, _features, _targets);
            _targetTensor.Bind(_targets, 0, null, 0);
            _targetTensor.Reshape([n, Spec.Network.OutputSize]);
        }
        _input.Bind(_features, 0, null, 0);
        _input.Reshape([n, width]);
    }

    private Tensor<float> LossOf(Tensor<float> output, int n, bool classification)
    {
        var labels = new ReadOnlyMemory<int>(_labels, 0, n);
        var targets = classification && Spec.Loss != LossKind.CrossEntropy && Spec.Loss != LossKind.Hinge
            ? Loss.OneHot<float>(labels.Span, Spec.Network.OutputSize)
            : _targetTensor;
        return Spec.Loss switch
        {
            LossKind.CrossEntropy => Loss.CrossEntropy(output, labels),
            LossKind.Hinge => Loss.Hinge(output, labels.Span, Spec.HingeMargin),
            LossKind.SquaredError => Loss.SquaredError(output, targets),
            LossKind.AbsoluteError => Loss.AbsoluteError(output, targets),
            LossKind.Huber => Loss.Huber(output, targets, Spec.HuberDelta),
            _ => throw new ArgumentOutOfRangeException(nameof(Spec.Loss), Spec.Loss, "Unknown loss."),
        };
    }
}
