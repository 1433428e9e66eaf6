using DistTrain.Contracts.Messages;
using Spectre.Console;

namespace DistTrain.Client.Commands;

/// <summary>How a job's status reads on the console.</summary>
internal static class StatusView
{
    public static string State(JobState state) => state switch
    {
        JobState.Completed => "[green]Completed[/]",
        JobState.Failed => "[red]Failed[/]",
        JobState.Cancelled => "[yellow]Cancelled[/]",
        JobState.Running => "[blue]Running[/]",
        _ => state.ToString(),
    };

    public static void Write(JobStatus status)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Job", Markup.Escape(status.JobId));
        grid.AddRow("State", State(status.State));
        if (status.Spec is { } spec)
        {
            grid.AddRow("Spec", Markup.Escape($"{spec.Network} {spec.Activation} {spec.Loss}, lr {spec.LearningRate}, momentum {spec.Momentum}, " +
                $"batch {spec.GlobalBatchSize} over {spec.Workers} workers, {spec.Epochs} epochs, seed {spec.Seed}, data {spec.Dataset}"));
            grid.AddRow("Epoch", $"{status.Epoch}/{spec.Epochs}");
        }

        grid.AddRow("Step", $"{status.Step}/{status.TotalSteps}");
        grid.AddRow("Loss", status.Step > 0 ? $"{status.Loss:F4}" : "-");
        grid.AddRow("Samples/s", $"{status.SamplesPerSecond:F0}");
        grid.AddRow("Started", status.StartedAt?.ToLocalTime().ToString("u") ?? "-");
        grid.AddRow("Ended", status.EndedAt?.ToLocalTime().ToString("u") ?? "-");
        grid.AddRow("Silo", Markup.Escape(status.Silo ?? "-"));
        if (status.WorkerRecoveries > 0 || status.Resumes > 0 || status.Rollbacks > 0 || status.StuckRetries > 0)
        {
            grid.AddRow("Survived", $"{status.WorkerRecoveries} lost worker group(s), {status.Rollbacks} rollback(s) to an epoch's end, " +
                $"{status.Resumes} resume(s) from a checkpoint, {status.StuckRetries} step(s) asked again after a worker missed its deadline");
            if (status.LastRecovery is { } last)
            {
                grid.AddRow("Last recovery", Markup.Escape(last));
            }
        }
        if (status.Groups > 0)
        {
            grid.AddRow("Groups", $"{status.Groups} (one worker group and parameter-server slice per silo)");
        }
        if (status.Timings is { Steps: > 0 } t)
        {
            grid.AddRow("Step time", $"{t.StepMs:F3} ms: compute {t.WorkerComputeMs:F3}, slowest +{t.SlowestWorkerWaitMs:F3}, combine {t.AggregationMs:F3}, " +
                $"transport {t.TransportMs:F3}, update {t.UpdateMs:F3}");
        }
        foreach (var silo in status.Traffic)
        {
            grid.AddRow("Data plane", Markup.Escape($"{silo.Silo}: {silo.TcpBytesSentPerStep:N0} B/step sent, {silo.TcpBytesReceivedPerStep:N0} received over TCP, " +
                $"{silo.SharedBytesReadPerStep:N0} read through shared memory"));
        }
        if (status.CheckpointError is { } checkpointError)
        {
            grid.AddRow("Checkpoint", $"[yellow]{Markup.Escape(checkpointError)}[/]");
        }

        if (status.Error is { } error)
        {
            grid.AddRow("Error", $"[red]{Markup.Escape(error)}[/]");
        }

        AnsiConsole.Write(grid);
        if (status.WorkerTimings.Count > 0)
        {
            AnsiConsole.Write(WorkerTable(status.WorkerTimings));
        }
        if (status.Epochs.Count > 0)
        {
            var table = new Table().AddColumns("Epoch", "Steps", "Train loss", "Test accuracy", "Samples/s");
            foreach (var e in status.Epochs)
            {
                table.AddRow($"{e.Epoch}", $"{e.Steps}", $"{e.TrainLoss:F4}", $"{e.TestAccuracy:P2}", $"{e.SamplesPerSecond:F0}");
            }

            AnsiConsole.Write(table);
        }
    }

    /// <summary>Each worker's compute time per step; a worker whose recent steps take over 1.5× the
    /// median worker's is marked, so a straggler shows at a glance.</summary>
    internal static Table WorkerTable(IReadOnlyList<WorkerTiming> workers)
    {
        var recent = workers.Select(w => w.RecentMs).Order().ToArray();
        var median = recent[recent.Length / 2];
        var table = new Table().AddColumns("Worker", "Silo", "Steps", "Compute ms/step", "Recent", "Slowest", "");
        foreach (var w in workers)
        {
            var straggler = workers.Count > 1 && w.RecentMs > 1.5 * median;
            table.AddRow($"{w.Shard}", Markup.Escape(w.Silo), $"{w.Steps}", $"{w.MeanMs:F3}", $"{w.RecentMs:F3}", $"{w.MaxMs:F3}",
                straggler ? $"[yellow]straggler ({w.RecentMs / Math.Max(median, 1e-9):F1}× the median)[/]" : "");
        }
        return table;
    }

    /// <summary>One line per event, for logs and pipes.</summary>
    public static string Line(JobProgress p) => p.Kind switch
    {
        ProgressKind.Epoch => $"{p.JobId} epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} test-accuracy {p.TestAccuracy:P2} samples/s {p.SamplesPerSecond:F0}",
        ProgressKind.Finished => $"{p.JobId} {p.State}{(p.Error is null ? "" : ": " + p.Error)}",
        _ => $"{p.JobId} epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4}",
    };

    /// <summary>The README's table: 0 for a Completed job, 1 for one that ended Failed or Cancelled.</summary>
    public static int ExitCode(JobStatus status) => status.State == JobState.Completed ? 0 : 1;
}
