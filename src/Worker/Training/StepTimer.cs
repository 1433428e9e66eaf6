using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

/// <summary>Accumulates where each synchronous step's time goes (see <see cref="StepTimings"/>).</summary>
internal sealed class StepTimer
{
    private long _steps;
    private double _step, _compute, _slowest, _transport, _update, _updateCall;

    public void Add(IReadOnlyList<ShardGradient> shards, double fanOutSeconds, double stepSeconds, double updateSeconds)
    {
        var max = 0.0;
        var sum = 0.0;
        foreach (var shard in shards)
        {
            max = Math.Max(max, shard.ComputeSeconds);
            sum += shard.ComputeSeconds;
        }
        var mean = shards.Count == 0 ? 0 : sum / shards.Count;
        _steps++;
        _step += stepSeconds;
        _compute += mean;
        _slowest += max - mean;
        _transport += Math.Max(0, fanOutSeconds - max);
        _update += updateSeconds;
        _updateCall += Math.Max(0, stepSeconds - fanOutSeconds - updateSeconds);
    }

    public StepTimings Snapshot()
    {
        var perStep = _steps == 0 ? 0 : 1000.0 / _steps;
        return new StepTimings
        {
            Steps = _steps,
            StepMs = _step * perStep,
            WorkerComputeMs = _compute * perStep,
            SlowestWorkerWaitMs = _slowest * perStep,
            TransportMs = _transport * perStep,
            UpdateMs = _update * perStep,
            UpdateCallMs = _updateCall * perStep,
        };
    }
}
