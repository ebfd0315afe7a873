using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// Whether a registry honours range requests, found once per repository. The registry client does not say whether an
/// answer was 206 or 200, so the probe asks for one byte just past the end of a small blob (the image config): a registry
/// that honours ranges refuses with 416 (RFC 9110 §15.5.17), one that ignores them sends the whole blob, which then runs
/// out before the byte. Anything else counts as "no ranges": one request per blob is always correct.
/// </summary>
public sealed class RangeSupport(RegistryClient registry, ILogger<RangeSupport> logger)
{
    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    public async Task<bool> SupportsRangesAsync(ImageReference repository, Descriptor smallBlob, CancellationToken cancellationToken)
    {
        var key = $"{repository.Registry}/{repository.Repository}";
        if (_known.TryGetValue(key, out var known)) return known;
        bool supported;
        try
        {
            await registry.GetBlobRangeAsync(repository, smallBlob.ParsedDigest, new ByteRange(smallBlob.Size, 1), cancellationToken).ConfigureAwait(false);
            supported = false; // a byte past the end came back: not a registry that follows the range rules
        }
        catch (RegistryException ex) when (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            supported = true;
        }
        catch (InvalidDataException)
        {
            supported = false;
        }

        if (!supported) RegistryLog.RangesRefused(logger, repository.Registry);
        _known[key] = supported;
        return supported;
    }
}
