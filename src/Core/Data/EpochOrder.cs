namespace DistTrain.Core.Data;

/// <summary>
/// The sample order of each epoch, a pure function of (seed, epoch): every worker, and a run resumed
/// from a checkpoint, derives the same order without communicating or replaying earlier epochs.
/// </summary>
public static class EpochOrder
{
    /// <summary>Fills <paramref name="permutation"/> with a shuffled 0..n-1 (Fisher–Yates). Allocation-free.</summary>
    public static void Fill(int seed, int epoch, Span<int> permutation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        for (int i = 0; i < permutation.Length; i++)
        {
            permutation[i] = i;
        }

        // The (seed, epoch) pair packs into 64 bits without collisions, and Mix is a bijection, so
        // distinct pairs start distinct streams rather than neighbouring states of one stream.
        var random = new SplitMix64(SplitMix64.Mix(((ulong)(uint)seed << 32) | (uint)epoch));
        for (int i = permutation.Length - 1; i > 0; i--)
        {
            int j = (int)random.NextBelow((ulong)i + 1);
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
    }
}
