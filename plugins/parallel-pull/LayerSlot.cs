using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>One layer of an image job: its download (once started) and the staging directory its unpack produces.</summary>
internal sealed class LayerSlot(int order, ImageMetadata.Layer layer)
{
    /// <summary>Where the layer is in the job's fetch order.</summary>
    public int Order { get; } = order;

    public Descriptor Descriptor => layer.Descriptor;

    public string? DiffId => layer.DiffId;

    /// <summary>Set once the job has a reference to the layer's blob download.</summary>
    public TaskCompletionSource<BlobDownload> Download { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The staging directory holding the unpacked layer.</summary>
    public Task<string> Staged { get; set; } = Task.FromException<string>(new InvalidOperationException("the layer's unpack was not started"));

    /// <summary>True once a Prepare has moved the staged layer into its snapshot.</summary>
    public bool Claimed { get; set; }
}
