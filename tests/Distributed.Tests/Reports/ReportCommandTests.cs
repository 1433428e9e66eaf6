using System.Buffers.Binary;
using System.Text.Json;
using System.Text.RegularExpressions;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests.Reports;

/// <summary>`train --plot --log-dir`, `evaluate --plot` and `export --onnx` through the real console.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("reports-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Train_DrawsItsCurves_AndLogsEveryEpochForTensorBoard_ThenEvaluateAndExportReadTheModel()
    {
        string svg = Path.Combine(_folder, "curves.svg"), png = Path.Combine(_folder, "curves.png"), logs = Path.Combine(_folder, "logs"),
            model = Path.Combine(_folder, "m.dtm"), confusion = Path.Combine(_folder, "confusion.png"), onnx = Path.Combine(_folder, "m.onnx");
        var train = await RunAsync("train", "--local", "--epochs", "2", "--json", "--plot", svg, "--log-dir", logs, "--out", model);
        Assert.True(train.ExitCode == 0, train.ToString());
        var result = JsonDocument.Parse(train.Output).RootElement;
        var accuracies = result.GetProperty("epochResults").EnumerateArray().Select(e => e.GetProperty("testAccuracy").GetDouble()).ToArray();

        // One marker per finished epoch for the loss and for the accuracy, and one of each in the legend.
        var picture = File.ReadAllText(svg);
        Assert.StartsWith("<?xml", picture);
        Assert.Equal(2 + 2 * 2, Regex.Count(picture, "<ellipse"));
        Assert.Contains("test accuracy", picture);

        // TensorBoard's view: the epoch scalars at each epoch's last step, the step scalars in between.
        var events = TensorBoardRecords.Read(Directory.GetFiles(logs).Single());
        var scalars = events.Where(e => e.Summary is not null).Select(e => (e.Summary.Value[0].Tag, e.Step, e.Summary.Value[0].SimpleValue)).ToArray();
        var epochAccuracy = scalars.Where(s => s.Tag == "epoch/test_accuracy").ToArray();
        Assert.Equal([938L, 1876L], epochAccuracy.Select(s => s.Step));
        Assert.Equal(accuracies.Select(a => (float)a), epochAccuracy.Select(s => s.SimpleValue));
        var losses = scalars.Where(s => s.Tag == "train/loss").ToArray();
        Assert.True(losses.Length >= 2, $"{losses.Length} step losses");
        Assert.True(losses.Zip(losses.Skip(1)).All(p => p.First.Step < p.Second.Step), "steps out of order");
        Assert.All(scalars.Where(s => s.Tag == "train/learning_rate"), s => Assert.Equal(0.1f, s.SimpleValue));
        Assert.Contains(scalars, s => s.Tag == "train/samples_per_second" && s.SimpleValue > 0);

        var evaluate = await RunAsync("evaluate", "--model", model, "--plot", confusion);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        AssertPng(confusion);
        var export = await RunAsync("export", "--model", model, "--onnx", onnx, "--softmax");
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains("output 'probabilities' [batch, 10]", export.Output);
        Assert.True(new FileInfo(onnx).Length > 4 * 12_730, "the ONNX file cannot hold the 12,730 weights");

        var curves = await RunAsync("train", "--local", "--epochs", "1", "--plot", png);
        Assert.True(curves.ExitCode == 0, curves.ToString());
        AssertPng(png, width: 900, height: 540);
    }

    /// <summary>`train --dashboard`: the embedded silo serves the page while the job runs.</summary>
    [Fact]
    public async Task TrainDashboard_ServesTheRunningJob_FromTheEmbeddedSilo()
    {
        const int port = 18790;
        string? url = null;
        var run = ProcessRunner.StartAsync("dotnet", [ProcessRunner.ClientDll(), "train", "--dashboard", "--dashboard-port", $"{port}", "--epochs", "3", "--model", "784-64-10"],
            startedWhen: line => (url ??= line.StartsWith("Dashboard: ", StringComparison.Ordinal) ? line.Split(' ')[1] : null) is not null, TimeSpan.FromMinutes(2));
        await run.Started;
        Assert.StartsWith($"http://127.0.0.1:{port}/#/job/job-", url);
        var jobId = url!.Split("#/job/")[1];

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var jobs = await http.GetStringAsync("api/jobs");
        Assert.Contains($"\"id\":\"{jobId}\"", jobs);
        var page = await http.GetStringAsync("");
        Assert.Contains("/assets/vendor/uplot/uPlot.iife.min.js", page);
        Assert.True((await http.GetAsync("assets/vendor/uplot/uPlot.iife.min.js")).IsSuccessStatusCode, "uPlot is not served");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("assets/../../etc/passwd")).StatusCode);

        var result = await run.Completion;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Final test accuracy", result.Output);
    }

    private static void AssertPng(string path, int? width = null, int? height = null)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        // The IHDR chunk: width and height, big-endian, right after the signature and its header.
        if (width is not null)
        {
            Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        }
    }

    private static Task<ProcessRunner.Result> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), .. arguments], TimeSpan.FromMinutes(2));
}
