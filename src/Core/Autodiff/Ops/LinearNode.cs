using System.Numerics;
using System.Numerics.Tensors;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>
/// The fully-connected layer's affine part for a minibatch at once: Y = X·Wᵀ + b, with X (n×d)
/// holding one sample per row, W (k×d) as in the lecture's a = σ(b + Wx), and b (k). Fused into one
/// node because it is most of a network's work: one matrix product forward, two backward.
/// </summary>
public sealed class LinearNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "linear";

    private Tensor<T> X => A;
    private Tensor<T> W => B!;
    private Tensor<T> Bias => C!;
    private int Rows => X.Shape[0];
    private int In => X.Shape[1];
    private int Out => W.Shape[0];

    internal override void Forward()
    {
        var y = Output.Data;
        var bias = Bias.Data;
        for (var r = 0; r < Rows; r++)
        {
            bias.CopyTo(y.Slice(r * Out, Out));
        }
        Gemm.Multiply<T>(X.Data, false, W.Data, true, y, Rows, Out, In, accumulate: true);
    }

    internal override void Backward()
    {
        var dy = Output.Grad;
        if (X.RequiresGrad)
        {
            Gemm.Multiply<T>(dy, false, W.Data, false, X.Grad, Rows, In, Out, accumulate: true); // dX += dY·W
        }
        if (W.RequiresGrad)
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
