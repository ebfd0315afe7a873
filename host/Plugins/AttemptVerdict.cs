namespace PluggableSnapshotter.Host.Plugins;

/// <summary>How one backend's try at a layer ended, as <c>pluggable-snapshotter why</c> reports it.</summary>
internal enum AttemptVerdict
{
    /// <summary>The backend prepared the layer.</summary>
    Prepared,

    /// <summary>The image has no index the backend can use.</summary>
    NoIndex,

    /// <summary>The image is indexed but this layer has no zTOC.</summary>
    NoZtoc,

    /// <summary>Not tried: the layer is smaller than <c>min_layer_size</c>.</summary>
    BelowMinLayerSize,

    /// <summary>Not tried: <c>parallel_pull_unpack</c> turns lazy loading off.</summary>
    ParallelPullUnpack,

    /// <summary>The backend handed the layer to containerd.</summary>
    Deferred,

    /// <summary>The backend declares the role but does not implement its operation.</summary>
    NotSupported,

    /// <summary>The registry failed (HTTP error, unreachable, refused credentials).</summary>
    RegistryError,

    /// <summary>Data the backend read was not valid (a corrupt zTOC or index, a digest mismatch).</summary>
    InvalidData,

    /// <summary>Any other failure.</summary>
    Failed,
}
