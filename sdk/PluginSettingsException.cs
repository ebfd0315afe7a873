namespace PluggableSnapshotter.Sdk;

/// <summary>
/// A plugin's <c>settings</c> are not usable. Thrown from <see cref="ISnapshotterPlugin.ConfigureServices"/> with every
/// problem at once; the host reports each with the file and line of its key and refuses to start (exit status 2).
/// </summary>
/// <remarks>Build it with <see cref="PluginSettings.Read{T}"/>, which also rejects keys the settings type does not know.</remarks>
public sealed class PluginSettingsException : Exception
{
    /// <summary>Creates the exception; <paramref name="plugin"/> names the settings in the message (e.g. <c>soci settings</c>).</summary>
    public PluginSettingsException(string plugin, IReadOnlyList<PluginSettingsError> errors)
        : base($"{plugin} settings are invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem, each at its key.</summary>
    public IReadOnlyList<PluginSettingsError> Errors { get; }
}
