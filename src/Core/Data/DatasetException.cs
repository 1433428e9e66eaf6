namespace DistTrain.Core.Data;

/// <summary>
/// A data file is missing, malformed or inconsistent. The message always names the file
/// (with line and column for text formats, or the offending field) and says what is wrong,
/// because the user has to fix the file, not the code.
/// </summary>
public sealed class DatasetException : Exception
{
    public DatasetException(string message)
        : base(message)
    {
    }

    public DatasetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
