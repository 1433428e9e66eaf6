namespace DistTrain.Core.Expressions;

/// <summary>A syntax error in an expression, with the 0-based position it points at.</summary>
public sealed class ExpressionException(string message, string expression, int position) : FormatException(message)
{
    public string Expression { get; } = expression;

    public int Position { get; } = position;

    /// <summary>The expression with a caret under the offending position.</summary>
    public string Pointer => Expression + Environment.NewLine + new string(' ', Position) + "^";
}
