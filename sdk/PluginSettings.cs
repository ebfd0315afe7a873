using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Sdk;

/// <summary>
/// Reads a plugin's <c>settings</c> strictly: a key the settings type does not declare (a typo such as <c>pull_mode</c>)
/// or a value that does not convert (<c>chunk_attempts: many</c>) is an error at its key, as is whatever the plugin's own
/// validation finds (ranges, sizes, paths that must exist). All of them are thrown together as a
/// <see cref="PluginSettingsException"/>, which the host reports with the file and line of each key.
/// </summary>
/// <example>
/// In <see cref="ISnapshotterPlugin.ConfigureServices"/>:
/// <code>
/// var options = PluginSettings.Read("soci", context.Settings, s => s.Get&lt;SociBackendOptions&gt;(), o => o.Validate());
/// </code>
/// </example>
/// <remarks>
/// The type's keys are its public settable properties, named by <see cref="ConfigurationKeyNameAttribute"/> (else the
/// property name), compared without case as the configuration binder does; nested records, lists and dictionaries
/// are checked all the way down. Dictionary keys are the user's own and are not checked.
/// </remarks>
public static class PluginSettings
{
    // The settings objects read on this thread while the host captures them (config dump); null otherwise.
    [ThreadStatic]
    private static List<object>? t_captured;

    /// <summary>Checks, binds and validates <paramref name="settings"/> as a <typeparamref name="T"/>.</summary>
    /// <param name="plugin">Names the settings in the exception message (the plugin's kind, e.g. <c>parallel-pull</c>).</param>
    /// <param name="settings">The plugin's settings section (<see cref="PluginContext.Settings"/>).</param>
    /// <param name="bind">Binds the section, e.g. <c>s =&gt; s.Get&lt;T&gt;()</c>; null means every default.</param>
    /// <param name="validate">The plugin's own checks of the bound values, each error at its key.</param>
    /// <exception cref="PluginSettingsException">Unknown keys, unconvertible values or failed checks, all of them.</exception>
    public static T Read<T>(string plugin, IConfiguration settings, Func<IConfiguration, T?> bind,
        Func<T, IEnumerable<PluginSettingsError>>? validate = null)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(bind);
        var errors = FindShapeErrors(settings, typeof(T)).ToList();
        T options;
        try
        {
            // Unknown keys do not stop the binder, so their errors come with the plugin's own checks of the rest.
            options = bind(settings) ?? new T();
        }
        catch (InvalidOperationException e)
        {
            // A value that does not convert; the shape check has named it, unless the binder knows a converter it does not.
            throw new PluginSettingsException(plugin, errors.Count > 0 ? errors : [new PluginSettingsError("", e.Message)]);
        }
        if (validate is not null)
        {
            errors.AddRange(validate(options));
        }
        if (errors.Count == 0)
        {
            t_captured?.Add(options);
            return options;
        }
        throw new PluginSettingsException(plugin, errors);
    }

    /// <summary>
    /// Runs <paramref name="configure"/> (a plugin's <see cref="ISnapshotterPlugin.ConfigureServices"/>) and returns the
    /// settings objects <see cref="Read{T}"/> produced on this thread meanwhile, defaults filled in. For the host, which
    /// prints the effective configuration (<c>config dump</c>); plugins have no use for it.
    /// </summary>
    public static IReadOnlyList<object> Capture(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var previous = t_captured;
        var captured = new List<object>();
        t_captured = captured;
        try
        {
            configure();
        }
        finally
        {
            t_captured = previous;
        }
        return captured;
    }

    /// <summary>
    /// The keys of <paramref name="settings"/> that <paramref name="settingsType"/> does not declare, values that do not
    /// convert to their property's type, and mappings or lists where a single value belongs (and the reverse).
    /// </summary>
    public static IReadOnlyList<PluginSettingsError> FindShapeErrors(IConfiguration settings, Type settingsType)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(settingsType);
        var errors = new List<PluginSettingsError>();
        SettingsShape.Of(settingsType).CheckChildren(settings, errors);
        return errors;
    }
}
