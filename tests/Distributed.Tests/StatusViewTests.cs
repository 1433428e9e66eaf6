using DistTrain.Client.Commands;
using DistTrain.Contracts.Messages;
using Spectre.Console;

namespace DistTrain.Distributed.Tests;

/// <summary>`status`'s worker table as a console shows it: every worker's step times, and a
/// straggler marked at a glance.</summary>
public sealed class StatusViewTests
{
    [Fact]
    public void TheWorkerTable_ListsEveryWorker_AndMarksOnlyTheStraggler()
    {
        WorkerTiming Worker(int shard, double recentMs) => new()
        {
            Shard = shard, Silo = $"S127.0.0.1:1111{shard % 2 + 1}:1", Steps = 300, MeanMs = recentMs, RecentMs = recentMs, MaxMs = 2 * recentMs,
        };

        var text = Render(StatusView.WorkerTable([Worker(0, 4.0), Worker(1, 4.2), Worker(2, 9.0), Worker(3, 3.9)]));

        var rows = text.Split('\n').Where(l => l.Contains("S127.0.0.1", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, rows.Length);
        Assert.Contains("9.000", rows[2]);
        Assert.Contains("straggler (2.1× the median)", rows[2]); // 9.0 against the median 4.2
        Assert.Single(rows, r => r.Contains("straggler", StringComparison.Ordinal));
    }

    [Fact]
    public void OneWorker_IsNeverAStraggler()
    {
        var text = Render(StatusView.WorkerTable([new WorkerTiming { Shard = 0, Silo = "S127.0.0.1:11111:1", Steps = 5, MeanMs = 50, RecentMs = 50, MaxMs = 80 }]));

        Assert.Contains("50.000", text);
        Assert.DoesNotContain("straggler", text);
    }

    private static string Render(Spectre.Console.Rendering.IRenderable table)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        console.Write(table);
        return writer.ToString();
    }
}
