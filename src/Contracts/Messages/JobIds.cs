namespace DistTrain.Contracts.Messages;

/// <summary>What a job id may be: it names a grain, a checkpoint folder and a row of `jobs`, so it
/// is short and made of characters that are safe in all three.</summary>
public static class JobIds
{
    public const int MaxLength = 64;

    /// <summary>Null when <paramref name="id"/> is a valid job id, else why not.</summary>
    public static string? Check(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "a job id cannot be empty";
        }
        if (id.Length > MaxLength)
        {
            return $"a job id has at most {MaxLength} characters; this one has {id.Length}";
        }
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return $"'{id}' holds '{c}'; a job id is made of letters, digits, '-', '_' and '.'";
            }
        }
        return id is "." or ".." ? $"'{id}' is not a job id" : null;
    }
}
