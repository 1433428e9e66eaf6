using System.Numerics;

namespace DistTrain.Core.Autodiff;

// Operators are one-line delegations to the named operations.
public sealed partial class Tensor<T>
{
    public static Tensor<T> operator +(Tensor<T> a, Tensor<T> b) => a.Add(b);
    public static Tensor<T> operator -(Tensor<T> a, Tensor<T> b) => a.Sub(b);
    public static Tensor<T> operator *(Tensor<T> a, Tensor<T> b) => a.Mul(b);
    public static Tensor<T> operator /(Tensor<T> a, Tensor<T> b) => a.Div(b);
    public static Tensor<T> operator -(Tensor<T> a) => a.Neg();

    public static Tensor<T> operator +(Tensor<T> a, T b) => a.Add(Constant(b));
    public static Tensor<T> operator +(T a, Tensor<T> b) => Constant(a).Add(b);
    public static Tensor<T> operator -(Tensor<T> a, T b) => a.Add(Constant(-b));
    public static Tensor<T> operator -(T a, Tensor<T> b) => Constant(a).Add(b.Neg());
    public static Tensor<T> operator *(Tensor<T> a, T b) => a.Scale(b);
    public static Tensor<T> operator *(T a, Tensor<T> b) => b.Scale(a);
    public static Tensor<T> operator /(Tensor<T> a, T b) => a.Scale(T.One / b);
    public static Tensor<T> operator /(T a, Tensor<T> b) => b.Reciprocal().Scale(a);
}
