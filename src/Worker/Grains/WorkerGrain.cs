using System.Numerics.Tensors;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Core.Data;
using DistTrain.Core.Training;
using DistTrain.Worker.Data;
using DistTrain.Worker.Training;
using Orleans.Placement;

namespace DistTrain.Worker.Grains;

/// <summary>
/// One data-parallel worker: a model replica over the silo's cached copy of the dataset.
/// Each step it computes the mean gradient over its slice of the global minibatch.
/// </summary>
/// <remarks>Created by its silo's worker group, and placed beside it (the caller's silo): the
/// group hands it the weights and takes its gradient by reference.</remarks>
[PreferLocalPlacement]
public sealed class WorkerGrain(DatasetCache datasets) : Grain, IWorkerGrain
{
    private WorkerSetup? _setup;
    private TrainingSetup? _training;
    private LoadedDataset? _data;
    private Dataset? _test;
    private ModelReplica? _replica;
    private int _trainCount;
    private int[] _order = [];
    private int _orderEpoch = -1;

    // The last answer, returned again if the same step is asked for twice (a retry after a timeout).
    private ShardGradient? _last;

    /// <summary>Steps shorter than this run in the grain's turn; the first step always goes to the pool.</summary>
    private const double InlineComputeSeconds = 0.02;
    private double _lastComputeSeconds = double.PositiveInfinity;
    private float[]? _gradient;
    private float[]? _local; // a round's local weights (local SGD)

    public async Task<WorkerInfo> InitializeAsync(WorkerSetup setup)
    {
        if (_setup is not null && _setup == setup)
        {
            return Info();
        }

        var training = TrainingSetup.Create(setup.Spec);
        var (path, error) = datasets.Resolve(setup.Spec.Dataset);
        if (path is null)
        {
            throw new JobSpecException(nameof(JobSpec.Dataset), $"Dataset \"{setup.Spec.Dataset}\": {error}");
        }

        LoadedDataset data;
        try
        {
            data = await datasets.AcquireAsync(path);
        }
        catch (DatasetException e)
        {
            // Core's exception has no Orleans codec (Core knows nothing of Orleans): crossing to a job
            // on another silo it arrived as "Could not find a codec", not as what is wrong with the file.
            throw new JobSpecException(nameof(JobSpec.Dataset), $"Dataset \"{setup.Spec.Dataset}\": {e.Message}");
        }
        var spec = setup.Spec;
        try
        {
            if (spec.TrainLimit > data.Train.Count)
            {
                throw new JobSpecException(nameof(JobSpec.TrainLimit),
                    $"TrainLimit {spec.TrainLimit} exceeds the {data.Train.Count} training samples of {spec.Dataset}");
            }
            training.Model.ValidateFor(data.Train);
        }
        catch (ArgumentException e) when (e is not JobSpecException)
        {
            DatasetCache.Release(path);
            throw new JobSpecException(nameof(JobSpec.Network), $"Network {spec.Network} does not fit {spec.Dataset}: {e.Message}");
        }
        catch
        {
            DatasetCache.Release(path);
            throw; // keeps its stack trace
        }
        ReleaseDataset(); // a worker set up again (another job's shard) lets go of its old data

        _setup = setup;
        _training = training;
        _data = data;
        _trainCount = spec.TrainLimit > 0 ? spec.TrainLimit : data.Train.Count;
        _test = spec.TestLimit > 0 && spec.TestLimit < data.Test.Count ? data.Test.Take(spec.TestLimit) : data.Test;
        _order = new int[_trainCount];
        _orderEpoch = -1;
        _last = null;
        _replica = new ModelReplica(training.Model);
        return Info();
    }

    public async Task<ShardGradient> ComputeGradientAsync(StepRequest request)
    {
        if (_setup is null || _training is null || _data is null || _replica is null)
        {
            throw new WorkerStateLostException($"Worker {this.GetPrimaryKeyString()} was not initialized (was its silo restarted?)");
        }

        if (_last is { } last && last.GlobalStep == request.GlobalStep)
        {
            return last;
        }

        if (RefusalOf(request) is { } refusal)
        {
            throw new ArgumentException($"Worker {this.GetPrimaryKeyString()} refused step {request.GlobalStep}: {refusal}");
        }

        var spec = _setup.Spec;
        if (_orderEpoch != request.Epoch)
        {
            // Every worker derives the same permutation from (seed, epoch): no coordination needed.
            EpochOrder.Fill(spec.Seed, request.Epoch, _order);
            _orderEpoch = request.Epoch;
        }

        // One gradient buffer, rewritten every step (the rule is StepBuffers'): the group has combined
        // it, or the parameter server read it, before the job asks for step t+1.
        if (_gradient is null || _gradient.Length != request.Weights.Length)
        {
            _gradient = GC.AllocateUninitializedArray<float>(request.Weights.Length);
        }
        var weights = request.Weights.ReadOnlyArray();

        // A step that took under 20 ms last time runs in the grain's turn: a thread hop costs tens of
        // microseconds, a large share of a sub-millisecond step. A longer one runs in Task.Run, where
        // the hop is negligible and the turn stays short, as Orleans expects.
        // Nothing else touches this grain's fields meanwhile: the grain is not reentrant.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (count, loss) = _lastComputeSeconds < InlineComputeSeconds
            ? Compute(request, weights)
            : await Task.Run(() => Compute(request, weights));
        var seconds = clock.Elapsed.TotalSeconds;
        _lastComputeSeconds = seconds;

        return _last = new ShardGradient
        {
            Shard = _setup.Shard,
            GlobalStep = request.GlobalStep,
            SampleCount = count,
            Loss = loss,
            Gradient = count == 0 ? FloatBlock.Empty : FloatBlock.Own(_gradient),
            ComputeSeconds = seconds,
        };
    }

