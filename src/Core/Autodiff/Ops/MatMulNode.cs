using System.Numerics;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>Y = A·B for matrices A (m×k) and B (k×n).</summary>
public sealed class MatMulNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "matmul";

    private int M => A.Shape[0];
    private int K => A.Shape[1];
    private int N => B!.Shape[1];

    internal override void Forward() =>
        Gemm.Multiply<T>(A.Data, false, B!.Data, false, Output.Data, M, N, K, accumulate: false);

    internal override void Backward()
    {
        var dy = Output.Grad;
        if (A.RequiresGrad)
        {
            Gemm.Multiply<T>(dy, false, B!.Data, true, A.Grad, M, K, N, accumulate: true); // dA += dY·Bᵀ
        }
        if (B!.RequiresGrad)
        {
            Gemm.Multiply<T>(A.Data, true, dy, false, B.Grad, K, N, M, accumulate: true); // dB += Aᵀ·dY
        }
    }

    internal override void ForwardTangent()
    {
        var ty = Output.Tangent;
        ty.Clear();
        if (A.HasTangent)
        {
            Gemm.Multiply<T>(A.Tangent, false, B!.Data, false, ty, M, N, K, accumulate: true); // tA·B
        }
        if (B!.HasTangent)
        {
            Gemm.Multiply<T>(A.Data, false, B.Tangent, false, ty, M, N, K, accumulate: true); // A·tB
        }
    }
}
