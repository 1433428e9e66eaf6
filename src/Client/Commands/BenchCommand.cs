using System.CommandLine;
using DistTrain.Client.Bench;
using DistTrain.Client.Cluster;
using DistTrain.Contracts.Messages;
using DistTrain.Client.Output;
using DistTrain.Core.Data;
using DistTrain.Core.Kernels;
using DistTrain.Core.Nn;

namespace DistTrain.Client.Commands;

/// <summary>`bench`: training throughput on MNIST for the seed and the wide network.</summary>
internal static class BenchCommand
{
    /// <summary>
    /// Each configuration over K worker grains, its epochs alternated with single-process epochs
    /// (local, grains, local, grains, ...) so that both see the same machine.
    /// </summary>
    private static async Task<(List<BenchResult> Local, List<ClusterBenchResult> Cluster)> BenchSideBySideAsync(
        ParseResult parse, (NetworkSpec Spec, int Batch)[] configs, int workers, int epochs, int threads, Dataset train, Dataset test,
        bool asJson, CancellationToken cancellation)
    {
        // The single-process trainers first: each counts its allocations before a silo or a client runs here.
        var timers = new List<LocalEpochTimer>();
        try
        {
            foreach (var (spec, batch) in configs)
            {
                cancellation.ThrowIfCancellationRequested();
                timers.Add(new LocalEpochTimer(spec, batch, threads, train));
            }
            return await AlternateEpochsAsync(parse, configs, timers, workers, epochs, train, test, asJson, cancellation);
        }
        finally
        {
            timers.ForEach(t => t.Dispose());
        }
    }

    private static async Task<(List<BenchResult> Local, List<ClusterBenchResult> Cluster)> AlternateEpochsAsync(
        ParseResult parse, (NetworkSpec Spec, int Batch)[] configs, List<LocalEpochTimer> timers, int workers, int epochs, Dataset train, Dataset test,
        bool asJson, CancellationToken cancellation)
    {
        var linkGbit = parse.GetValue(LinkGbit);
        SyncEveryOption.Validate(parse.GetValue(SyncEvery));
        UserError.Require(linkGbit is null or > 0, "--link-gbit", $"must be a positive number of Gbit/s; got {linkGbit}.");
        var gateways = GatewayList.Parse(parse.GetValue(ClusterCommandOptions.Gateway));
        await using var connection = await ClusterCommandOptions.TryConnectAsync(parse, gateways, cancellation);
        await using var embedded = connection is null ? await EmbeddedCluster.StartAsync(null, cancellation) : null;
        var client = connection?.Client ?? embedded!.Client;
        var where = connection is null ? "an embedded silo (no cluster at " + GatewayList.Describe(gateways) + ")" : "the cluster at " + GatewayList.Describe(connection.Gateways);
        var local = new List<BenchResult>();
        var cluster = new List<ClusterBenchResult>();
        foreach (var ((spec, batch), timer) in configs.Zip(timers))
        {
            await ClusterBenchmark.RunEpochAsync(client, spec, batch, workers, parse.GetValue(SyncEvery), WireOption.Validate(parse.GetValue(Wire)), cancellation); // warm-up
            var localSeconds = new List<double>();
            var clusterEpochs = new List<ClusterEpoch>();
            for (var e = 0; e < epochs; e++)
            {
                // Local, grains, grains, local, local, grains, ...: neither side always goes first.
                if (e % 2 == 0)
                {
                    localSeconds.Add(timer.TimeEpoch());
                }
                clusterEpochs.Add(await ClusterBenchmark.RunEpochAsync(client, spec, batch, workers, parse.GetValue(SyncEvery), WireOption.Validate(parse.GetValue(Wire)), cancellation));
                if (e % 2 == 1)
                {
                    localSeconds.Add(timer.TimeEpoch());
                }
            }
            local.Add(timer.Result(localSeconds, test));
            cluster.Add(ClusterBenchmark.Summarize(spec, batch, workers, clusterEpochs, localSeconds.Select(s => train.Count / s).ToList(), linkGbit));
        }
        if (!asJson)
        {
            PrintLocal(local, "epochs alternated with those over worker grains");
            Console.WriteLine();
            var dense = ZeroColumns.SkipInLinearLayers || connection is null ? "" : " (which skips zero input columns: --dense applies to this process only)";
            Console.WriteLine($"# {workers} worker grain(s) on {where}{dense}; median epoch; vs 1 process = median ratio of alternate epochs; milliseconds per step");
            Console.WriteLine($"{"model",-16} {"batch",5} {"wrk",3} {"silos",5} {"samples/s",11} {"GFLOP/s",8} {"vs 1 proc",9} {"step",7} {"compute",8} {"slowest",8} {"combine",8} {"transport",9} {"(data)",7} {"update",7}{(linkGbit is null ? "" : $" {"bound",7} {"x bound",7}")}");
            foreach (var r in cluster)
            {
                var t = r.Timings ?? new StepTimings();
                var bound = linkGbit is null ? "" : $" {r.BandwidthBoundMs ?? 0,7:F3} {r.TransportVsBound ?? 0,7:F2}";
                Console.WriteLine($"{r.Model,-16} {r.Batch,5} {r.Workers,3} {r.Silos,5} {r.SamplesPerSecond,11:N0} {r.Gflops,8:F1} {r.VsSingleProcess,9:F2} {t.StepMs,7:F3} {t.WorkerComputeMs,8:F3} {t.SlowestWorkerWaitMs,8:F3} {t.AggregationMs,8:F3} {t.TransportMs,9:F3} {t.DataPlaneMs,7:F3} {t.UpdateMs,7:F3}{bound}");
            }
            Console.WriteLine();
            Console.WriteLine("# data plane, bytes per step and silo: TCP sent / TCP received / read from other processes' shared memory");
            foreach (var r in cluster)
            {
                foreach (var silo in r.Traffic)
                {
                    Console.WriteLine($"{r.Model,-16} {silo.Silo,-28} {silo.TcpBytesSentPerStep,12:N0} {silo.TcpBytesReceivedPerStep,12:N0} {silo.SharedBytesReadPerStep,12:N0}");
                }
            }
        }
        return (local, cluster);
    }

