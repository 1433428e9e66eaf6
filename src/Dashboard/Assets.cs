using Microsoft.AspNetCore.Http;

namespace DistTrain.Dashboard;

/// <summary>The page's files, embedded in this assembly under wwwroot/ (see Dashboard.csproj).</summary>
internal static class Assets
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
        [""] = "text/plain; charset=utf-8", // LICENSE
    };

    public static IResult Serve(string path)
    {
        // Only names of the embedded files answer: no file system, so no path to escape through.
        var stream = typeof(Assets).Assembly.GetManifestResourceStream($"wwwroot/{path}");
        return stream is null || !ContentTypes.TryGetValue(Path.GetExtension(path), out var type)
            ? Results.NotFound()
            : Results.Stream(stream, type);
    }
}
