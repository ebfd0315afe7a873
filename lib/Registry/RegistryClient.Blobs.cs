using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using PluggableSnapshotter.Registry.Blobs;
using PluggableSnapshotter.Registry.Hosts;
using PluggableSnapshotter.Registry.Transport;

namespace PluggableSnapshotter.Registry;

public sealed partial class RegistryClient
{
    private readonly ConcurrentDictionary<string, bool> _refusesMultiRange = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Opens a blob for streaming. Its bytes are hashed as they are read; the read that completes the blob throws
    /// <see cref="InvalidDataException"/> instead of returning data when the digest does not match, so callers must write
    /// into a staging place and keep the result only once the stream has been read to its end. A connection that breaks
    /// mid-blob is resumed with a range request (<see cref="RegistryClientOptions.MaxBlobResumes"/> times).
    /// The stream supports only asynchronous reads.
    /// </summary>
    /// <param name="repository">The repository holding the blob (tag and digest are ignored).</param>
    /// <param name="blob">The blob's descriptor: its digest and size are what the bytes are checked against.</param>
    /// <param name="cancellationToken">Cancels opening; reads take their own token.</param>
    /// <exception cref="RegistryException">The registry refused or does not have the blob.</exception>
    public async Task<Stream> OpenBlobAsync(ImageReference repository, Descriptor blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var digest = blob.ParsedDigest;
        var (response, body) = await OpenBlobAtAsync(repository, digest, 0, cancellationToken).ConfigureAwait(false);
        var size = blob.Size >= 0 ? blob.Size : response.Message.Content.Headers.ContentLength
            ?? throw new InvalidDataException($"blob {digest} has no size in its descriptor and none from the registry");
        return new VerifyingBlobStream(digest, size, response, body,
            (offset, token) => OpenBlobAtAsync(repository, digest, offset, token), _options.MaxBlobResumes, _logger);
    }