    private static void PrintLocal(IEnumerable<BenchResult> results, string how)
    {
        Console.WriteLine($"# {Environment.ProcessorCount} cores, AVX-512: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; one process; median epoch after two untimed ones (warm-up, allocation count) ({how}){(ZeroColumns.SkipInLinearLayers ? "" : "; --dense: zero input columns multiplied too")}");
        Console.WriteLine($"{"model",-16} {"batch",5} {"thr",3} {"samples/s",11} {"GFLOP/s",8} {"alloc B/step",12} {"s/epoch",8} {"test acc",8}");
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Model,-16} {r.Batch,5} {r.Threads,3} {r.SamplesPerSecond,11:N0} {r.Gflops,8:F1} {r.AllocatedBytesPerStep,12:F1} {r.MedianEpochSeconds,8:F3} {r.TestAccuracy,8:P2}");
        }
    }

    private static readonly Option<double?> LinkGbit = new("--link-gbit")
    {
        Description = "The bandwidth of the links between silos, in Gbit/s: also show the bound 2(S-1)/S·M/B that a bandwidth-optimal exchange needs per step, and transport over it.",
    };

    private static readonly Option<int> SyncEvery = SyncEveryOption.Create();

    private static readonly Option<string> Wire = WireOption.Create();

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Run one network, e.g. 784-256-256-10 (default: the seed and the wide network)." };
        var batch = new Option<int?>("--batch") { Description = "Global batch size for --model (default 64)." };
        var epochs = new Option<int>("--epochs") { Description = "Timed epochs; the median is reported.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Cores to use (0 = all).", DefaultValueFactory = _ => 0 };
        var data = new Option<string?>("--data") { Description = "Folder with the MNIST IDX files (default: the shipped copy)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {\"results\": [...]}." };
        var dense = new Option<bool>("--dense") { Description = "Multiply every input column, even those zero in the whole slice (as PyTorch does); applies to this process and its embedded silo, not to a remote cluster." };
        var workers = new Option<int?>("--workers") { Description = "Also train over this many worker grains (on the cluster at --gateway, else an embedded silo) and show where each step's time goes." };
        var command = new Command("bench", "Measure training speed on MNIST: samples/s over full epochs, GFLOP/s, bytes allocated per step; --workers K also over K worker grains, with where each step's time goes.")
        {
            model, batch, epochs, threads, data, json, dense, workers, LinkGbit, SyncEvery, Wire,
        };
        ClusterCommandOptions.AddTo(command);
        command.SetAction((parse, cancellation) => UserError.GuardAsync(async () =>
        {
            var epochCount = parse.GetValue(epochs);
            UserError.Require(epochCount > 0, "--epochs", $"must be at least 1; got {epochCount}.");
            var configs = parse.GetValue(model) is { } modelText
                ? [(ParseModel(modelText), parse.GetValue(batch) ?? 64)]
                : new[] { (NetworkSpec.Parse("784-16-16-10"), 64), (NetworkSpec.Parse("784-256-256-10"), 256) };
            foreach (var (_, b) in configs)
            {
                UserError.Require(b > 0, "--batch", $"must be at least 1; got {b}.");
            }
            var threadCount = parse.GetValue(threads);
            UserError.Require(threadCount >= 0 && threadCount <= Environment.ProcessorCount, "--threads",
                $"must be 0 (all cores) to {Environment.ProcessorCount} (this machine's cores); got {threadCount}.");
            var (train, test) = MnistLoader.Load(parse.GetValue(data) ?? DatasetLocator.FindShippedMnist());
            var asJson = parse.GetValue(json);
            ZeroColumns.SkipInLinearLayers = !parse.GetValue(dense);
            if (parse.GetValue(workers) is { } k)
            {
                UserError.Require(k > 0, "--workers", $"must be at least 1; got {k}.");
                var (local, cluster) = await BenchSideBySideAsync(parse, configs, k, epochCount, parse.GetValue(threads), train, test, asJson, cancellation);
                if (asJson)
                {
                    JsonOut.Write(new { results = local, cluster });
                }
                return 0;
            }
            var results = configs.Select(c => MlpBenchmark.Run(c.Item1, c.Item2, epochCount, parse.GetValue(threads), train, test)).ToList();
            if (asJson)
            {
                JsonOut.Write(new { results });
            }
            else
            {
                PrintLocal(results, $"{epochCount} timed");
            }
            return 0;
        }));
        return command;
    }

    private static NetworkSpec ParseModel(string text)
    {
        try
        {
            return NetworkSpec.Parse(text);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new ArgumentException($"--model: {e.Message}");
        }
    }
}
