using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// Compressed ranges of one layer blob for on-demand reads, the part both lazy formats share (soci's spans, eStargz's read
/// groups): bytes the layer's <see cref="PartialBlob"/> holds are taken from there, the rest fetched from the registry
/// under an announcement (<see cref="PartialBlob.BeginFetch"/>: a reader and the background fill never fetch the same
/// bytes twice; a reader waits for an overlapping fetch, at most one fetch deadline). The format's decoder checks the
/// bytes against its digests; what was fetched (only that: not the stored bytes around it) is written to the partial blob after it verified, and stored bytes
/// that fail are forgotten and the range fetched once more (a torn write or a bad disk must not fail reads for good).
/// </summary>
public sealed class VerifiedRangeReader
{
    private readonly OnDemandFetch _fetch;
    private readonly ImageReference _repository;
    private readonly OciDigest _digest;
    private readonly Func<PartialBlob?>? _partial;
    private readonly bool _keepFetched;
    private readonly LazyLayerMetrics? _metrics;
    private long _fetchedBytes;
    private long _storedBytes;
    private long _forgottenBytes;

    /// <param name="fetch">Range requests with the read deadline.</param>
    /// <param name="repository">Where the blob lives.</param>
    /// <param name="digest">The layer blob's digest.</param>
    /// <param name="partial">Opens the layer's partial blob in the store (null once there is none to use).</param>
    /// <param name="keepFetched">Whether verified fetched bytes are written to the partial blob (false when reads are not verified).</param>
    /// <param name="metrics">Counts stored ranges that failed verification.</param>
    public VerifiedRangeReader(OnDemandFetch fetch, ImageReference repository, OciDigest digest, Func<PartialBlob?>? partial = null,
        bool keepFetched = true, LazyLayerMetrics? metrics = null)
    {
        (_fetch, _repository, _digest, _partial, _keepFetched, _metrics) = (fetch, repository, digest, partial, keepFetched, metrics);
    }

    /// <summary>Compressed bytes fetched from the registry so far.</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

    /// <summary>Compressed bytes taken from the partial blob so far.</summary>
    public long StoredBytes => Interlocked.Read(ref _storedBytes);

    /// <summary>Stored bytes forgotten because a range they took part in failed verification.</summary>
    public long ForgottenBytes => Interlocked.Read(ref _forgottenBytes);

    /// <summary>
    /// Range <paramref name="range"/> of the blob, checked and decompressed by <paramref name="decode"/>. Stored bytes that
    /// fail are forgotten and the range read again (a value that is disposable, decoded from them, is disposed); a range
    /// fetched whole from the registry that fails fails the read.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes do not match (from <paramref name="decode"/>).</exception>
    /// <exception cref="IOException">The registry did not answer within the read deadline.</exception>
    public async Task<T> ReadAsync<T>(ByteRange range, RangeDecoder<T> decode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        if (range.Length > Array.MaxLength) throw new InvalidDataException($"blob {_digest}: range {range} is too large to read at once");
        var rented = RangeBuffers.Pool.Rent((int)range.Length);
        try
        {
            var buffer = rented.AsMemory(0, (int)range.Length);
            for (var attempt = 1; ; attempt++)
            {
                var gathered = await GatherAsync(range, buffer, cancellationToken).ConfigureAwait(false);
                try
                {
                    DecodedRange<T> decoded;
                    try
                    {
                        decoded = decode(buffer);
                    }
                    catch (InvalidDataException) when (attempt == 1 && gathered.Stored > 0)
                    {
                        Forget(gathered.Blob!, range, gathered.Stored);
                        continue;
                    }
                    if (!decoded.Verified && attempt == 1 && gathered.Stored > 0)
                    {
                        (decoded.Value as IDisposable)?.Dispose(); // a span buffer goes back to its cache
                        Forget(gathered.Blob!, range, gathered.Stored);
                        continue;
                    }
                    if (decoded.Verified && gathered.Fetched.Count > 0 && _keepFetched && gathered.Blob is { } blob) Keep(blob, range, gathered.Fetched, buffer.Span);
                    return decoded.Value;
                }
                finally
                {
                    // Ended after the bytes were kept: a fetcher waiting on it then finds them present.
                    gathered.Announcement?.Dispose();
                }
            }
        }
        finally
        {
            RangeBuffers.Pool.Return(rented);
        }
    }

