using DistTrain.Silo;
using DistTrain.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// A DistTrain silo: hosts job, parameter-server and worker grains. See deploy/README.md.
var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddEnvironmentVariables("DISTTRAIN_").AddCommandLine(args, SiloSettings.Switches);
var settings = SiloSettings.From(builder.Configuration);

builder.UseOrleans(silo =>
{
    settings.ConfigureClustering(silo);
    silo.AddDistTrain(settings.DataRoot, settings.Checkpoints, settings.ConfigureDataPlane);
});

await builder.Build().RunAsync();
