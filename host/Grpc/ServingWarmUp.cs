using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Grpc.Wire;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Grpc;

/// <summary>
/// Once the socket is served, calls our own snapshots API over it as containerd does (HTTP/2 over the unix socket): Stat,
/// Mounts and a List filtered by a snapshot.ref label and a parent, each for a key that cannot exist, so nothing is
/// created or changed. Kestrel's HTTP/2 stream path, routing, the gRPC method binder, the interceptors, the protobuf
/// codecs, the error mapping and the metadata store's reads are then compiled before containerd's first call: the first
/// Prepare of a pull spent about 70 ms there before its own work began. The calls carry <see cref="Header"/> with this
/// process's <see cref="Token"/>, so they are neither timed nor counted (<see cref="CallTimingInterceptor"/>); nobody else knows the token.
/// </summary>
internal static class ServingWarmUp
{
    /// <summary>The request header that marks a warm-up call.</summary>
    public const string Header = "x-pluggable-snapshotter-warm-up";

    /// <summary>The header's value: made at start, so only this process's own calls are left out of the metrics.</summary>
    public static readonly string Token = Guid.NewGuid().ToString("N");

    /// <summary>Whether a call's headers mark it as one of this process's warm-up calls.</summary>
    public static bool IsWarmUpCall(string? headerValue) => string.Equals(headerValue, Token, StringComparison.Ordinal);

    private const string Service = "/containerd.services.snapshots.v1.Snapshots/";

    /// <summary>
    /// <see cref="RunAsync"/>, logged: run in the background once serving, where a failure costs only the first call's
    /// speed, so it is logged, never raised.
    /// </summary>
    public static async Task RunLoggedAsync(ILogger logger, string socketPath, CancellationToken stopping)
    {
        var (started, methods, jit) = (Stopwatch.GetTimestamp(), JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
        try
        {
            await RunAsync(socketPath, stopping).ConfigureAwait(false);
            HostLog.ServingWarmedUp(logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, JitInfo.GetCompiledMethodCount() - methods,
                (long)(JitInfo.GetCompilationTime() - jit).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped first.
        }
#pragma warning disable CA1031 // a warm-up must never fail the daemon
        catch (Exception e)
#pragma warning restore CA1031
        {
            HostLog.ServingWarmUpFailed(logger, e.Message);
        }
    }

    /// <summary>Makes the calls over the socket at <paramref name="socketPath"/>; the answers (NotFound, an empty list) do not matter.</summary>
    public static async Task RunAsync(string socketPath, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { ConnectCallback = (_, token) => ConnectAsync(socketPath, token) };
        using var client = new HttpClient(handler);
        var key = $"pluggable-snapshotter/warm-up/{Guid.NewGuid():N}";
        await CallAsync(client, "Stat", new StatSnapshotRequest { Key = key }, cancellationToken).ConfigureAwait(false);
        await CallAsync(client, "Mounts", new MountsRequest { Key = key }, cancellationToken).ConfigureAwait(false);
        var list = new ListSnapshotsRequest { Filters = { $"labels.\"containerd.io/snapshot.ref\"=={key},parent=={key}" } };
        await CallAsync(client, "List", list, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<Stream> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // A gRPC message on the wire: a compressed flag (0), its length (big-endian uint32), the protobuf bytes.
    private static async Task CallAsync(HttpClient client, string method, IMessage request, CancellationToken cancellationToken)
    {
        var body = new byte[5 + request.CalculateSize()];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)(body.Length - 5));
        request.WriteTo(body.AsSpan(5));
        using var message = new HttpRequestMessage(HttpMethod.Post, "http://localhost" + Service + method)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact, // h2c with prior knowledge, as gRPC clients speak
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        message.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        message.Headers.Add(Header, Token);
        using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"{method} answered HTTP {(int)response.StatusCode}, not a gRPC status");
        // A gRPC status in the trailers, or in the headers of a trailers-only answer. Only OK and NotFound (the key does
        // not exist) mean the call went the whole way; anything else (Unimplemented, InvalidArgument...) did not.
        var status = (response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer
            : response.Headers.TryGetValues("grpc-status", out var header) ? header : []).FirstOrDefault();
        if (status is not ("0" or "5"))
            throw new HttpRequestException($"{method} answered gRPC status {status ?? "(none)"}, not OK or NotFound");
    }
}
