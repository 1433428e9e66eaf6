using System.CommandLine;
using DistTrain.Client.Output;

namespace DistTrain.Client.Commands;

/// <summary>`--sync-every H`: local SGD, H steps per worker between averaging rounds.</summary>
internal static class SyncEveryOption
{
    public static Option<int> Create() => new("--sync-every")
    {
        Description = "Local SGD: each worker takes H steps on its own shards between two averaging rounds (1 = synchronous SGD).",
        DefaultValueFactory = _ => 1,
    };

    public static void Validate(int h) =>
        UserError.Require(h is >= 1 and <= 1000, "--sync-every", $"must be from 1 to 1000 local steps; got {h}.");
}

/// <summary>`--wire fp32|bf16`: what crosses between silos.</summary>
internal static class WireOption
{
    public static Option<string> Create() => new("--wire")
    {
        Description = "What crosses between silos: fp32 (exact) or bf16 (half the bytes, rounded with error feedback).",
        DefaultValueFactory = _ => "fp32",
    };

    public static string Validate(string? wire) => wire?.ToLowerInvariant() switch
    {
        "fp32" => "fp32",
        "bf16" => "bf16",
        _ => throw new ArgumentException($"--wire: must be fp32 or bf16; got '{wire}'."),
    };
}
