using System.Collections.Concurrent;
using DistTrain.Core.Data;
using DistTrain.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace DistTrain.Worker.Data;

/// <summary>A dataset as loaded once per silo: the training and the test split.</summary>
public sealed record LoadedDataset(string Path, Dataset Train, Dataset Test);

/// <summary>
/// Loads each dataset once per silo, however many workers of however many jobs ask for it.
/// Workers load their data themselves: samples never travel through grain calls.
/// </summary>
public sealed class DatasetCache(IOptions<DataOptions> options)
{
    public const string ShippedMnist = "mnist";

    // Static: one copy per process. A silo process holds one silo, so this is "once per silo"; an
    // in-process test cluster (several silos, one process) then also decodes MNIST only once.
    private static readonly ConcurrentDictionary<string, Entry> _loaded = new(StringComparer.Ordinal);

    public string DataRoot => options.Value.DataRoot;

    /// <summary>
    /// Maps a JobSpec dataset name to a folder: "mnist" is the data shipped with DistTrain, anything
    /// else a folder under the data root. Returns an error (for the Dataset field) instead of a path
    /// when the name leaves the root or the folder is missing.
    /// </summary>
    public (string? Path, string? Error) Resolve(string dataset)
    {
        if (string.IsNullOrWhiteSpace(dataset))
        {
            return (null, "is empty: use \"mnist\" or a folder under the data root");
        }

        if (dataset == ShippedMnist)
        {
            var rooted = System.IO.Path.Combine(DataRoot, ShippedMnist);
            if (Directory.Exists(rooted))
            {
                return (rooted, null);
            }

            try
            {
                return (DatasetLocator.FindShippedMnist(), null);
            }
            catch (DatasetException e)
            {
                return (null, e.Message);
            }
        }

        if (System.IO.Path.IsPathRooted(dataset))
        {
            return (null, $"\"{dataset}\" is absolute: give a folder relative to the data root {DataRoot}");
        }

        var root = System.IO.Path.GetFullPath(DataRoot);
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, dataset));
        if (!full.StartsWith(root.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return (null, $"\"{dataset}\" leaves the data root {root}");
        }

        if (!Directory.Exists(full))
        {
            return (null, $"no folder \"{dataset}\" under the data root {root}");
        }

        // After symbolic links, the folder and every file in it must still be inside the root: a
        // link to /etc (or to another tenant's data) is not a dataset under the root.
        var realRoot = DataFiles.RealPath(root) ?? root;
        foreach (var entry in Directory.EnumerateFileSystemEntries(full).Prepend(full))
        {
            var real = DataFiles.RealPath(entry);
            if (real is null || !(real == realRoot || real.StartsWith(realRoot.TrimEnd('/') + "/", StringComparison.Ordinal)))
            {
                return (null, $"\"{dataset}\" leads out of the data root {root} through a symbolic link ({System.IO.Path.GetFileName(entry)} → {real ?? "nowhere"})");
            }
        }

        return (full, null);
    }

    /// <summary>Loads (off the calling grain's turn) or returns the cached dataset at a resolved path,
    /// counting the caller as one of its users until <see cref="Release"/>.</summary>
    public Task<LoadedDataset> AcquireAsync(string path)
    {
        Entry entry;
        lock (_loaded)
        {
            entry = _loaded.GetOrAdd(path, p => new Entry(new Lazy<Task<LoadedDataset>>(() => Task.Run(() => Load(p)))));
            entry.Users++;
        }
        var task = entry.Load.Value;
        // A failed load must not poison the cache: the next caller tries again.
        _ = task.ContinueWith(_ =>
        {
            lock (_loaded)
            {
                _loaded.TryRemove(new(path, entry));
            }
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>One user of <paramref name="path"/> is done with it. A dataset nobody has used for
    /// <see cref="IdleLifetime"/> is dropped (the next job loads it again): the cache holds what jobs
    /// use, not every dataset a silo ever loaded.</summary>
    public static void Release(string path)
    {
        lock (_loaded)
        {
            if (_loaded.TryGetValue(path, out var entry) && entry.Users > 0 && --entry.Users == 0)
            {
                entry.IdleSince = DateTime.UtcNow;
            }
        }
    }

    /// <summary>How long a dataset no job uses stays loaded: long enough for the next job of a
    /// series (a benchmark, a test suite) to find it warm.</summary>
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(1);

    /// <summary>Datasets loaded now (for tests and diagnostics).</summary>
    public static IReadOnlyCollection<string> Loaded => [.. _loaded.Keys];

    /// <summary>Drops the datasets no job has used for <paramref name="idleLifetime"/> (default
    /// <see cref="IdleLifetime"/>); run by a timer every 15 s.</summary>
    public static void Sweep(TimeSpan? idleLifetime = null)
    {
        lock (_loaded)
        {
            foreach (var (path, entry) in _loaded)
            {
                if (entry.Users == 0 && DateTime.UtcNow - entry.IdleSince >= (idleLifetime ?? IdleLifetime))
                {
                    _loaded.TryRemove(path, out _);
                }
            }
        }
    }

    // Created with the type's other statics, at its first use; it lives as long as the process.
    private static readonly Timer Sweeper = new(_ => Sweep(), null, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));

    private sealed class Entry(Lazy<Task<LoadedDataset>> load)
    {
        public Lazy<Task<LoadedDataset>> Load { get; } = load;

        public int Users { get; set; }

        public DateTime IdleSince { get; set; } = DateTime.UtcNow;
    }

    private static LoadedDataset Load(string path)
    {
        var (train, test) = MnistLoader.Load(path);
        return new LoadedDataset(path, train, test);
    }
}
