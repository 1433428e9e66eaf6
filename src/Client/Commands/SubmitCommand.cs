using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Client.Cluster;
using DistTrain.Contracts.Messages;
using Spectre.Console;

namespace DistTrain.Client.Commands;

/// <summary>
/// <c>disttrain submit</c>: sends a JobSpec to a running cluster (no embedded fallback: that is
/// <c>train</c>'s job). Prints the job id; with <c>--wait</c> follows it to the end.
/// </summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var defaults = new JobSpec();
        var id = new Option<string>("--id") { Description = "Job id (default: a new one)" };
        var network = new Option<string>("--network") { Description = "Layer widths", DefaultValueFactory = _ => defaults.Network };
        var activation = new Option<string>("--activation") { DefaultValueFactory = _ => defaults.Activation };
        var loss = new Option<string>("--loss") { DefaultValueFactory = _ => defaults.Loss };
        var lr = new Option<float>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var momentum = new Option<float>("--momentum");
        var nesterov = new Option<bool>("--nesterov");
        var weightDecay = new Option<float>("--weight-decay");
        var dataset = new Option<string>("--dataset") { Description = "\"mnist\" or a folder under the silos' data root", DefaultValueFactory = _ => defaults.Dataset };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch") { Description = "Global batch size", DefaultValueFactory = _ => defaults.GlobalBatchSize };
        var workers = new Option<int>("--workers") { DefaultValueFactory = _ => defaults.Workers };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var trainLimit = new Option<int>("--train-limit") { Description = "Use the first N training samples (0: all)" };
        var testLimit = new Option<int>("--test-limit") { Description = "Evaluate on the first N test samples (0: all)" };
        var maxSteps = new Option<int>("--max-steps") { Description = "Stop after N steps (0: no limit)" };
        var syncEvery = SyncEveryOption.Create();
        var wire = WireOption.Create();
        var wait = new Option<bool>("--wait") { Description = "Follow the job until it ends; exit code tells how it ended" };

        var command = new Command("submit", "Submit a training job to the cluster")
        {
            id, network, activation, loss, lr, momentum, nesterov, weightDecay, dataset, epochs, batch, workers, seed,
            trainLimit, testLimit, maxSteps, syncEvery, wire, wait,
        };
        ClusterCommandOptions.AddTo(command);
        command.SetAction((parse, cancellationToken) => UserError.GuardAsync(async () =>
        {
            var spec = new JobSpec
            {
                Network = parse.GetValue(network)!,
                Activation = parse.GetValue(activation)!,
                Loss = parse.GetValue(loss)!,
                LearningRate = parse.GetValue(lr),
                Momentum = parse.GetValue(momentum),
                Nesterov = parse.GetValue(nesterov),
                WeightDecay = parse.GetValue(weightDecay),
                Dataset = parse.GetValue(dataset)!,
                Epochs = parse.GetValue(epochs),
                GlobalBatchSize = parse.GetValue(batch),
                Workers = parse.GetValue(workers),
                Seed = parse.GetValue(seed),
                TrainLimit = parse.GetValue(trainLimit),
                TestLimit = parse.GetValue(testLimit),
                MaxSteps = parse.GetValue(maxSteps),
                SyncEvery = parse.GetValue(syncEvery),
                Wire = WireOption.Validate(parse.GetValue(wire)),
            };

            await using var connection = await ClusterCommandOptions.ConnectAsync(parse, cancellationToken);
            if (connection is null)
            {
                return ClusterCommandOptions.Unreachable;
            }

            var jobId = parse.GetValue(id) ?? JobRunner.NewJobId();
            try
            {
                var job = await new JobRunner(connection.Client).SubmitAsync(jobId, spec);
                Console.WriteLine(jobId);
                if (!parse.GetValue(wait))
                {
                    return 0;
                }

                var status = await WatchCommand.FollowAsync(job, cancellationToken);
                StatusView.Write(status);
                return StatusView.ExitCode(status);
            }
            catch (JobSpecException e)
            {
                Console.Error.WriteLine($"Rejected: {e.Message}");
                return 2;
            }
        }));
        return command;
    }
}
