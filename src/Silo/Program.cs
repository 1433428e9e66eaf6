using System.Security.Cryptography.X509Certificates;
using DistTrain.Silo;
using DistTrain.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A DistTrain silo: hosts job, parameter-server and worker grains. See deploy/README.md.
var builder = Host.CreateApplicationBuilder();
SiloSettings settings;
X509Certificate2? tls;
try
{
    builder.Configuration.AddEnvironmentVariables("DISTTRAIN_").AddCommandLine(args, SiloSettings.Switches);
    settings = SiloSettings.From(builder.Configuration);
    tls = settings.LoadTls();
}
catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or FileNotFoundException or InvalidDataException)
{
    // A bad setting stops the silo before it starts, in one line naming it (exit code 2, as the console's).
    Console.Error.WriteLine($"error: {e.Message.Split('\n')[0].Trim()}");
    return 2;
}
// A console's reachability probe opens the gateway and closes it: Orleans logs each close with a
// stack trace at Information. Closes that matter come at Warning and above.
builder.Logging.AddFilter("Orleans.Runtime.Messaging.Connection", LogLevel.Warning);

builder.UseOrleans(silo =>
{
    settings.ConfigureClustering(silo);
    SiloSettings.ConfigureTls(silo, tls);
    silo.AddDistTrain(settings.DataRoot, settings.Checkpoints, settings.ConfigureDataPlane);
});

await builder.Build().RunAsync();
return 0;
