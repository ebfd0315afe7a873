using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// Where the backend keeps its work under its state directory (on the snapshotter root's file system, so a finished layer
/// is renamed into its snapshot): <c>blobs/</c> for downloaded layer blobs and <c>staging/&lt;slot&gt;/</c> for unpacked layers.
/// Both are wiped at startup: nothing in them outlives the process that made it.
/// </summary>
internal sealed class StateLayout(PluginContext context)
{
    public string BlobsDirectory { get; } = Path.Combine(context.StateDirectory, "blobs");

    public string StagingDirectory { get; } = Path.Combine(context.StateDirectory, "staging");

    /// <summary>A fresh file name for a blob being downloaded.</summary>
    public string NewBlobPath(OciDigest digest)
    {
        Directory.CreateDirectory(BlobsDirectory);
        return Path.Combine(BlobsDirectory, $"{digest.Algorithm}-{digest.Encoded}.{Guid.NewGuid():N}");
    }

    /// <summary>A fresh staging directory for one layer's unpack.</summary>
    public string NewSlotDirectory()
    {
        var path = Path.Combine(StagingDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes everything a previous run left in <c>blobs/</c> and <c>staging/</c>.</summary>
    public void Wipe()
    {
        foreach (var directory in new[] { BlobsDirectory, StagingDirectory })
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            Directory.CreateDirectory(directory);
        }
    }
}
