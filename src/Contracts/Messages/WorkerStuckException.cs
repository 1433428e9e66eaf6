namespace DistTrain.Contracts.Messages;

/// <summary>
/// A worker that is alive but did not answer a step (or its set-up) within the deadline derived from
/// recent step times. The message names the worker, its silo and the step. The job asks again a
/// bounded number of times, then fails with this message. Not a <see cref="TimeoutException"/>: that
/// means a lost silo, whose groups are set up again; a stuck worker is asked again as it is.
/// </summary>
[GenerateSerializer, Alias("DistTrain.WorkerStuckException")]
public sealed class WorkerStuckException(string message) : Exception(message);
