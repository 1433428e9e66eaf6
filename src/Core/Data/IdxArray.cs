namespace DistTrain.Core.Data;

/// <summary>The contents of one IDX file: its dimension sizes and its unsigned bytes in row-major order.</summary>
public sealed class IdxArray
{
    public IdxArray(int[] dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        if (dimensions.Length == 0)
        {
            throw new ArgumentException("an IDX array needs at least one dimension", nameof(dimensions));
        }

        long product = 1;
        foreach (int size in dimensions)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(dimensions));
            product *= size;
            if (product > Array.MaxLength)
            {
                throw new ArgumentException("the dimensions describe more elements than an array can hold", nameof(dimensions));
            }
        }

        if (product != data.Length)
        {
            throw new ArgumentException(
                $"data holds {data.Length} bytes but the dimensions [{string.Join(", ", dimensions)}] need {product}",
                nameof(data));
        }

        Dimensions = dimensions;
        Data = data;
    }

    public int[] Dimensions { get; }

    public byte[] Data { get; }
}
