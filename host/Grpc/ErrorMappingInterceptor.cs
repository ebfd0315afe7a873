using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Grpc;

/// <summary>
/// The one place where errors become gRPC status codes, the ones containerd's errdefs turn back into its error kinds.
/// </summary>
internal sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ToRpc(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ToRpc(e, context);
        }
    }

    private RpcException ToRpc(Exception e, ServerCallContext context)
    {
        var code = e switch
        {
            SnapshotterException s => s.Kind switch
            {
                SnapshotErrorKind.NotFound => StatusCode.NotFound,
                SnapshotErrorKind.AlreadyExists => StatusCode.AlreadyExists,
                SnapshotErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
                SnapshotErrorKind.InvalidArgument or SnapshotErrorKind.NoNamespace => StatusCode.InvalidArgument,
                _ => StatusCode.Unknown,
            },
            OperationCanceledException when context.CancellationToken.IsCancellationRequested => StatusCode.Cancelled,
            _ => StatusCode.Unknown,
        };
        if (code == StatusCode.Unknown)
        {
            HostLog.CallFailed(logger, e, context.Method);
        }
        else
        {
            HostLog.CallRefused(logger, context.Method, code, e.Message);
        }
        return new RpcException(new Status(code, e.Message));
    }
}
