namespace DistTrain.Worker.Training;

/// <summary>When a worker that is alive but does not answer counts as stuck (a silo setting).</summary>
public sealed class StepDeadlineOptions
{
    /// <summary>No step deadline is shorter than this: a GC pause or a busy machine is not a stuck worker.</summary>
    public TimeSpan Floor { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A step may take this many times the slowest of the recent steps.</summary>
    public double Factor { get; set; } = 20;

    /// <summary>Times a step is asked again (or, on the data plane, its epoch redone) after a
    /// worker missed its deadline, over the job's life, before the job fails.</summary>
    public int Retries { get; set; } = 2;

    /// <summary>How long a worker may take to be set up (the first on a silo loads the dataset).</summary>
    public TimeSpan SetUp { get; set; } = TimeSpan.FromMinutes(2);
}
