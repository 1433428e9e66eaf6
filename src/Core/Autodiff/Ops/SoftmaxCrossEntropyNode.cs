using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>
/// Cross-entropy of softmax(logits) against class indices, averaged over the rows:
/// L = mean_i (logsumexp(z_i) − z_i[label_i]). Fused because the composed gradient simplifies to
/// dz = (softmax(z) − onehot(label)) / n, which is cheaper and more accurate than the chain.
/// </summary>
public sealed class SoftmaxCrossEntropyNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[]? _probabilities;

    public override string Name => "softmax-xent";

    /// <summary>The class index of each row (owned by the caller; read during backward).</summary>
    internal ReadOnlyMemory<int> Labels { get; set; }

    private int Rows => A.Shape[0];
    private int Classes => A.Shape[1];

    internal override void Forward()
    {
        var z = A.Data;
        var p = Scratch(ref _probabilities, A.Length);
        var labels = Labels.Span;
        var total = T.Zero;
        for (var r = 0; r < Rows; r++)
        {
            var row = z.Slice(r * Classes, Classes);
            var logSumExp = Softmax.LogSumExp(row);
            var label = labels[r];
            if ((uint)label >= (uint)Classes)
            {
                throw new ArgumentOutOfRangeException(nameof(Labels), $"Label {label} of row {r} is not a class index in [0, {Classes}).");
            }
            total += logSumExp - row[label];
            var pRow = p.Slice(r * Classes, Classes);
            TensorPrimitives.Subtract(row, logSumExp, pRow);
            TensorPrimitives.Exp(pRow, pRow); // kept for backward
        }
        Output.Data[0] = total / T.CreateChecked(Rows);
    }

    internal override void Backward()
    {
        if (!A.RequiresGrad)
        {
            return;
        }
        var scale = Output.Grad[0] / T.CreateChecked(Rows);
        var p = _probabilities.AsSpan(0, A.Length);
        var dz = A.Grad;
        var labels = Labels.Span;
        TensorPrimitives.MultiplyAdd(p, scale, dz, dz);
        for (var r = 0; r < Rows; r++)
        {
            dz[r * Classes + labels[r]] -= scale;
        }
    }

    internal override void ForwardTangent()
    {
        var p = _probabilities.AsSpan(0, A.Length);
        var tz = A.Tangent;
        var labels = Labels.Span;
        var total = T.Zero;
        for (var r = 0; r < Rows; r++)
        {
            total += TensorPrimitives.Dot<T>(p.Slice(r * Classes, Classes), tz.Slice(r * Classes, Classes)) - tz[r * Classes + labels[r]];
        }
        Output.Tangent[0] = total / T.CreateChecked(Rows);
    }
}
