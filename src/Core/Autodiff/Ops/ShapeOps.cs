using System.Numerics;
using System.Numerics.Tensors;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>The same elements in a new shape.</summary>
public sealed class ReshapeNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "reshape";
    internal override void Forward() => A.Data.CopyTo(Output.Data);

    internal override void Backward()
    {
        if (A.RequiresGrad)
        {
            TensorPrimitives.Add(A.Grad, Output.Grad, A.Grad);
        }
    }

    internal override void ForwardTangent() => A.Tangent.CopyTo(Output.Tangent);
}

/// <summary>The transpose of a matrix; its gradient is the transpose of the output's.</summary>
public sealed class TransposeNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "transpose";
    internal override void Forward() => PortableGemm.Transpose<T>(A.Data, A.Shape[0], A.Shape[1], Output.Data);

    internal override void Backward()
    {
        if (!A.RequiresGrad)
        {
            return;
        }
        var dx = A.Grad;
        var dy = Output.Grad;
        int rows = A.Shape[0], cols = A.Shape[1];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                dx[i * cols + j] += dy[j * rows + i];
            }
        }
    }

    internal override void ForwardTangent() =>
        PortableGemm.Transpose<T>(A.Tangent, A.Shape[0], A.Shape[1], Output.Tangent);
}

/// <summary>Sum over one axis (or all elements when <see cref="Axis"/> is null).</summary>
public sealed class SumNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public int? Axis { get; internal set; }
    public override string Name => Axis is { } axis ? $"sum axis {axis}" : "sum";

    /// <summary>The input seen as [outer, length, inner] with the summed axis in the middle.</summary>
    private (int Outer, int Length, int Inner) Layout()
    {
        if (Axis is not { } axis)
        {
            return (1, A.Length, 1);
        }
        int outer = 1, inner = 1;
        for (var d = 0; d < axis; d++)
        {
            outer *= A.Shape[d];
        }
        for (var d = axis + 1; d < A.Rank; d++)
        {
            inner *= A.Shape[d];
        }
        return (outer, A.Shape[axis], inner);
    }

    internal override void Forward() => SumAxis(A.Data, Output.Data);

    internal override void ForwardTangent() => SumAxis(A.Tangent, Output.Tangent);

    private void SumAxis(ReadOnlySpan<T> x, Span<T> y)
    {
        var (outer, length, inner) = Layout();
        if (inner == 1)
        {
            for (var o = 0; o < outer; o++)
            {
                y[o] = TensorPrimitives.Sum(x.Slice(o * length, length)); // contiguous: one vector sum
            }
            return;
        }
        y.Clear();
        for (var o = 0; o < outer; o++)
        {
            var row = y.Slice(o * inner, inner);
            for (var l = 0; l < length; l++)
            {
                TensorPrimitives.Add(row, x.Slice((o * length + l) * inner, inner), row);
            }
        }
    }

    internal override void Backward()
    {
        if (!A.RequiresGrad)
        {
            return;
        }
        var (outer, length, inner) = Layout();
        var dx = A.Grad;
        var dy = Output.Grad;
        if (inner == 1)
        {
            for (var o = 0; o < outer; o++)
            {
                var slice = dx.Slice(o * length, length);
                TensorPrimitives.Add(slice, dy[o], slice);
            }
            return;
        }
        for (var o = 0; o < outer; o++)
        {
            var g = dy.Slice(o * inner, inner);
            for (var l = 0; l < length; l++)
            {
                var slice = dx.Slice((o * length + l) * inner, inner);
                TensorPrimitives.Add(slice, g, slice); // every summed element gets dy
            }
        }
    }
}
