namespace DistTrain.Worker.Training;

/// <summary>Errors as a job's status shows them: one readable sentence, never a stack trace or the
/// multi-line dumps Orleans' exceptions carry.</summary>
public static class ErrorText
{
    public const int MaxLength = 400;

    public static string OneSentence(string message)
    {
        var line = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(l => !l.StartsWith("at ", StringComparison.Ordinal)) ?? "unknown error";
        // Orleans prefixes forwarded exceptions with "Exc level 0: Type: "; the type is noise here.
        if (line.StartsWith("Exc level", StringComparison.Ordinal) && line.IndexOf(": ", line.IndexOf(": ", StringComparison.Ordinal) + 2, StringComparison.Ordinal) is var at and > 0)
        {
            line = line[(at + 2)..];
        }
        return line.Length <= MaxLength ? line : line[..(MaxLength - 1)] + "…";
    }
}
