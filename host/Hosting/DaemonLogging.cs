using Microsoft.Extensions.Logging.Console;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>The daemon's log: one line per event on stderr, UTC timestamps, scopes, at the level <c>--log-level</c> asks for.</summary>
internal static class DaemonLogging
{
    // Kestrel, gRPC and the generic host log every connection and frame at debug and trace: below warning they are
    // shown only when the whole trace is asked for.
    private static readonly string[] FrameworkCategories = ["Microsoft.AspNetCore", "Grpc", "Microsoft.Extensions.Hosting"];

    public static void Configure(ILoggingBuilder logging, LogLevel minimum)
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
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
            console.IncludeScopes = true;
        });
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
