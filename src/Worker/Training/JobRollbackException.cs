namespace DistTrain.Worker.Training;

/// <summary>A run of steps over the data plane failed part-way (a silo lost, a block that never
/// came): the slices may stand at different versions, so the job rolls all of them back to the
/// last epoch's checkpoint and runs the epoch again.</summary>
internal sealed class JobRollbackException(string message, Exception inner) : Exception(message, inner);
