using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>
/// Makes one worker alive but stuck, for the step-deadline tests: its ComputeGradientAsync calls
/// from step <see cref="Plan.FromStep"/> on wait before they run, holding the grain's turn as a
/// hung computation would (the grain is not reentrant, so later calls queue behind it).
/// </summary>
internal sealed class StallFilter : IIncomingGrainCallFilter
{
    /// <summary>What to stall (one plan at a time: the stuck-worker tests run on their own cluster).</summary>
    public sealed class Plan(string workerKey, long fromStep, TimeSpan duration, int times)
    {
        private readonly int _times = times;
        private int _left = times;

        public string WorkerKey => workerKey;

        public long FromStep => fromStep;

        public TimeSpan Duration => duration;

        public CancellationTokenSource Released { get; } = new();

        /// <summary>Calls stalled so far.</summary>
        public int Stalled => _times - Math.Max(0, Volatile.Read(ref _left));

        public bool TryTake() => Interlocked.Decrement(ref _left) >= 0;
    }

    public static volatile Plan? Current;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (Current is { } plan && context.MethodName == nameof(IWorkerGrain.ComputeGradientAsync)
            && context.TargetId.Key.ToString() == plan.WorkerKey
            && context.Request.GetArgument(0) is StepRequest request && request.GlobalStep >= plan.FromStep && plan.TryTake())
        {
            try
            {
                await Task.Delay(plan.Duration, plan.Released.Token);
            }
            catch (OperationCanceledException)
            {
                // The test is over: let the call through.
            }
        }
        await context.Invoke();
    }
}
