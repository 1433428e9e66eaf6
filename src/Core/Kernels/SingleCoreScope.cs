namespace DistTrain.Core.Kernels;

/// <summary>
/// Keeps the matrix products on the calling thread while it lasts (no splitting over cores): for
/// code that is itself one of several parallel parts, such as a model replica or a worker grain.
/// <c>using (SingleCoreScope.Begin()) { ... }</c> restores the previous setting when disposed.
/// </summary>
public readonly struct SingleCoreScope : IDisposable
{
    private readonly bool _previous;

    private SingleCoreScope(bool previous) => _previous = previous;

    public static SingleCoreScope Begin()
    {
        var scope = new SingleCoreScope(SgemmAvx512.t_insideParallelPart);
        SgemmAvx512.t_insideParallelPart = true;
        return scope;
    }

    public void Dispose() => SgemmAvx512.t_insideParallelPart = _previous;
}
