using System.Diagnostics.Metrics;

namespace DistTrain.Worker.Telemetry;

/// <summary>
/// DistTrain's metrics (System.Diagnostics.Metrics; the dashboard exports them with Orleans' own
/// through OpenTelemetry at <c>/metrics</c>, where Prometheus names them <c>disttrain_…</c>).
/// Recorded by the silo that runs a job's loop; the data plane's bytes by every silo.
/// </summary>
public static class TrainingMetrics
{
    public const string MeterName = "DistTrain";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Steps = Meter.CreateCounter<long>("disttrain.steps", description: "Optimizer steps taken by the jobs this silo drives.");
    private static readonly Counter<long> Samples = Meter.CreateCounter<long>("disttrain.samples", description: "Training samples processed by the jobs this silo drives.");
    private static readonly Counter<long> Epochs = Meter.CreateCounter<long>("disttrain.epochs", description: "Epochs finished.");
    private static readonly Histogram<double> StepTime = Meter.CreateHistogram<double>("disttrain.step.duration", "ms", "Wall time of a synchronous step (a run's steps count by their mean).");
    private static readonly Histogram<double> PhaseTime = Meter.CreateHistogram<double>("disttrain.step.phase.duration", "ms",
        "Where a step's time goes: phase = compute, wait_for_slowest, aggregation, transport, update.");
    private static readonly Counter<long> Recoveries = Meter.CreateCounter<long>("disttrain.recoveries",
        description: "Failures survived: kind = worker_group (set up again), rollback (to an epoch's end), resume (from a checkpoint), stuck_worker (step asked again).");
    private static readonly UpDownCounter<long> Running = Meter.CreateUpDownCounter<long>("disttrain.jobs.running", description: "Jobs whose loop runs on this silo.");

    /// <summary>Steps of one call (or run) and where their time went, per step (seconds).</summary>
    public static void RecordSteps(int steps, long samples, double stepSeconds, double compute, double slowest, double aggregation, double transport, double update)
    {
        Steps.Add(steps);
        Samples.Add(samples);
        StepTime.Record(1000 * stepSeconds);
        PhaseTime.Record(1000 * compute, new KeyValuePair<string, object?>("phase", "compute"));
        PhaseTime.Record(1000 * slowest, new KeyValuePair<string, object?>("phase", "wait_for_slowest"));
        PhaseTime.Record(1000 * aggregation, new KeyValuePair<string, object?>("phase", "aggregation"));
        PhaseTime.Record(1000 * transport, new KeyValuePair<string, object?>("phase", "transport"));
        PhaseTime.Record(1000 * update, new KeyValuePair<string, object?>("phase", "update"));
    }

    public static void EpochFinished() => Epochs.Add(1);

    /// <param name="kind">worker_group, rollback, resume or stuck_worker.</param>
    public static void Recovered(string kind) => Recoveries.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public static void JobStarted() => Running.Add(1);

    public static void JobEnded() => Running.Add(-1);

    /// <summary>This silo's data-plane byte counters, read when metrics are collected: direction = tcp_sent, tcp_received, shared_read.</summary>
    public static void ObserveDataPlane(Func<(long TcpSent, long TcpReceived, long SharedRead)> read) =>
        Meter.CreateObservableCounter("disttrain.dataplane.bytes", () =>
        {
            var (sent, received, shared) = read();
            return new[]
            {
                new Measurement<long>(sent, new KeyValuePair<string, object?>("direction", "tcp_sent")),
                new Measurement<long>(received, new KeyValuePair<string, object?>("direction", "tcp_received")),
                new Measurement<long>(shared, new KeyValuePair<string, object?>("direction", "shared_read")),
            };
        }, "By", "Bytes this silo's data plane moved.");
}
