using System.Diagnostics;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;

namespace DistTrain.Core.Training;

/// <summary>
/// Single-process data-parallel SGD: every global minibatch is split over one model replica per
/// core, the shard gradients are averaged by sample count and SGD updates the one flat parameter
/// vector. The same plan as the cluster's workers, so both give the same parameters.
/// Deterministic for a given seed and thread count.
/// </summary>
public sealed class LocalTrainer : IDisposable
{
    private readonly Dataset _train;
    private readonly ModelReplica[] _replicas;
    private readonly float[][] _shardGradients;
    private readonly float[] _losses;
    private readonly int[] _counts;
    private readonly GradientTerm[] _terms;
    private readonly int[] _groupEnds;
    private int _termCount;
    private readonly float[] _gradient;
    private readonly int[] _order;
    private readonly WorkerTeam _team;
    private readonly Action<int> _computeShard;
    private readonly Action<int> _combineAndUpdate;
    private int[] _batch = [];
    private int _batchLength;

    public LocalTrainer(TrainingOptions options, Dataset train, float[]? initialParameters = null)
    {
        options.Validate();
        options.Model.ValidateFor(train);
        Options = options;
        _train = train;
        var spec = options.Model.Network;
        Parameters = initialParameters ?? ParameterInit.Initialize(spec, options.Seed);
        if (Parameters.Length != spec.ParameterCount)
        {
            throw new ArgumentException($"The initial parameters hold {Parameters.Length} values; network {spec} has {spec.ParameterCount}.");
        }
        Optimizer = new SgdOptimizer(options.Sgd, spec.ParameterCount);
        var threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
        threads = Math.Max(1, Math.Min(threads, options.BatchSize));
        _replicas = Enumerable.Range(0, threads).Select(_ => new ModelReplica(options.Model)).ToArray();
        _shardGradients = Enumerable.Range(0, threads).Select(_ => new float[spec.ParameterCount]).ToArray();
        _gradient = threads == 1 ? _shardGradients[0] : new float[spec.ParameterCount];
        _losses = new float[threads];
        _counts = new int[threads];
        _terms = new GradientTerm[threads];
        _groupEnds = new int[Math.Min(options.ReductionGroups, threads)];
        _order = new int[train.Count];
        _team = new WorkerTeam(threads);
        _computeShard = ComputeShard;
        _combineAndUpdate = CombineAndUpdate;
    }

    public TrainingOptions Options { get; }

    /// <summary>The flat parameter vector being trained (updated in place every step).</summary>
    public float[] Parameters { get; }

    public SgdOptimizer Optimizer { get; }

    public int Threads => _replicas.Length;

    public int StepsPerEpoch => BatchPlan.StepsPerEpoch(_train.Count, Options.BatchSize);

    /// <summary>Trains for the configured epochs (or until <see cref="TrainingOptions.MaxSteps"/>),
    /// evaluating on <paramref name="test"/> after each.</summary>
    public TrainingResult Train(Dataset? test = null, Action<StepProgress>? onStep = null, Action<EpochResult>? onEpoch = null,
        CancellationToken cancellation = default)
    {
        var steps = new LocalSteps(this, test, onStep, onEpoch);
        var total = (long)Options.Epochs * StepsPerEpoch;
        var schedule = new EpochSchedule(Options.Epochs, StepsPerEpoch, Options.MaxSteps > 0 ? Math.Min(total, Options.MaxSteps) : total);
        WaitSynchronously(EpochDriver.RunAsync(steps, schedule, finishedEpochs: 0, firstStep: 0, cancellation));
        return new TrainingResult(steps.Epochs, Parameters);
    }

    private LocalSteps? _quietSteps;

    /// <summary>One epoch in the order given by (seed, epoch); returns the mean training loss.</summary>
    public double RunEpoch(int epoch, Action<StepProgress>? onStep = null, CancellationToken cancellation = default)
    {
        var totals = new EpochTotals();
        var steps = onStep is null ? _quietSteps ??= new LocalSteps(this, null, null, null) : new LocalSteps(this, null, onStep, null);
        WaitSynchronously(EpochDriver.RunEpochAsync(steps, new EpochSchedule(epoch, StepsPerEpoch, StepsPerEpoch), epoch, step: 0, totals, cancellation));
        return totals.MeanLoss;
    }

