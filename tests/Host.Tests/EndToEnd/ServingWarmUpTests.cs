using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>The daemon's own calls over its socket right after it serves: made, answered, and never counted as containerd's (root only).</summary>
public sealed class ServingWarmUpTests
{
    [RootOnlyFact]
    public async Task Start_WarmsUpTheServingPath_WithoutCountingItsCalls()
    {
        var ct = TestContext.Token;
        await using var dir = await TmpfsDirectory.CreateAsync("serving-warm-up", ct);
        var port = LoopbackPort.Reserve();
        await using var daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions
        {
            WorkDirectory = dir.Path,
            LogLevel = "information",
            PluginsYaml = $"metrics_address: 127.0.0.1:{port}\n" + SnapshotterDaemonOptions.PlainOverlayPluginsYaml,
        }, ct);

        // Logged only once Stat, Mounts and List answered with a gRPC status; a failure logs event 35 instead.
        while (!daemon.Log.Contains("Warmed up the serving path", StringComparison.Ordinal))
        {
            Assert.DoesNotContain("serving path's warm-up failed", daemon.Log, StringComparison.Ordinal);
            Assert.True(daemon.IsRunning, daemon.Describe());
            await Task.Delay(20, ct);
        }

        using var http = new HttpClient();
        var scrape = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", ct);
        Assert.DoesNotContain("method=\"Stat\"", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("method=\"Mounts\"", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("method=\"List\"", scrape, StringComparison.Ordinal);

        // A client's call of the same kind is counted (the exporter answers from its cache for 300 ms after a scrape).
        using var client = new SnapshotsClient(daemon.Socket);
        await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () =>
            await client.Snapshots.StatAsync(new Grpc.Wire.StatSnapshotRequest { Key = "nobody-made-this" }, cancellationToken: ct));
        await Task.Delay(400, ct);
        Assert.Contains("method=\"Stat\"", await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", ct), StringComparison.Ordinal);
    }
}
