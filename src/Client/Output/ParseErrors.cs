using System.Text.RegularExpressions;

namespace DistTrain.Client.Output;

/// <summary>The parser's messages in the console's words: "--epochs: 'x' is not a whole number",
/// not "Cannot parse argument 'x' for option '--epochs' as expected type 'System.Int32'".</summary>
internal static partial class ParseErrors
{
    public static string Readable(string message)
    {
        var match = CannotParse().Match(message);
        if (!match.Success)
        {
            return message.TrimEnd('.');
        }
        var kind = match.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Single" or "System.Double" or "System.Nullable`1[System.Single]" => "a number",
            "System.Boolean" => "true or false",
            var other => $"a value of type {other}",
        };
        return $"{match.Groups["option"].Value}: '{match.Groups["value"].Value}' is not {kind}";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial Regex CannotParse();
}
