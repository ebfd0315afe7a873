using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Metrics;

/// <summary>
/// The Prometheus endpoint: <c>GET /metrics</c> (every instrument of the host's meter and of every plugin's meter) and
/// <c>GET /healthz</c> (200 once the snapshotter serves, 503 before), on its own HTTP/1.1 listener beside the gRPC
/// socket. Only requests that arrive on that listener are answered here, and gRPC is not offered on it.
/// </summary>
internal static class MetricsEndpoint
{
    private const string ListenerKey = "pluggable-snapshotter.metrics";

    /// <summary>Registers the meter provider and its Prometheus exporter (only when metrics are on: nothing listens otherwise).</summary>
    public static void AddPrometheusMetrics(this IServiceCollection services)
    {
        services.AddRouting();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(PrepareMetrics.MeterName, PluginMeters.Prefix + "*")
            // The runtime's own meter: managed heap by generation, committed memory, working set, thread pool threads
            // (where the daemon's memory is, next to the plugins' bounds; bench/lazy reads it at its memory rows).
            .AddMeter("System.Runtime")
            .AddView(StreamOf)
            // SOCI's names are kept as they are (soci_fs_operation_count, not ..._count_total).
            .AddPrometheusExporter(prometheus => prometheus.DisableTotalNameSuffixForCounters = true));
    }

    /// <summary>
    /// Series one metric may have. Every stream preallocates this many points (OpenTelemetry's default 2000: ~144 KB per
    /// metric, 40 metrics ~5.8 MB of large object heap for as long as the daemon runs); ours are labelled by backend,
    /// chain, role, opcode, state, never by layer or image, so a few dozen series is the most any has.
    /// </summary>
    internal const int MaxSeriesPerMetric = 256;

    /// <summary>Every instrument's stream: the duration histograms with their buckets, all with <see cref="MaxSeriesPerMetric"/>.</summary>
    internal static MetricStreamConfiguration StreamOf(Instrument instrument)
    {
        MetricStreamConfiguration stream = instrument.Name switch
        {
            MetricNames.PrepareDuration or MetricNames.SociOperationDuration => new ExplicitBucketHistogramConfiguration { Boundaries = MetricNames.MillisecondBuckets },
            MetricNames.CallDuration => new ExplicitBucketHistogramConfiguration { Boundaries = MetricNames.CallMillisecondBuckets },
            _ => new MetricStreamConfiguration(),
        };
        stream.CardinalityLimit = MaxSeriesPerMetric;
        return stream;
    }

    /// <summary>Adds the listener to Kestrel; its connections are marked so only they reach the endpoint.</summary>
    public static void Listen(KestrelServerOptions kestrel, MetricsAddress address)
    {
        Action<ListenOptions> configure = listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(next => connection =>
            {
                connection.Items[ListenerKey] = true;
                return next(connection);
            });
        };
        if (address.UnixPath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Delete(path); // a stale socket of an earlier run
            kestrel.ListenUnixSocket(path, configure);
        }
        else
        {
            kestrel.Listen(address.Tcp!, configure);
        }
    }

    /// <summary>Serves /metrics and /healthz to the metrics listener's connections; others pass on (to gRPC).</summary>
    public static void MapMetricsEndpoint(this WebApplication app)
    {
        var holder = app.Services.GetRequiredService<SnapshotterHolder>();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => OnMetricsListener(context) && context.Request.Path == "/metrics");
        app.Use((context, next) =>
        {
            if (!OnMetricsListener(context))
            {
                return next(context);
            }
            if (context.Request.Path != "/healthz")
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            context.Response.StatusCode = holder.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return context.Response.WriteAsync(holder.IsReady ? "ok\n" : "starting\n");
        });
    }

    private static bool OnMetricsListener(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ListenerKey) == true;
}
