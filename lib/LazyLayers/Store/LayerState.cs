namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>How much of a layer the store holds locally.</summary>
public enum LayerState
{
    /// <summary>Served from the registry on demand; nothing local yet.</summary>
    Lazy,

    /// <summary>Waiting for the background fill.</summary>
    Queued,

    /// <summary>The background fill is downloading and unpacking it.</summary>
    Filling,

    /// <summary>Unpacked into the store and verified (layer digest): served without the network.</summary>
    Local,

    /// <summary>The last fill failed (see the error); reads stay on demand and the next mount tries again.</summary>
    Failed,
}
