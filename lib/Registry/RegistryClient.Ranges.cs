using System.Collections.Concurrent;
using System.Net;

namespace PluggableSnapshotter.Registry;

public sealed partial class RegistryClient
{
    private readonly ConcurrentDictionary<string, bool> _honoursRanges = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the last range request to <paramref name="repository"/> was honoured (206 Partial Content) or ignored (200 with
    /// the whole blob, which <see cref="GetBlobRangeAsync(ImageReference, OciDigest, ByteRange, CancellationToken, Func{CancellationToken, ValueTask})"/> then skips through); null before any range request was answered.
    /// Every range request (single, multi-range, resumed download) updates it.
    /// </summary>
    public bool? RangesHonoured(ImageReference repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return _honoursRanges.TryGetValue(RangeKey(repository), out var honoured) ? honoured : null;
    }

    /// <summary>
    /// Whether <paramref name="repository"/> honours range requests: what an earlier range request showed, else found with
    /// one request for the first byte of <paramref name="smallBlob"/> (pick a small one, such as the image config: a registry
    /// that ignores ranges sends all of it). A failed probe counts as "no ranges": one request per blob is always correct.
    /// </summary>
    public async Task<bool> HonoursRangesAsync(ImageReference repository, Descriptor smallBlob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(smallBlob);
        if (RangesHonoured(repository) is { } known) return known;
        if (smallBlob.Size < 1) return false;
        try
        {
            await GetBlobRangeAsync(repository, smallBlob.ParsedDigest, new ByteRange(0, 1), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RegistryException or InvalidDataException)
        {
            // Not remembered: a 200 answer was noted before this threw; a transient failure is probed again next time.
            RegistryLog.RangeProbeFailed(_logger, repository.Registry, ex.Message);
        }

        return RangesHonoured(repository) ?? false;
    }

    private void NoteRangeAnswer(ImageReference repository, HttpStatusCode status)
    {
        var honoured = status == HttpStatusCode.PartialContent;
        if (status is not (HttpStatusCode.PartialContent or HttpStatusCode.OK)) return;
        if (_honoursRanges.TryGetValue(RangeKey(repository), out var before) && before == honoured) return;
        _honoursRanges[RangeKey(repository)] = honoured;
        if (!honoured) RegistryLog.RangesRefused(_logger, repository.Registry);
    }

    private static string RangeKey(ImageReference repository) => $"{repository.Registry}/{repository.Repository}";
}
