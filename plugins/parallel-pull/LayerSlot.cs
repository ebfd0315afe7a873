using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// One unpack of one layer, shared by every image job that wants that layer digest (<see cref="LayerSlots"/>): its blob
/// download (once a job started it), the staging directory its unpack fills, and who holds it. State changes happen under
/// the <see cref="LayerSlots"/> lock.
/// </summary>
internal sealed class LayerSlot(ImageMetadata.Layer layer, string directory)
{
    public Descriptor Descriptor => layer.Descriptor;

    public string? DiffId => layer.DiffId;

    /// <summary>The slot's own folder under <c>staging/</c>; the unpacked layer is its <see cref="StagedPath"/>.</summary>
    public string Directory { get; } = directory;

    /// <summary>Where the unpack writes the layer (renamed into the claiming Prepare's mount point).</summary>
    public string StagedPath => Path.Combine(Directory, "layer");

    /// <summary>Set once a job holds a reference to the layer's blob download for this slot.</summary>
    public TaskCompletionSource<BlobDownload> Download { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancels the unpack when the slot is abandoned.</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>Completes with <see cref="StagedPath"/> once the layer is unpacked and verified.</summary>
    public Task<string> Staged { get; set; } = Task.FromException<string>(new InvalidOperationException("the layer's unpack was not started"));

    /// <summary>Image jobs holding the slot.</summary>
    public int Holders { get; set; }

    /// <summary>True once a Prepare has moved the staged layer into its snapshot.</summary>
    public bool Claimed { get; set; }

    /// <summary>True once the slot is claimed or abandoned: nobody can take it any more.</summary>
    public bool Ended { get; set; }

    /// <summary>True when a job may still hand this slot's layer to a Prepare.</summary>
    public bool IsAvailable => !Ended && !Claimed && !Staged.IsFaulted && !Staged.IsCanceled;
}
