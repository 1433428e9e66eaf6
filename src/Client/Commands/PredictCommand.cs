using System.CommandLine;

namespace DistTrain.Client.Commands;

internal static class PredictCommand
{
    public static Command Create() => new("predict", "(being written)");
}
