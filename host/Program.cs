using Microsoft.AspNetCore.Server.Kestrel.Core;
using PluggableSnapshotter.Host.Grpc;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;

var clock = new StartupClock();
if (args is ["config", .. var rest])
{
    return ConfigCommand.Run(rest, Console.Out, Console.Error);
}

if (args is ["why", .. var whyArgs])
{
    return await PluggableSnapshotter.Host.Why.WhyCommand.RunAsync(whyArgs, Console.Out, Console.Error, CancellationToken.None);
}

if (args is ["keeper", .. var keeperArgs])
{
    return await KeeperCommand.RunAsync(keeperArgs);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(DaemonSettings.Usage);
    return 0;
}

DaemonSettings settings;
try
{
    settings = DaemonSettings.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"pluggable-snapshotter: {e.Message}");
    return 2;
}
// On the second CPU while the web host builder is made: plugins.yaml with every plugin's settings checked (YamlDotNet's
// first parse is slow) and the metadata store's SQLite code. Both are awaited before they are needed.
var configLoad = Task.Run(() => settings.Config is null ? PluginsConfig.Empty : PluginsConfigLoader.Validate(settings.Config, settings.Root).OrThrow());
var storeWarmUp = Task.Run(MetaStore.WarmUpAsync);

// The empty builder: no configuration files, file watchers or environment providers on the path to the socket (the slim
// builder spent ~80 ms there); Kestrel's core alone, HTTP/2 over the unix socket handed to it below.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.UseKestrelCore();
// Kestrel starts while the snapshotter opens (store, restore); the socket is published only once both are done.
builder.Services.Configure<HostOptions>(host => host.ServicesStartConcurrently = true);
DaemonLogging.Configure(builder.Logging, settings.MinimumLevel, settings.LogFormat);
clock.Mark("builder made");

// Every mistake in plugins.yaml, the host's sections and each plugin's settings alike, is reported before anything
// starts, each with its line, and refuses the start with status 2 (as a bad command line does).
PluginsConfig config;
try
{
    config = await configLoad;
}
catch (Exception e) when (e is ArgumentException or PluginsConfigException)
{
    Console.Error.WriteLine($"pluggable-snapshotter: {e.Message}");
    return 2;
}
clock.Mark("plugins.yaml read");

// containerd runs as root; nobody else needs the socket (0660, set before anyone can connect). Under systemd socket
// activation the socket unit made it (with its own SocketMode) and connections already wait in its backlog.
UnixListener listener;
try
{
    listener = settings.SocketActivated
        ? UnixListener.Inherited(SocketActivation.Take(Environment.GetEnvironmentVariable, Environment.ProcessId))
        : UnixListener.Bind(settings.Address, LibC.Octal("660"));
}
catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"pluggable-snapshotter: cannot listen on {settings.Address}: {e.Message}");
    return 1;
}
using var socket = listener;
clock.Mark("socket bound");
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.ListenHandle((ulong)listener.Socket.Handle.ToInt64(), listen => listen.Protocols = HttpProtocols.Http2);
    kestrel.Limits.MaxRequestBodySize = null;
    if (config.MetricsAddress is { } metrics)
    {
        MetricsEndpoint.Listen(kestrel, metrics);
    }
});
if (config.MetricsAddress is not null)
{
    builder.Services.AddPrometheusMetrics();
}

builder.Services.AddSingleton(clock);
builder.Services.AddSingleton(settings);
builder.Services.AddSingleton(config);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SnapshotterHolder>();
builder.Services.AddSingleton<PrepareMetrics>();
builder.Services.AddSingleton<CallMetrics>();
builder.Services.AddSingleton<FuseKeeperLauncher>();
builder.Services.AddSingleton<BackendLoader>();
builder.Services.AddSingleton<ISnapshotterFactory, SnapshotterFactory>();
builder.Services.AddHostedService<SnapshotterService>();
builder.Services.AddHostedService<IdleMemoryTrimmer>();
builder.Services.AddGrpc(grpc =>
{
    // Outermost first: the timing sees the status code the error mapping chose.
    grpc.Interceptors.Add<CallTimingInterceptor>();
    grpc.Interceptors.Add<ErrorMappingInterceptor>();
    grpc.MaxReceiveMessageSize = 16 * 1024 * 1024;
    grpc.EnableDetailedErrors = true;
});

var app = builder.Build();
if (config.MetricsAddress is not null)
{
    app.MapMetricsEndpoint();
}
app.MapGrpcService<SnapshotsService>();
clock.Mark("host built");
await storeWarmUp;
var systemd = SystemdNotifier.FromEnvironment();
app.Lifetime.ApplicationStarted.Register(() =>
{
    listener.Publish();
    clock.Mark("serving");
    // Ready only now: the snapshotter is open and the socket is accepted on (Type=notify units start their
    // dependents, containerd, on this).
    systemd.Notify("READY=1\nSTATUS=serving");
    HostLog.Serving(app.Services.GetRequiredService<ILogger<SnapshotterService>>(), settings.Address,
        config.MetricsAddress?.ToString() ?? "off", clock.Describe());
    if (listener.ConnectPath is { } connectPath)
    {
        _ = Task.Run(() => ServingWarmUp.RunLoggedAsync(app.Services.GetRequiredService<ILogger<SnapshotterService>>(), connectPath, app.Lifetime.ApplicationStopping));
    }
});
app.Lifetime.ApplicationStopping.Register(() => systemd.Notify("STOPPING=1\nSTATUS=stopping: lazily served layers stay with the FUSE keeper"));
// Resolved now: RunAsync disposes the services on its way out, failed start-up included.
var logger = app.Services.GetRequiredService<ILogger<SnapshotterService>>();
try
{
    await app.RunAsync();
    return 0;
}
catch (Exception caught)
{
    // Startup failures (a plugin that does not load, a remote snapshot that cannot be restored) are expected
    // configuration problems: say what is wrong without a stack trace, unless debugging. Hosted services start
    // concurrently, so a failure may come wrapped.
    var e = caught is AggregateException { InnerExceptions: [var single] } ? single : caught;
    if (e is PluginLoadException or PluginsConfigException or InvalidOperationException or IOException)
    {
        HostLog.CannotStart(logger, e.Message);
        HostLog.StartupFailure(logger, e);
    }
    else
    {
        HostLog.CannotStartUnexpectedly(logger, e);
    }
    return 1;
}
