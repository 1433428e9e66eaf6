using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>
/// Calls a parameter-server slice from inside the cluster, as a job grain does (a client may not),
/// playing two job activations: the newer sets the slice up, the older then tries every request.
/// </summary>
[DistTrain.Contracts.Grains.ClientCallable] // the test drives it; it makes the cluster-internal calls
public interface IFenceProbeGrain : IGrainWithStringKey
{
    /// <summary>Each older request's outcome: the refusal's message, or "accepted".</summary>
    Task<string[]> OlderActivationTriesAsync(string sliceKey, SliceSetup setup, long older, long newer);
}

public sealed class FenceProbeGrain : Grain, IFenceProbeGrain
{
    public async Task<string[]> OlderActivationTriesAsync(string sliceKey, SliceSetup setup, long older, long newer)
    {
        var slice = GrainFactory.GetGrain<IParameterServerGrain>(sliceKey);
        await slice.InitializeAsync(setup with { Generation = older });
        await slice.InitializeAsync(setup with { Generation = newer });
        var checkpoint = await slice.GetCheckpointAsync();
        var requests = new Func<Task>[]
        {
            () => slice.ApplyAsync(new SliceStep { GlobalStep = 0, Generation = older }),
            () => slice.RunAsync(new SliceRun { FirstStep = 0, Steps = 1, Generation = older }),
            () => slice.InitializeAsync(setup with { Generation = older }),
            () => slice.RestoreAsync(setup with { Generation = older }, checkpoint),
        };
        var outcomes = new List<string>();
        foreach (var request in requests)
        {
            try
            {
                await request();
                outcomes.Add("accepted");
            }
            catch (StaleActivationException e)
            {
                outcomes.Add(e.Message);
            }
        }
        // The newer activation's state is untouched: still version 0, the same weights.
        var after = await slice.GetCheckpointAsync();
        outcomes.Add(after.Version == checkpoint.Version && after.Weights.Span.SequenceEqual(checkpoint.Weights.Span) ? "unchanged" : "changed");
        return outcomes.ToArray();
    }
}
