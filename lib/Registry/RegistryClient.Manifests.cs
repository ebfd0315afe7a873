using System.Net.Http.Headers;
using PluggableSnapshotter.Registry.Hosts;

namespace PluggableSnapshotter.Registry;

public sealed partial class RegistryClient
{
    /// <summary>
    /// Resolves <paramref name="reference"/> to an image manifest: fetches what the tag or digest names and, when that is an
    /// image index (or Docker manifest list), selects the first manifest for <paramref name="platform"/> and fetches it.
    /// Every manifest's digest is verified.
    /// </summary>
    /// <param name="reference">The image; a digest wins over a tag.</param>
    /// <param name="platform">The platform to select from an index; null for <see cref="Platform.Current"/>.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <exception cref="RegistryException">The registry refused or does not have the image, or no manifest matches the platform.</exception>
    /// <exception cref="InvalidDataException">A manifest is malformed or does not match its digest.</exception>
    public async Task<ResolvedImage> ResolveAsync(ImageReference reference, Platform? platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        platform ??= Platform.Current;
        var (descriptor, bytes) = await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        Descriptor? index = null;
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            index = descriptor;
            var parsed = OciJson.Parse<ImageIndex>(bytes, $"image index {descriptor.Digest}");
            // Artifacts listed beside the images (a SOCI v2 index carries an artifactType and the image's platform) are skipped.
            var selected = parsed.Manifests.FirstOrDefault(m => MediaTypes.IsManifest(m.MediaType) && string.IsNullOrEmpty(m.ArtifactType) && platform.Accepts(m.Platform))
                ?? throw new RegistryException($"image {reference} has no manifest for platform {platform}");
            (descriptor, bytes) = await GetManifestAsync(reference.WithSelector(selected.Digest), cancellationToken).ConfigureAwait(false);
        }

        if (!MediaTypes.IsManifest(descriptor.MediaType))
            throw new InvalidDataException($"{reference} is a '{descriptor.MediaType}', not an image manifest or index");
        var manifest = OciJson.Parse<ImageManifest>(bytes, $"image manifest {descriptor.Digest}");
        RegistryLog.Resolved(_logger, reference.ToString(), descriptor.Digest);
        return new ResolvedImage
        {
            Reference = reference.WithSelector(descriptor.Digest) with { Tag = reference.Tag },
            Index = index,
            ManifestDescriptor = descriptor,
            Manifest = manifest,
            ManifestBytes = bytes,
        };
    }

    /// <summary>
    /// Fetches the manifest or index <paramref name="reference"/> names (its tag or digest), as raw bytes with a descriptor.
    /// When the reference pins a digest, the bytes are checked against it; otherwise the digest is computed (and checked
    /// against the registry's <c>Docker-Content-Digest</c> when sent).
    /// </summary>
    /// <param name="reference">The manifest to fetch.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="RegistryException">The registry refused or does not have it (<see cref="RegistryException.IsNotFound"/>).</exception>
    /// <exception cref="InvalidDataException">The bytes do not match the digest, or are too large.</exception>
    public async Task<(Descriptor Descriptor, byte[] Bytes)> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var capability = reference.Digest is null ? HostCapabilities.Resolve : HostCapabilities.Pull;
        using var response = await _transport.SendAsync(reference, capability, "pull", endpoint =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Resolve(ManifestPath(reference, reference.Selector)));
            foreach (var type in MediaTypes.ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, cancellationToken).ConfigureAwait(false);
        await response.EnsureSuccessAsync($"manifest {reference}", cancellationToken).ConfigureAwait(false);
        var bytes = await response.ReadBodyAsync(_options.MaxManifestSize, $"manifest {reference}", cancellationToken).ConfigureAwait(false);

        var actual = OciDigest.Compute(bytes);
        if (reference.Digest is { } expected)
        {
            var check = expected.Algorithm == "sha256" ? actual : ComputeWith(expected, bytes);
            if (check != expected) throw new InvalidDataException($"manifest {reference} does not match its digest (got {check})");
            actual = expected;
        }
        else if (response.Message.Headers.TryGetValues("Docker-Content-Digest", out var sent) &&
                 OciDigest.TryParse(sent.FirstOrDefault(), out var claimed) && claimed.Algorithm == "sha256" && claimed != actual)
        {
            throw new InvalidDataException($"manifest {reference} does not match the Docker-Content-Digest {claimed} the registry sent (got {actual})");
        }

        var mediaType = response.Message.Content.Headers.ContentType?.MediaType;
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsManifest(mediaType)) mediaType = OciJson.PeekMediaType(bytes) ?? MediaTypes.OciManifest;
        return (new Descriptor { MediaType = mediaType!, Digest = actual.ToString(), Size = bytes.Length }, bytes);
    }

    /// <summary>Fetches and parses an image configuration blob (verified against its digest).</summary>
    public async Task<ImageConfig> GetConfigAsync(ImageReference repository, Descriptor config, CancellationToken cancellationToken)
    {
        var bytes = await GetBlobAsync(repository, config, _options.MaxManifestSize, cancellationToken).ConfigureAwait(false);
        return OciJson.Parse<ImageConfig>(bytes, $"image config {config.Digest}");
    }

    private static OciDigest ComputeWith(OciDigest algorithmOf, byte[] bytes)
    {
        using var hash = algorithmOf.CreateHash();
        hash.AppendData(bytes);
        return OciDigest.FromHash(algorithmOf.Algorithm, hash.GetHashAndReset());
    }
}
