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
    public const int MaxParameters = DistTrain.Contracts.Payloads.FloatBlock.MaxLength;

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

        if (network.ParameterCount > MaxParameters)
        {
            return Fail(nameof(JobSpec.Network), $"{spec.Network} has {network.ParameterCount:N0} parameters; a job can ship at most {MaxParameters:N0} ({MaxParameters * 4 / (1024 * 1024)} MB) per message");
        }

        // What the local trainer accepts, checked by the core's own rules (one set of rules for
        // both); its parameter names are the spec's field names but for the batch size.
        var sgd = new SgdOptions(spec.LearningRate, spec.Momentum, spec.Nesterov, spec.WeightDecay);
        var model = new ModelSpec(network, loss);
        var options = new TrainingOptions(model, sgd, spec.Epochs, spec.GlobalBatchSize, spec.Seed) { MaxSteps = spec.MaxSteps };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            var field = e.ParamName == nameof(TrainingOptions.BatchSize) ? nameof(JobSpec.GlobalBatchSize) : e.ParamName ?? "Spec";
            return Fail(field, e.Message.Split(" (Parameter")[0]);
        }

        if (spec.Workers is <= 0 or > MaxWorkers)
        {
            return Fail(nameof(JobSpec.Workers), $"must be between 1 and {MaxWorkers}, not {spec.Workers}");
        }

        if (spec.Workers > spec.GlobalBatchSize)
        {
            return Fail(nameof(JobSpec.Workers), $"{spec.Workers} workers cannot share a global batch of {spec.GlobalBatchSize} samples; use at most {spec.GlobalBatchSize} workers or a larger batch");
        }

        if (spec.TrainLimit < 0)
        {
            return Fail(nameof(JobSpec.TrainLimit), $"must be 0 (all) or more, not {spec.TrainLimit}");
        }

        if (spec.TestLimit < 0)
        {
            return Fail(nameof(JobSpec.TestLimit), $"must be 0 (all) or more, not {spec.TestLimit}");
        }

        if (spec.Wire is not ("fp32" or "bf16"))
        {
            return Fail(nameof(JobSpec.Wire), $"must be fp32 or bf16, not \"{spec.Wire}\"");
        }

        if (spec.SyncEvery is < 1 or > MaxSyncEvery)
        {
            return Fail(nameof(JobSpec.SyncEvery), $"must be from 1 (every step) to {MaxSyncEvery} local steps, not {spec.SyncEvery}");
        }

        return (new TrainingSetup(spec, network, model, sgd), null, null);

        // Errors read "Field: error." wherever they are shown, so none carries its own full stop.
        static (TrainingSetup?, string?, string?) Fail(string field, string error) => (null, field, error.TrimEnd('.'));
    }

    /// <summary>For code past validation (workers, parameter server): a bad spec is a bug there.</summary>
    /// <summary>`--wire bf16` applies: what crosses between silos is rounded, so there must be more
    /// than one silo's group; each group then carries error feedback.</summary>
    public static bool RoundsOnWire(JobSpec spec, int groups) => groups > 1 && spec.Wire == "bf16";

    public static TrainingSetup Create(JobSpec spec)
    {
        var (setup, field, error) = TryCreate(spec);
        return setup ?? throw new JobSpecException(field!, $"{field}: {error}.");
    }

    /// <summary>The core's options for training this job in one process (the reference a job must
    /// reproduce): <paramref name="groups"/> is the job's reduction groups, one per silo it started on.</summary>
    public TrainingOptions ToTrainingOptions(int threads = 0, int groups = 1) =>
        new(Model, Sgd, Spec.Epochs, Spec.GlobalBatchSize, Spec.Seed, threads, groups) { MaxSteps = Spec.MaxSteps };
}
