using System.Text.Json;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DistTrain.Dashboard;

/// <summary>
/// The dashboard's page and its JSON: the jobs, one job's status (epochs, per-step breakdown,
/// workers), its progress as server-sent events, and the silos. Everything is read through the
/// same grain calls the console makes; the page is one HTML file, a script and uPlot, built into
/// the assembly.
/// </summary>
internal static class DashboardEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals, // a diverged loss is NaN
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Assets.Serve("index.html"));
        app.MapGet("/assets/{**path}", (string path) => Assets.Serve(path));
        app.MapGet("/api/jobs", ListJobsAsync);
        app.MapGet("/api/jobs/{id}", JobAsync);
        app.MapGet("/api/jobs/{id}/curve", CurveAsync);
        app.MapGet("/api/jobs/{id}/events", EventsAsync);
        app.MapGet("/api/silos", SilosAsync);
    }

    /// <summary>Every job the registry knows, newest first, with its state and progress.</summary>
    private static async Task<IResult> ListJobsAsync(IGrainFactory grains)
    {
        var jobs = await grains.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).ListAsync();
        var statuses = await Task.WhenAll(jobs.OrderByDescending(j => j.SubmittedAt).Take(200).Select(async j =>
        {
            var s = await grains.GetGrain<IJobGrain>(j.JobId).GetStatusAsync();
            return new
            {
                id = s.JobId, state = s.State.ToString(), network = s.Spec?.Network, workers = s.Spec?.Workers, epoch = s.Epoch, epochs = s.Spec?.Epochs,
                step = s.Step, totalSteps = s.TotalSteps, loss = s.Loss, testAccuracy = s.FinalTestAccuracy, samplesPerSecond = s.SamplesPerSecond,
                submittedAt = j.SubmittedAt, error = s.Error,
            };
        }));
        return Results.Json(statuses, Json);
    }

    private static async Task<IResult> JobAsync(string id, IGrainFactory grains)
    {
        if (JobIds.Check(id) is { } bad)
        {
            return Results.BadRequest(new { error = $"job id: {bad}" });
        }
        var job = grains.GetGrain<IJobGrain>(id);
        var status = await job.GetStatusAsync();
        if (status.State == JobState.Pending && status.Spec is null)
        {
            return Results.NotFound(new { error = $"no job {id}" });
        }
        var workers = await job.GetWorkersAsync();
        return Results.Json(new { status, workers }, Json);
    }

    /// <summary>The loss curve the job kept so far (up to 4,096 points): read once by a page, which
    /// then follows the events, rather than with every refresh of the status.</summary>
    private static async Task<IResult> CurveAsync(string id, IGrainFactory grains) =>
        JobIds.Check(id) is { } bad
            ? Results.BadRequest(new { error = $"job id: {bad}" })
            : Results.Json(await grains.GetGrain<IJobGrain>(id).GetLossCurveAsync(), Json);

    /// <summary>The job's progress as server-sent events: the finished epochs first, then each step
    /// and epoch as it happens, then the end (the watch is the console's: bounded, steps coalesce).</summary>
    private static async Task EventsAsync(string id, IGrainFactory grains, HttpContext context)
    {
        if (JobIds.Check(id) is not null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var cancellation = context.RequestAborted;
        try
        {
            await foreach (var progress in grains.GetGrain<IJobGrain>(id).WatchAsync(cancellation).WithCancellation(cancellation))
            {
                await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(progress, Json)}\n\n", cancellation);
                await context.Response.Body.FlushAsync(cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The page went away.
        }
    }

    private static async Task<IResult> SilosAsync(IGrainFactory grains)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        return Results.Json(hosts.OrderBy(h => h.SiloAddress.ToString()).Select(h => new
        {
            address = h.SiloAddress.ToString(), name = h.SiloName, host = h.HostName, status = h.Status.ToString(), started = h.StartTime,
        }), Json);
    }
}
