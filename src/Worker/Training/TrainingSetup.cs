using DistTrain.Contracts.Messages;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;

namespace DistTrain.Worker.Training;

/// <summary>
/// A JobSpec turned into the core's types. Building it is also the validation: each failure names
/// the JobSpec field at fault, so the client can say exactly what to fix.
/// </summary>
public sealed record TrainingSetup(JobSpec Spec, NetworkSpec Network, ModelSpec Model, SgdOptions Sgd)
{
    /// <summary>More workers than this is a typo rather than a plan.</summary>
    public const int MaxWorkers = 256;

    /// <summary>Local steps between averaging rounds beyond this average too rarely to train well.</summary>
    public const int MaxSyncEvery = 1000;

    /// <summary>
    /// The weights (and each gradient) travel as one message per step; Orleans closes a connection
    /// over a 100 MB message. 16 M parameters (64 MB) keeps every payload well below that.
    /// </summary>
    public const int MaxParameters = 16 * 1024 * 1024;

    public static (TrainingSetup? Setup, string? Field, string? Error) TryCreate(JobSpec? spec)
    {
        if (spec is null)
        {
            return (null, "Spec", "is missing");
        }

        ActivationKind activation;
        try
        {
            activation = Activation.Parse(spec.Activation ?? "");
        }
        catch (FormatException e)
        {
            return Fail(nameof(JobSpec.Activation), e.Message);
        }

        LossKind loss;
        try
        {
            loss = ModelSpec.ParseLoss(spec.Loss ?? "");
        }
        catch (FormatException e)
        {
            return Fail(nameof(JobSpec.Loss), e.Message);
        }

        NetworkSpec network;
        try
        {
            network = NetworkSpec.Parse(spec.Network ?? "", activation);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            return Fail(nameof(JobSpec.Network), $"\"{spec.Network}\" is not a layer list like \"784-16-16-10\": {e.Message}");
        }

        long parameters = 0;
        for (var l = 0; l < network.LayerCount; l++)
        {
            parameters += (long)network.LayerSizes[l] * network.LayerSizes[l + 1] + network.LayerSizes[l + 1];
        }

        if (parameters > MaxParameters)
        {
            return Fail(nameof(JobSpec.Network), $"{spec.Network} has {parameters:N0} parameters; a job can ship at most {MaxParameters:N0} ({MaxParameters * 4 / (1024 * 1024)} MB) per message");
        }

        if (!float.IsFinite(spec.LearningRate) || spec.LearningRate <= 0)
        {
            return Fail(nameof(JobSpec.LearningRate), $"must be a positive number, not {spec.LearningRate}");
        }

        if (!float.IsFinite(spec.Momentum) || spec.Momentum is < 0 or >= 1)
        {
            return Fail(nameof(JobSpec.Momentum), $"must be in [0, 1), not {spec.Momentum}");
        }

        if (spec.Nesterov && spec.Momentum == 0)
        {
            return Fail(nameof(JobSpec.Nesterov), "needs a Momentum above 0");
        }

        if (!float.IsFinite(spec.WeightDecay) || spec.WeightDecay < 0)
        {
            return Fail(nameof(JobSpec.WeightDecay), $"must be 0 or more, not {spec.WeightDecay}");
        }

        if (spec.Epochs <= 0)
        {
            return Fail(nameof(JobSpec.Epochs), $"must be at least 1, not {spec.Epochs}");
        }

        if (spec.GlobalBatchSize <= 0)
        {
            return Fail(nameof(JobSpec.GlobalBatchSize), $"must be at least 1, not {spec.GlobalBatchSize}");
        }

        if (spec.Workers is <= 0 or > MaxWorkers)
        {
            return Fail(nameof(JobSpec.Workers), $"must be between 1 and {MaxWorkers}, not {spec.Workers}");
        }

        if (spec.Workers > spec.GlobalBatchSize)
        {
            return Fail(nameof(JobSpec.Workers), $"{spec.Workers} workers cannot share a global batch of {spec.GlobalBatchSize}");
        }

        if (spec.TrainLimit < 0)
        {
            return Fail(nameof(JobSpec.TrainLimit), $"must be 0 (all) or more, not {spec.TrainLimit}");
        }

        if (spec.TestLimit < 0)
        {
            return Fail(nameof(JobSpec.TestLimit), $"must be 0 (all) or more, not {spec.TestLimit}");
        }

        if (spec.MaxSteps < 0)
        {
            return Fail(nameof(JobSpec.MaxSteps), $"must be 0 (no limit) or more, not {spec.MaxSteps}");
        }

        if (spec.Wire is not ("fp32" or "bf16"))
        {
            return Fail(nameof(JobSpec.Wire), $"must be fp32 or bf16, not \"{spec.Wire}\"");
        }

        if (spec.SyncEvery is < 1 or > MaxSyncEvery)
        {
            return Fail(nameof(JobSpec.SyncEvery), $"must be from 1 (every step) to {MaxSyncEvery} local steps, not {spec.SyncEvery}");
        }

        var model = new ModelSpec(network, loss);
        var sgd = new SgdOptions(spec.LearningRate, spec.Momentum, spec.Nesterov, spec.WeightDecay);
        return (new TrainingSetup(spec, network, model, sgd), null, null);

        static (TrainingSetup?, string?, string?) Fail(string field, string error) => (null, field, error);
    }

    /// <summary>For code past validation (workers, parameter server): a bad spec is a bug there.</summary>
    public static TrainingSetup Create(JobSpec spec)
    {
        var (setup, field, error) = TryCreate(spec);
        return setup ?? throw new JobSpecException(field!, $"{field} {error}");
    }
}
