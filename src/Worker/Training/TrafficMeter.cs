using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

/// <summary>
/// Data-plane bytes per step and silo over a job: the difference between each silo's counters when
/// the job first heard from it and the latest ones, over the steps in between. Counters are
/// silo-wide, so jobs running side by side share them.
/// </summary>
internal sealed class TrafficMeter
{
    private readonly Dictionary<string, (DataPlaneTraffic First, long FirstStep, DataPlaneTraffic Last, long LastStep)> _silos = new(StringComparer.Ordinal);

    public void Observe(DataPlaneTraffic traffic, long step)
    {
        if (string.IsNullOrEmpty(traffic.Silo))
        {
            return;
        }
        if (!_silos.TryGetValue(traffic.Silo, out var seen))
        {
            _silos[traffic.Silo] = (traffic, step, traffic, step);
        }
        else if (step >= seen.LastStep)
        {
            _silos[traffic.Silo] = seen with { Last = traffic, LastStep = step };
        }
    }

    public IReadOnlyList<SiloTraffic> PerStep() => _silos
        .OrderBy(s => s.Key, StringComparer.Ordinal)
        .Select(s =>
        {
            var steps = Math.Max(1, s.Value.LastStep - s.Value.FirstStep);
            return new SiloTraffic
            {
                Silo = s.Key,
                TcpBytesSentPerStep = (double)(s.Value.Last.TcpBytesSent - s.Value.First.TcpBytesSent) / steps,
                TcpBytesReceivedPerStep = (double)(s.Value.Last.TcpBytesReceived - s.Value.First.TcpBytesReceived) / steps,
                SharedBytesReadPerStep = (double)(s.Value.Last.SharedBytesRead - s.Value.First.SharedBytesRead) / steps,
            };
        })
        .ToArray();
}
