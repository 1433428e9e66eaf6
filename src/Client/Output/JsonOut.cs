using System.Text.Json;

namespace DistTrain.Client.Output;

/// <summary>Results for scripts: one JSON object, camelCase names.</summary>
internal static class JsonOut
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));
}
