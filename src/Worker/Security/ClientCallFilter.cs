using DistTrain.Contracts.Grains;
using Orleans.Runtime;

namespace DistTrain.Worker.Security;

/// <summary>
/// What a client connection may call: the console's surface (submit, status, watch, cancel, the
/// final weights and the workers' places on <see cref="IJobGrain"/>, and the list of jobs), nothing
/// else of ours. Workers, worker groups, parameter-server slices (their gradients, updates and
/// restores) and the job registry's writes are for grains inside the cluster: a client that calls
/// them gets <see cref="UnauthorizedAccessException"/> before the grain runs.
/// </summary>
/// <remarks>Orleans' own system targets and extensions (streaming a WatchAsync, say) are not ours to
/// filter and pass through.</remarks>
public sealed class ClientCallFilter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.SourceId is { } source && GrainTypePrefix.IsClient(source)
            && context.InterfaceMethod?.DeclaringType is { } interfaceType && !ClientMayCall(interfaceType, context.MethodName))
        {
            throw new UnauthorizedAccessException(
                $"{interfaceType.Name}.{context.MethodName} is for grains inside the cluster; a client may not call it.");
        }
        return context.Invoke();
    }

    private static bool ClientMayCall(Type interfaceType, string method) =>
        interfaceType.Namespace != typeof(IJobGrain).Namespace
        || interfaceType == typeof(IJobGrain)
        || (interfaceType == typeof(IJobRegistryGrain) && method == nameof(IJobRegistryGrain.ListAsync));
}
