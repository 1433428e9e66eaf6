using System.CommandLine;
using DistTrain.Client.Bench;
using DistTrain.Client.Cluster;
using DistTrain.Contracts.Messages;
using DistTrain.Client.Output;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;

namespace DistTrain.Client.Commands;

/// <summary>`bench`: training throughput on MNIST for the seed and the wide network.</summary>
internal static class BenchCommand
{
    private static async Task<List<ClusterBenchResult>> BenchOnCluster(
        ParseResult parse, (NetworkSpec Spec, int Batch)[] configs, int workers, int epochs, bool asJson, CancellationToken cancellation)
    {
        var gateways = GatewayList.Parse(parse.GetValue(ClusterCommandOptions.Gateway));
        await using var connection = await ClusterConnection.TryConnectAsync(gateways, TimeSpan.FromSeconds(parse.GetValue(ClusterCommandOptions.ConnectTimeout)), cancellation);
        await using var embedded = connection is null ? await EmbeddedCluster.StartAsync(null, cancellation) : null;
        var client = connection?.Client ?? embedded!.Client;
        var where = connection is null ? "an embedded silo (no cluster at " + GatewayList.Describe(gateways) + ")" : "the cluster at " + GatewayList.Describe(connection.Gateways);
        if (!asJson)
        {
            Console.WriteLine();
            Console.WriteLine($"# {workers} worker grain(s) on {where}; median epoch after a warm-up epoch; milliseconds per step");
            Console.WriteLine($"{"model",-16} {"batch",5} {"wrk",3} {"silos",5} {"samples/s",11} {"GFLOP/s",8} {"step",7} {"compute",8} {"slowest",8} {"transport",9} {"update",7} {"ps call",7}");
        }
        var results = new List<ClusterBenchResult>();
        foreach (var (spec, batch) in configs)
        {
            var r = await ClusterBenchmark.RunAsync(client, spec, batch, workers, epochs, cancellation);
            results.Add(r);
            if (!asJson)
            {
                var t = r.Timings ?? new StepTimings();
                Console.WriteLine($"{r.Model,-16} {r.Batch,5} {r.Workers,3} {r.Silos,5} {r.SamplesPerSecond,11:N0} {r.Gflops,8:F1} {t.StepMs,7:F3} {t.WorkerComputeMs,8:F3} {t.SlowestWorkerWaitMs,8:F3} {t.TransportMs,9:F3} {t.UpdateMs,7:F3} {t.UpdateCallMs,7:F3}");
            }
        }
        return results;
    }

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Run one network, e.g. 784-256-256-10 (default: the seed and the wide network)." };
        var batch = new Option<int?>("--batch") { Description = "Global batch size for --model (default 64)." };
        var epochs = new Option<int>("--epochs") { Description = "Timed epochs; the median is reported.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Cores to use (0 = all).", DefaultValueFactory = _ => 0 };
        var data = new Option<string?>("--data") { Description = "Folder with the MNIST IDX files (default: the shipped copy)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {\"results\": [...]}." };
        var workers = new Option<int?>("--workers") { Description = "Also train over this many worker grains (on the cluster at --gateway, else an embedded silo) and show where each step's time goes." };
        var command = new Command("bench", "Measure training speed on MNIST: samples/s over full epochs, GFLOP/s, bytes allocated per step; --workers K also over K worker grains, with where each step's time goes.")
        {
            model, batch, epochs, threads, data, json, workers,
        };
        ClusterCommandOptions.AddTo(command);
        command.SetAction((parse, cancellation) => UserError.GuardAsync(async () =>
        {
            var epochCount = parse.GetValue(epochs);
            UserError.Require(epochCount > 0, "--epochs", $"must be at least 1; got {epochCount}.");
            var configs = parse.GetValue(model) is { } modelText
                ? [(NetworkSpec.Parse(modelText), parse.GetValue(batch) ?? 64)]
                : new[] { (NetworkSpec.Parse("784-16-16-10"), 64), (NetworkSpec.Parse("784-256-256-10"), 256) };
            foreach (var (_, b) in configs)
            {
                UserError.Require(b > 0, "--batch", $"must be at least 1; got {b}.");
            }
            var (train, test) = MnistLoader.Load(parse.GetValue(data) ?? DatasetLocator.FindShippedMnist());
            var asJson = parse.GetValue(json);
            if (!asJson)
            {
                Console.WriteLine($"# {Environment.ProcessorCount} cores, AVX-512: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; median of {epochCount} epochs after a warm-up epoch");
                Console.WriteLine($"{"model",-16} {"batch",5} {"thr",3} {"samples/s",11} {"GFLOP/s",8} {"alloc B/step",12} {"s/epoch",8} {"test acc",8}");
            }
            var results = new List<BenchResult>();
            foreach (var (spec, b) in configs)
            {
                var r = MlpBenchmark.Run(spec, b, epochCount, parse.GetValue(threads), train, test);
                results.Add(r);
                if (!asJson)
                {
                    Console.WriteLine($"{r.Model,-16} {r.Batch,5} {r.Threads,3} {r.SamplesPerSecond,11:N0} {r.Gflops,8:F1} {r.AllocatedBytesPerStep,12:F1} {r.MedianEpochSeconds,8:F3} {r.TestAccuracy,8:P2}");
                }
            }
            if (parse.GetValue(workers) is not { } k)
            {
                if (asJson)
                {
                    JsonOut.Write(new { results });
                }
                return 0;
            }
            UserError.Require(k > 0, "--workers", $"must be at least 1; got {k}.");
            var cluster = await BenchOnCluster(parse, configs, k, epochCount, asJson, cancellation);
            if (asJson)
            {
                JsonOut.Write(new { results, cluster });
            }
            return 0;
        }));
        return command;
    }
}
