using Microsoft.AspNetCore.Server.Kestrel.Core;
using PluggableSnapshotter.Host.Grpc;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;

if (args is ["config", .. var rest])
{
    return ConfigCommand.Run(rest, Console.Out, Console.Error);
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

// Every mistake in plugins.yaml, the host's sections and each plugin's settings alike, is reported before anything
// starts, each with its line, and refuses the start with status 2 (as a bad command line does).
DaemonSettings settings;
PluginsConfig config = PluginsConfig.Empty;
try
{
    settings = DaemonSettings.Parse(args, Environment.GetEnvironmentVariable);
    if (settings.Config is not null)
    {
        config = PluginsConfigLoader.Validate(settings.Config, settings.Root).OrThrow();
    }
}
catch (Exception e) when (e is ArgumentException or PluginsConfigException)
{
    Console.Error.WriteLine($"pluggable-snapshotter: {e.Message}");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
DaemonLogging.Configure(builder.Logging, settings.MinimumLevel);

// containerd runs as root; nobody else needs the socket (0660, set before anyone can connect).
UnixListener listener;
try
{
    listener = UnixListener.Bind(settings.Address, LibC.Octal("660"));
}
catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"pluggable-snapshotter: cannot listen on {settings.Address}: {e.Message}");
    return 1;
}
using var socket = listener;
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.ListenHandle((ulong)listener.Socket.Handle.ToInt64(), listen => listen.Protocols = HttpProtocols.Http2);
    kestrel.Limits.MaxRequestBodySize = null;
});

builder.Services.AddSingleton(settings);
builder.Services.AddSingleton(config);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SnapshotterHolder>();
builder.Services.AddSingleton<FuseKeeperLauncher>();
builder.Services.AddSingleton<BackendLoader>();
builder.Services.AddSingleton<ISnapshotterFactory, SnapshotterFactory>();
builder.Services.AddHostedService<SnapshotterService>();
builder.Services.AddGrpc(grpc =>
{
    grpc.Interceptors.Add<ErrorMappingInterceptor>();
    grpc.MaxReceiveMessageSize = 16 * 1024 * 1024;
    grpc.EnableDetailedErrors = true;
});

var app = builder.Build();
app.MapGrpcService<SnapshotsService>();
app.Lifetime.ApplicationStarted.Register(listener.Publish);
// Resolved now: once RunAsync has failed, the service provider is disposed.
var logger = app.Services.GetRequiredService<ILogger<SnapshotterService>>();
try
{
    await app.RunAsync();
    return 0;
}
catch (Exception e)
{
    // Startup failures (a plugin that does not load, a remote snapshot that cannot be restored) are expected
    // configuration problems: say what is wrong without a stack trace, unless debugging.
    if (e is PluginLoadException or PluginsConfigException or InvalidOperationException or IOException)
    {
        logger.LogCritical("cannot start: {Reason}", e.Message);
        logger.LogDebug(e, "startup failure");
    }
    else
    {
        logger.LogCritical(e, "cannot start");
    }
    return 1;
}
