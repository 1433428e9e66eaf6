using System.CommandLine;
using DistTrain.Client.Commands;

var root = new RootCommand("DistTrain: data-parallel SGD, locally or on an Orleans cluster");

// Cluster commands (one line each).
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(JobsCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(CancelCommand.Create());

return await root.Parse(args).InvokeAsync();
