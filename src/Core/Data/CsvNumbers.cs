using System.Globalization;

namespace DistTrain.Core.Data;

/// <summary>Culture-independent parsing of CSV numbers: a file must mean the same on every machine.</summary>
internal static class CsvNumbers
{
    /// <summary>A finite float: NaN and infinities would silently poison training.</summary>
    public static bool TryParseFloat(ReadOnlySpan<char> text, out float value) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    public static bool IsNumberSyntax(ReadOnlySpan<char> text) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>A class label: an integer ≥ 0, also accepted in float syntax ("3.0") as numeric exports often write it.</summary>
    public static bool TryParseLabel(ReadOnlySpan<char> text, out int label)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out label))
        {
            return label >= 0;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            && value >= 0 && value <= int.MaxValue && value == Math.Floor(value))
        {
            label = (int)value;
            return true;
        }

        label = 0;
        return false;
    }
}
