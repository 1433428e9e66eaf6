namespace DistTrain.Core.Data;

/// <summary>
/// The four standard MNIST file names and the spellings we accept for each: gzip or raw, and the
/// dotted variant (<c>train-images.idx3-ubyte</c>) that common re-distributions use.
/// </summary>
internal static class MnistFileNames
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>Candidate file names for a standard name, in order of preference.</summary>
    public static string[] Candidates(string standardName)
    {
        // "train-images-idx3-ubyte" -> "train-images.idx3-ubyte"
        int lastDash = standardName.LastIndexOf('-');
        int dotted = standardName.LastIndexOf('-', lastDash - 1);
        string variant = string.Concat(standardName.AsSpan(0, dotted), ".", standardName.AsSpan(dotted + 1));
        return [standardName + ".gz", standardName, variant + ".gz", variant];
    }

    /// <summary>The path of the first candidate present in <paramref name="directory"/>, or null.</summary>
    public static string? Find(string directory, string standardName)
    {
        foreach (string candidate in Candidates(standardName))
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
