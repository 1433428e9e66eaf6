using System.CommandLine;

namespace DistTrain.Client.Commands;

internal static class TrainCommand
{
    public static Command Create() => new("train", "(being written)");
}
