using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Core.Models;
using DistTrain.Core.Training;

namespace DistTrain.Client.Commands;

/// <summary>`train`: trains a network and reports per-epoch loss and test accuracy.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var settings = new TrainSettings();
        var local = new Option<bool>("--local") { Description = "Train in this process (all cores) instead of on worker grains." };
        var threads = new Option<int>("--threads") { Description = "Cores for --local training (0 = all).", DefaultValueFactory = _ => 0 };
        var job = new JobSettings();
        var detach = new Option<bool>("--detach") { Description = "Submit to the cluster, print the job id and return (follow it with `watch ID`)." };
        var dashboard = new Option<bool>("--dashboard") { Description = "Serve the web dashboard from the embedded silo while the job runs (a cluster's silos serve their own)." };
        var dashboardPort = new Option<int>("--dashboard-port") { Description = "Port of --dashboard, on 127.0.0.1.", DefaultValueFactory = _ => Dashboard.DashboardOptions.DefaultPort };
        var command = new Command("train", "Train a network with data-parallel SGD over worker grains (on the cluster, or an embedded silo when none answers; --local: in this process). Default: 784-16-16-10 on the shipped MNIST.");
        foreach (var option in settings.All)
        {
            command.Options.Add(option);
        }
        foreach (var option in job.All)
        {
            command.Options.Add(option);
        }
        command.Options.Add(local);
        command.Options.Add(threads);
        command.Options.Add(detach);
        command.Options.Add(dashboard);
        command.Options.Add(dashboardPort);
        ClusterCommandOptions.AddTo(command);
        command.SetAction((parse, cancellation) => UserError.GuardAsync(() =>
        {
            if (parse.GetValue(local))
            {
                var clusterOnly = job.FirstGiven(parse) ?? (parse.GetValue(detach) ? detach.Name : null) ?? (parse.GetValue(dashboard) ? dashboard.Name : null)
                    ?? (parse.GetResult(ClusterCommandOptions.Gateway) is { Implicit: false } ? "--gateway" : null);
                UserError.Require(clusterOnly is null, clusterOnly ?? "", "is for training on a cluster; --local trains in this process (use --threads for its cores).");
                return Task.FromResult(RunLocal(parse, settings, parse.GetValue(threads), cancellation));
            }
            UserError.Require(parse.GetResult(threads) is not { Implicit: false }, "--threads", "is for --local training; on a cluster, --workers sets the parallelism.");
            var port = parse.GetValue(dashboardPort);
            UserError.Require(port is > 0 and <= 65535, "--dashboard-port", $"must be a port from 1 to 65535; got {port}.");
            UserError.Require(parse.GetValue(dashboard) || parse.GetResult(dashboardPort) is not { Implicit: false }, "--dashboard-port", "needs --dashboard.");
            UserError.Require(!parse.GetValue(dashboard) || !parse.GetValue(detach), "--dashboard", "is served while the job runs here; it cannot be combined with --detach.");
            var web = parse.GetValue(dashboard) ? Dashboard.DashboardOptions.Loopback(port) : null;
            return ClusterTrain.RunAsync(parse, settings, job, new ClusterTrainMode(AllowEmbedded: true, parse.GetValue(detach), JobId: null, web), cancellation);
        }));
        return command;
    }

    private static int RunLocal(ParseResult parse, TrainSettings settings, int threads, CancellationToken cancellation)
    {
        // More threads than cores only time-slice the same cores (and spin against each other).
        UserError.Require(threads >= 0 && threads <= Environment.ProcessorCount, "--threads",
            $"must be 0 (all cores) to {Environment.ProcessorCount} (this machine's cores); got {threads}.");
        var options = settings.ToOptions(parse, threads);
        settings.ValidateOut(parse);
        settings.ValidateReports(parse);
        var (train, test) = settings.LoadData(parse, options.Model);
        options = TrainSettings.FitSchedule(options, train.Count);
        var json = parse.GetValue(settings.Json);
        var display = new ProgressDisplay(options.Epochs, quiet: json);
        using var reports = settings.AttachReports(parse, display, step => options.Sgd.LearningRate * (options.Sgd.Schedule?.Factor(step) ?? 1f));
        using var trainer = new LocalTrainer(options, train);
        if (!json)
        {
            Console.WriteLine($"Training {options.Model.Network} ({options.Model.Network.Activation}, {options.Model.Loss}) on '{train.Name}' " +
                $"({train.Count} samples) in this process on {trainer.Threads} core(s): {options.Epochs} epochs, batch {options.BatchSize}, lr {options.Sgd.LearningRate}");
        }
        var result = display.Run(d => trainer.Train(test, d.OnStep, d.OnEpoch, cancellation));
        reports.Finish($"{options.Model.Network} {options.Model.Network.Activation} on {train.Name}, {trainer.Threads} core(s)", line => Say(json, line));
        if (parse.GetValue(settings.Out) is { } path)
        {
            ModelFile.Save(path, options.Model, trainer.Parameters);
            if (!json)
            {
                Console.WriteLine($"Model saved to {path}");
            }
        }
        Report(result, json, new Dictionary<string, object?> { ["mode"] = "local", ["threads"] = trainer.Threads });
        return 0;
    }

    /// <summary>A line for the user: on stdout, or on stderr when stdout carries the JSON result.</summary>
    internal static void Say(bool json, string line)
    {
        if (json)
        {
            Console.Error.WriteLine(line);
        }
        else
        {
            Console.WriteLine(line);
        }
    }

    /// <summary>Prints the final table, or one JSON object with the result and <paramref name="extra"/>.</summary>
    internal static void Report(TrainingResult result, bool json, Dictionary<string, object?> extra)
    {
        var last = result.Last;
        var seconds = result.Epochs.Sum(e => e.Seconds);
        if (json)
        {
            var output = new Dictionary<string, object?>
            {
                ["testAccuracy"] = last.TestAccuracy,
                ["trainLoss"] = last.TrainLoss,
                ["epochs"] = result.Epochs.Count,
                ["samplesPerSecond"] = result.Epochs.Sum(e => e.SamplesPerSecond * e.Seconds) / seconds,
                ["seconds"] = seconds,
            };
            foreach (var (key, value) in extra)
            {
                output[key] = value;
            }
            output["epochResults"] = result.Epochs;
            JsonOut.Write(output);
            return;
        }
        ProgressDisplay.PrintTable(result.Epochs);
        Console.WriteLine($"Final test accuracy {(double.IsNaN(last.TestAccuracy) ? "n/a" : last.TestAccuracy.ToString("P2"))}, train loss {last.TrainLoss:F4}, {seconds:F1} s of training.");
    }
}
