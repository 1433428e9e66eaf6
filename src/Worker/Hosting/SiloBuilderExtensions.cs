using DistTrain.Worker.Checkpoints;
using DistTrain.Worker.DataPlane;
using DistTrain.Worker.Data;
using DistTrain.Worker.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;

namespace DistTrain.Worker.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>
    /// Everything a silo needs to host DistTrain grains: the dataset cache, the shard placement, the
    /// data plane (<paramref name="dataPlane"/> sets its listener and transport), and the checkpoint
    /// store (off unless <paramref name="checkpoints"/> names a folder that every silo shares). The
    /// silo host, the embedded cluster and the test cluster all call this one method.
    /// </summary>
    public static ISiloBuilder AddDistTrain(this ISiloBuilder builder, string? dataRoot = null, string? checkpoints = null,
        Action<DataPlaneOptions>? dataPlane = null)
    {
        builder.Services.Configure<DataPlaneOptions>(o => dataPlane?.Invoke(o));
        builder.Services.AddSingleton<DataPlaneService>();
        builder.Services.Configure<CheckpointOptions>(o => o.Directory = string.IsNullOrWhiteSpace(checkpoints) ? null : Path.GetFullPath(checkpoints));
        builder.Services.AddSingleton<CheckpointStore>();
        builder.Services.Configure<DataOptions>(o =>
        {
            if (!string.IsNullOrWhiteSpace(dataRoot))
            {
                o.DataRoot = Path.GetFullPath(dataRoot);
            }
        });
        builder.Services.AddSingleton<DatasetCache>();
        builder.Services.AddOptions<Training.StepDeadlineOptions>();
        builder.Services.AddSingleton<Training.MembershipPrimary>();
        builder.AddPlacementDirector<ShardSpreadPlacement, ShardSpreadPlacementDirector>();
        builder.AddIncomingGrainCallFilter<Security.ClientCallFilter>();
        // Orleans' default directory deactivates every activation whose entry lived in a dead silo's
        // partition, wherever that activation runs: a silo that held nothing of a job took the job's
        // groups on other silos down with it, and the job rolled back an epoch. The distributed
        // directory hands a dead silo's ranges over by asking the live silos what they host.
#pragma warning disable ORLEANSEXP003 // evaluated here; see the README's failure model
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        builder.AddGrainDirectory(SiloLocalDirectory.Name, (_, _) => new SiloLocalDirectory());
        return builder;
    }
}