    /// <summary>Why a step request cannot belong to this worker's job (null when it can): weights of
    /// another length than the network's parameters, or an epoch, batch or round its data does not have.
    /// Checked before any of it is used, so a bad request costs an error, not a read out of range.</summary>
    private string? RefusalOf(StepRequest request)
    {
        var spec = _setup!.Spec;
        var parameters = _training!.Network.ParameterCount;
        var batches = BatchPlan.StepsPerEpoch(_trainCount, spec.GlobalBatchSize);
        if (request.Weights.Length != parameters)
        {
            return $"its weights hold {request.Weights.Length:N0} values for a network of {parameters:N0} parameters";
        }
        if (request.Epoch < 1 || request.Epoch > spec.Epochs)
        {
            return $"epoch {request.Epoch} is not one of the job's epochs 1–{spec.Epochs}";
        }
        if (request.LocalSteps < 1 || request.LocalSteps > TrainingSetup.MaxSyncEvery)
        {
            return $"{request.LocalSteps} local steps is outside 1–{TrainingSetup.MaxSyncEvery}";
        }
        if (request.StepInEpoch < 0 || request.StepInEpoch > batches - request.LocalSteps)
        {
            return $"batches {request.StepInEpoch}–{(long)request.StepInEpoch + request.LocalSteps - 1} are not all among the epoch's {batches} batches";
        }
        return null;
    }

    /// <summary>
    /// This worker's shard of batch StepInEpoch (the core's plan: batch b of the epoch, cut
    /// contiguously into ⌈m/K⌉-row shards, as the local trainer cuts it over its cores): its mean
    /// gradient at <paramref name="weights"/>. With H local steps, H plain-SGD steps on its shards of
    /// H consecutive batches, and the pseudo-gradient (w − w_H) / η, which the parameter server
    /// averages as a gradient: with plain SGD there, the average of the workers' models. Returns the
    /// rows used and their mean loss.
    /// </summary>
    private (int Count, float Loss) Compute(StepRequest request, float[] weights)
    {
        var spec = _setup!.Spec;
        var steps = Math.Max(1, request.LocalSteps);
        var rows = 0;
        double lossSum = 0;
        var parameters = weights;
        if (steps > 1)
        {
            _local ??= GC.AllocateUninitializedArray<float>(weights.Length);
            weights.CopyTo(_local, 0);
            parameters = _local;
        }
        for (var i = 0; i < steps; i++)
        {
            var (batchStart, batchLength) = BatchPlan.Batch(_trainCount, spec.GlobalBatchSize, request.StepInEpoch + i);
            var (shardStart, count) = BatchPlan.Shard(batchLength, _setup.Shard, _setup.ShardCount);
            if (count == 0)
            {
                continue;
            }
            var loss = _replica!.ComputeGradient(parameters, _data!.Train, _order.AsSpan(batchStart + shardStart, count), _gradient!);
            rows += count;
            lossSum += (double)loss * count;
            if (steps > 1)
            {
                TensorPrimitives.MultiplyAdd(_gradient!, -spec.LearningRate, parameters, parameters); // w ← w − η·g
            }
        }
        if (steps > 1)
        {
            TensorPrimitives.Subtract(weights, parameters, _gradient!);
            TensorPrimitives.Multiply(_gradient!, 1f / spec.LearningRate, _gradient!);
        }
        return (rows, rows == 0 ? 0f : (float)(lossSum / rows));
    }

    public async Task<Evaluation> EvaluateAsync(WeightsSnapshot weights)
    {
        if (_training is null || _test is null || _setup is null)
        {
            throw new WorkerStateLostException($"Worker {this.GetPrimaryKeyString()} was not initialized");
        }

        // Each worker takes its contiguous slice of the test set, cut as batches are.
        var (first, count) = BatchPlan.Shard(_test.Count, _setup.Shard, _setup.ShardCount);
        var network = _training.Network;
        var test = _test;
        if (weights.Weights.Length != network.ParameterCount)
        {
            throw new ArgumentException($"Worker {this.GetPrimaryKeyString()} refused to evaluate weights of {weights.Weights.Length:N0} values for a network of {network.ParameterCount:N0} parameters");
        }
        var parameters = weights.Weights.ReadOnlyArray();
        var result = await Task.Run(() =>
        {
            using var _ = DistTrain.Core.Kernels.SingleCoreScope.Begin(); // the other workers use the other cores
            return Evaluator.Evaluate(network, parameters, test, first, count);
        });
        return new Evaluation { Version = weights.Version, Accuracy = result.Accuracy, Count = count, Correct = result.Correct };
    }

    public Task ReleaseAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ReleaseDataset();
        return Task.CompletedTask;
    }

    private void ReleaseDataset()
    {
        if (_data is { } data)
        {
            DatasetCache.Release(data.Path);
            _data = null;
        }
    }

    private WorkerInfo Info() => new()
    {
        Shard = _setup!.Shard,
        Silo = RuntimeIdentity,
        TrainCount = _trainCount,
        TestCount = _test?.Count ?? 0,
    };
}
