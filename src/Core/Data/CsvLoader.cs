namespace DistTrain.Core.Data;

/// <summary>
/// Loads a numeric CSV file: every column but one is a feature, the remaining one is the class
/// label or regression target. Errors are reported as <c>file:line:column: message</c> (1-based).
/// </summary>
public static class CsvLoader
{
    /// <summary>More columns than this is not a table of features (and 10⁷ of them would cost a
    /// gigabyte of strings): refused before they are split.</summary>
    public const int MaxColumns = 1 << 16;

    public static Dataset Load(string path, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new CsvOptions();
        ValidateOptions(options);

        using var reader = new StreamReader(DataFiles.OpenRead(path));
        int lineNumber = 0;
        string? firstLine = ReadContentLine(reader, path, ref lineNumber);
        if (firstLine is null)
        {
            throw new DatasetException($"{path}: file is empty");
        }

        int firstLineNumber = lineNumber;
        List<string> firstFields = SplitLine(firstLine, options.Delimiter, path, firstLineNumber);
        int columnCount = firstFields.Count;
        if (columnCount < 2)
        {
            throw new DatasetException(
                $"{path}:{firstLineNumber}: found {columnCount} column; a dataset needs at least one feature column and a label column " +
                $"(is the delimiter '{options.Delimiter}' right?)");
        }

        bool hasHeader = options.HasHeader ?? DetectHeader(firstFields, path, firstLineNumber);
        int labelColumn = ResolveLabelColumn(options, hasHeader ? firstFields : null, columnCount, path);

        var rows = new CsvRowParser(path, options, columnCount, labelColumn);
        if (!hasHeader)
        {
            rows.Parse(firstLine, firstLineNumber);
        }

        string? line;
        while ((line = ReadContentLine(reader, path, ref lineNumber)) is not null)
        {
            rows.Parse(line, lineNumber);
        }

        return rows.ToDataset(Path.GetFileName(path));
    }

    private static void ValidateOptions(CsvOptions options)
    {
        if (options.Delimiter is '"' or '\r' or '\n')
        {
            throw new ArgumentException($"'{options.Delimiter}' cannot be a CSV delimiter", nameof(options));
        }

        if (options.LabelColumn is not null && options.LabelColumnIndex is not null)
        {
            throw new ArgumentException("choose the label column by name or by index, not both", nameof(options));
        }

        if (options.LabelColumnIndex is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LabelColumnIndex, "the label column index must be >= 0");
        }
    }

    // Blank lines (typically a trailing one) carry no sample; line numbers still count them.
    private static string? ReadContentLine(StreamReader reader, string path, ref int lineNumber)
    {
        string? line;
        while ((line = ReadLine(reader, path, lineNumber + 1)) is not null)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                return line;
            }
        }

        return null;
    }

    /// <summary>The longest line read: 65,536 columns of numbers fit many times over, and a file
    /// that is one endless line (no newline in a gigabyte) costs no more than this.</summary>
    public const int MaxLineLength = 16 * 1024 * 1024;

    [ThreadStatic]
    private static System.Text.StringBuilder? t_line;

    /// <summary>StreamReader.ReadLine, but refusing a line longer than <see cref="MaxLineLength"/>
    /// before holding it (ReadLine would build the whole line first).</summary>
    private static string? ReadLine(StreamReader reader, string path, int lineNumber)
    {
        var line = t_line ??= new System.Text.StringBuilder();
        line.Clear();
        int c;
        while ((c = reader.Read()) >= 0)
        {
            // Line ends as ReadLine takes them: "\n", "\r\n" or a lone "\r".
            if (c == '\n')
            {
                return line.ToString();
            }
            if (c == '\r')
            {
                if (reader.Peek() == '\n')
                {
                    reader.Read();
                }
                return line.ToString();
            }
            if (line.Length == MaxLineLength)
            {
                throw new DatasetException($"{path}:{lineNumber}: the line is longer than {MaxLineLength:N0} characters");
            }
            line.Append((char)c);
        }
        return line.Length == 0 ? null : line.ToString();
    }

    private static List<string> SplitLine(string line, char delimiter, string path, int lineNumber)
    {
        // Counting delimiters over-counts quoted ones, never under-counts: a cheap upper bound.
        if (line.AsSpan().Count(delimiter) >= MaxColumns)
        {
            throw new DatasetException($"{path}:{lineNumber}: has more than {MaxColumns:N0} columns; at most {MaxColumns:N0} are supported");
        }

        var fields = new List<string>();
        var reader = new CsvFieldReader(line, delimiter);
        while (reader.TryRead(out ReadOnlySpan<char> field, out string? error))
        {
            if (error is not null)
            {
                throw new DatasetException($"{path}:{lineNumber}:{reader.Column}: {error}");
            }

            fields.Add(field.ToString().Replace("\"\"", "\""));
        }

        return fields;
    }

    // A header is a first row without numbers. A row mixing numbers and text is ambiguous: rather than
    // silently dropping a sample or mis-parsing a header, ask for an explicit HasHeader.
    private static bool DetectHeader(List<string> fields, string path, int lineNumber)
    {
        int numeric = fields.Count(f => CsvNumbers.IsNumberSyntax(f));
        if (numeric == 0)
        {
            return true;
        }

        if (numeric == fields.Count)
        {
            return false;
        }

        int firstText = fields.FindIndex(f => !CsvNumbers.IsNumberSyntax(f));
        throw new DatasetException(
            $"{path}:{lineNumber}:{firstText + 1}: cannot tell whether line {lineNumber} is a header: it mixes numbers " +
            $"and text ('{fields[firstText]}'); set {nameof(CsvOptions.HasHeader)} explicitly");
    }

    private static int ResolveLabelColumn(CsvOptions options, List<string>? header, int columnCount, string path)
    {
        if (options.LabelColumn is { } name)
        {
            if (header is null)
            {
                throw new DatasetException(
                    $"{path}: label column '{name}' is chosen by name, but the file has no header row; choose it by index");
            }

            int index = header.IndexOf(name);
            if (index < 0)
            {
                throw new DatasetException(
                    $"{path}: no column named '{name}'; the columns are {string.Join(", ", header.Select(h => $"'{h}'"))}");
            }

            int duplicate = header.IndexOf(name, index + 1);
            if (duplicate >= 0)
            {
                throw new DatasetException(
                    $"{path}: column name '{name}' is ambiguous: columns {index + 1} and {duplicate + 1} both have it");
            }

            return index;
        }

        int chosen = options.LabelColumnIndex ?? columnCount - 1;
        if (chosen >= columnCount)
        {
            throw new DatasetException(
                $"{path}: label column index {chosen} is out of range: the file has {columnCount} columns (indices are 0-based)");
        }

        return chosen;
    }
}
