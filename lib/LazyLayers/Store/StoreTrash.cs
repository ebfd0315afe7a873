using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// What the <see cref="LayerStore"/> no longer needs (a filled layer's partial blob and decompressed spans, a freed layer's
/// folder), deleted outside the store's lock. Deleting a 333 MB file on tmpfs takes the kernel about 45 ms here, a
/// filled layer drops its partial blob and its decompressed spans, and every read needing the store (a span fetch, a
/// Prepare's attach) used to wait for the lock meanwhile. Under the lock a path is only renamed into
/// <c>store/.trash/</c>, on the same file system (about 1 ms whatever its size); <see cref="Empty"/> deletes once the lock
/// is released. What a crash leaves in the trash goes when the store opens.
/// </summary>
internal sealed class StoreTrash(string storeRoot, ILogger logger)
{
    /// <summary>The trash folder's name in the store's root (not a layer digest's folder name, which has no dot).</summary>
    public const string FolderName = ".trash";

    private readonly ConcurrentQueue<string> _discarded = new();
    private readonly List<(string Tag, string Path)> _heldApart = []; // under _folderLock; deleted by EmptyAll, or Released
    private readonly Lock _folderLock = new(); // the folder is made by a discard and removed by the empty that leaves it empty
    private int _emptying; // 1 while a caller deletes: one at a time, so a reader never inherits a fill's deletions
    private Task _idleEmptying = Task.CompletedTask;

    public string Folder { get; } = Path.Combine(storeRoot, FolderName);

    /// <summary>True while something discarded waits to be deleted.</summary>
    public bool HasDiscards => !_discarded.IsEmpty;

    /// <summary>
    /// Moves the file or folder at <paramref name="path"/> into the trash (a path that is not there is left alone). Never
    /// throws: what cannot be moved is deleted in place, as before the trash, and what cannot be deleted either is logged.
    /// Held apart for <paramref name="heldFor"/> (a layer digest), <see cref="Empty"/> leaves it: only <see cref="EmptyAll"/>,
    /// <see cref="EmptyAtIdlePriority"/>, or <see cref="Release"/> of that tag and an empty delete it (a filled layer's
    /// partial files, whose deletion waits for a quiet moment unless the layer itself goes).
    /// </summary>
    public void Discard(string path, string? heldFor = null)
    {
        var isFolder = Directory.Exists(path);
        if (!isFolder && !File.Exists(path)) return;
        // Unique: a layer may be freed, fetched and freed again before the trash is emptied.
        var target = Path.Combine(Folder, $"{Path.GetFileName(path)}-{Guid.NewGuid():N}");
        try
        {
            lock (_folderLock)
            {
                Directory.CreateDirectory(Folder);
                if (isFolder) Directory.Move(path, target);
                else File.Move(path, target);
                if (heldFor is null) _discarded.Enqueue(target);
                else _heldApart.Add((heldFor, target));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LazyLayersLog.TrashRefused(logger, path, e.Message);
            Delete(path);
        }
    }

    /// <summary>
    /// Deletes what was discarded, then the trash folder once nothing is left in it, so that the store's root holds only
    /// layers. Called without the store's lock. While another caller empties, returns at once: that one takes what
    /// arrives meanwhile too.
    /// </summary>
    public void Empty()
    {
        while (!_discarded.IsEmpty && Interlocked.CompareExchange(ref _emptying, 1, 0) == 0)
        {
            try
            {
                while (_discarded.TryDequeue(out var path)) Delete(path);
                lock (_folderLock)
                {
                    if (_discarded.IsEmpty) RemoveFolderIfEmpty();
                }
            }
            finally
            {
                Volatile.Write(ref _emptying, 0);
            }
            // A discard between the last dequeue and the release above is taken by the next turn of the loop.
        }
    }

    /// <summary>What was held apart for <paramref name="tag"/> goes with the next <see cref="Empty"/> (its layer is going).</summary>
    public void Release(string tag) => ReleaseHeld(h => h.Tag == tag);

    /// <summary><see cref="Empty"/>, and what was held apart too.</summary>
    public void EmptyAll()
    {
        ReleaseHeld(_ => true);
        Empty();
    }

    private void ReleaseHeld(Predicate<(string Tag, string Path)> which)
    {
        lock (_folderLock)
        {
            foreach (var held in _heldApart.Where(h => which(h))) _discarded.Enqueue(held.Path);
            _heldApart.RemoveAll(which);
        }
    }

    /// <summary>
    /// <see cref="EmptyAll"/> on a thread of its own in the idle scheduling class (<see cref="IdlePriority"/>), for
    /// deletions that may wait: they then take only CPU time nothing else wants.
    /// </summary>
    public void EmptyAtIdlePriority()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_folderLock)
        {
            if (_discarded.IsEmpty && _heldApart.Count == 0) return;
            _idleEmptying = Task.WhenAll(_idleEmptying, done.Task);
        }
        var thread = new Thread(() =>
        {
            try
            {
                IdlePriority.ApplyToCurrentThread();
                EmptyAll();
            }
            finally
            {
                done.SetResult();
            }
        })
        { IsBackground = true, Name = "store trash" };
        thread.Start();
    }

    /// <summary>Completes when every <see cref="EmptyAtIdlePriority"/> begun so far has ended (before the store's folder is removed).</summary>
    public Task IdleEmptying
    {
        get
        {
            lock (_folderLock) return _idleEmptying;
        }
    }

    /// <summary>Deletes the trash folder and whatever is in it (the store is opening: what an earlier run left).</summary>
    public void Clear()
    {
        lock (_folderLock)
        {
            _discarded.Clear();
            _heldApart.Clear();
            Delete(Folder);
        }
    }

    private void RemoveFolderIfEmpty()
    {
        try
        {
            if (Directory.Exists(Folder) && !Directory.EnumerateFileSystemEntries(Folder).Any()) Directory.Delete(Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone already (the whole store was removed), or not empty after all: either way nothing is lost. This may run
            // on a thread-pool thread, where an exception would end the process.
        }
    }

    private void Delete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The layer's own state is settled already: only disk space waits, until the next open clears the trash.
            LazyLayersLog.TrashNotEmptied(logger, path, e.Message);
        }
    }
}
