using System.Security.Cryptography.X509Certificates;
using DistTrain.Dashboard;
using DistTrain.Silo;
using DistTrain.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A DistTrain silo: hosts job, parameter-server and worker grains, and serves the dashboard. See deploy/README.md.
var config = new ConfigurationManager();
SiloSettings settings;
X509Certificate2? tls;
try
{
    // Later sources win: appsettings.json beside the silo, then in the working folder, then
    // DISTTRAIN_* variables, then the command line. Keys are the settings' names (SiloPort, …).
    config.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile(Path.Combine(Environment.CurrentDirectory, "appsettings.json"), optional: true)
        .AddEnvironmentVariables("DISTTRAIN_").AddCommandLine(args, SiloSettings.Switches);
    settings = SiloSettings.From(config);
    PortCheck.ThrowIfTaken(settings);
    tls = settings.LoadTls();
}
catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or FileNotFoundException or InvalidDataException)
{
    // A bad setting stops the silo before it starts, in one line naming it (exit code 2, as the console's).
    Console.Error.WriteLine($"error: {e.Message.Split('\n')[0].Trim()}");
    return 2;
}

IHost host;
if (settings.Dashboard is { } dashboard)
{
    var web = WebApplication.CreateSlimBuilder();
    Configure(web, silo => web.AddDashboard(silo, dashboard));
    var app = web.Build();
    app.MapDashboard();
    app.Logger.LogInformation("Dashboard at {Url}", dashboard.Url);
    host = app;
}
else
{
    var plain = Host.CreateApplicationBuilder(); // --dashboard-port 0: no web server at all
    Configure(plain, _ => { });
    host = plain.Build();
}
try
{
    await host.RunAsync();
}
catch (Exception e) when (e is not OperationCanceledException)
{
    // A silo that cannot start (a port taken, Redis or the Kubernetes API unreachable) says so in one
    // line; the log above has the details.
    Console.Error.WriteLine($"error: the silo stopped: {e.Message.Split('\n')[0].Trim()}");
    return 1;
}
return 0;

void Configure(IHostApplicationBuilder builder, Action<Orleans.Hosting.ISiloBuilder> more)
{
    builder.Configuration.AddConfiguration(config);
    // A console's reachability probe opens the gateway and closes it: Orleans logs each close with a
    // stack trace at Information. Closes that matter come at Warning and above.
    builder.Logging.AddFilter("Orleans.Runtime.Messaging.Connection", LogLevel.Warning);
    builder.UseOrleans(silo =>
    {
        settings.ConfigureClustering(silo);
        SiloSettings.ConfigureTls(silo, tls);
        silo.AddDistTrain(settings.DataRoot, settings.Checkpoints, dataPlane => settings.ConfigureDataPlane(dataPlane, tls));
        more(silo);
    });
}
