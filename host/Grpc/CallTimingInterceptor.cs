using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.Metrics;

namespace PluggableSnapshotter.Host.Grpc;

/// <summary>
/// Times every snapshots API call (histogram <see cref="MetricNames.CallDuration"/>, and a debug line per call), so
/// the cost of a container start on our side of containerd's proxy reads off /metrics. It runs outside
/// <see cref="ErrorMappingInterceptor"/> and so sees the status code containerd gets.
/// </summary>
internal sealed class CallTimingInterceptor(CallMetrics metrics, ILogger<CallTimingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        long started = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        finally
        {
            Record(context, code, Stopwatch.GetElapsedTime(started));
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        long started = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        finally
        {
            Record(context, code, Stopwatch.GetElapsedTime(started));
        }
    }

    private void Record(ServerCallContext context, StatusCode code, TimeSpan elapsed)
    {
        if (ServingWarmUp.IsWarmUpCall(context.RequestHeaders.Get(ServingWarmUp.Header)?.Value)) return; // the daemon's own calls at start
        // "/containerd.services.snapshots.v1.Snapshots/Prepare" -> "Prepare"
        var fullMethod = context.Method;
        string method = fullMethod[(fullMethod.LastIndexOf('/') + 1)..];
        metrics.Record(method, code.ToString(), elapsed);
        HostLog.CallTimed(logger, method, code, elapsed.TotalMilliseconds);
    }
}
