using System.Security.Cryptography;

namespace DistTrain.Core.Data;

/// <summary>
/// Verifies files against a <c>SHA256SUMS</c> file in <c>sha256sum</c> format
/// (<c>&lt;64 hex digits&gt;  &lt;file name&gt;</c> per line, or <c>*</c> before the name for binary mode).
/// Listed files that are absent are skipped: a folder may hold only the raw or only the gzip variants.
/// </summary>
public static class Checksums
{
    public const string FileName = "SHA256SUMS";

    private const int HexLength = 64;

    /// <summary>
    /// Checks every listed file present in <paramref name="directory"/>; throws <see cref="DatasetException"/>
    /// on the first mismatch. Returns the names of the files that were verified (empty without a sums file).
    /// </summary>
    public static IReadOnlyList<string> Verify(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string sumsPath = Path.Combine(directory, FileName);
        if (!File.Exists(sumsPath))
        {
            return [];
        }

        var verified = new List<string>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(sumsPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line) || line.StartsWith('#'))
            {
                continue;
            }

            (string expected, string name) = ParseLine(line, sumsPath, lineNumber);
            string filePath = Path.Combine(directory, name);
            if (!File.Exists(filePath))
            {
                continue;
            }

            string actual = HashFile(filePath);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new DatasetException(
                    $"{filePath}: SHA-256 mismatch: {sumsPath}:{lineNumber} expects {expected.ToLowerInvariant()}, " +
                    $"the file hashes to {actual}; the file is corrupt or was replaced");
            }

            verified.Add(name);
        }

        return verified;
    }

    private static (string Hash, string Name) ParseLine(string line, string sumsPath, int lineNumber)
    {
        ReadOnlySpan<char> text = line.AsSpan().TrimEnd();
        // sha256sum writes the hash, a space, then ' ' (text mode) or '*' (binary mode), then the name.
        bool wellFormed = text.Length > HexLength + 2
            && IsHex(text[..HexLength])
            && text[HexLength] == ' '
            && text[HexLength + 1] is ' ' or '*';
        if (!wellFormed)
        {
            throw new DatasetException(
                $"{sumsPath}:{lineNumber}: malformed line '{line}': expected '<64 hex digits>  <file name>'");
        }

        return (text[..HexLength].ToString(), text[(HexLength + 2)..].ToString());
    }

    private static bool IsHex(ReadOnlySpan<char> text) => !text.ContainsAnyExcept("0123456789abcdefABCDEF");

    private static string HashFile(string path)
    {
        using FileStream stream = DataFiles.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
