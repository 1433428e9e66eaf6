namespace DistTrain.Contracts.Messages;

[GenerateSerializer, Alias("DistTrain.JobState")]
public enum JobState
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

public static class JobStateExtensions
{
    public static bool IsFinished(this JobState state) =>
        state is JobState.Completed or JobState.Failed or JobState.Cancelled;
}
