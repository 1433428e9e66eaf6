using System.Diagnostics;
using DistTrain.Core.Training;
using Spectre.Console;

namespace DistTrain.Client.Output;

/// <summary>
/// Live training progress: a Spectre progress bar (epoch, step, loss, samples/s, ETA) on a terminal,
/// one plain line per epoch when the output is a log or a pipe, nothing on stdout with --json.
/// </summary>
internal sealed class ProgressDisplay
{
    private static readonly long RefreshTicks = Stopwatch.Frequency / 10;
    private readonly bool _quiet;
    private readonly int _epochs;
    private ProgressTask? _task;
    private long _lastRefresh;

    public ProgressDisplay(int epochs, bool quiet)
    {
        _epochs = epochs;
        _quiet = quiet;
    }

    /// <summary>Followers of the run (its curves, its TensorBoard log), told of every step and epoch the display hears of.</summary>
    public List<Reports.IRunObserver> Observers { get; } = [];

    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> with the display attached.</summary>
    public T Run<T>(Func<ProgressDisplay, T> work)
    {
        if (_quiet || !Interactive)
        {
            return work(this);
        }
        return Bar().Start(context =>
            {
                _task = context.AddTask("starting", maxValue: 1.0);
                return work(this);
            });
    }

    public async Task<T> RunAsync<T>(Func<ProgressDisplay, Task<T>> work)
    {
        if (_quiet || !Interactive)
        {
            return await work(this);
        }
        return await Bar().StartAsync(async context =>
            {
                _task = context.AddTask("starting", maxValue: 1.0);
                return await work(this);
            });
    }

    private static Progress Bar() => AnsiConsole.Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn());

    public void OnStep(StepProgress p)
    {
        foreach (var observer in Observers)
        {
            observer.OnStep(p);
        }
        if (_task is null)
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        if (now - _lastRefresh < RefreshTicks && p.Step != p.StepsPerEpoch)
        {
            return; // a step can take 50 µs; the screen needs 10 updates a second
        }
        _lastRefresh = now;
        _task.Description = $"epoch {p.Epoch}/{_epochs} step {p.Step}/{p.StepsPerEpoch} loss {p.Loss:F4} {p.SamplesPerSecond:N0} samples/s";
        _task.Value = ((p.Epoch - 1) + (double)p.Step / p.StepsPerEpoch) / _epochs;
    }

    public void OnEpoch(EpochResult e)
    {
        foreach (var observer in Observers)
        {
            observer.OnEpoch(e);
        }
        if (_quiet)
        {
            Console.Error.WriteLine(Line(e));
            return;
        }
        if (_task is null)
        {
            Console.WriteLine(Line(e));
        }
    }

    public static string Line(EpochResult e) =>
        $"epoch {e.Epoch}: train loss {e.TrainLoss:F4}  test accuracy {(double.IsNaN(e.TestAccuracy) ? "n/a" : e.TestAccuracy.ToString("P2"))}  {e.SamplesPerSecond:N0} samples/s{(e.Seconds > 0 ? $"  {e.Seconds:F2} s" : "")}";

    /// <summary>The per-epoch table printed at the end.</summary>
    public static void PrintTable(IReadOnlyList<EpochResult> epochs)
    {
        if (!Interactive)
        {
            return; // the per-epoch lines already said it
        }
        var table = new Table().AddColumns("epoch", "train loss", "test accuracy", "samples/s", "seconds");
        foreach (var e in epochs)
        {
            table.AddRow(e.Epoch.ToString(), e.TrainLoss.ToString("F4"),
                double.IsNaN(e.TestAccuracy) ? "n/a" : e.TestAccuracy.ToString("P2"), e.SamplesPerSecond.ToString("N0"), e.Seconds.ToString("F2"));
        }
        AnsiConsole.Write(table);
    }
}
