namespace DistTrain.Worker.Hosting;

/// <summary>Where a silo finds datasets named by path in a <c>JobSpec</c>.</summary>
public sealed class DataOptions
{
    /// <summary>Folder that dataset paths are relative to; jobs cannot reach outside it.</summary>
    public string DataRoot { get; set; } = Path.Combine(Directory.GetCurrentDirectory(), "data");
}
