using DistTrain.Client.Output;
using ScottPlot;

namespace DistTrain.Client.Reports;

/// <summary>
/// Pictures of a run, drawn by ScottPlot 5: the loss and accuracy curves (`train --plot`) and a
/// confusion matrix as a heatmap (`evaluate --plot`). The format follows the file's extension:
/// .png or .svg.
/// </summary>
internal static class Plots
{
    private const int Width = 900, Height = 540;

    /// <summary>Refuses a --plot path before any work: a wrong extension or a special file.</summary>
    public static void Check(string option, string path)
    {
        UserError.Require(Format(path) is not null, option, $"'{path}' must end in .png or .svg (the picture's format).");
        OutputFile.Check(option, path);
    }

    /// <summary>Training loss by step (thin line) and per epoch (dots) on the left axis, test accuracy per epoch on the right.</summary>
    public static void WriteCurves(string option, string path, RunHistory history, string title)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("training loss");
        if (history.Losses.Steps.Count > 0)
        {
            var steps = plot.Add.ScatterLine(history.Losses.Steps.Select(s => (double)s).ToArray(), history.Losses.Values.ToArray());
            steps.LegendText = "loss per step";
            steps.LineWidth = 1;
        }
        var perEpoch = Math.Max(1, history.StepsPerEpoch);
        var epochs = history.Epochs;
        if (epochs.Count > 0)
        {
            var ends = epochs.Select(e => (double)e.Epoch * perEpoch).ToArray();
            var loss = plot.Add.Scatter(ends, epochs.Select(e => e.TrainLoss).ToArray());
            loss.LegendText = "loss per epoch";
            loss.MarkerSize = 8;
            var measured = epochs.Where(e => !double.IsNaN(e.TestAccuracy)).ToArray();
            if (measured.Length > 0)
            {
                var accuracy = plot.Add.Scatter(measured.Select(e => (double)e.Epoch * perEpoch).ToArray(), measured.Select(e => 100 * e.TestAccuracy).ToArray());
                accuracy.LegendText = "test accuracy per epoch (%)";
                accuracy.MarkerSize = 8;
                accuracy.Axes.YAxis = plot.Axes.Right;
                plot.Axes.Right.Label.Text = "test accuracy (%)";
            }
        }
        plot.ShowLegend(Alignment.UpperCenter);
        Write(option, path, plot);
    }

    /// <summary>The confusion matrix: rows the actual class, columns the prediction, each cell's count written in it.</summary>
    public static void WriteConfusion(string option, string path, int[,] confusion, string title)
    {
        var classes = confusion.GetLength(0);
        var cells = new double[classes, classes];
        for (var a = 0; a < classes; a++)
        {
            for (var p = 0; p < classes; p++)
            {
                cells[a, p] = confusion[a, p];
            }
        }
        var plot = new Plot();
        plot.Title(title);
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        var max = cells.Cast<double>().DefaultIfEmpty(0).Max();
        if (classes <= 30)
        {
            for (var a = 0; a < classes; a++)
            {
                for (var p = 0; p < classes; p++)
                {
                    // The heatmap draws row 0 at the top: row a sits at y = classes − 1 − a.
                    var label = plot.Add.Text($"{confusion[a, p]}", p, classes - 1 - a);
                    label.LabelAlignment = Alignment.MiddleCenter;
                    label.LabelFontColor = cells[a, p] > max / 2 ? Colors.Black : Colors.White;
                }
            }
        }
        var ticks = Enumerable.Range(0, classes).ToArray();
        plot.Axes.Bottom.SetTicks(ticks.Select(t => (double)t).ToArray(), ticks.Select(t => $"{t}").ToArray());
        plot.Axes.Left.SetTicks(ticks.Select(t => (double)(classes - 1 - t)).ToArray(), ticks.Select(t => $"{t}").ToArray());
        plot.XLabel("predicted class");
        plot.YLabel("actual class");
        Write(option, path, plot, Height + 100, Height);
    }

    private static string? Format(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "png",
        ".svg" => "svg",
        _ => null,
    };

    private static void Write(string option, string path, Plot plot, int width = Width, int height = Height)
    {
        var bytes = Format(path) == "svg"
            ? System.Text.Encoding.UTF8.GetBytes(plot.GetSvgXml(width, height))
            : plot.GetImageBytes(width, height, ImageFormat.Png);
        OutputFile.WriteAllBytes(option, path, bytes);
    }
}
