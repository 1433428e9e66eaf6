using System.CommandLine;
using System.Diagnostics;
using DistTrain.Client.Cluster;
using DistTrain.Client.Output;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Models;
using DistTrain.Core.Training;

namespace DistTrain.Client.Commands;

/// <summary>
/// `train` over worker grains: on the cluster at the gateways when one answers, else on a silo
/// embedded in this process. Streams the job's progress and prints the same result as --local.
/// </summary>
internal static class ClusterTrain
{

    public static async Task<int> RunAsync(ParseResult parse, TrainSettings settings, JobSettings jobSettings, ClusterTrainMode mode, CancellationToken cancellation)
    {
        var options = settings.ToOptions(parse, threads: 0);
        RejectLocalOnly(parse, settings, options);
        settings.ValidateOut(parse);
        settings.ValidateReports(parse);
        if (mode.JobId is not null && JobIds.Check(mode.JobId) is { } badId)
        {
            throw new ArgumentException($"--id: {badId}.");
        }
        foreach (var follower in new[] { settings.Plot, settings.LogDir })
        {
            UserError.Require(!mode.Detach || parse.GetValue(follower) is null, follower.Name, "follows the run as it trains; it cannot be combined with --detach.");
        }
        var json = parse.GetValue(settings.Json);
        var dataPath = parse.GetValue(settings.Data);
        var spec = jobSettings.ToSpec(parse, options, dataset: "mnist");

        var gateways = GatewayList.Parse(parse.GetValue(ClusterCommandOptions.Gateway));
        await using var connection = await ClusterCommandOptions.TryConnectAsync(parse, gateways, cancellation);
        EmbeddedCluster? embedded = null;
        string where;
        if (connection is not null)
        {
            where = GatewayList.Describe(connection.Gateways);
            // On a real cluster the dataset is a name the silos resolve under their data root.
            spec = spec with { Dataset = dataPath ?? "mnist" };
        }
        else if (!mode.AllowEmbedded || mode.Detach || ClusterCommandOptions.GatewayNamed(parse))
        {
            // A gateway the user named (or a command that needs a cluster: submit, train --detach,
            // whose job would die with this process) is never replaced by an embedded silo: that
            // would train somewhere other than where they asked. Like every cluster command: code 3.
            ClusterCommandOptions.ReportUnreachable(gateways);
            return ClusterCommandOptions.Unreachable;
        }
        else
        {
            Say(json, $"No cluster answered at {GatewayList.Describe(gateways)}: starting an embedded silo in this process.");
            string? dataRoot = null;
            if (dataPath is not null && !(dataPath == "mnist" && !Directory.Exists(dataPath)))
            {
                var full = Path.GetFullPath(dataPath);
                UserError.Require(Directory.Exists(full), "--data", $"folder '{dataPath}' does not exist.");
                dataRoot = Path.GetDirectoryName(full);
                spec = spec with { Dataset = Path.GetFileName(full) };
            }
            embedded = await EmbeddedCluster.StartAsync(dataRoot, cancellation, mode.Dashboard);
            where = "embedded";
        }
        await using var _ = embedded;
        var client = connection?.Client ?? embedded!.Client;
        var runner = new JobRunner(client);
        string jobId;
        IJobGrain job;
        try
        {
            (jobId, job) = mode.JobId is { } named ? (named, await runner.SubmitAsync(named, spec)) : await runner.SubmitNewAsync(spec);
        }
        catch (JobSpecException e)
        {
            throw new ArgumentException(e.Message);
        }
        if (mode.Detach)
        {
            Console.WriteLine(json ? $"{{\"jobId\":\"{jobId}\"}}" : jobId);
            return 0;
        }
        if (mode.Dashboard is { } web)
        {
            Say(json, embedded is null
                ? "--dashboard: the cluster's silos serve their own dashboards (deploy/local-cluster.sh: http://127.0.0.1:8080+i/); none is started here."
                : $"Dashboard: {web.Url}#/job/{Uri.EscapeDataString(jobId)} (served while this command runs)");
        }
        Say(json, $"Job {jobId}: training {spec.Network} ({spec.Activation}, {spec.Loss}) on {spec.Dataset} with {spec.Workers} worker grain(s) on the {(where == "embedded" ? "embedded silo" : "cluster at " + where)}: " +
            $"{spec.Epochs} epochs, global batch {spec.GlobalBatchSize}, lr {spec.LearningRate}");

        var display = new ProgressDisplay(options.Epochs, quiet: json);
        using var reports = settings.AttachReports(parse, display, _ => spec.LearningRate);
        var watch = Stopwatch.StartNew();
        JobStatus status;
        try
        {
            status = await display.RunAsync(async d => await JobRunner.FollowAsync(job, p => Show(d, p), cancellation, health: new ClusterHealth(client)));
        }
        catch (OperationCanceledException)
        {
            await job.CancelAsync();
            throw;
        }
        var seconds = watch.Elapsed.TotalSeconds;
        if (status is { State: JobState.Failed, ErrorField: not null })
        {
            // The job could not run what was asked (its data cannot be read): the user's mistake,
            // one line and code 2, as the same --data gives with --local.
            throw new ArgumentException(status.Error ?? $"the job's {status.ErrorField} is not usable");
        }
        if (status.State != JobState.Completed)
        {
            Console.Error.WriteLine($"error: job {jobId} ended {status.State}{(status.Error is null ? "" : ": " + status.Error)}");
            return 1;
        }
        var silos = (await job.GetWorkersAsync()).Select(w => w.Silo).Distinct().Count();
        reports.Finish($"{spec.Network} {spec.Activation} on {spec.Dataset}, {spec.Workers} workers on {silos} silo(s)", line => Say(json, line));
        if (parse.GetValue(settings.Out) is { } path)
        {
            var weights = await job.GetWeightsAsync();
            ModelFile.Save(path, options.Model, weights.Weights.Span);
            Say(json, $"Model saved to {path}");
        }
        var epochs = status.Epochs.Select(e => new EpochResult(e.Epoch, e.TrainLoss, e.TestAccuracy,
            e.SamplesPerSecond > 0 ? status.StepsPerEpoch * (double)spec.GlobalBatchSize / e.SamplesPerSecond : 0, e.SamplesPerSecond)).ToList();
        TrainCommand.Report(new TrainingResult(epochs, []), json, new Dictionary<string, object?>
        {
            ["mode"] = "cluster",
            ["jobId"] = jobId,
            ["workers"] = spec.Workers,
            ["cluster"] = where,
            ["silos"] = silos,
            ["wallSeconds"] = seconds,
            ["workerRecoveries"] = status.WorkerRecoveries,
            ["resumes"] = status.Resumes,
            ["rollbacks"] = status.Rollbacks,
            ["groups"] = status.Groups,
            // Data-plane bytes per step and silo: how the weights and gradients travelled.
            ["dataPlane"] = status.Traffic.Select(t => new
            {
                silo = t.Silo,
                tcpBytesSentPerStep = t.TcpBytesSentPerStep,
                tcpBytesReceivedPerStep = t.TcpBytesReceivedPerStep,
                sharedMemoryBytesPerStep = t.SharedBytesReadPerStep,
            }).ToArray(),
        });
        return 0;
    }

