using DistTrain.Worker.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;

namespace DistTrain.Dashboard;

/// <summary>
/// Puts the dashboard into a silo's web host: DistTrain's pages and API (<see cref="DashboardEndpoints"/>),
/// the Orleans Dashboard under <c>/orleans</c>, and OpenTelemetry metrics (ours and Orleans') for
/// Prometheus at <c>/metrics</c>. The silo host, the console's embedded silo and the tests call these two.
/// </summary>
public static class DashboardHosting
{
    /// <summary>Kestrel on <paramref name="options"/>' address and port, the Orleans Dashboard's
    /// services on <paramref name="silo"/>, and the metrics pipeline.</summary>
    public static void AddDashboard(this WebApplicationBuilder builder, ISiloBuilder silo, DashboardOptions options)
    {
        builder.WebHost.UseKestrel(k => k.Listen(options.Address, options.Port));
        silo.AddDashboard();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(TrainingMetrics.MeterName, "Microsoft.Orleans")
            .AddPrometheusExporter());
    }

    public static void MapDashboard(this WebApplication app)
    {
        app.MapOrleansDashboard("/orleans");
        app.MapPrometheusScrapingEndpoint("/metrics");
        DashboardEndpoints.Map(app);
    }
}
