using Orleans.Serialization.Cloning;

namespace DistTrain.Contracts.Payloads;

/// <summary>
/// Calls inside one silo pass the very same <see cref="FloatBlock"/>: it is immutable, so a copy would
/// only cost time (the default copier would copy element by element).
/// </summary>
[RegisterCopier]
public sealed class FloatBlockCopier : IDeepCopier<FloatBlock>
{
    public FloatBlock? DeepCopy(FloatBlock? input, CopyContext context) => input;
}
