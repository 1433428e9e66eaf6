namespace DistTrain.Core.Data;

/// <summary>Opening data files so that a missing one surfaces as a <see cref="DatasetException"/> naming it.</summary>
internal static class DataFiles
{
    private const int BufferSize = 64 * 1024;

    public static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetException($"{path}: file not found", e);
        }
    }
}
