using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Worker.Checkpoints;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace DistTrain.Distributed.Tests;

/// <summary>The checkpoint files and the job list, without a cluster.</summary>
public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"disttrain-store-{Guid.NewGuid():N}");
    private readonly CheckpointStore _store;

    public CheckpointStoreTests()
    {
        var services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(JobCheckpoint).Assembly).AddAssembly(typeof(FloatBlock).Assembly))
            .BuildServiceProvider();
        _store = new CheckpointStore(Options.Create(new CheckpointOptions { Directory = _folder }),
            services.GetRequiredService<Serializer<JobCheckpoint>>(), NullLogger<CheckpointStore>.Instance);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static JobCheckpoint Checkpoint(string jobId, float first) => new()
    {
        Status = new JobStatus { JobId = jobId, State = JobState.Running, Step = 42, Spec = new JobSpec { Epochs = 3 } },
        Parameters = new ParameterCheckpoint
        {
            Version = 42, AppliedStep = 41, Weights = FloatBlock.Own([first, 2f, 3f]), Velocity = FloatBlock.Own([0.5f, 0f, -0.5f]), OptimizerSteps = 42,
        },
    };

    [Fact]
    public async Task ACheckpoint_ComesBackAsSaved_AndReplacesTheLastOne()
    {
        await _store.SaveAsync("job-1", Checkpoint("job-1", 1f), generation: 1);
        await _store.SaveAsync("job-1", Checkpoint("job-1", 7f), generation: 1);

        var loaded = await _store.LoadAsync("job-1");

        Assert.NotNull(loaded);
        Assert.Equal(42, loaded.Status.Step);
        Assert.Equal([7f, 2f, 3f], loaded.Parameters!.Weights.ToArray());
        Assert.Equal([0.5f, 0f, -0.5f], loaded.Parameters.Velocity.ToArray());
        Assert.Single(Directory.GetFiles(_folder)); // no temporary file left behind
        Assert.Null(await _store.LoadAsync("job-2"));
    }

    [Fact]
    public async Task IdsDifferingInCaseOrFullOfOddCharacters_GetFilesOfTheirOwn()
    {
        string[] ids = ["Run-A", "run-a", "../../etc/passwd", "a job\twith\nodd characters"];
        for (var i = 0; i < ids.Length; i++)
        {
            await _store.SaveAsync(ids[i], Checkpoint(ids[i], i), generation: 1);
        }

        Assert.Equal(ids.Length, Directory.GetFiles(_folder).Length);
        Assert.All(ids, id => Assert.Equal(_folder, Path.GetDirectoryName(_store.PathOf(id))));
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(i, (await _store.LoadAsync(ids[i]))!.Parameters!.Weights.Span[0]);
        }
    }

    [Fact]
    public async Task ACorruptCheckpoint_IsRefusedWithItsReason_NotTreatedAsNone()
    {
        await _store.SaveAsync("job-1", Checkpoint("job-1", 1f), generation: 1);
        await File.WriteAllBytesAsync(_store.PathOf("job-1"), [1, 2, 3]);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => _store.LoadAsync("job-1"));

        Assert.Contains(_store.PathOf("job-1"), e.Message);
        Assert.Contains("cannot be read", e.Message);
    }

    [Fact]
    public async Task TwoActivationsRacing_GetDistinctGenerations_AndTheOlderCannotOverwriteTheNewer()
    {
        // Eight activations claiming at once: eight different generations.
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _store.ClaimGeneration("job-1"))));
        Assert.Equal(8, claims.Distinct().Count());

        var older = _store.ClaimGeneration("job-1");
        var newer = _store.ClaimGeneration("job-1");
        Assert.True(newer > older);
        await _store.SaveAsync("job-1", Checkpoint("job-1", 2f), newer);

        var e = await Assert.ThrowsAsync<CheckpointFencedException>(() => _store.SaveAsync("job-1", Checkpoint("job-1", 1f), older));
        Assert.Contains($"generation {newer}", e.Message);
        Assert.Equal(2f, (await _store.LoadAsync("job-1"))!.Parameters!.Weights.Span[0]); // the newer one's
        await _store.SaveAsync("job-1", Checkpoint("job-1", 3f), newer); // and the newer goes on writing
    }

    [Fact]
    public async Task AnOlderActivationWritingWhileANewerClaims_NeverHasTheLastWord()
    {
        // Two activations really racing: the older writes checkpoint after checkpoint while the newer
        // claims its generation and writes once. The older is fenced at some write, and the file
        // holds the newer's checkpoint, whatever the interleaving.
        for (var round = 0; round < 5; round++)
        {
            var id = $"race-{round}";
            var older = _store.ClaimGeneration(id);
            using var newerClaimed = new ManualResetEventSlim();
            var olderWrites = Task.Run(async () =>
            {
                for (var i = 0; i < 10_000; i++)
                {
                    try
                    {
                        await _store.SaveAsync(id, Checkpoint(id, 1f), older);
                    }
                    catch (CheckpointFencedException)
                    {
                        return i;
                    }
                    if (i == 3)
                    {
                        newerClaimed.Wait(TimeSpan.FromSeconds(30)); // at least a few writes before, and then on
                    }
                }
                return -1;
            });
            await Task.Delay(round); // the claim lands at a different point of the older's writes each round
            var newer = _store.ClaimGeneration(id);
            newerClaimed.Set();
            await _store.SaveAsync(id, Checkpoint(id, 2f), newer);

            Assert.True(await olderWrites >= 0, "the older activation was never fenced");
            Assert.Equal(2f, (await _store.LoadAsync(id))!.Parameters!.Weights.Span[0]);
        }
    }

    [Fact]
    public async Task TheJobList_KeepsEachJobOnceInOrder_AndSkipsLinesThatAreNotJobs()
    {
        var at = DateTimeOffset.Parse("2026-11-26T07:00:00Z");
        var list = Path.Combine(_folder, "jobs.jsonl");
        await _store.AppendJobAsync(new JobSummary { JobId = "first", SubmittedAt = at });
        await _store.AppendJobAsync(new JobSummary { JobId = "odd\nid", SubmittedAt = at.AddMinutes(1) }); // not an id the cluster takes
        await File.AppendAllTextAsync(list, "{not json\n");
        await File.AppendAllTextAsync(list, $"{{\"JobId\":\"{new string('x', 5000)}\",\"SubmittedAt\":\"2026-11-26T07:00:00Z\"}}\n");
        await _store.AppendJobAsync(new JobSummary { JobId = "second", SubmittedAt = at.AddMinutes(2) });
        await _store.AppendJobAsync(new JobSummary { JobId = "first", SubmittedAt = at.AddMinutes(3) });

        var jobs = await _store.LoadJobsAsync();

        Assert.Equal(["first", "second"], jobs.Select(j => j.JobId));
        Assert.Equal(at, jobs[0].SubmittedAt);
    }

    [Fact]
    public async Task AJobListThatIsNotARegularFile_IsReadAsEmpty_NotWaitedOn()
    {
        Directory.CreateDirectory(_folder);
        var list = Path.Combine(_folder, "jobs.jsonl");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [list]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var jobs = await _store.LoadJobsAsync().WaitAsync(TimeSpan.FromSeconds(10)); // opening a FIFO would block for a writer

        Assert.Empty(jobs);
    }

    [Fact]
    public async Task TheJobList_UnderMutation_YieldsOnlyValidDistinctIds_AndNeverThrows()
    {
        Directory.CreateDirectory(_folder);
        var list = Path.Combine(_folder, "jobs.jsonl");
        var valid = System.Text.Encoding.UTF8.GetBytes(string.Concat(new[] { "job-a", "job-b", "c.2_x", "job-a" }
            .Select((id, i) => $"{{\"JobId\":\"{id}\",\"SubmittedAt\":\"2026-11-26T07:0{i}:00+00:00\"}}\n")));
        var read = 0;
        var jobsSeen = 0;
        foreach (var mutated in DistTrain.Core.Tests.Fuzzing.Mutations.FixedCases(valid))
        {
            await File.WriteAllBytesAsync(list, mutated);
            var jobs = await _store.LoadJobsAsync();
            Assert.All(jobs, j => Assert.Null(JobIds.Check(j.JobId)));
            Assert.Equal(jobs.Count, jobs.Select(j => j.JobId).Distinct().Count());
            read++;
            jobsSeen += jobs.Count;
        }

        Assert.Equal(DistTrain.Core.Tests.Fuzzing.Mutations.Cases, read);
        Assert.InRange(jobsSeen, 1, 3 * read - 1); // some mutations kept jobs, and some lost them: the cases test something
    }

    [Fact]
    public async Task WithoutAFolder_NothingIsKept()
    {
        var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(JobCheckpoint).Assembly)).BuildServiceProvider();
        var off = new CheckpointStore(Options.Create(new CheckpointOptions()), services.GetRequiredService<Serializer<JobCheckpoint>>(), NullLogger<CheckpointStore>.Instance);

        Assert.False(off.Enabled);
        Assert.Null(await off.LoadAsync("job-1"));
        Assert.Empty(await off.LoadJobsAsync());
        await off.AppendJobAsync(new JobSummary { JobId = "job-1" });
        await Assert.ThrowsAsync<InvalidOperationException>(() => off.SaveAsync("job-1", Checkpoint("job-1", 1f), generation: 1));
    }
}
