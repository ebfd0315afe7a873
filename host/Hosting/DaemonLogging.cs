using Microsoft.Extensions.Logging.Console;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// The daemon's log: one line per event on stderr, UTC timestamps, scopes as key=value (<c>--log-format text</c>) or one
/// JSON object per line (<c>json</c>), credentials masked (<see cref="LogRedactor"/>), at the level <c>--log-level</c> asks for.
/// </summary>
internal static class DaemonLogging
{
    // Kestrel, gRPC and the generic host log every connection and frame at debug and trace: below warning they are
    // shown only when the whole trace is asked for.
    private static readonly string[] FrameworkCategories = ["Microsoft.AspNetCore", "Grpc", "Microsoft.Extensions.Hosting"];

    public static void Configure(ILoggingBuilder logging, LogLevel minimum, string format = "text")
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(minimum);
        var framework = minimum == LogLevel.Trace ? LogLevel.Trace : (minimum > LogLevel.Warning ? minimum : LogLevel.Warning);
        foreach (var category in FrameworkCategories)
        {
            logging.AddFilter(category, framework);
        }
        // The generic host logs a failed start with its stack trace; Program.cs says why without one (the trace is
        // logged at debug). The host runs no BackgroundService whose faults this category would otherwise report.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", minimum <= LogLevel.Debug ? minimum : LogLevel.Critical);
        logging.AddConsole(console => console.FormatterName = IsJson(format) ? JsonLogFormatter.Name : TextLogFormatter.Name);
        logging.AddConsoleFormatter<TextLogFormatter, ConsoleFormatterOptions>();
        logging.AddConsoleFormatter<JsonLogFormatter, ConsoleFormatterOptions>();
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    /// <summary>A logger factory for the subcommands (the keeper), in the daemon's format.</summary>
    public static ILoggerFactory CreateFactory(LogLevel minimum, string format = "text") =>
        LoggerFactory.Create(logging => Configure(logging, minimum, format));

    private static bool IsJson(string format) => string.Equals(format, "json", StringComparison.OrdinalIgnoreCase);
}
