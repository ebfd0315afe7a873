using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Local;

/// <summary>The local backend's <c>settings</c> in plugins.yaml (snake_case keys, all optional).</summary>
public sealed record LocalBackendOptions : RegistrySettings
{
    /// <summary>Mark opaque directories with <c>user.overlay.opaque</c> (for overlay mounted with <c>userxattr</c>).</summary>
    [ConfigurationKeyName("userxattr")]
    public bool UserXattr { get; init; }

    /// <summary>Check each layer's diff ID against the image config (on by default; containerd does too).</summary>
    [ConfigurationKeyName("verify_diff_ids")]
    public bool VerifyDiffIds { get; init; } = true;

    /// <summary>Reads the options from a plugin's settings section: unknown keys and bad values are refused.</summary>
    /// <exception cref="PluginSettingsException">Every problem, each at its key.</exception>
    public static LocalBackendOptions From(IConfiguration settings) =>
        PluginSettings.Read("local", settings, s => s.Get<LocalBackendOptions>(),
            o => o.FindRegistryProblems().Select(p => new PluginSettingsError(p.Key, p.Message)));
}
