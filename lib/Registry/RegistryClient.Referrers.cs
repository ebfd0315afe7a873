using System.Net.Http.Headers;
using PluggableSnapshotter.Registry.Hosts;

namespace PluggableSnapshotter.Registry;

public sealed partial class RegistryClient
{
    /// <summary>The tag the distribution spec's referrers fallback uses for a subject: <c>&lt;alg&gt;-&lt;hex&gt;</c>.</summary>
    public static string ReferrersFallbackTag(OciDigest subject) => $"{subject.Algorithm}-{subject.Encoded}";

    /// <summary>
    /// Lists the manifests that refer to <paramref name="subject"/>: through the referrers API
    /// (<c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;?artifactType=…</c>) or, where a registry has none, through the
    /// fallback tag (<see cref="ReferrersFallbackTag"/>). Filtered to <paramref name="artifactType"/> when given
    /// (also when the registry ignored the filter). An empty index when nothing refers to the subject.
    /// </summary>
    public async Task<ImageIndex> GetReferrersAsync(ImageReference repository, OciDigest subject, string? artifactType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var query = artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType);
        ImageIndex index;
        using (var response = await _transport.SendAsync(repository, HostCapabilities.Pull, "pull", endpoint =>
               {
                   var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Resolve($"{repository.Repository}/referrers/{subject}{query}"));
                   request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
                   return request;
               }, cancellationToken).ConfigureAwait(false))
        {
            var isIndex = response.Message.IsSuccessStatusCode && response.Message.Content.Headers.ContentType?.MediaType == MediaTypes.OciIndex;
            if (isIndex)
            {
                var bytes = await response.ReadBodyAsync(_options.MaxManifestSize, $"referrers of {subject}", cancellationToken).ConfigureAwait(false);
                index = OciJson.Parse<ImageIndex>(bytes, $"referrers of {subject}");
                return Filter(index, artifactType);
            }
        }

        // No referrers API (404, or a registry answering something else): use the fallback tag.
        try
        {
            var (_, bytes) = await GetManifestAsync(repository.WithSelector(ReferrersFallbackTag(subject)), cancellationToken).ConfigureAwait(false);
            index = OciJson.Parse<ImageIndex>(bytes, $"referrers fallback tag of {subject}");
        }
        catch (RegistryException ex) when (ex.IsNotFound)
        {
            index = new ImageIndex { MediaType = MediaTypes.OciIndex };
        }

        return Filter(index, artifactType);
    }

    private static ImageIndex Filter(ImageIndex index, string? artifactType) => artifactType is null
        ? index
        : index with { Manifests = index.Manifests.Where(m => m.ArtifactType == artifactType).ToList() };
}
