using System.Numerics;

namespace DistTrain.Core.Autodiff;

/// <summary>
/// A row-major tensor of floating-point numbers (float32 for training, float64 for gradient checks)
/// that records the operations applied to it, so <see cref="Backward()"/> can differentiate them.
/// </summary>
/// <remarks>
/// Data, gradient and tangent may be views into larger arrays at an offset: a network's parameters
/// all live in one flat vector, so "flattening" them is free and the distributed trainer ships
/// that vector as it is.
/// </remarks>
public sealed partial class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private int[] _shape = [];
    private T[] _data = [];
    private int _offset;
    private T[]? _grad;
    private int _gradOffset;
    private T[]? _tangent;

    /// <summary>The operation that produced this tensor; null for leaves and untracked results.</summary>
    internal Node<T>? Creator { get; set; }

    /// <summary>Stamp of the last topological sort that visited this tensor (avoids a visited set).</summary>
    internal int VisitStamp;

    internal Tensor() { }

    internal Tensor(T[] data, int offset, ReadOnlySpan<int> shape)
    {
        _shape = shape.ToArray();
        Length = Tensor.ElementCount(_shape);
        if (offset < 0 || offset + Length > data.Length)
        {
            throw new ArgumentException(
                $"A tensor of shape {Tensor.FormatShape(shape)} needs {Length} elements from offset {offset}, but the array holds {data.Length}.");
        }
        _data = data;
        _offset = offset;
    }

    /// <summary>The size of each dimension; empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    public int Rank => _shape.Length;

    public int Length { get; private set; }

    /// <summary>Whether gradients flow back to this tensor.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>
    /// When set, the (single) operation that uses this parameter writes its gradient instead of
    /// adding to it, so a training step need not clear the gradient vector first. Only for tensors
    /// used by exactly one operation per backward pass (a network's layer parameters).
    /// </summary>
    internal bool OverwritesGradient { get; set; }

    /// <summary>Optional name shown by the graph view and in error messages.</summary>
    public string? Name { get; set; }

    public Span<T> Data => _data.AsSpan(_offset, Length);

    /// <summary>The value of a one-element tensor.</summary>
    public T Item => Length == 1
        ? _data[_offset]
        : throw new InvalidOperationException($"Item needs a one-element tensor; this one has shape {ShapeText}.");

    public string ShapeText => Tensor.FormatShape(_shape);

    /// <summary>dLoss/dThis, accumulated by <see cref="Backward()"/>; allocated on first use.</summary>
    public Span<T> Grad
    {
        get
        {
            if (_grad is null)
            {
                _grad = new T[Math.Max(Length, 1)];
                _gradOffset = 0;
            }
            return _grad.AsSpan(_gradOffset, Length);
        }
    }

    public bool HasGrad => _grad is not null;

    /// <summary>The directional derivative carried in forward mode; null when no tangent flows here.</summary>
    public Span<T> Tangent => _tangent is null ? Span<T>.Empty : _tangent.AsSpan(0, Length);

    public bool HasTangent => _tangent is not null;

    /// <summary>Sets the tangent (the direction v of a Jacobian-vector product) of this input.</summary>
    public void SetTangent(ReadOnlySpan<T> direction)
    {
        if (direction.Length != Length)
        {
            throw new ArgumentException($"The tangent has {direction.Length} elements; the tensor {ShapeText} has {Length}.");
        }
        EnsureTangent();
        direction.CopyTo(Tangent);
    }

    public void ClearTangent() => _tangent = null;

    public void ZeroGrad()
    {
        if (_grad is not null)
        {
            Grad.Clear();
        }
    }

    /// <summary>A tensor sharing this one's data that no gradient flows through.</summary>
    public Tensor<T> Detach() => new(_data, _offset, _shape);

    /// <summary>Points the data (and optionally the gradient) at other arrays, without copying.</summary>
    internal void Bind(T[] data, int offset, T[]? grad, int gradOffset)
    {
        if (offset + Length > data.Length || (grad is not null && gradOffset + Length > grad.Length))
        {
            throw new ArgumentException($"The array is too short for a view of {Length} elements at offset {offset}.");
        }
        _data = data;
        _offset = offset;
        _grad = grad;
        _gradOffset = gradOffset;
    }

    /// <summary>Gives this tensor a shape, reusing its buffers when they are large enough.</summary>
    internal void Reshape(ReadOnlySpan<int> shape)
    {
        if (!shape.SequenceEqual(_shape))
        {
            _shape = shape.ToArray();
        }
        Length = Tensor.ElementCount(_shape);
        if (_data.Length - _offset < Length)
        {
            _data = new T[Length];
            _offset = 0;
        }
        if (_grad is not null && _grad.Length - _gradOffset < Length)
        {
            _grad = null;
        }
        if (_tangent is not null && _tangent.Length < Length)
        {
            _tangent = null;
        }
    }

    internal void EnsureTangent()
    {
        if (_tangent is null || _tangent.Length < Length)
        {
            _tangent = new T[Math.Max(Length, 1)];
        }
    }

    public override string ToString() =>
        $"Tensor{ShapeText}{(Name is null ? "" : " " + Name)} [{string.Join(", ", Data.ToArray().Take(8))}{(Length > 8 ? ", ..." : "")}]";
}
