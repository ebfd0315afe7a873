using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PluggableSnapshotter.Host.Grpc.Wire;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Grpc;

/// <summary>
/// The thin adapter from containerd's <c>containerd.services.snapshots.v1.Snapshots</c> to <see cref="ISnapshotter"/>;
/// errors become status codes in <see cref="ErrorMappingInterceptor"/>.
/// </summary>
internal sealed class SnapshotsService(SnapshotterHolder holder) : Snapshots.SnapshotsBase
{
    // containerd's gRPC metadata key for the namespace (absent from proxy requests in containerd 1.6).
    private const string NamespaceHeader = "containerd-namespace";

    private ISnapshotter Snapshotter => holder.Snapshotter;

    public override async Task<PrepareSnapshotResponse> Prepare(PrepareSnapshotRequest request, ServerCallContext context)
    {
        var @namespace = context.RequestHeaders.GetValue(NamespaceHeader);
        var prepared = await Snapshotter.PrepareAsync(request.Key, request.Parent, request.Labels, @namespace, context.CancellationToken);
        if (prepared.CommittedTarget is { } target)
        {
            // How a remote snapshotter tells containerd it made the layer itself: containerd then uses the target as is.
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"target snapshot \"{target}\": already exists"));
        }
        return new PrepareSnapshotResponse { Mounts = { prepared.Mounts.Select(WireConvert.ToWire) } };
    }

    public override async Task<ViewSnapshotResponse> View(ViewSnapshotRequest request, ServerCallContext context)
    {
        var mounts = await Snapshotter.ViewAsync(request.Key, request.Parent, request.Labels, context.CancellationToken);
        return new ViewSnapshotResponse { Mounts = { mounts.Select(WireConvert.ToWire) } };
    }

    public override async Task<MountsResponse> Mounts(MountsRequest request, ServerCallContext context)
    {
        var mounts = await Snapshotter.MountsAsync(request.Key, context.CancellationToken);
        return new MountsResponse { Mounts = { mounts.Select(WireConvert.ToWire) } };
    }

    public override async Task<Empty> Commit(CommitSnapshotRequest request, ServerCallContext context)
    {
        await Snapshotter.CommitAsync(request.Name, request.Key, request.Labels, context.CancellationToken);
        return new Empty();
    }

    public override async Task<Empty> Remove(RemoveSnapshotRequest request, ServerCallContext context)
    {
        await Snapshotter.RemoveAsync(request.Key, context.CancellationToken);
        return new Empty();
    }

    public override async Task<StatSnapshotResponse> Stat(StatSnapshotRequest request, ServerCallContext context)
    {
        var info = await Snapshotter.StatAsync(request.Key, context.CancellationToken);
        return new StatSnapshotResponse { Info = WireConvert.ToWire(info) };
    }

    public override async Task<UpdateSnapshotResponse> Update(UpdateSnapshotRequest request, ServerCallContext context)
    {
        var info = WireConvert.FromWire(request.Info ?? new Info());
        var paths = request.UpdateMask?.Paths.ToList() ?? [];
        var updated = await Snapshotter.UpdateAsync(info, paths, context.CancellationToken);
        return new UpdateSnapshotResponse { Info = WireConvert.ToWire(updated) };
    }

    public override async Task List(ListSnapshotsRequest request, IServerStreamWriter<ListSnapshotsResponse> responseStream, ServerCallContext context)
    {
        // Batched like containerd's service, so a large list is not one huge message.
        const int batchSize = 100;
        var batch = new ListSnapshotsResponse();
        await foreach (var info in Snapshotter.WalkAsync(request.Filters, context.CancellationToken))
        {
            batch.Info.Add(WireConvert.ToWire(info));
            if (batch.Info.Count == batchSize)
            {
                await responseStream.WriteAsync(batch, context.CancellationToken);
                batch = new ListSnapshotsResponse();
            }
        }
        if (batch.Info.Count > 0)
        {
            await responseStream.WriteAsync(batch, context.CancellationToken);
        }
    }

    public override async Task<UsageResponse> Usage(UsageRequest request, ServerCallContext context)
    {
        var usage = await Snapshotter.UsageAsync(request.Key, context.CancellationToken);
        return new UsageResponse { Size = usage.Size, Inodes = usage.Inodes };
    }

    public override async Task<Empty> Cleanup(CleanupRequest request, ServerCallContext context)
    {
        await Snapshotter.CleanupAsync(context.CancellationToken);
        return new Empty();
    }
}
