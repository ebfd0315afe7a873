using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.LazyLayers.Store;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Store;

/// <summary>The store's trash: a discard is a rename into <c>.trash/</c>, the deletion comes with <see cref="StoreTrash.Empty"/>.</summary>
public sealed class StoreTrashTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("store-trash-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Empty_HeldApartForALayer_LeavesItUntilReleasedOrEmptyAll()
    {
        var trash = new StoreTrash(_root, NullLogger.Instance);
        trash.Discard(Write("a/blob.partial", 10), heldFor: "a");
        trash.Discard(Write("b/blob.partial", 10), heldFor: "b");
        trash.Discard(Write("c/fs/file", 10));

        trash.Empty();
        Assert.Equal(2, Directory.GetFileSystemEntries(trash.Folder).Length); // the two held apart
        trash.Release("a");
        trash.Empty();
        var left = Assert.Single(Directory.GetFileSystemEntries(trash.Folder));
        Assert.Equal(10, new FileInfo(left).Length); // b's
        trash.EmptyAll();

        Assert.False(Directory.Exists(trash.Folder));
    }

    [Fact]
    public void Discard_MovesFilesAndFoldersOutOfPlaceButDeletesNothing()
    {
        var trash = new StoreTrash(_root, NullLogger.Instance);
        var file = Write("layer/blob.partial", 1000);
        Write("layer/fs/bin/sh", 10);

        trash.Discard(file);
        trash.Discard(Path.Combine(_root, "layer"));

        Assert.False(Directory.Exists(Path.Combine(_root, "layer")));
        var discarded = Directory.GetFileSystemEntries(trash.Folder).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(2, discarded.Count);
        Assert.StartsWith("blob.partial-", discarded[0]);
        Assert.StartsWith("layer-", discarded[1]);
        Assert.Equal(1000, new FileInfo(Path.Combine(trash.Folder, discarded[0]!)).Length); // still there until emptied
        Assert.True(File.Exists(Path.Combine(trash.Folder, discarded[1]!, "fs", "bin", "sh")));
    }

    [Fact]
    public async Task EmptyAtIdlePriority_DeletesOnAThreadOfItsOwnAndThenTheTrashFolder()
    {
        var trash = new StoreTrash(_root, NullLogger.Instance);
        trash.Discard(Write("a/blob.partial", 100));

        trash.EmptyAtIdlePriority();

        await trash.IdleEmptying.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(Directory.Exists(trash.Folder));
    }

    [Fact]
    public void IdlePriority_ApplyToCurrentThread_PutsOnlyThatThreadInTheIdleClass()
    {
        int? policy = null;
        var thread = new Thread(() =>
        {
            if (IdlePriority.ApplyToCurrentThread()) policy = SchedulingPolicy("/proc/thread-self/stat");
        });
        thread.Start();
        thread.Join();

        Assert.Equal(5, policy); // SCHED_IDLE
        Assert.Equal(0, SchedulingPolicy("/proc/thread-self/stat")); // SCHED_OTHER: the test's own thread is untouched
    }

    /// <summary>Field 41 of a <c>stat</c> file: the scheduling policy (after the command name, which may hold spaces).</summary>
    private static int SchedulingPolicy(string statPath)
    {
        var stat = File.ReadAllText(statPath);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Empty_DeletesWhatWasDiscardedAndThenTheTrashFolder()
    {
        var trash = new StoreTrash(_root, NullLogger.Instance);
        trash.Discard(Write("a/blob.partial", 100));
        trash.Discard(Path.Combine(_root, "a"));
        Write("b/fs/file", 10);

        trash.Empty();

        Assert.False(Directory.Exists(trash.Folder));
        Assert.Equal(["b"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void Empty_StoreRemovedMeanwhile_ThrowsNothing()
    {
        // A reader's eviction empties the trash on a thread-pool thread, where an exception would end the process.
        var root = Path.Combine(_root, "state", "store");
        var trash = new StoreTrash(root, NullLogger.Instance);
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "blob.partial"), "x");
        trash.Discard(Path.Combine(root, "blob.partial"));
        Directory.Delete(Path.Combine(_root, "state"), recursive: true);

        trash.Empty();

        Assert.False(trash.HasDiscards);
    }

    [Fact]
    public void Discard_SameNameTwice_KeepsBoth()
    {
        var trash = new StoreTrash(_root, NullLogger.Instance);
        trash.Discard(Write("layer/blob.partial", 10));
        trash.Discard(Write("layer/blob.partial", 20)); // the layer fetched again before the trash was emptied

        Assert.Equal([10L, 20L], Directory.GetFiles(trash.Folder).Select(f => new FileInfo(f).Length).Order());
    }

    [Fact]
    public void Discard_PathThatIsNotThere_MakesNoTrash()
    {
        var trash = new StoreTrash(_root, NullLogger.Instance);

        trash.Discard(Path.Combine(_root, "missing"));

        Assert.False(Directory.Exists(trash.Folder));
        Assert.False(trash.HasDiscards);
    }

    [Fact]
    public void Discard_TrashCannotBeMade_DeletesInPlaceWithoutThrowing()
    {
        File.WriteAllText(Path.Combine(_root, StoreTrash.FolderName), "a file where the trash folder would go");
        var trash = new StoreTrash(_root, NullLogger.Instance);
        var file = Write("layer/blob.partial", 100);

        trash.Discard(file);

        Assert.False(File.Exists(file));
        Assert.False(trash.HasDiscards);
    }

    [Fact]
    public async Task DiscardAndEmpty_ManyThreadsAtOnce_DeleteEverythingAndTheFolder()
    {
        var trash = new StoreTrash(_root, NullLogger.Instance);
        var paths = Enumerable.Range(0, 200).Select(i => Write($"l{i % 10}/f{i}", 10)).ToList();
        var gate = new object(); // the store's lock: discards one at a time, empties without it

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            foreach (var path in paths.Where((_, i) => i % 8 == worker))
            {
                lock (gate) trash.Discard(path);
                trash.Empty();
            }
        })));
        trash.Empty();

        Assert.False(Directory.Exists(trash.Folder));
        Assert.All(paths, path => Assert.False(File.Exists(path)));
        Assert.False(trash.HasDiscards);
    }

    [Fact]
    public void Clear_RemovesWhatAnEarlierRunLeftInTheTrash()
    {
        Write(".trash/blob.partial-0123", 100); // a crash between a discard and its deletion
        var trash = new StoreTrash(_root, NullLogger.Instance);

        trash.Clear();

        Assert.False(Directory.Exists(trash.Folder));
    }

    private string Write(string relative, int bytes)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
        return path;
    }
}
