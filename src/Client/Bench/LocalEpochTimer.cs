using System.Diagnostics;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;

namespace DistTrain.Client.Bench;

/// <summary>
/// A warmed-up single-process trainer whose epochs are timed one at a time, so that `bench --workers`
/// can alternate them with epochs over worker grains: this machine's speed drifts by tens of percent
/// within a minute, and only epochs measured side by side give a ratio that means something.
/// </summary>
internal sealed class LocalEpochTimer : IDisposable
{
    private readonly NetworkSpec _spec;
    private readonly int _batch;
    private readonly LocalTrainer _trainer;
    private readonly int _trainCount;
    private int _epoch;

    public LocalEpochTimer(NetworkSpec spec, int batch, int threads, Dataset train)
    {
        _spec = spec;
        _batch = batch;
        _trainCount = train.Count;
        var options = new TrainingOptions(new ModelSpec(spec), new SgdOptions(0.1f), Epochs: 1, batch, Seed: 1, Threads: threads);
        var initial = ParameterInit.Initialize(spec, options.Seed);
        _trainer = new LocalTrainer(options, train, (float[])initial.Clone());
        // Warm-up (JIT, buffers, caches), then an epoch that counts allocations, before anything
        // else (an embedded silo, a cluster client) allocates in this process; then start again
        // from the initial parameters.
        _trainer.RunEpoch(10_000);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        _trainer.RunEpoch(10_001);
        AllocatedBytesPerStep = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / _trainer.StepsPerEpoch;
        initial.CopyTo(_trainer.Parameters, 0);
    }

    /// <summary>Bytes allocated per training step in steady state, averaged over a whole epoch.</summary>
    public double AllocatedBytesPerStep { get; }

    /// <summary>Trains the next epoch; returns its wall time in seconds.</summary>
    public double TimeEpoch()
    {
        var watch = Stopwatch.StartNew();
        _trainer.RunEpoch(++_epoch);
        return watch.Elapsed.TotalSeconds;
    }

    public BenchResult Result(IReadOnlyList<double> epochSeconds, Dataset test)
    {
        var median = MlpBenchmark.Median(epochSeconds);
        var samplesPerSecond = _trainCount / median;
        var accuracy = Evaluator.Accuracy(_spec, _trainer.Parameters, test);
        return new BenchResult(_spec.ToString(), _batch, _trainer.Threads, samplesPerSecond,
            MlpBenchmark.FlopsPerSample(_spec) * samplesPerSecond / 1e9, AllocatedBytesPerStep, median, epochSeconds.Count, accuracy);
    }

    public void Dispose() => _trainer.Dispose();
}
