namespace DistTrain.Contracts.Messages;

/// <summary>
/// A <see cref="JobSpec"/> field that cannot work, by name. Thrown by the client when the cluster
/// rejects a spec, and inside the cluster when a check needs the data (TrainLimit beyond the
/// dataset, a network that does not fit it); serializable, so it crosses silos intact.
/// </summary>
[GenerateSerializer, Alias("DistTrain.JobSpecException")]
public sealed class JobSpecException : ArgumentException
{
    public JobSpecException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    [Id(0)]
    public string Field { get; init; } = "";

    public override string? ParamName => Field;
}
