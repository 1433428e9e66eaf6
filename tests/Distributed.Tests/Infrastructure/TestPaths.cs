namespace DistTrain.Distributed.Tests.Infrastructure;

internal static class TestPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds DistTrain.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string DataRoot => Path.Combine(RepoRoot, "data");

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
