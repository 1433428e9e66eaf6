namespace DistTrain.Contracts.Grains;

/// <summary>
/// Asked by a console whose job stopped answering: can the cluster still recover, as seen from the
/// silo the console reaches? Key 0. A stateless worker, so it activates on the silo that receives the
/// call, without the grain directory, which a cluster that lost its membership may no longer serve.
/// </summary>
[Alias("DistTrain.IClusterHealthGrain")]
[ClientCallable]
public interface IClusterHealthGrain : IGrainWithIntegerKey
{
    /// <summary>Null when this silo sees nothing that stops recovery; else one sentence saying why
    /// the cluster cannot recover (a localhost cluster whose membership primary is gone).</summary>
    [Alias("Problem")]
    Task<string?> ProblemAsync();
}
