using System.Numerics;

namespace DistTrain.Core.Autodiff;

/// <summary>Creating tensors, and small shape helpers.</summary>
public static class Tensor
{
    /// <summary>Wraps an array (no copy) as a tensor of the given shape.</summary>
    public static Tensor<T> FromArray<T>(T[] data, params int[] shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (shape.Length == 0)
        {
            shape = [data.Length];
        }
        if (ElementCount(shape) != data.Length)
        {
            throw new ArgumentException($"Shape {FormatShape(shape)} holds {ElementCount(shape)} elements, but {data.Length} were given.");
        }
        return new Tensor<T>(data, 0, shape);
    }

    /// <summary>A view of part of an array: how a network's parameters share one flat vector.</summary>
    public static Tensor<T> View<T>(T[] data, int offset, params int[] shape)
        where T : unmanaged, IFloatingPointIeee754<T> => new(data, offset, shape);

    public static Tensor<T> Zeros<T>(params int[] shape)
        where T : unmanaged, IFloatingPointIeee754<T> => new(new T[ElementCount(shape)], 0, shape);

    /// <summary>A trainable leaf: a tensor that requires gradients.</summary>
    public static Tensor<T> Parameter<T>(T[] data, params int[] shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = FromArray(data, shape);
        t.RequiresGrad = true;
        return t;
    }

    public static Tensor<T> Scalar<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T> => new([value], 0, []);

    public static int ElementCount(ReadOnlySpan<int> shape)
    {
        var n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {FormatShape(shape)} has a negative dimension.");
            }
            n = checked(n * d);
        }
        return n;
    }

    public static string FormatShape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return "[" + string.Join(", ", parts) + "]";
    }
}
