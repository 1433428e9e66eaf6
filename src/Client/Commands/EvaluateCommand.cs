using System.CommandLine;

namespace DistTrain.Client.Commands;

internal static class EvaluateCommand
{
    public static Command Create() => new("evaluate", "(being written)");
}
