using DistTrain.Client.Output;

namespace DistTrain.Client.Reports;

/// <summary>What `train --plot` and `--log-dir` make of a run: a TensorBoard log written as it
/// trains, and the curves drawn once it has finished.</summary>
internal sealed class RunReports : IDisposable
{
    private readonly string? _plot;
    private readonly RunHistory? _history;
    private readonly TensorBoardLog? _log;

    public RunReports(ProgressDisplay display, string? plot, string? logDir, Func<long, double> learningRate)
    {
        _plot = plot;
        if (plot is not null)
        {
            _history = new RunHistory();
            display.Observers.Add(_history);
        }
        if (logDir is not null)
        {
            try
            {
                _log = new TensorBoardLog(logDir, learningRate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--log-dir: cannot write into '{logDir}': {e.Message}");
            }
            display.Observers.Add(_log);
        }
    }

    public bool Any => _plot is not null || _log is not null;

    /// <summary>Draws the curves (when asked for) and says where everything went.</summary>
    public void Finish(string title, Action<string> say)
    {
        if (_plot is not null)
        {
            Plots.WriteCurves("--plot", _plot, _history!, title);
            say($"Curves drawn in {_plot}");
        }
        if (_log is not null)
        {
            _log.Dispose();
            say($"TensorBoard events in {_log.Path} (tensorboard --logdir {Path.GetDirectoryName(_log.Path)})");
        }
    }

    public void Dispose() => _log?.Dispose();
}
