using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistTrain.Core.Kernels;

/// <summary>Small elementwise kernels that TensorPrimitives lacks, vectorized without branches.</summary>
public static class Elementwise
{
    /// <summary>d[i] = x[i] > 0 ? 1 : 0 (ReLU's derivative, 0 at 0), with compare-and-select
    /// instead of a branch per element (a branch mispredicts on half of real activations).</summary>
    public static void Step<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (d.Length < x.Length)
        {
            throw new ArgumentException($"The destination holds {d.Length} elements; {x.Length} are needed.");
        }
        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ds = ref MemoryMarshal.GetReference(d);
        var i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i + Vector512<T>.Count <= x.Length; i += Vector512<T>.Count)
            {
                var v = Vector512.LoadUnsafe(ref xs, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<T>.Zero), Vector512<T>.One, Vector512<T>.Zero)
                    .StoreUnsafe(ref ds, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xs, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<T>.Zero), Vector256<T>.One, Vector256<T>.Zero)
                    .StoreUnsafe(ref ds, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            d[i] = x[i] > T.Zero ? T.One : T.Zero;
        }
    }
}
