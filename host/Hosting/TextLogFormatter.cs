using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// <c>--log-format text</c>: one line per event, <c>TIME LEVEL: CATEGORY[EVENT] MESSAGE key=value ...</c>, the
/// key=value pairs from the event's scopes (layer digest, image, snapshot key), values with spaces quoted; an exception
/// follows on the same line with its newlines escaped, so journald and grep see one event per line.
/// </summary>
internal sealed class TextLogFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "pluggable-text";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }
        var line = new StringBuilder(256)
            .Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
            .Append(' ').Append(Level(logEntry.LogLevel)).Append(": ")
            .Append(logEntry.Category).Append('[').Append(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ")
            .Append(OneLine(message ?? ""));
        foreach (var (key, value) in LogScopes.Collect(scopeProvider))
        {
            line.Append(' ').Append(key).Append('=').Append(Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
        }
        if (logEntry.Exception is { } exception)
        {
            line.Append(" exception=").Append(Quote(OneLine(exception.ToString())));
        }
        textWriter.Write(LogRedactor.Redact(line.ToString()));
        textWriter.Write('\n');
    }

    /// <summary>The four-letter level names of the console logger, which tests and operators grep for.</summary>
    public static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private static string OneLine(string text) => text.Contains('\n') ? text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) : text;

    private static string Quote(string value) =>
        value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '"' or '=') ? value : $"\"{value.Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
}
