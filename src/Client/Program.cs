using System.CommandLine;
using DistTrain.Client.Cluster;
using DistTrain.Client.Commands;
using DistTrain.Client.Config;
using DistTrain.Client.Output;

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
root.Subcommands.Add(ExportCommand.Create());
try
{
    // Options the config file supplies come after the command's name; what is typed wins.
    args = ConsoleConfig.Apply(args, root, ConsoleConfig.Find());
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return UserError.ExitCode;
}
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line and exit code 2, like every other user error (the default prints the whole help).
    var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
    var command = parse.CommandResult.Command == root ? "" : parse.CommandResult.Command.Name + " ";
    Console.Error.WriteLine($"error: {ParseErrors.Readable(error.Message)} (see `disttrain {command}--help`)");
    return UserError.ExitCode;
}
using var interrupt = new ConsoleInterrupt();
// Ctrl-C is handled by ConsoleInterrupt (cancel, then quit on a second press), not by the parser.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interrupt.Token);
