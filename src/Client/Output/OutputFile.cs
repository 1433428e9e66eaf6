using DistTrain.Core.Data;

namespace DistTrain.Client.Output;

/// <summary>Files the console writes (--out, --dot): regular files only, checked before any work,
/// so a device node or a folder is never replaced and a mistake never costs a finished run.</summary>
internal static class OutputFile
{
    public static void Check(string option, string path)
    {
        UserError.Require(path.Length > 0, option, "needs a file name.");
        if (DataFiles.Kind(path) is { } kind && kind != "regular file")
        {
            throw new ArgumentException($"{option}: '{path}' is a {kind}; give the name of a regular file.");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        UserError.Require(directory is null || DataFiles.Kind(directory) is null or "directory", option,
            $"'{directory}' is not a folder.");
    }

    /// <summary>Writes aside, then renames: a failed write (a full disk) leaves no half file behind
    /// and ends in one line naming the option and the file.</summary>
    public static void WriteAllText(string option, string path, string text) =>
        WriteAllBytes(option, path, System.Text.Encoding.UTF8.GetBytes(text));

    public static void WriteAllBytes(string option, string path, ReadOnlySpan<byte> bytes)
    {
        Check(option, path);
        try
        {
            DataFiles.WriteRegular(path, bytes, "file", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option}: cannot write '{path}': {e.InnerException?.Message ?? e.Message}");
        }
    }
}