    private static void Show(ProgressDisplay display, JobProgress p)
    {
        if (p.Kind == ProgressKind.Step && p.TotalSteps > 0)
        {
            var perEpoch = Math.Max(1, p.TotalSteps / Math.Max(1, p.Epochs));
            var step = (int)(p.Step - (p.Epoch - 1) * perEpoch);
            display.OnStep(new StepProgress(Math.Max(1, p.Epoch), Math.Clamp(step, 0, (int)perEpoch), (int)perEpoch, (float)p.Loss, p.SamplesPerSecond));
        }
        else if (p.Kind == ProgressKind.Epoch)
        {
            display.OnEpoch(new EpochResult(p.Epoch, p.Loss, p.TestAccuracy ?? double.NaN, 0, p.SamplesPerSecond));
        }
    }

    /// <summary>Options the cluster's job spec does not carry yet: say so instead of ignoring them.</summary>
    internal static void RejectLocalOnly(ParseResult parse, TrainSettings settings, TrainingOptions options)
    {
        settings.ValidateDataOptions(parse);
        UserError.Require(parse.GetValue(settings.Csv) is null, "--csv", "CSV training runs with --local only (the cluster's workers load IDX datasets).");
        UserError.Require(options.Sgd.ClipNorm is null, "--clip-norm", "is supported with --local only.");
        UserError.Require(options.Sgd.Schedule is null, "--schedule", "is supported with --local only.");
        UserError.Require(options.Model.HuberDelta == 1f && options.Model.HingeMargin == 1f, "--delta", "is supported with --local only (the cluster uses δ = 1).");
    }

    private static void Say(bool json, string line) => TrainCommand.Say(json, line);
}

/// <summary>How `train` and `submit` differ: whether an embedded silo may stand in for a cluster
/// that does not answer, whether to return once the job is submitted, and the job's id.</summary>
/// <param name="Dashboard">Where the embedded silo serves the dashboard (`train --dashboard`), or null.</param>
internal sealed record ClusterTrainMode(bool AllowEmbedded, bool Detach, string? JobId, Dashboard.DashboardOptions? Dashboard = null);
