namespace DistTrain.Contracts.Payloads;

/// <summary>
/// Where a silo's data plane can be reached. Readers compare <see cref="Host"/> and
/// <see cref="Process"/> with their own to pick the cheapest path: the same process reads the
/// block in place, the same host maps its shared-memory file, any other host fetches it over
/// <see cref="Endpoint"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("DistTrain.DataPlaneAddress")]
public sealed record DataPlaneAddress
{
    /// <summary>Boot id and network namespace: silos with equal keys share /dev/shm and loopback.</summary>
    [Id(0)] public string Host { get; init; } = "";

    /// <summary>Host key, process id and a random start id: equal keys share one address space.</summary>
    [Id(1)] public string Process { get; init; } = "";

    /// <summary>"address:port" of the silo's data-plane listener.</summary>
    [Id(2)] public string Endpoint { get; init; } = "";

    /// <summary>The silo, as Orleans prints its address (for messages).</summary>
    [Id(3)] public string Silo { get; init; } = "";
}

/// <summary>
/// A reference to a block of floats in a silo's data plane: what a grain message carries instead
/// of the bytes themselves. Orleans moves the reference; the reader fetches or maps the block.
/// </summary>
[GenerateSerializer, Immutable, Alias("DistTrain.BlockRef")]
public sealed record BlockRef
{
    [Id(0)] public DataPlaneAddress Owner { get; init; } = new();

    /// <summary>The segment's name (letters, digits and '-' only; on a shared-memory host, its file).</summary>
    [Id(1)] public string Segment { get; init; } = "";

    /// <summary>Random id written in the segment's header: a reader that finds another id refuses the block.</summary>
    [Id(2)] public long SegmentId { get; init; }

    /// <summary>Floats in the block.</summary>
    [Id(3)] public int Length { get; init; }

    /// <summary>What the block holds now (a step or a version), written after the data: a reader
    /// that finds another tag refuses the block instead of reading stale values.</summary>
    [Id(4)] public long Tag { get; init; }

    /// <summary>The segment is a file in the owner host's shared memory (else only its process and the network reach it).</summary>
    [Id(5)] public bool Shared { get; init; }

    /// <summary>How the values are stored: fp32, or bfloat16 packed two to a float's four bytes.</summary>
    [Id(6)] public BlockEncoding Encoding { get; init; }

    /// <summary>Values in the block: <see cref="Length"/> for fp32, up to twice that for bfloat16.</summary>
    [Id(7)] public int Elements { get; init; }
}

public enum BlockEncoding
{
    Fp32 = 0,
    Bf16 = 1,
}
