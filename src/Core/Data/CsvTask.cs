namespace DistTrain.Core.Data;

/// <summary>What the label column of a CSV file holds.</summary>
public enum CsvTask
{
    /// <summary>Integer class labels ≥ 0; the class count is the largest label plus one.</summary>
    Classification,

    /// <summary>A float target per row.</summary>
    Regression,
}
