using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Core.Tests.Fuzzing;
using DistTrain.Worker.Checkpoints;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// Grain messages that carry sizes, deserialized from 2,000 random mutations each: every case is
/// read or refused with a serialization error (ours for a FloatBlock's length, Orleans' for its
/// framing), and no case allocates what its bytes do not hold.
/// </summary>
public sealed class MessageFuzzTests(ITestOutputHelper output)
{
    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(FloatBlock).Assembly).AddAssembly(typeof(JobCheckpoint).Assembly)).BuildServiceProvider();

    [Fact]
    public void ShardGradient_IsReadOrRefused_UnderMutation() =>
        Fuzz(new ShardGradient { Shard = 2, GlobalStep = 9, SampleCount = 17, Loss = 0.25, Gradient = FloatBlock.Own([1f, 2f, 3f, 4f, 5f]) },
            m => Assert.Equal(0, m.Gradient.Bytes.Length % sizeof(float)));

    [Fact]
    public void JobCheckpoint_IsReadOrRefused_UnderMutation() =>
        Fuzz(new JobCheckpoint
        {
            Status = new JobStatus { JobId = "job-1", State = JobState.Running, Step = 42, Spec = new JobSpec { Epochs = 3 } },
            Parameters = new ParameterCheckpoint { Version = 42, AppliedStep = 41, Weights = FloatBlock.Own([1f, 2f, 3f]), Velocity = FloatBlock.Own([0.5f, 0f, -0.5f]) },
        }, m => Assert.NotNull(m));

    [Fact]
    public void JobSpec_IsReadOrRefused_UnderMutation_AndWhatIsReadIsValidatedWithoutThrowing() =>
        Fuzz(new JobSpec { Network = "784-16-16-10", Dataset = "mnist", Epochs = 3, GlobalBatchSize = 64, Workers = 2, LearningRate = 0.1f, Wire = "bf16", SyncEvery = 2 },
            m =>
            {
                // What a job grain does with a spec it receives: a setup, or the field that is wrong.
                var (setup, field, error) = DistTrain.Worker.Training.TrainingSetup.TryCreate(m);
                Assert.True(setup is not null || (field is not null && error is not null));
            });

    [Fact]
    public void WorkerSetup_IsReadOrRefused_UnderMutation() =>
        Fuzz(new WorkerSetup { JobId = "job-1", Shard = 1, ShardCount = 2, StartStep = 7, Spec = new JobSpec { Epochs = 2 } }, m => Assert.NotNull(m.Spec));

    [Fact]
    public void StepRequest_IsReadOrRefused_UnderMutation() =>
        Fuzz(new StepRequest { Epoch = 1, StepInEpoch = 3, GlobalStep = 3, Version = 3, LocalSteps = 2, Weights = FloatBlock.Own([1f, -2f, 3f]) },
            m => Assert.Equal(0, m.Weights.Bytes.Length % sizeof(float)));

    [Fact]
    public void GroupStep_IsReadOrRefused_UnderMutation() =>
        Fuzz(new GroupStep { Epoch = 1, StepInEpoch = 2, GlobalStep = 2, Version = 2, Weights = [Block(0), Block(1)], StepDeadline = TimeSpan.FromSeconds(3) },
            m => Assert.NotNull(m.Weights));

    [Fact]
    public void SliceRun_IsReadOrRefused_UnderMutation() =>
        Fuzz(new SliceRun { FirstStep = 10, Steps = 4, Partials = [Block(0), Block(1), Block(2)], LocalSteps = 1, Generation = 3 }, m => Assert.NotNull(m.Partials));

    private static BlockRef Block(int i) => new()
    {
        Owner = new DataPlaneAddress { Host = "boot/netns", Process = "1234", Endpoint = "127.0.0.1:4000", Silo = "S127.0.0.1:11111:1" },
        Segment = $"disttrain-1234-00000000000000{i:x2}", SegmentId = i, Length = 1000, Tag = 5, Shared = true, Elements = 1000,
    };

    [Fact]
    public void AFloatBlockClaimingMoreThanTheMessageHolds_IsRefused_BeforeAllocatingIt()
    {
        // Five floats whose length field is rewritten to claim 16 M floats (64 MB, under the cap):
        // the claim is refused from the bytes the message holds, not allocated and then found short.
        var serializer = Services.GetRequiredService<Serializer>();
        var floats = new[] { 1f, 2f, 3f, 4f, 5f };
        var bytes = serializer.SerializeToArray(new ShardGradient { Shard = 1, GlobalStep = 2, SampleCount = 3, Gradient = FloatBlock.Own(floats) });
        var payload = System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
        var at = bytes.AsSpan().IndexOf(payload);
        Assert.True(at > 0, "the floats' bytes are in the message");
        Assert.Equal(OrleansVarUInt32(20), bytes[(at - 1)..at]); // the length field just before them
        var hostile = bytes[..(at - 1)].Concat(OrleansVarUInt32(FloatBlock.MaxLength * sizeof(float))).Concat(bytes[at..]).ToArray();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var refused = Assert.Throws<InvalidDataException>(() => serializer.Deserialize<ShardGradient>(hostile));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("the message holds only", refused.Message);
        Assert.True(allocated < 1024 * 1024, $"{allocated:N0} B allocated for a {hostile.Length}-byte message");
    }

    /// <summary>Orleans' variable-length integer: the count of bytes in the first byte's low bits.</summary>
    private static byte[] OrleansVarUInt32(uint value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var session = Services.GetRequiredService<Orleans.Serialization.Session.SerializerSessionPool>().GetSession();
        var writer = Orleans.Serialization.Buffers.Writer.Create(buffer, session);
        writer.WriteVarUInt32(value);
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Whether the first frame outside the base library is Orleans' (a dictionary lookup
    /// of an unknown type id still counts as Orleans refusing it).</summary>
    private static bool ThrownByOrleans(Exception e) =>
        (e.StackTrace ?? "").Split('\n').Select(line => line.Trim())
            .FirstOrDefault(line => line.StartsWith("at ", StringComparison.Ordinal) && !line.StartsWith("at System.", StringComparison.Ordinal))?
            .StartsWith("at Orleans", StringComparison.Ordinal) == true;

    private void Fuzz<T>(T valid, Action<T> check)
    {
        var serializer = Services.GetRequiredService<Serializer>();
        var bytes = serializer.SerializeToArray(valid);
        var outcomes = new Dictionary<string, int>();
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var mutated in Mutations.FixedCases(bytes))
        {
            string outcome;
            try
            {
                var message = serializer.Deserialize<T>(mutated);
                if (message is not null)
                {
                    check(message);
                }
                outcome = "read";
            }
            catch (InvalidDataException e)
            {
                outcome = "refused by our codec: " + e.GetType().Name;
            }
            catch (Exception e) when (e is not OutOfMemoryException && ThrownByOrleans(e))
            {
                // Orleans' reader reports bad framing in many types (SerializerException, "Insufficient
                // data present in buffer", a varint that overflows, an unknown type id); its messaging
                // drops such a message, and the silo goes on.
                outcome = "refused by Orleans: " + e.GetType().Name;
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{typeof(T).Name}: {string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Value} {o.Key}"))}; {allocated / Mutations.Cases:N0} B allocated a case");
        Assert.Equal(Mutations.Cases, outcomes.Values.Sum());
        Assert.True(outcomes.Count > 1, "every mutation was read: the mutations test nothing");
        // A claimed 4 GB block would allocate it; what is allocated stays near the messages' size.
        Assert.True(allocated / Mutations.Cases < 64 * 1024, $"{allocated / Mutations.Cases} B a case");
    }
}
