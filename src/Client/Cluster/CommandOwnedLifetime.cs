using Microsoft.Extensions.Hosting;

namespace DistTrain.Client.Cluster;

/// <summary>
/// The lifetime of a host that lives inside one console command (an Orleans client, an embedded
/// silo): started and stopped by the command, never by signals. The default, ConsoleLifetime,
/// would take Ctrl-C for itself and only flag the host as stopping, so `train` trained on.
/// </summary>
internal sealed class CommandOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
