using DistTrain.Core.Interop;
using DistTrain.Core.Training;

namespace DistTrain.Client.Reports;

/// <summary>
/// `train --log-dir DIR`: the run's scalars in a TensorBoard event file as it trains. Per step (at
/// most one step every 10 ms, and every epoch's last: a local step can take 50 µs): <c>train/loss</c>, <c>train/samples_per_second</c>,
/// <c>train/learning_rate</c>; per epoch, at its last step: <c>epoch/train_loss</c>,
/// <c>epoch/test_accuracy</c>, <c>epoch/samples_per_second</c>. Flushed at every epoch.
/// </summary>
internal sealed class TensorBoardLog(string directory, Func<long, double> learningRate) : IRunObserver, IDisposable
{
    private static readonly long Interval = System.Diagnostics.Stopwatch.Frequency / 100;
    private readonly TensorBoardWriter _writer = new(directory);
    private long _lastStep, _lastWritten = long.MinValue / 2;
    private int _stepsPerEpoch;

    public string Path => _writer.Path;

    public void OnStep(StepProgress step)
    {
        var global = RunHistory.GlobalStep(step);
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (global <= _lastStep || (now - _lastWritten < Interval && step.Step != step.StepsPerEpoch))
        {
            return;
        }
        _lastStep = global;
        _lastWritten = now;
        _stepsPerEpoch = step.StepsPerEpoch;
        _writer.Scalar("train/loss", global, step.Loss);
        _writer.Scalar("train/samples_per_second", global, step.SamplesPerSecond);
        _writer.Scalar("train/learning_rate", global, learningRate(global - 1));
    }

    public void OnEpoch(EpochResult epoch)
    {
        long step = _stepsPerEpoch > 0 ? (long)epoch.Epoch * _stepsPerEpoch : epoch.Epoch;
        _writer.Scalar("epoch/train_loss", step, epoch.TrainLoss);
        if (!double.IsNaN(epoch.TestAccuracy))
        {
            _writer.Scalar("epoch/test_accuracy", step, epoch.TestAccuracy);
        }
        _writer.Scalar("epoch/samples_per_second", step, epoch.SamplesPerSecond);
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();
}
