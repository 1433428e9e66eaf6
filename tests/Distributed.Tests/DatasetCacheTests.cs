using DistTrain.Worker.Data;
using DistTrain.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace DistTrain.Distributed.Tests;

/// <summary>Dataset names resolve inside the silo's data root, after symbolic links.</summary>
public sealed class DatasetCacheTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"disttrain-root-{Guid.NewGuid():N}");

    public DatasetCacheTests()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "root", "digits"));
        Directory.CreateDirectory(Path.Combine(_folder, "outside"));
        File.WriteAllText(Path.Combine(_folder, "outside", "secret"), "not a dataset");
    }

    private DatasetCache Cache => new(Options.Create(new DataOptions { DataRoot = Path.Combine(_folder, "root") }));

    [Fact]
    public void AFolderUnderTheRoot_Resolves()
    {
        var (path, error) = Cache.Resolve("digits");

        Assert.Null(error);
        Assert.Equal(Path.Combine(_folder, "root", "digits"), path);
    }

    [Fact]
    public void ALinkToAFolderOutsideTheRoot_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_folder, "root", "escape"), Path.Combine(_folder, "outside"));

        var (path, error) = Cache.Resolve("escape");

        Assert.Null(path);
        Assert.Contains("symbolic link", error);
    }

    [Fact]
    public void ALinkedFileInsideAFolderUnderTheRoot_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_folder, "root", "digits", "train-images-idx3-ubyte"), Path.Combine(_folder, "outside", "secret"));

        var (path, error) = Cache.Resolve("digits");

        Assert.Null(path);
        Assert.Contains("train-images-idx3-ubyte", error);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc")]
    public void NamesThatLeaveTheRoot_AreRefused(string name) => Assert.NotNull(Cache.Resolve(name).Error);

    [Fact]
    public async Task ADatasetNoJobUses_IsDropped_AfterItsIdleLifetime_AndKeptWhileUsed()
    {
        var copy = Path.Combine(_folder, "root", "mnist-copy");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(DistTrain.Core.Data.DatasetLocator.FindShippedMnist(), "*.gz"))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }
        var path = Cache.Resolve("mnist-copy").Path!;

        await Cache.AcquireAsync(path); // two workers of one job
        await Cache.AcquireAsync(path);
        DatasetCache.Release(path);
        DatasetCache.Sweep(TimeSpan.Zero);
        Assert.Contains(path, DatasetCache.Loaded); // one user left

        DatasetCache.Release(path);
        DatasetCache.Sweep(TimeSpan.FromMinutes(1));
        Assert.Contains(path, DatasetCache.Loaded); // idle, but not for long
        DatasetCache.Sweep(TimeSpan.Zero);
        Assert.DoesNotContain(path, DatasetCache.Loaded);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
