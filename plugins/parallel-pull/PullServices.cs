using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>What every image job uses, shared by all of them.</summary>
internal sealed record PullServices(
    RegistryClient Registry,
    BlobStore Blobs,
    LayerSlots Slots,
    ImageCatalog Images,
    PullLimits Limits,
    StateLayout Layout,
    ParallelPullOptions Options,
    TimeProvider Time,
    ILogger<ImageJob> Logger);
