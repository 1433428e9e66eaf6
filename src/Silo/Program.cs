using DistTrain.Silo;
using DistTrain.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A DistTrain silo: hosts job, parameter-server and worker grains. See deploy/README.md.
var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddEnvironmentVariables("DISTTRAIN_").AddCommandLine(args, SiloSettings.Switches);
var settings = SiloSettings.From(builder.Configuration);
// A console's reachability probe opens the gateway and closes it: Orleans logs each close with a
// stack trace at Information. Closes that matter come at Warning and above.
builder.Logging.AddFilter("Orleans.Runtime.Messaging.Connection", LogLevel.Warning);

builder.UseOrleans(silo =>
{
    settings.ConfigureClustering(silo);
    settings.ConfigureTls(silo);
    silo.AddDistTrain(settings.DataRoot, settings.Checkpoints, settings.ConfigureDataPlane);
});

await builder.Build().RunAsync();
