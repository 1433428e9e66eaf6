namespace DistTrain.Core.Data;

/// <summary>How to read a numeric CSV file. Without a label column choice, the last column is the label.</summary>
public sealed record CsvOptions
{
    public char Delimiter { get; init; } = ',';

    /// <summary>Whether the first row holds column names; null detects it (a first row with no numbers is a header).</summary>
    public bool? HasHeader { get; init; }

    /// <summary>The label (or target) column by header name; needs a header row.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The label (or target) column by 0-based index.</summary>
    public int? LabelColumnIndex { get; init; }

    public CsvTask Task { get; init; } = CsvTask.Classification;
}
