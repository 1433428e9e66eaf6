namespace DistTrain.Contracts.Messages;

/// <summary>Thrown on the client side for a rejected <see cref="JobSpec"/>; names the field.</summary>
public sealed class JobSpecException(string field, string message) : ArgumentException(message, field)
{
    public string Field { get; } = field;
}
