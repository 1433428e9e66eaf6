using DistTrain.Core.Training;

namespace DistTrain.Client.Reports;

/// <summary>Something that follows a training run as it goes (a curve, a TensorBoard log), on
/// the local path and the cluster path alike: both report through <see cref="Output.ProgressDisplay"/>.</summary>
internal interface IRunObserver
{
    void OnStep(StepProgress step);

    void OnEpoch(EpochResult epoch);
}
