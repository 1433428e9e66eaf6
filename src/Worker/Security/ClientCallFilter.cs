using DistTrain.Contracts.Grains;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace DistTrain.Worker.Security;

/// <summary>
/// What a client connection may call: the interfaces and methods marked
/// <see cref="ClientCallableAttribute"/> (the console's surface: submit, status, watch, cancel, the
/// final weights and the workers' places on <see cref="IJobGrain"/>, and the list of jobs), nothing
/// else. Workers, worker groups, parameter-server slices (their gradients, updates and restores), the
/// job registry's writes and Orleans' own grains (the management grain, which can deactivate every
/// grain or force collections; the development membership table, which can declare a silo dead) are
/// for the cluster itself: a client that calls them gets <see cref="UnauthorizedAccessException"/>
/// before the grain runs, and the silo logs the refusal.
/// </summary>
/// <remarks>
/// The Orleans extension a watch streams through passes, on the job grain. The silo's own hosted
/// client, through which the dashboards running in the silo process call grains, is not a remote
/// client. Of the system targets, a client may call only the cluster manifest's (and a test
/// cluster's test hooks).
/// </remarks>
public sealed class ClientCallFilter(ILogger<ClientCallFilter> logger) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.SourceId is { } source && IsRemoteClient(source)
            && context.InterfaceMethod is { DeclaringType: { } interfaceType } method && !ClientMayCall(context.TargetId, method, context.TargetContext?.GrainInstance))
        {
            logger.LogWarning("Refused {Interface}.{Method} on {Target} from client {Client}: clients may not call it",
                interfaceType.FullName, context.MethodName, context.TargetId, source);
            throw new UnauthorizedAccessException(
                $"{interfaceType.Name}.{context.MethodName} is for grains inside the cluster; a client may not call it.");
        }
        return context.Invoke();
    }

    /// <summary>A client that connected through a gateway; not a silo's hosted client, whose key
    /// Orleans makes "hosted-{silo}".</summary>
    private static bool IsRemoteClient(GrainId source) =>
        GrainTypePrefix.IsClient(source) && !source.Key.AsSpan().StartsWith("hosted-"u8);

    /// <summary>The one system target a client needs: the cluster manifest it fetches as it connects.
    /// (System targets do pass through grain call filters in Orleans 10; the development membership
    /// table and silo control are among them.)</summary>
    private static readonly GrainType ManifestProvider = GrainType.Create("sys.svc.manifest");

    /// <summary>The test hooks a test cluster's client asks while the cluster starts. Only Orleans'
    /// TestingHost registers this target, so on a real silo allowing it opens nothing.</summary>
    private static readonly GrainType TestHooks = GrainType.Create("sys.svc.test.hooks");

    private static bool ClientMayCall(GrainId target, System.Reflection.MethodInfo method, object? grain) =>
        target.Type.Equals(ManifestProvider) || target.Type.Equals(TestHooks)
        || method.IsDefined(typeof(ClientCallableAttribute), inherit: false)
        || method.DeclaringType!.IsDefined(typeof(ClientCallableAttribute), inherit: false)
        // The Orleans extension a watch streams through, on the job grain; not the others (such as
        // the one that deactivates or migrates a grain).
        || (method.DeclaringType == typeof(IAsyncEnumerableGrainExtension) && grain is Grains.JobGrain);
}
