using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>
/// Sends a worker grain step requests from inside the cluster, as its group does (a client may
/// not): the worker is set up for a job, then handed requests that cannot belong to it.
/// </summary>
[ClientCallable] // the test drives it; it makes the cluster-internal calls
public interface IStepProbeGrain : IGrainWithStringKey
{
    /// <summary>Each request's outcome: the refusal's message, or "accepted".</summary>
    Task<string[]> SendAsync(string workerKey, WorkerSetup setup, StepRequest[] requests);
}

public sealed class StepProbeGrain : Grain, IStepProbeGrain
{
    public async Task<string[]> SendAsync(string workerKey, WorkerSetup setup, StepRequest[] requests)
    {
        var worker = GrainFactory.GetGrain<IWorkerGrain>(workerKey);
        await worker.InitializeAsync(setup);
        var outcomes = new List<string>();
        foreach (var request in requests)
        {
            try
            {
                await worker.ComputeGradientAsync(request);
                outcomes.Add("accepted");
            }
            catch (ArgumentException e)
            {
                outcomes.Add(e.Message);
            }
        }
        try
        {
            await worker.EvaluateAsync(new WeightsSnapshot { Version = 1, Weights = FloatBlock.Own(new float[3]) });
            outcomes.Add("accepted");
        }
        catch (ArgumentException e)
        {
            outcomes.Add(e.Message);
        }
        await worker.ReleaseAsync();
        return outcomes.ToArray();
    }
}
