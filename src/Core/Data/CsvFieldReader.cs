namespace DistTrain.Core.Data;

/// <summary>
/// Walks the fields of one CSV line without allocating. Double-quoted fields may contain the
/// delimiter; a doubled quote inside them stays doubled in the returned span (numbers never contain
/// quotes, and header names are unescaped by the caller). Fields are trimmed of surrounding spaces.
/// </summary>
internal ref struct CsvFieldReader
{
    private readonly ReadOnlySpan<char> _line;
    private readonly char _delimiter;
    private int _position;

    public CsvFieldReader(ReadOnlySpan<char> line, char delimiter)
    {
        _line = line;
        _delimiter = delimiter;
        _position = 0;
        Column = 0;
    }

    /// <summary>1-based column of the field last returned by <see cref="TryRead"/>.</summary>
    public int Column { get; private set; }

    /// <summary>
    /// Reads the next field; false after the last one. A malformed quoted field returns true with
    /// <paramref name="error"/> set, so the caller can report it at <see cref="Column"/>.
    /// </summary>
    public bool TryRead(out ReadOnlySpan<char> field, out string? error)
    {
        error = null;
        field = default;
        if (_position > _line.Length)
        {
            return false;
        }

        Column++;
        ReadOnlySpan<char> rest = _line[_position..];
        int leading = rest.Length - rest.TrimStart(' ').Length;
        if (leading < rest.Length && rest[leading] == '"')
        {
            return TryReadQuoted(rest, leading, out field, out error);
        }

        int end = rest.IndexOf(_delimiter);
        if (end < 0)
        {
            end = rest.Length;
        }

        field = rest[..end].Trim(' ');
        _position += end + 1;
        return true;
    }

    private bool TryReadQuoted(ReadOnlySpan<char> rest, int open, out ReadOnlySpan<char> field, out string? error)
    {
        int close = open + 1;
        while (true)
        {
            int quote = rest[close..].IndexOf('"');
            if (quote < 0)
            {
                field = default;
                error = "unterminated quoted field";
                return true;
            }

            close += quote;
            if (close + 1 < rest.Length && rest[close + 1] == '"')
            {
                close += 2;
                continue;
            }

            break;
        }

        field = rest[(open + 1)..close];
        ReadOnlySpan<char> after = rest[(close + 1)..];
        int next = after.IndexOf(_delimiter);
        ReadOnlySpan<char> between = next < 0 ? after : after[..next];
        if (!between.Trim(' ').IsEmpty)
        {
            error = "unexpected text after a closing quote";
            return true;
        }

        _position += close + 1 + (next < 0 ? after.Length : next) + 1;
        error = null;
        return true;
    }
}
