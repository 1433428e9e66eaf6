namespace DistTrain.Core.Data;

/// <summary>Accumulates the data rows of one CSV file, checking each field as it goes.</summary>
internal sealed class CsvRowParser
{
    private readonly string _path;
    private readonly char _delimiter;
    private readonly CsvTask _task;
    private readonly int _columnCount;
    private readonly int _labelColumn;
    private readonly List<float> _features = [];
    private readonly List<int> _labels = [];
    private readonly List<float> _targets = [];
    private int _maxLabel = -1;

    /// <summary>Class labels run below this: a label sizes the network's output layer.</summary>
    public const int MaxClasses = 1 << 16;

    public CsvRowParser(string path, CsvOptions options, int columnCount, int labelColumn)
    {
        _path = path;
        _delimiter = options.Delimiter;
        _task = options.Task;
        _columnCount = columnCount;
        _labelColumn = labelColumn;
    }

    public void Parse(string line, int lineNumber)
    {
        var reader = new CsvFieldReader(line, _delimiter);
        int column = 0;
        while (reader.TryRead(out ReadOnlySpan<char> field, out string? error))
        {
            if (error is not null)
            {
                throw Error(lineNumber, reader.Column, error);
            }

            if (column == _columnCount)
            {
                int found = column + 1;
                while (reader.TryRead(out _, out _))
                {
                    found++;
                }

                throw WrongColumnCount(lineNumber, found);
            }

            if (column == _labelColumn)
            {
                ParseLabel(field, lineNumber, reader.Column);
            }
            else
            {
                _features.Add(ParseFloat(field, lineNumber, reader.Column));
            }

            column++;
        }

        if (column != _columnCount)
        {
            throw WrongColumnCount(lineNumber, column);
        }
    }

    public Dataset ToDataset(string name)
    {
        int rows = _task == CsvTask.Classification ? _labels.Count : _targets.Count;
        if (rows == 0)
        {
            throw new DatasetException($"{_path}: no data rows");
        }

        int[] shape = [_columnCount - 1];
        return _task == CsvTask.Classification
            ? new Dataset(name, [.. _features], shape, [.. _labels], _maxLabel + 1)
            : new Dataset(name, [.. _features], shape, [.. _targets], targetWidth: 1);
    }

    private void ParseLabel(ReadOnlySpan<char> field, int lineNumber, int column)
    {
        if (_task == CsvTask.Regression)
        {
            _targets.Add(ParseFloat(field, lineNumber, column));
            return;
        }

        if (!CsvNumbers.TryParseLabel(field, out int label))
        {
            throw Error(lineNumber, column, $"'{field}' is not a class label: labels must be integers >= 0");
        }

        if (label >= MaxClasses)
        {
            throw Error(lineNumber, column, $"class label {label} is too large: labels run from 0 to {MaxClasses - 1}");
        }

        _labels.Add(label);
        _maxLabel = Math.Max(_maxLabel, label);
    }

    private float ParseFloat(ReadOnlySpan<char> field, int lineNumber, int column)
    {
        if (CsvNumbers.TryParseFloat(field, out float value))
        {
            return value;
        }

        string problem = CsvNumbers.IsNumberSyntax(field) ? "is not a finite number" : "is not a number";
        throw Error(lineNumber, column, $"'{field}' {problem}");
    }

    private DatasetException WrongColumnCount(int lineNumber, int found) =>
        new($"{_path}:{lineNumber}: expected {_columnCount} columns (as on the first line), found {found}");

    private DatasetException Error(int lineNumber, int column, string message) =>
        new($"{_path}:{lineNumber}:{column}: {message}");
}
