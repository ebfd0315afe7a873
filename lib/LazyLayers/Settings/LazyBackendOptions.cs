using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.LazyLayers.Settings;

/// <summary>
/// The settings sections every lazy backend has, with the same keys and defaults (<c>fuse:</c>, <c>fetch:</c>,
/// <c>store:</c>, <c>background_fill:</c>, <c>userxattr</c>) besides the registry's; a backend adds its format's own.
/// </summary>
public abstract record LazyBackendOptions : RegistrySettings
{
    /// <summary>Kernel cache timeouts of the FUSE mounts and passthrough (<c>fuse:</c>, SOCI's <c>[fuse]</c>).</summary>
    [ConfigurationKeyName("fuse")]
    public LayerFuseOptions Fuse { get; init; } = new();

    /// <summary>How long on-demand reads wait for the registry (<c>fetch:</c>).</summary>
    [ConfigurationKeyName("fetch")]
    public FetchOptions Fetch { get; init; } = new();

    /// <summary>The backend's own local layer store (<c>store:</c>).</summary>
    [ConfigurationKeyName("store")]
    public StoreOptions Store { get; init; } = new();

    /// <summary>Fetching whole layers into the store behind their mounts (<c>background_fill:</c>).</summary>
    [ConfigurationKeyName("background_fill")]
    public BackgroundFillOptions BackgroundFill { get; init; } = new();

    /// <summary>Mark opaque directories with <c>user.overlay.opaque</c> (for overlay mounted with <c>userxattr</c>).</summary>
    [ConfigurationKeyName("userxattr")]
    public bool UserXattr { get; init; }

    /// <summary>Every problem with the shared sections and the registry settings, each at its key (after the backend's own).</summary>
    protected IEnumerable<PluginSettingsError> ValidateShared()
    {
        if (Store.MaxBytes < 0)
            yield return new("store:max_bytes", $"must be 0 (no limit) or more, not {Store.MaxBytes}");
        foreach (var (key, message) in Fetch.Validate())
            yield return new($"fetch:{key}", message);
        foreach (var (key, message) in BackgroundFill.Validate())
            yield return new($"background_fill:{key}", message);
        foreach (var (key, message) in Fuse.Validate())
            yield return new($"fuse:{key}", message);
        foreach (var (key, message) in FindRegistryProblems())
            yield return new(key, message);
    }
}
