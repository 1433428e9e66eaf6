using System.Runtime.InteropServices;
using DistTrain.Contracts.Payloads;

namespace DistTrain.Worker.Training;

internal static class FloatArrays
{
    /// <summary>
    /// The array behind a block, for core APIs that bind parameter arrays in place (the network's
    /// layers are views into it). They only read it: a published block stays unchanged.
    /// </summary>
    public static float[] ReadOnlyArray(this FloatBlock block) =>
        MemoryMarshal.TryGetArray(block.Memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : block.ToArray();
}
