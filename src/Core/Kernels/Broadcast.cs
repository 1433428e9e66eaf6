using System.Numerics;

namespace DistTrain.Core.Kernels;

/// <summary>
/// NumPy broadcasting: shapes are aligned on their last dimension and a dimension of size 1 (or a
/// missing one) stretches. Expanding is the forward half; summing back to the input's shape is the
/// backward half, done here once so no operation's gradient rule has to think about it.
/// </summary>
public static class Broadcast
{
    public static int[] ResultShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string operation)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException(
                    $"{operation}: shapes {Autodiff.Tensor.FormatShape(a)} and {Autodiff.Tensor.FormatShape(b)} do not broadcast (dimension {i}: {da} vs {db}).");
            }
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Writes <paramref name="source"/> (of <paramref name="sourceShape"/>) stretched to
    /// <paramref name="shape"/> into <paramref name="destination"/>.</summary>
    public static void Expand<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> sourceShape, ReadOnlySpan<int> shape, Span<T> destination)
        where T : unmanaged, INumber<T>
    {
        if (source.Length == destination.Length)
        {
            source.CopyTo(destination);
            return;
        }
        if (source.Length == 1)
        {
            destination.Fill(source[0]);
            return;
        }
        Span<int> strides = stackalloc int[shape.Length];
        StretchedStrides(sourceShape, shape, strides);
        Span<int> index = stackalloc int[shape.Length];
        index.Clear();
        var offset = 0;
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = source[offset];
            offset = Advance(index, shape, strides, offset);
        }
    }

    /// <summary>Adds <paramref name="source"/> (of the broadcast <paramref name="shape"/>) into
    /// <paramref name="destination"/> (of <paramref name="targetShape"/>), summing over the stretched dimensions.</summary>
    public static void SumInto<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> shape, Span<T> destination, ReadOnlySpan<int> targetShape)
        where T : unmanaged, INumber<T>
    {
        if (source.Length == destination.Length)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(destination, source, destination);
            return;
        }
        if (destination.Length == 1)
        {
            destination[0] += System.Numerics.Tensors.TensorPrimitives.Sum(source);
            return;
        }
        Span<int> strides = stackalloc int[shape.Length];
        StretchedStrides(targetShape, shape, strides);
        Span<int> index = stackalloc int[shape.Length];
        index.Clear();
        var offset = 0;
        for (var i = 0; i < source.Length; i++)
        {
            destination[offset] += source[i];
            offset = Advance(index, shape, strides, offset);
        }
    }

    /// <summary>Row-major strides of <paramref name="small"/> seen through <paramref name="shape"/>:
    /// 0 along every stretched dimension.</summary>
    private static void StretchedStrides(ReadOnlySpan<int> small, ReadOnlySpan<int> shape, Span<int> strides)
    {
        var lead = shape.Length - small.Length;
        var stride = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            var d = i < lead ? 1 : small[i - lead];
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
    }

    /// <summary>Moves a multi-index one step (odometer) and returns the matching offset.</summary>
    private static int Advance(Span<int> index, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int offset)
    {
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d]++;
            offset += strides[d];
            if (index[d] < shape[d])
            {
                return offset;
            }
            offset -= strides[d] * shape[d];
            index[d] = 0;
        }
        return offset;
    }
}