    /// <summary>What <see cref="GatherAsync"/> found: <paramref name="Fetched"/> are the gaps it fetched (the rest was stored).</summary>
    private readonly record struct Gathered(PartialBlob? Blob, IDisposable? Announcement, long Stored, IReadOnlyList<ByteRange> Fetched);

    /// <summary>The range's bytes into <paramref name="buffer"/>: stored ones read, missing ones fetched under an announcement.</summary>
    private async Task<Gathered> GatherAsync(ByteRange range, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_partial?.Invoke() is not { } blob)
        {
            await FetchAsync(range, buffer, cancellationToken).ConfigureAwait(false);
            return new Gathered(null, null, 0, [range]);
        }
        IDisposable? mine = null;
        try
        {
            var waited = false;
            while (true)
            {
                var missing = blob.Missing(range);
                if (missing.Count == 0)
                {
                    blob.Read(range.Offset, buffer.Span);
                    Interlocked.Add(ref _storedBytes, range.Length);
                    return new Gathered(blob, null, range.Length, []);
                }
                Task? theirs = null;
                if (!waited) (mine, theirs) = blob.BeginFetch(range);
                if (theirs is not null)
                {
                    // A fetcher that does not finish within a read's deadline is not waited for again: this read fetches.
                    waited = await Task.WhenAny(theirs, Task.Delay(_fetch.Deadline, cancellationToken)).ConfigureAwait(false) != theirs;
                    cancellationToken.ThrowIfCancellationRequested();
                    continue;
                }
                missing = blob.Missing(range); // the fetch that just ended may have brought some
                var (at, stored) = (range.Offset, 0L);
                foreach (var gap in missing)
                {
                    if (gap.Offset > at) blob.Read(at, buffer.Span[(int)(at - range.Offset)..(int)(gap.Offset - range.Offset)]);
                    stored += gap.Offset - at;
                    await FetchAsync(gap, buffer[(int)(gap.Offset - range.Offset)..(int)(gap.End - range.Offset)], cancellationToken).ConfigureAwait(false);
                    at = gap.End;
                }
                if (at < range.End) blob.Read(at, buffer.Span[(int)(at - range.Offset)..]);
                stored += range.End - at;
                Interlocked.Add(ref _storedBytes, stored);
                return new Gathered(blob, mine, stored, missing);
            }
        }
        catch (ObjectDisposedException)
        {
            // The layer just went local or was freed, taking its partial blob along: the registry serves this read.
            mine?.Dispose();
            await FetchAsync(range, buffer, cancellationToken).ConfigureAwait(false);
            return new Gathered(null, null, 0, [range]);
        }
        catch
        {
            mine?.Dispose();
            throw;
        }
    }

    private async Task FetchAsync(ByteRange range, Memory<byte> destination, CancellationToken cancellationToken)
    {
        await _fetch.GetRangeAsync(_repository, _digest, range, destination, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _fetchedBytes, range.Length);
    }

    private void Forget(PartialBlob blob, ByteRange range, long stored)
    {
        Interlocked.Add(ref _forgottenBytes, stored);
        _metrics?.Count("stored_range_verification_failure");
        try
        {
            blob.Forget(range);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The map could not be saved: the retry may meet the same bytes and fail this read; a later read tries again.
        }
    }

    // Keeping verified bytes is an optimisation: failing to must not fail the read that fetched them. Only the fetched gaps
    // are written: the rest of the range is the blob's own stored bytes, which verified with them.
    private static void Keep(PartialBlob blob, ByteRange range, IReadOnlyList<ByteRange> fetched, ReadOnlySpan<byte> bytes)
    {
        try
        {
            foreach (var gap in fetched) blob.Write(gap.Offset, bytes[(int)(gap.Offset - range.Offset)..(int)(gap.End - range.Offset)]);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Not kept (disk full, layer gone): the fill or a later read fetches these bytes again.
        }
    }
}
