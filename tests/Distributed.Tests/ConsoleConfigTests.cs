using System.Text.Json;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>The console's config file (<c>DISTTRAIN_CONFIG</c>): it supplies the options a command
/// line leaves out, the command line wins, and a mistake in it is one line naming the file and key.</summary>
public sealed class ConsoleConfigTests : IDisposable
{
    private readonly string _file = Path.Combine(Directory.CreateTempSubdirectory("console-config-").FullName, "disttrain.json");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);

    [Fact]
    public async Task TheFilesOptions_ApplyToTheirCommand_AndTheCommandLineWins()
    {
        File.WriteAllText(_file, """
            // defaults for this machine
            { "options": { "connect-timeout": 3 }, "train": { "local": true, "epochs": 3, "json": true, "threads": 1 } }
            """);
        var result = await RunAsync("train", "--epochs", "1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal("local", json.GetProperty("mode").GetString()); // from the file
        Assert.Equal(1, json.GetProperty("threads").GetInt32());      // from the file
        Assert.Equal(1, json.GetProperty("epochs").GetInt32());       // typed: wins over the file's 3
    }

    [Fact]
    public async Task AGatewayInTheFile_IsTheOneConnectedTo()
    {
        File.WriteAllText(_file, """{ "options": { "gateway": ["localhost:30391", "localhost:30392"], "connect-timeout": 2 } }""");
        var result = await RunAsync("jobs");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("30391", result.Error);
        Assert.Contains("30392", result.Error);
    }

    [Theory]
    [InlineData("""{ "train": { "epcohs": 2 } }""", "train.epcohs: `train` has no option --epcohs")]
    [InlineData("""{ "trian": { } }""", "'trian' is not a command")]
    [InlineData("""{ "train": { "epochs": 2 """, "is not JSON")]
    [InlineData("""{ "train": { "epochs": { "n": 2 } } }""", "train.epochs: expected a string, a number, true or a list")]
    [InlineData("""{ "train": { "epochs": "x" } }""", "--epochs: 'x' is not a whole number")]
    public async Task AMistakeInTheFile_IsOneLine_NamingIt(string json, string message)
    {
        File.WriteAllText(_file, json);
        var result = await RunAsync("train", "--local");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = result.Error.Trim().Split('\n').Single();
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
    }

    [Fact]
    public async Task ANamedConfigFileThatIsMissing_IsAnError()
    {
        var result = await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "jobs"], TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["DISTTRAIN_CONFIG"] = _file + ".missing" });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("DISTTRAIN_CONFIG: config file", result.Error);
    }

    private Task<ProcessRunner.Result> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), .. arguments], TimeSpan.FromSeconds(90),
            new Dictionary<string, string> { ["DISTTRAIN_CONFIG"] = _file, ["DISTTRAIN_GATEWAY"] = "" });
}
