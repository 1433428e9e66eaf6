using System.Numerics;

namespace DistTrain.Core.Autodiff;

/// <summary>How to compute derivatives.</summary>
public enum DiffMode
{
    /// <summary>Vector-Jacobian products: one backward pass per output. Wins when outputs are few
    /// (a loss is one number, so training uses this).</summary>
    Reverse,

    /// <summary>Jacobian-vector products: one forward pass (with tangents) per input. Wins when
    /// inputs are few.</summary>
    Forward,
}

/// <summary>Full Jacobians, products with them, in either mode.</summary>
public static class Jacobian
{
    /// <summary>J[i, j] = ∂f_i/∂x_j for f from x (of <paramref name="shape"/>) to any tensor.</summary>
    public static T[,] Compute<T>(Func<Tensor<T>, Tensor<T>> f, T[] x, int[] shape, DiffMode mode)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = x.Length;
        if (mode == DiffMode.Forward)
        {
            T[,]? jacobian = null;
            var direction = new T[n];
            for (var j = 0; j < n; j++)
            {
                direction.AsSpan().Clear();
                direction[j] = T.One;
                var column = Jvp(f, x, shape, direction);
                jacobian ??= new T[column.Length, n];
                for (var i = 0; i < column.Length; i++)
                {
                    jacobian[i, j] = column[i];
                }
            }
            return jacobian ?? new T[0, 0];
        }
        var m = Evaluate(f, x, shape).Length;
        var result = new T[m, n];
        var seed = new T[m];
        for (var i = 0; i < m; i++)
        {
            seed.AsSpan().Clear();
            seed[i] = T.One;
            var row = Vjp(f, x, shape, seed);
            for (var j = 0; j < n; j++)
            {
                result[i, j] = row[j];
            }
        }
        return result;
    }

    /// <summary>J·v by forward mode: one pass carrying the tangent v.</summary>
    public static T[] Jvp<T>(Func<Tensor<T>, Tensor<T>> f, T[] x, int[] shape, T[] v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = Tensor.FromArray((T[])x.Clone(), shape);
        input.SetTangent(v);
        var y = f(input);
        return y.HasTangent ? y.Tangent.ToArray() : new T[y.Length];
    }

    /// <summary>uᵀ·J by reverse mode: one backward pass seeded with u.</summary>
    public static T[] Vjp<T>(Func<Tensor<T>, Tensor<T>> f, T[] x, int[] shape, T[] u)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = Tensor.Parameter((T[])x.Clone(), shape);
        var y = f(input);
        if (!y.RequiresGrad)
        {
            return new T[x.Length]; // f does not depend on x
        }
        y.Backward(u);
        return input.Grad.ToArray();
    }

    private static Tensor<T> Evaluate<T>(Func<Tensor<T>, Tensor<T>> f, T[] x, int[] shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var _ = NoGradScope.Begin();
        return f(Tensor.FromArray((T[])x.Clone(), shape));
    }
}
