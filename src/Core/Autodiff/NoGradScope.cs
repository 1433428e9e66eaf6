namespace DistTrain.Core.Autodiff;

/// <summary>
/// Inside a no-grad scope no graph is recorded: results never require gradients. For inference.
/// <c>using (NoGradScope.Begin()) { ... }</c> restores the previous mode when disposed.
/// </summary>
public readonly struct NoGradScope : IDisposable
{
    [ThreadStatic]
    private static bool t_active;

    private readonly bool _previous;

    private NoGradScope(bool previous) => _previous = previous;

    public static bool IsActive => t_active;

    public static NoGradScope Begin()
    {
        var scope = new NoGradScope(t_active);
        t_active = true;
        return scope;
    }

    public void Dispose() => t_active = _previous;
}
