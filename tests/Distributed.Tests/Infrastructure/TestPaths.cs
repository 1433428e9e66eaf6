namespace DistTrain.Distributed.Tests.Infrastructure;

internal static class TestPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds DistTrain.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string DataRoot => Path.Combine(RepoRoot, "data");

    /// <summary>The file a corrupt copy of MNIST has garbage in (a gzip header, then nothing that inflates).</summary>
    public const string CorruptFile = "train-labels-idx1-ubyte.gz";

    /// <summary>Fills <paramref name="folder"/> with the shipped MNIST's four IDX files, <see cref="CorruptFile"/> made garbage.</summary>
    public static void WriteCorruptMnist(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(DataRoot, "mnist"), "*.gz"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        File.WriteAllBytes(Path.Combine(folder, CorruptFile), [0x1f, 0x8b, 8, 0, 1, 2, 3]);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DistTrain.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No DistTrain.sln above {AppContext.BaseDirectory}");
    }
}
