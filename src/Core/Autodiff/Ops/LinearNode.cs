using System.Numerics;
using System.Numerics.Tensors;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>
/// The fully-connected layer's affine part for a minibatch at once: Y = X·Wᵀ + b, with X (n×d)
/// holding one sample per row, W (k×d) as in the lecture's a = σ(b + Wx), and b (k). Fused into one
/// node because it is most of a network's work: one matrix product forward, two backward.
/// </summary>
/// <remarks>
/// When whole columns of X are zero (input features absent from every sample of the minibatch, such
/// as MNIST's background pixels) and X needs no gradient, the products run over the other columns
/// only: X and W are compacted to those columns, and dW's skipped columns get nothing (zero when the
/// gradient is overwritten, unchanged when it accumulates). The skipped terms are exact zeros, so
/// only the grouping of the sum changes, and one corner: a non-finite weight in a skipped column no
/// longer turns the output into NaN (the forward-mode tangent, always dense, still does).
/// </remarks>
public sealed class LinearNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "linear";

    private Tensor<T> X => A;
    private Tensor<T> W => B!;
    private Tensor<T> Bias => C!;
    private int Rows => X.Shape[0];
    private int In => X.Shape[1];
    private int Out => W.Shape[0];

    // The compact form of this step's product; the buffers persist while the node is recycled.
    private bool _compact;
    private int _used; // columns of X kept (possibly none) when compact
    private ushort[] _usedMask = [];
    private T[] _compactX = [];
    private T[] _compactW = [];
    private T[] _compactGradW = [];

    /// <summary>How many columns of X this step's product used, or null when it was dense (for tests).</summary>
    internal int? CompactColumns => _compact ? _used : null;

    internal override void Forward()
    {
        var y = Output.Data;
        var bias = Bias.Data;
        for (var r = 0; r < Rows; r++)
        {
            bias.CopyTo(y.Slice(r * Out, Out));
        }
        _compact = Compact();
        if (_compact)
        {
            Gemm.Multiply<T>(_compactX, false, _compactW, true, y, Rows, Out, _used, accumulate: true);
            return;
        }
        Gemm.Multiply<T>(X.Data, false, W.Data, true, y, Rows, Out, In, accumulate: true);
    }

    /// <summary>
    /// Compacts X and W to X's non-zero columns when that saves at least an eighth of the work. Not
    /// when X needs a gradient (its dense product needs the skipped columns anyway), nor for a small
    /// layer: copying X costs as much whatever the layer's width, and below ~64 outputs (measured:
    /// 784-16 at 32 rows) the saved multiply-adds do not pay for it; below 64 inputs there is
    /// little to skip.
    /// </summary>
    private bool Compact()
    {
        if (!ZeroColumns.SkipInLinearLayers || X.RequiresGrad || In < 64 || Out < 64)
        {
            return false;
        }
        var blocks = ZeroColumns.Blocks(In);
        if (_usedMask.Length < blocks)
        {
            _usedMask = new ushort[blocks];
        }
        var used = ZeroColumns.FindUsed<T>(X.Data, Rows, In, _usedMask);
        if (used * 8 > In * 7)
        {
            return false;
        }
        _used = used;
        // Sized for every column, not this step's count, which varies: growing by each new maximum
        // would allocate now and then for epochs.
        Grow(ref _compactX, Rows * In + 16);
        Grow(ref _compactW, Out * In + 16);
        ZeroColumns.Compact<T>(X.Data, Rows, In, _usedMask, used, _compactX);
        ZeroColumns.Compact<T>(W.Data, Out, In, _usedMask, used, _compactW);
        return true;
    }

    private static void Grow(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[length];
        }
    }

    internal override void Backward()
    {
        var dy = Output.Grad;
        if (X.RequiresGrad)
        {
            Gemm.Multiply<T>(dy, false, W.Data, false, X.Grad, Rows, In, Out, accumulate: true); // dX += dY·W
        }
        if (W.RequiresGrad && _compact)
        {
            // dW over the kept columns only, then spread out (the skipped columns' gradient is zero).
            Grow(ref _compactGradW, Out * In + 16);
            Gemm.Multiply<T>(dy, true, _compactX, false, _compactGradW, Out, _used, Rows, accumulate: false);
            ZeroColumns.Expand<T>(_compactGradW, Out, In, _usedMask, _used, W.Grad, accumulate: !W.OverwritesGradient);
        }
        else if (W.RequiresGrad)
        {
            // dW += dYᵀ·X (or = when the network overwrites its gradient vector every step)
            Gemm.Multiply<T>(dy, true, X.Data, false, W.Grad, Out, In, Rows, accumulate: !W.OverwritesGradient);
        }
        if (Bias.RequiresGrad)
        {
            var db = Bias.Grad;
            if (Bias.OverwritesGradient)
            {
                db.Clear();
            }
            for (var r = 0; r < Rows; r++)
            {
                TensorPrimitives.Add(db, dy.Slice(r * Out, Out), db); // db += Σ rows of dY
            }
        }
    }

    internal override void ForwardTangent()
    {
        var ty = Output.Tangent;
        ty.Clear();
        if (Bias.HasTangent)
        {
            for (var r = 0; r < Rows; r++)
            {
                Bias.Tangent.CopyTo(ty.Slice(r * Out, Out));
            }
        }
        if (X.HasTangent)
        {
            Gemm.Multiply<T>(X.Tangent, false, W.Data, true, ty, Rows, Out, In, accumulate: true);
        }
        if (W.HasTangent)
        {
            Gemm.Multiply<T>(X.Data, false, W.Tangent, true, ty, Rows, Out, In, accumulate: true);
        }
    }
}