    // Every step here completes synchronously, so the driver's ValueTasks are done when they return
    // (and cost nothing); waiting on them is only a fallback.
    private static void WaitSynchronously(ValueTask run)
    {
        if (run.IsCompleted)
        {
            run.GetAwaiter().GetResult();
        }
        else
        {
            run.AsTask().GetAwaiter().GetResult();
        }
    }

    private static void WaitSynchronously<T>(ValueTask<T> run)
    {
        if (run.IsCompleted)
        {
            run.GetAwaiter().GetResult();
        }
        else
        {
            run.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The driver's steps in this process: one <see cref="Step"/> each, on the epoch's order.</summary>
    private sealed class LocalSteps(LocalTrainer trainer, Dataset? test, Action<StepProgress>? onStep, Action<EpochResult>? onEpoch) : IEpochSteps
    {
        private List<EpochResult>? _epochs;

        public IReadOnlyList<EpochResult> Epochs => _epochs ?? [];

        public void BeginEpoch(int epoch) => EpochOrder.Fill(trainer.Options.Seed, epoch, trainer._order);

        public ValueTask<int> RunAsync(int epoch, int stepInEpoch, long step, int h, int left, EpochTotals totals, CancellationToken cancellation)
        {
            var (first, length) = BatchPlan.Batch(trainer._train.Count, trainer.Options.BatchSize, stepInEpoch);
            totals.Add(epoch, stepInEpoch, trainer.Step(trainer._order.AsSpan(first, length)), length);
            return ValueTask.FromResult(1);
        }

        public void OnSteps(int epoch, long step, int stepInEpoch, EpochTotals totals, double seconds, bool endOfEpoch) =>
            onStep?.Invoke(new StepProgress(epoch, stepInEpoch, trainer.StepsPerEpoch, (float)totals.LastLoss, totals.Samples / Math.Max(seconds, 1e-9)));

        public ValueTask EndEpochAsync(int epoch, EpochTotals totals, double trainingSeconds, CancellationToken cancellation)
        {
            var accuracy = test is null ? double.NaN : Evaluator.Accuracy(trainer.Options.Model.Network, trainer.Parameters, test);
            var result = new EpochResult(epoch, totals.MeanLoss, accuracy, trainingSeconds, totals.Samples / trainingSeconds);
            (_epochs ??= []).Add(result);
            onEpoch?.Invoke(result);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>One SGD step on the samples <paramref name="batch"/>; returns the batch's mean loss.</summary>
    public float Step(ReadOnlySpan<int> batch)
    {
        if (_batch.Length < batch.Length)
        {
            _batch = new int[batch.Length];
        }
        batch.CopyTo(_batch);
        _batchLength = batch.Length;
        if (_replicas.Length == 1)
        {
            ComputeShard(0);
            Optimizer.Step(Parameters, _gradient);
        }
        else if (Options.Sgd.ClipNorm is null)
        {
            // Both phases on every core: no serial section for one core to do while the others wait.
            _team.Run(_computeShard);
            ArrangeTerms();
            _team.Run(_combineAndUpdate);
            Optimizer.CompleteStep();
        }
        else
        {
            _team.Run(_computeShard);
            ArrangeTerms();
            GradientAverage.CombineGroups(_terms.AsSpan(0, _termCount), _groupEnds, _gradient, 0);
            Optimizer.Step(Parameters, _gradient); // clipping needs the whole gradient's norm
        }
        var loss = 0f;
        for (var k = 0; k < _replicas.Length; k++)
        {
            loss += _losses[k] * _counts[k];
        }
        return loss / batch.Length;
    }

    private void ComputeShard(int shard)
    {
        var (start, length) = BatchPlan.Shard(_batchLength, shard, _replicas.Length);
        _counts[shard] = length;
        _losses[shard] = _replicas[shard].ComputeGradient(Parameters, _train, _batch.AsSpan(start, length), _shardGradients[shard]);
    }

    private void ArrangeTerms() =>
        _termCount = ReductionGroups.Arrange(_shardGradients, _counts, _groupEnds.Length, _terms, _groupEnds);

    /// <summary>Averages one range of the shard gradients and applies SGD to that range.</summary>
    private void CombineAndUpdate(int part)
    {
        var (start, length) = BatchPlan.VectorPart(Parameters.Length, part, _replicas.Length);
        if (length == 0)
        {
            return;
        }
        var parameters = Parameters.AsSpan(start, length);
        Optimizer.StepRangeFromGroups(_terms.AsSpan(0, _termCount), _groupEnds, parameters, parameters, _gradient.AsSpan(start, length), start);
    }

    public void Dispose() => _team.Dispose();
}
