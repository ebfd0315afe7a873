using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// <c>--log-format json</c>: one JSON object per line with <c>time</c>, <c>level</c>, <c>category</c>, <c>event_id</c>,
/// <c>message</c>, the message's named values and its scopes' values as top-level fields (the message's win), and
/// <c>exception</c>. Flat, so log shippers index LayerDigest or ImageReference without configuration.
/// </summary>
internal sealed class JsonLogFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "pluggable-json";

    // Readable lines: '+', '&' and quotes in values stay as they are (the line is not embedded in HTML).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly HashSet<string> Reserved = ["time", "level", "category", "event_id", "message", "exception"];

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }
        var fields = LogScopes.Collect(scopeProvider);
        foreach (var pair in LogScopes.StateValues(logEntry.State))
        {
            fields.RemoveAll(p => p.Key == pair.Key);
            fields.Add(pair);
        }
        // A value the message's redaction masks is masked in its own field too (a credential logged as {Basic}).
        var rendered = message ?? "";
        var redacted = LogRedactor.Redact(rendered);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("level", logEntry.LogLevel.ToString().ToLowerInvariant());
            json.WriteString("category", logEntry.Category);
            json.WriteNumber("event_id", logEntry.EventId.Id);
            json.WriteString("message", redacted);
            foreach (var (key, value) in fields.Where(f => !Reserved.Contains(f.Key)))
            {
                var text = value as string;
                if (text is { Length: >= 4 } && !ReferenceEquals(rendered, redacted)
                    && rendered.Contains(text, StringComparison.Ordinal) && !redacted.Contains(text, StringComparison.Ordinal))
                {
                    json.WriteString(key, LogRedactor.Mask);
                    continue;
                }
                WriteValue(json, key, value);
            }
            if (logEntry.Exception is { } exception)
            {
                json.WriteString("exception", exception.ToString());
            }
            json.WriteEndObject();
        }
        textWriter.Write(LogRedactor.Redact(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)));
        textWriter.Write('\n');
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null: json.WriteNull(key); break;
            case bool b: json.WriteBoolean(key, b); break;
            case double d when double.IsFinite(d): json.WriteNumber(key, d); break;
            case int or long or short or byte or uint or ulong or ushort or decimal:
                json.WriteNumber(key, Convert.ToDecimal(value, CultureInfo.InvariantCulture)); break;
            default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
