using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Models;
using DistTrain.Core.Training;

namespace DistTrain.Client.Commands;

/// <summary>
/// The options a cluster job adds to <see cref="TrainSettings"/>, shared by `train` and `submit`,
/// and the one mapping from the console's options to a <see cref="JobSpec"/>.
/// </summary>
internal sealed class JobSettings
{
    public Option<int> Workers { get; } = new("--workers") { Description = "Worker grains (data shards) on the cluster.", DefaultValueFactory = _ => 2 };

    public Option<int> SyncEvery { get; } = SyncEveryOption.Create();

    public Option<string> Wire { get; } = WireOption.Create();

    public Option<int> TrainLimit { get; } = new("--train-limit") { Description = "Train on the first N training samples (0: all)." };

    public Option<int> TestLimit { get; } = new("--test-limit") { Description = "Evaluate on the first N test samples (0: all)." };

    public Option<int> MaxSteps { get; } = new("--max-steps") { Description = "Stop after N optimizer steps (0: no limit)." };

    public IEnumerable<Option> All => [Workers, SyncEvery, Wire, TrainLimit, TestLimit, MaxSteps];

    /// <summary>True when an option that only a cluster job uses was given (so `--local` can refuse it).</summary>
    public string? FirstGiven(ParseResult parse) =>
        All.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false })?.Name;

    /// <summary>The job for <paramref name="options"/> (already validated by the core) on
    /// <paramref name="dataset"/>; the cluster validates it again, naming JobSpec fields.</summary>
    public JobSpec ToSpec(ParseResult parse, TrainingOptions options, string dataset)
    {
        var workers = parse.GetValue(Workers);
        UserError.Require(workers > 0, "--workers", $"must be at least 1; got {workers}.");
        var syncEvery = parse.GetValue(SyncEvery);
        SyncEveryOption.Validate(syncEvery);
        foreach (var (option, value) in new[] { (TrainLimit, parse.GetValue(TrainLimit)), (TestLimit, parse.GetValue(TestLimit)), (MaxSteps, parse.GetValue(MaxSteps)) })
        {
            UserError.Require(value >= 0, option.Name, $"must be 0 (no limit) or more; got {value}.");
        }
        return new JobSpec
        {
            Network = options.Model.Network.ToString(),
            Activation = options.Model.Network.Activation.ToString().ToLowerInvariant(),
            Loss = ModelSpec.LossName(options.Model.Loss),
            LearningRate = options.Sgd.LearningRate,
            Momentum = options.Sgd.Momentum,
            Nesterov = options.Sgd.Nesterov,
            WeightDecay = options.Sgd.WeightDecay,
            Dataset = dataset,
            Epochs = options.Epochs,
            GlobalBatchSize = options.BatchSize,
            Workers = workers,
            Seed = options.Seed,
            TrainLimit = parse.GetValue(TrainLimit),
            TestLimit = parse.GetValue(TestLimit),
            MaxSteps = parse.GetValue(MaxSteps),
            SyncEvery = syncEvery,
            Wire = WireOption.Validate(parse.GetValue(Wire)),
        };
    }
}
