using System.CommandLine;
using System.Text.Json;

namespace DistTrain.Client.Config;

/// <summary>
/// The console's config file: options a user would otherwise type every time (gateways, a TLS
/// certificate, default epochs or workers). It supplies options the command line leaves out; what
/// is typed always wins. Found at <c>$DISTTRAIN_CONFIG</c>, else <c>./disttrain.json</c>, else
/// <c>~/.config/disttrain/config.json</c>:
/// <code>
/// {
///   "options": { "gateway": ["host-a:30000", "host-b:30000"], "connect-timeout": 10 },
///   "train":   { "epochs": 3, "workers": 4 }
/// }
/// </code>
/// Keys are option names without the dashes. <c>options</c> applies to every command that has
/// the option; a command's own section must name only its options. A value is a string, a number,
/// true (a flag), or a list (a repeatable option).
/// </summary>
internal static class ConsoleConfig
{
    public const string Variable = "DISTTRAIN_CONFIG";

    /// <summary>The file in use, or null when there is none.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } named)
        {
            return File.Exists(named) ? named : throw new ArgumentException($"{Variable}: config file '{named}' does not exist.");
        }
        var local = Path.Combine(Environment.CurrentDirectory, "disttrain.json");
        if (File.Exists(local))
        {
            return local;
        }
        var home = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        var user = Path.Combine(home, "disttrain", "config.json");
        return File.Exists(user) ? user : null;
    }

    /// <summary><paramref name="args"/> with the file's options for the command added after its name.</summary>
    public static string[] Apply(string[] args, RootCommand root, string? path)
    {
        if (path is null || args.Length == 0 || root.Subcommands.FirstOrDefault(c => c.Name == args[0]) is not { } command)
        {
            return args;
        }
        JsonElement document;
        try
        {
            using var stream = Core.Data.DataFiles.OpenRead(path);
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"config file '{path}' is not JSON ({e.Message.Split(" Path:")[0]})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ArgumentException($"config file '{path}' cannot be read: {e.Message}");
        }
        if (document.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"config file '{path}': expected an object of sections (\"options\", \"train\", …).");
        }
        var added = new List<string>();
        foreach (var section in document.EnumerateObject())
        {
            var shared = section.Name == "options";
            if (!shared && root.Subcommands.All(c => c.Name != section.Name))
            {
                throw new ArgumentException($"config file '{path}': '{section.Name}' is not a command (sections are \"options\" and command names).");
            }
            if (!shared && section.Name != command.Name)
            {
                continue;
            }
            if (section.Value.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"config file '{path}': section '{section.Name}' must be an object of options.");
            }
            foreach (var entry in section.Value.EnumerateObject())
            {
                var option = command.Options.FirstOrDefault(o => o.Name == "--" + entry.Name || o.Aliases.Contains("--" + entry.Name));
                if (option is null)
                {
                    if (shared)
                    {
                        continue; // for the commands that have it
                    }
                    throw new ArgumentException($"config file '{path}': {section.Name}.{entry.Name}: `{command.Name}` has no option --{entry.Name}.");
                }
                if (Given(args, option))
                {
                    continue; // typed on the command line: that wins
                }
                added.AddRange(Tokens(path, section.Name, entry, option.Name));
            }
        }
        return [args[0], .. added, .. args[1..]];
    }

    private static bool Given(string[] args, Option option) =>
        args.Any(a => a == option.Name || option.Aliases.Contains(a) || a.StartsWith(option.Name + "=", StringComparison.Ordinal));

    private static IEnumerable<string> Tokens(string path, string section, JsonProperty entry, string option) => entry.Value.ValueKind switch
    {
        JsonValueKind.True => [option],
        JsonValueKind.False => [],
        JsonValueKind.String => [option, entry.Value.GetString()!],
        JsonValueKind.Number => [option, entry.Value.GetRawText()],
        JsonValueKind.Array => entry.Value.EnumerateArray().SelectMany(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? new[] { option, v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() }
            : throw new ArgumentException($"config file '{path}': {section}.{entry.Name}: a list holds strings or numbers.")),
        _ => throw new ArgumentException($"config file '{path}': {section}.{entry.Name}: expected a string, a number, true or a list."),
    };
}
