using System.Buffers;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Registry.Downloads;

public sealed partial class BlobDownload
{
    private readonly Lock _chunkLock = new();
    private bool[] _chunkDone = [];
    private int _contiguousChunks;
    private long _chunkSize;
    private const long HashBatch = 16L * 1024 * 1024;

    /// <summary>
    /// SOCI's chunked parallel download: range requests of <paramref name="chunk"/> bytes, in blob order, as many at once as
    /// the limits admit; each is retried on its own when its connection breaks. The digest is computed in order behind the
    /// watermark, since range bytes cannot be checked on their own (not for a <see cref="Resume"/>d download, whose
    /// reader hashes what it reads).
    /// </summary>
    private async Task FetchChunkedAsync(DownloadPlan plan, long chunk, TaskCompletionSource admitted, CancellationToken cancellationToken)
    {
        var size = Blob.Size;
        var count = checked((int)((size + chunk - 1) / chunk));
        _chunkDone = new bool[count];
        _chunkSize = chunk;
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hashing = _partial is not null ? Task.CompletedTask : HashBehindWatermarkAsync(failFast.Token);
        var requests = new List<Task>(count);
        for (var i = 0; i < count && !failFast.IsCancellationRequested; i++)
        {
            var range = new ByteRange(i * chunk, Math.Min(chunk, size - (i * chunk)));
            if (_partial is not null && _partial.Contains(range))
            {
                ChunkDone(i); // fetched before (by readers, or a fill the daemon's stop cut short)
                continue;
            }

            DownloadLimiter.Slot slot;
            try
            {
                slot = await plan.PerImage.EnterAsync(plan.Global, failFast.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break; // a chunk failed (its error is awaited below) or the download was cancelled
            }

            requests.Add(FetchChunkAsync(plan, i, range, slot, failFast));
        }

        admitted.TrySetResult();
        await Task.WhenAll(requests).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        await hashing.ConfigureAwait(false);
    }

    private async Task FetchChunkAsync(DownloadPlan plan, int index, ByteRange range, DownloadLimiter.Slot slot, CancellationTokenSource failFast)
    {
        using var _ = slot;
        var digest = Blob.ParsedDigest;
        var paid = new GatePayment();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (_partial is not null)
                {
                    await FetchMissingAsync(plan, range, paid, failFast.Token).ConfigureAwait(false);
                    ChunkDone(index);
                    return;
                }

                if (plan.Gate is { } gate)
                {
                    var due = Math.Max(0, range.Length - paid.Unreceived); // a retry does not pay again for what it did not get
                    await gate.WaitAsync(due, failFast.Token).ConfigureAwait(false);
                    paid.Unreceived += due;
                }
                var bytes = await plan.Registry.GetBlobRangeAsync(plan.Repository, digest, range, failFast.Token, plan.HoldBack).ConfigureAwait(false);
                if (bytes.Length != range.Length)
                    throw new InvalidDataException($"blob {Blob.Digest}: asked for bytes {range}, got {bytes.Length} bytes");
                RandomAccess.Write(_file, bytes, range.Offset);
                ChunkDone(index);
                return;
            }
            catch (Exception ex) when (IsRetryable(ex) && attempt < plan.ChunkAttempts && !failFast.IsCancellationRequested)
            {
                RegistryLog.ChunkRetry(plan.Logger, Blob.Digest, range.ToString(), attempt, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), failFast.Token).ConfigureAwait(false);
            }
            catch when (!failFast.IsCancellationRequested)
            {
                await failFast.CancelAsync().ConfigureAwait(false); // stop the other chunks: the blob cannot complete
                throw;
            }
        }
    }

    /// <summary>
    /// Fetches the parts of <paramref name="range"/> the partial blob lacks, one request each; a part another fetcher is
    /// getting (a reader) is waited for rather than fetched again. The gate is paid for bytes received: what an attempt
    /// paid for and did not get (a short body, a reader fetched it) is credited to the next request of the chunk.
    /// </summary>
    private async Task FetchMissingAsync(DownloadPlan plan, ByteRange range, GatePayment paid, CancellationToken cancellationToken)
    {
        var partial = _partial!;
        while (partial.Missing(range) is { Count: > 0 } missing)
        {
            foreach (var gap in missing)
            {
                // The gate first: a reader waiting on this announcement must not wait for the gate that waits for it.
                if (plan.Gate is { } gate)
                {
                    var due = Math.Max(0, gap.Length - paid.Unreceived);
                    await gate.WaitAsync(due, cancellationToken).ConfigureAwait(false);
                    paid.Unreceived += due;
                }
                var (mine, theirs) = partial.BeginFetch(gap);
                if (theirs is not null)
                {
                    await theirs.WaitAsync(cancellationToken).ConfigureAwait(false);
                    break; // look again: they may have covered it, or failed
                }

                using (mine)
                {
                    var holdBack = HoldBackUnlessAwaited(plan.HoldBack, mine!);
                    foreach (var part in partial.Missing(gap)) // a fetch that ended meanwhile may have brought some
                    {
                        // Pooled: a fill moves gigabytes in chunk-sized pieces, and fresh arrays of that size are
                        // large-object-heap garbage the daemon's memory would swell with.
                        var buffer = RangeBuffers.Pool.Rent(checked((int)part.Length));
                        try
                        {
                            await plan.Registry.GetBlobRangeAsync(plan.Repository, Blob.ParsedDigest, part, buffer, cancellationToken, holdBack).ConfigureAwait(false);
                            paid.Unreceived = Math.Max(0, paid.Unreceived - part.Length);
                            partial.Write(part.Offset, buffer.AsSpan(0, (int)part.Length));
                        }
                        finally
                        {
                            RangeBuffers.Pool.Return(buffer);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The plan's hold-back for a fetch's response, which lets go as soon as another fetcher waits for the fetch (a
    /// reader of those bytes must not wait for a fill's pause). Null when the plan has none.
    /// </summary>
    private static Func<CancellationToken, ValueTask>? HoldBackUnlessAwaited(Func<CancellationToken, ValueTask>? holdBack, PartialBlob.FetchAnnouncement fetch)
    {
        if (holdBack is null) return null;
        return cancellationToken =>
        {
            if (fetch.Awaited.IsCompleted) return ValueTask.CompletedTask;
            var held = holdBack(cancellationToken);
            return held.IsCompleted ? held : new ValueTask(Task.WhenAny(held.AsTask(), fetch.Awaited));
        };
    }

    /// <summary>What a chunk's requests paid the gate for and have not received yet (one chunk's requests run one at a time).</summary>
    private sealed class GatePayment
    {
        public long Unreceived { get; set; }
    }

    private void ChunkDone(int index)
    {
        lock (_chunkLock)
        {
            _chunkDone[index] = true;
            var before = _contiguousChunks;
            while (_contiguousChunks < _chunkDone.Length && _chunkDone[_contiguousChunks]) _contiguousChunks++;
            if (_contiguousChunks != before) Advance(Math.Min(Size, _contiguousChunks * _chunkSize)); // under the lock: never backwards
        }
    }

    private async Task HashBehindWatermarkAsync(CancellationToken cancellationToken)
    {
        var digest = Blob.ParsedDigest;
        using var hash = digest.CreateHash();
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long hashed = 0;
            while (hashed < Size)
            {
                await WaitForAsync(hashed + HashBatch, cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                var watermark = Watermark;
                while (hashed < watermark)
                {
                    var read = ReadAt(buffer.AsSpan(0, (int)Math.Min(buffer.Length, watermark - hashed)), hashed);
                    if (read == 0) throw new IOException($"blob file {Path} is shorter than its watermark");
                    hash.AppendData(buffer, 0, read);
                    hashed += read;
                }
            }

            if (!digest.Matches(hash.GetHashAndReset()))
                throw Blobs.BlobDigestMismatch.Create($"blob {Blob.Digest} does not match its digest: the registry's {Size} bytes hash differently");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