    /// <summary>Downloads a whole blob into memory, verified against its digest before it is returned.</summary>
    /// <exception cref="InvalidDataException">The blob is larger than <paramref name="maxSize"/> or does not match its digest.</exception>
    public async Task<byte[]> GetBlobAsync(ImageReference repository, Descriptor blob, int maxSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Size > maxSize) throw new InvalidDataException($"blob {blob.Digest} is {blob.Size} bytes, more than the {maxSize} allowed");
        var stream = await OpenBlobAsync(repository, blob, cancellationToken).ConfigureAwait(false);
        await using var streamDisposal = stream.ConfigureAwait(false);
        // A descriptor without a size takes the registry's: bounded all the same.
        if (stream.Length > maxSize) throw new InvalidDataException($"blob {blob.Digest} is {stream.Length} bytes, more than the {maxSize} allowed");
        var bytes = new byte[stream.Length];
        await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>True when the repository holds the blob (HEAD).</summary>
    public async Task<bool> BlobExistsAsync(ImageReference repository, OciDigest digest, CancellationToken cancellationToken)
    {
        using var response = await _transport.SendAsync(repository, HostCapabilities.Pull, "pull",
            endpoint => new HttpRequestMessage(HttpMethod.Head, endpoint.Resolve(BlobPath(repository, digest))), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await response.EnsureSuccessAsync($"blob {digest}", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Fetches bytes <paramref name="range"/> of a blob. Range bytes cannot be checked against the blob's digest;
    /// callers verify them against their own digests (SOCI's span digests).
    /// </summary>
    /// <exception cref="InvalidDataException">The registry sent fewer bytes than asked for.</exception>
    /// <remarks><paramref name="holdBack"/>: as in the overload that fills a buffer.</remarks>
    public async Task<byte[]> GetBlobRangeAsync(ImageReference repository, OciDigest digest, ByteRange range, CancellationToken cancellationToken,
        Func<CancellationToken, ValueTask>? holdBack = null)
    {
        if (range.Offset < 0 || range.Length <= 0) throw new ArgumentOutOfRangeException(nameof(range), "a range needs a non-negative offset and a positive length");
        var bytes = new byte[range.Length];
        await GetBlobRangeAsync(repository, digest, range, bytes, cancellationToken, holdBack).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>
    /// Fetches bytes <paramref name="range"/> of a blob into <paramref name="destination"/> (at least as long as the
    /// range; the caller owns it, e.g. a pooled buffer). Unverified, as <see cref="GetBlobRangeAsync(ImageReference, OciDigest, ByteRange, CancellationToken, Func{CancellationToken, ValueTask})"/>.
    /// </summary>
    /// <param name="repository">The repository holding the blob.</param>
    /// <param name="digest">The blob.</param>
    /// <param name="range">The bytes wanted.</param>
    /// <param name="destination">Where they go.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <param name="holdBack">
    /// Awaited before each read of the body and once more before returning (null: none): while it holds, the body stays
    /// in the socket (the registry soon stops sending) and what was read is not handed on. A fill pausing for a
    /// container start holds its requests already answered this way, not only the ones it has yet to send.
    /// </param>
    /// <exception cref="InvalidDataException">The registry sent fewer bytes than asked for.</exception>
    public async Task GetBlobRangeAsync(ImageReference repository, OciDigest digest, ByteRange range, Memory<byte> destination, CancellationToken cancellationToken,
        Func<CancellationToken, ValueTask>? holdBack = null)
    {
        if (range.Offset < 0 || range.Length <= 0) throw new ArgumentOutOfRangeException(nameof(range), "a range needs a non-negative offset and a positive length");
        if (destination.Length < range.Length) throw new ArgumentException($"a {destination.Length}-byte buffer cannot hold bytes {range}", nameof(destination));
        using var response = await SendRangeAsync(repository, digest, $"bytes={range}", cancellationToken).ConfigureAwait(false);
        await response.EnsureSuccessAsync($"bytes {range} of blob {digest}", cancellationToken).ConfigureAwait(false);
        NoteRangeAnswer(repository, response.StatusCode);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, response.Deadline);
        var body = await response.Message.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
        await using var bodyDisposal = body.ConfigureAwait(false);
        var skip = 0L;
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            var start = response.Message.Content.Headers.ContentRange?.From;
            if (start is null || start > range.Offset) throw new InvalidDataException($"blob {digest}: the registry answered bytes {range} with Content-Range starting at {start}");
            skip = range.Offset - start.Value;
        }
        else
        {
            skip = range.Offset; // the whole blob came back: skip to the range
        }

        await SkipAsync(body, skip, linked.Token).ConfigureAwait(false);
        var wanted = destination[..checked((int)range.Length)];
        for (var filled = 0; filled < wanted.Length;)
        {
            if (holdBack is not null) await holdBack(linked.Token).ConfigureAwait(false);
            var read = await body.ReadAsync(wanted[filled..], linked.Token).ConfigureAwait(false);
            if (read == 0) throw new InvalidDataException($"blob {digest} ended before the end of bytes {range}");
            filled += read;
        }
        if (holdBack is not null) await holdBack(linked.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches several ranges of a blob with one multi-range request, falling back to one request per range when the
    /// registry does not answer with <c>multipart/byteranges</c> (remembered per registry host). Results are in the
    /// order of <paramref name="ranges"/>.
    /// </summary>
    public async Task<IReadOnlyList<byte[]>> GetBlobRangesAsync(
        ImageReference repository, OciDigest digest, IReadOnlyList<ByteRange> ranges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (ranges.Count == 0) return [];
        if (ranges.Count > 1 && !_refusesMultiRange.ContainsKey(repository.Registry))
        {
            var header = "bytes=" + string.Join(',', ranges.Select(r => r.ToString()));
            using var response = await SendRangeAsync(repository, digest, header, cancellationToken).ConfigureAwait(false);
            var contentType = response.Message.Content.Headers.ContentType;
            // A 200 here only says multi-range is refused (remembered below); single ranges may still be honoured.
            if (response.StatusCode == HttpStatusCode.PartialContent) NoteRangeAnswer(repository, response.StatusCode);
            if (response.StatusCode == HttpStatusCode.PartialContent && contentType?.MediaType == "multipart/byteranges" &&
                contentType.Parameters.FirstOrDefault(p => p.Name == "boundary")?.Value is { } boundary)
            {
                var limit = checked((int)Math.Min(int.MaxValue, ranges.Sum(r => r.Length) + 1024L * ranges.Count + 4096));
                var body = await response.ReadBodyAsync(limit, $"ranges of blob {digest}", cancellationToken).ConfigureAwait(false);
                return MultipartRanges.Split(body, boundary.Trim('"'), ranges);
            }

            if (response.StatusCode == HttpStatusCode.NotFound) await response.EnsureSuccessAsync($"blob {digest}", cancellationToken).ConfigureAwait(false);
            _refusesMultiRange[repository.Registry] = true;
            RegistryLog.MultiRangeFallback(_logger, repository.Registry, ranges.Count);
        }

        var results = new byte[ranges.Count][];
        await Parallel.ForEachAsync(Enumerable.Range(0, ranges.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) => results[i] = await GetBlobRangeAsync(repository, digest, ranges[i], token).ConfigureAwait(false)).ConfigureAwait(false);
        return results;
    }

    private Task<RegistryResponse> SendRangeAsync(ImageReference repository, OciDigest digest, string rangeHeader, CancellationToken cancellationToken) =>
        _transport.SendAsync(repository, HostCapabilities.Pull, "pull", endpoint =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Resolve(BlobPath(repository, digest)));
            request.Headers.TryAddWithoutValidation("Range", rangeHeader);
            return request;
        }, cancellationToken);

    private async Task<(RegistryResponse, Stream)> OpenBlobAtAsync(ImageReference repository, OciDigest digest, long offset, CancellationToken cancellationToken)
    {
        var response = await _transport.SendAsync(repository, HostCapabilities.Pull, "pull", endpoint =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Resolve(BlobPath(repository, digest)));
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            return request;
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            await response.EnsureSuccessAsync($"blob {digest}", cancellationToken).ConfigureAwait(false);
            if (offset > 0) NoteRangeAnswer(repository, response.StatusCode);
            if (response.StatusCode == HttpStatusCode.PartialContent && response.Message.Content.Headers.ContentRange?.From != offset)
                throw new InvalidDataException($"blob {digest}: asked to resume at {offset}, the registry answered {response.Message.Content.Headers.ContentRange}");
            var body = await response.Message.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return (response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var scratch = new byte[81920];
        while (count > 0)
        {
            var read = await body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new InvalidDataException("blob ended before the requested range");
            count -= read;
        }
    }
}
