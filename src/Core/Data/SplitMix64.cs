namespace DistTrain.Core.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood; reference code by Vigna). Implemented here rather than using
/// <see cref="Random"/> because shuffles must be identical across .NET versions and machines: a resumed
/// or distributed run has to see exactly the sample order the original run saw.
/// </summary>
internal struct SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    public ulong Next()
    {
        _state += Gamma;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>), without modulo bias (Lemire's multiply-and-reject).</summary>
    public ulong NextBelow(ulong bound)
    {
        ulong high = Math.BigMul(Next(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while (low < threshold)
            {
                high = Math.BigMul(Next(), bound, out low);
            }
        }

        return high;
    }

    /// <summary>The SplitMix64 output function: a bijective 64-bit mixer.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
