namespace DistTrain.Core.Data;

/// <summary>Finds the data shipped in the repository, from wherever the code happens to run.</summary>
public static class DatasetLocator
{
    private static readonly string ShippedMnist = Path.Combine("data", "mnist");

    /// <summary>
    /// The full path of the repository's <c>data/mnist</c> folder, found by walking up from the
    /// application's base directory (test and build outputs live under the repository) and then from
    /// the current directory (for tools run from a checkout).
    /// </summary>
    public static string FindShippedMnist()
    {
        string[] starts = [AppContext.BaseDirectory, Directory.GetCurrentDirectory()];
        foreach (string start in starts)
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, ShippedMnist);
                if (MnistFileNames.Find(candidate, MnistFileNames.TrainImages) is not null)
                {
                    return candidate;
                }
            }
        }

        throw new DatasetException(
            $"{ShippedMnist}: shipped MNIST not found in '{starts[0]}', '{starts[1]}' or any of their parent directories");
    }
}
