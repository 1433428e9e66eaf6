using System.CommandLine;
using DistTrain.Client.Cluster;
using DistTrain.Client.Commands;

ThreadPoolSpin.ApplyIfHostingASilo(args); // before anything starts the thread pool

// The console: each command lives in Commands/ and registers itself here.
var root = new RootCommand("DistTrain: data-parallel neural-network training on Orleans, with a readable autodiff core.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(GraphCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(JobsCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(CancelCommand.Create());
return await root.Parse(args).InvokeAsync();
