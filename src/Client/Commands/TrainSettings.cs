using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Client.Reports;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;

namespace DistTrain.Client.Commands;

/// <summary>The options of `train`, checked and turned into the core's settings.</summary>
internal sealed class TrainSettings
{
    public Option<string> Model { get; } = new("--model", "--network") { Description = "Layer sizes, e.g. 784-16-16-10 (the seed network) or 784-256-256-10.", DefaultValueFactory = _ => "784-16-16-10" };
    public Option<string> Activation { get; } = new("--activation") { Description = "Hidden-layer activation: relu, sigmoid, tanh or identity.", DefaultValueFactory = _ => "relu" };
    public Option<string> Loss { get; } = new("--loss") { Description = "cross-entropy, squared, absolute, huber or hinge.", DefaultValueFactory = _ => "cross-entropy" };
    public Option<float> LossParameter { get; } = new("--delta") { Description = "δ of the Huber loss, or the hinge margin.", DefaultValueFactory = _ => 1f };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 5 };
    public Option<int> Batch { get; } = new("--batch") { Description = "Global minibatch size.", DefaultValueFactory = _ => 64 };
    public Option<float> LearningRate { get; } = new("--lr") { Description = "Learning rate η.", DefaultValueFactory = _ => 0.1f };
    public Option<float> Momentum { get; } = new("--momentum") { Description = "Momentum μ (0 = plain SGD).", DefaultValueFactory = _ => 0f };
    public Option<bool> Nesterov { get; } = new("--nesterov") { Description = "Use Nesterov momentum." };
    public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "L2 weight decay λ.", DefaultValueFactory = _ => 0f };
    public Option<float?> ClipNorm { get; } = new("--clip-norm") { Description = "Clip the gradient to this L2 norm." };
    public Option<string> Schedule { get; } = new("--schedule") { Description = "Learning-rate schedule: constant, step or cosine.", DefaultValueFactory = _ => "constant" };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the initial weights and of the shuffling.", DefaultValueFactory = _ => 1 };
    public Option<string?> Data { get; } = new("--data", "--dataset") { Description = "Folder with the four MNIST-format IDX files (default: the shipped MNIST); on a cluster, a folder under the silos' data root." };
    public Option<string?> Csv { get; } = new("--csv") { Description = "Train on a CSV file of numeric features instead." };
    public Option<string?> TestCsv { get; } = new("--test-csv") { Description = "CSV file to measure test accuracy on (with --csv)." };
    public Option<string?> Label { get; } = new("--label") { Description = "The CSV's label column: a name (needs a header) or a 0-based index (default: the last)." };
    public Option<bool> Regression { get; } = new("--regression") { Description = "The CSV's label column is a real-valued target (use squared, absolute or huber loss)." };
    public Option<string?> Out { get; } = new("--out") { Description = "Save the trained model to this file (.dtm)." };
    public Option<bool> Json { get; } = new("--json") { Description = "Print the final result as one JSON object." };
    public Option<string?> Plot { get; } = new("--plot") { Description = "Draw the loss and test-accuracy curves into this picture (.png or .svg)." };
    public Option<string?> LogDir { get; } = new("--log-dir") { Description = "Write TensorBoard event files (loss, accuracy, samples/s, learning rate) into this folder." };

    public IEnumerable<Option> All =>
    [
        Model, Activation, Loss, LossParameter, Epochs, Batch, LearningRate, Momentum, Nesterov, WeightDecay, ClipNorm,
        Schedule, Seed, Data, Csv, TestCsv, Label, Regression, Out, Json, Plot, LogDir,
    ];

    /// <summary>Checks the paths of --plot and --log-dir before any work, so a bad one costs nothing.</summary>
    public void ValidateReports(ParseResult parse)
    {
        if (parse.GetValue(Plot) is { } plot)
        {
            Plots.Check("--plot", plot);
        }
        if (parse.GetValue(LogDir) is { } logDir)
        {
            UserError.Require(logDir.Length > 0 && DataFiles.Kind(logDir) is null or "directory", "--log-dir", $"'{logDir}' is not a folder.");
        }
    }

    /// <summary>The run's followers that --plot and --log-dir ask for, attached to <paramref name="display"/>.</summary>
    public RunReports AttachReports(ParseResult parse, ProgressDisplay display, Func<long, double> learningRate)
    {
        ValidateReports(parse);
        return new RunReports(display, parse.GetValue(Plot), parse.GetValue(LogDir), learningRate);
    }

    /// <summary>Validates every option and builds the training options (without touching data).</summary>
    public TrainingOptions ToOptions(ParseResult parse, int threads)
    {
        var epochs = parse.GetValue(Epochs);
        UserError.Require(epochs > 0, "--epochs", $"must be at least 1; got {epochs}.");
        var batch = parse.GetValue(Batch);
        UserError.Require(batch > 0, "--batch", $"must be at least 1; got {batch}.");
        var lr = parse.GetValue(LearningRate);
        UserError.Require(lr > 0 && float.IsFinite(lr), "--lr", $"must be a positive number; got {lr}.");
        var network = Parse("--model", () => NetworkSpec.Parse(parse.GetValue(Model)!, Parse("--activation", () => DistTrain.Core.Nn.Activation.Parse(parse.GetValue(Activation)!))));
        var loss = Parse("--loss", () => ModelSpec.ParseLoss(parse.GetValue(Loss)!));
        var delta = parse.GetValue(LossParameter);
        UserError.Require(delta > 0, "--delta", $"must be positive; got {delta}.");
        var schedule = parse.GetValue(Schedule)!.Trim().ToLowerInvariant() switch
        {
            "constant" => null,
            // Lengths in steps are set once the data (and so the steps per epoch) is known: FitSchedule.
            "step" => new LearningRateSchedule(ScheduleKind.Step, Gamma: 0.5f),
            "cosine" => new LearningRateSchedule(ScheduleKind.Cosine),
            var other => throw new ArgumentException($"--schedule: '{other}' is not constant, step or cosine."),
        };
        var sgd = new SgdOptions(lr, parse.GetValue(Momentum), parse.GetValue(Nesterov), parse.GetValue(WeightDecay), parse.GetValue(ClipNorm), schedule);
        try
        {
            sgd.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--{OptionName(e.ParamName)}: {e.Message.Split(" (Parameter")[0]}");
        }
        var model = loss == LossKind.Hinge ? new ModelSpec(network, loss, HingeMargin: delta) : new ModelSpec(network, loss, HuberDelta: delta);
        return new TrainingOptions(model, sgd, epochs, batch, parse.GetValue(Seed), threads);
    }

    /// <summary>Sizes the schedule to the data: the step schedule halves η every epoch, the cosine
    /// one reaches its minimum at the end of the last epoch.</summary>
    public static TrainingOptions FitSchedule(TrainingOptions options, int trainCount)
    {
        if (options.Sgd.Schedule is not { } schedule)
        {
            return options;
        }
        var stepsPerEpoch = BatchPlan.StepsPerEpoch(trainCount, options.BatchSize);
        var fitted = schedule with { StepSize = stepsPerEpoch, TotalSteps = stepsPerEpoch * options.Epochs };
        return options with { Sgd = options.Sgd with { Schedule = fitted } };
    }

    /// <summary>Checks --out before training, so a bad path never costs a finished model.</summary>
    public void ValidateOut(ParseResult parse)
    {
        if (parse.GetValue(Out) is not { } path)
        {
            return;
        }
        UserError.Require(!Directory.Exists(path), "--out", $"'{path}' is a directory; give a file name such as model.dtm.");
        OutputFile.Check("--out", path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        try
        {
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--out: cannot create folder '{directory}': {e.Message}");
        }
    }

    /// <summary>Refuses data options that would be ignored: CSV options without --csv, --data with it.</summary>
    public void ValidateDataOptions(ParseResult parse)
    {
        var csv = parse.GetValue(Csv) is not null;
        UserError.Require(!csv || parse.GetValue(Data) is null, "--data", "names IDX data; it cannot be combined with --csv.");
        foreach (var option in new Option[] { TestCsv, Label, Regression })
        {
            UserError.Require(csv || parse.GetResult(option) is not { Implicit: false }, option.Name, "needs --csv (it describes a CSV dataset).");
        }
    }

    /// <summary>Loads the training and test sets the options name.</summary>
    public (Dataset Train, Dataset? Test) LoadData(ParseResult parse, ModelSpec model)
    {
        ValidateDataOptions(parse);
        if (parse.GetValue(Csv) is { } csv)
        {
            var label = parse.GetValue(Label);
            var regression = parse.GetValue(Regression);
            var options = new CsvOptions
            {
                LabelColumn = label is not null && !int.TryParse(label, out _) ? label : null,
                LabelColumnIndex = label is not null && int.TryParse(label, out var index) ? index : null,
                Task = regression ? CsvTask.Regression : CsvTask.Classification,
            };
            var train = CsvLoader.Load(csv, options);
            var test = parse.GetValue(TestCsv) is { } testCsv ? CsvLoader.Load(testCsv, options) : null;
            if (test is not null)
            {
                // A test set with labels the network has no output for would score 0 % and exit 0.
                try
                {
                    model.ValidateFor(test);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"--test-csv: {e.Message}");
                }
            }
            return (train, test);
        }
        var (mnistTrain, mnistTest) = MnistLoader.Load(parse.GetValue(Data) ?? DatasetLocator.FindShippedMnist());
        return (mnistTrain, mnistTest);
    }

    private static T Parse<T>(string option, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new ArgumentException($"{option}: {e.Message}");
        }
    }

    private static string OptionName(string? parameter) => parameter switch
    {
        "LearningRate" => "lr",
        "Momentum" => "momentum",
        "Nesterov" => "nesterov",
        "WeightDecay" => "weight-decay",
        "ClipNorm" => "clip-norm",
        _ => "schedule",
    };
}
