using System.Net;
using System.Net.Http.Headers;
using PluggableSnapshotter.Registry.Hosts;

namespace PluggableSnapshotter.Registry;

public sealed partial class RegistryClient
{
    /// <summary>Uploads <paramref name="content"/> as a blob (unless the repository has it) and returns its descriptor.</summary>
    public async Task<Descriptor> PushBlobAsync(ImageReference repository, ReadOnlyMemory<byte> content, string mediaType, CancellationToken cancellationToken)
    {
        var descriptor = Descriptor.For(mediaType, content.Span);
        await PushBlobAsync(repository, descriptor, _ => Task.FromResult<Stream>(new MemoryStream(content.ToArray(), writable: false)), cancellationToken).ConfigureAwait(false);
        return descriptor;
    }

    /// <summary>
    /// Uploads a blob unless the repository already has it: in one PUT when it is at most
    /// <see cref="RegistryClientOptions.UploadChunkSize"/> bytes, else in PATCH chunks of that size. The registry checks the digest.
    /// </summary>
    /// <param name="repository">The target repository.</param>
    /// <param name="blob">The blob's digest and size.</param>
    /// <param name="openContent">Opens the blob's bytes (called once).</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <exception cref="RegistryException">The registry refused the upload (for example a digest mismatch).</exception>
    public async Task PushBlobAsync(ImageReference repository, Descriptor blob, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(openContent);
        var digest = blob.ParsedDigest;
        if (await BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false)) return;

        var location = await StartUploadAsync(repository, cancellationToken).ConfigureAwait(false);
        var content = await openContent(cancellationToken).ConfigureAwait(false);
        await using var contentDisposal = content.ConfigureAwait(false);
        var chunk = new byte[(int)Math.Min(_options.UploadChunkSize, Math.Max(blob.Size, 1))];
        long sent = 0;
        while (blob.Size - sent > chunk.Length)
        {
            await content.ReadExactlyAsync(chunk, cancellationToken).ConfigureAwait(false);
            var start = sent;
            using var patched = await SendUploadAsync(repository, location, HttpMethod.Patch, chunk, r =>
                r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + chunk.Length - 1}"), cancellationToken).ConfigureAwait(false);
            await patched.EnsureSuccessAsync($"upload of blob {digest}", cancellationToken).ConfigureAwait(false);
            location = NextLocation(patched.Message, location);
            sent += chunk.Length;
        }

        var last = new byte[blob.Size - sent];
        await content.ReadExactlyAsync(last, cancellationToken).ConfigureAwait(false);
        var final = new Uri(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString()));
        using var put = await SendUploadAsync(repository, final, HttpMethod.Put, last, null, cancellationToken).ConfigureAwait(false);
        await put.EnsureSuccessAsync($"upload of blob {digest}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads a manifest or index under <paramref name="reference"/>'s tag (or digest) and returns its descriptor.
    /// </summary>
    public async Task<Descriptor> PushManifestAsync(ImageReference reference, string mediaType, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var descriptor = Descriptor.For(mediaType, manifest.Span);
        using var response = await _transport.SendAsync(reference, HostCapabilities.Push, "pull,push", endpoint =>
        {
            var content = new ReadOnlyMemoryContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, endpoint.Resolve(ManifestPath(reference, reference.Selector))) { Content = content };
        }, cancellationToken).ConfigureAwait(false);
        await response.EnsureSuccessAsync($"push of manifest {reference}", cancellationToken).ConfigureAwait(false);
        return descriptor;
    }

    private async Task<Uri> StartUploadAsync(ImageReference repository, CancellationToken cancellationToken)
    {
        using var response = await _transport.SendAsync(repository, HostCapabilities.Push, "pull,push",
            endpoint => new HttpRequestMessage(HttpMethod.Post, endpoint.Resolve($"{repository.Repository}/blobs/uploads/")), cancellationToken).ConfigureAwait(false);
        await response.EnsureSuccessAsync($"start of an upload to {repository.Repository}", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted || response.Message.Headers.Location is null)
            throw new RegistryException($"{response.Endpoint.Authority} started an upload without a Location", response.StatusCode);
        return new Uri(response.Endpoint.ApiRoot, response.Message.Headers.Location);
    }

    private Task<Transport.RegistryResponse> SendUploadAsync(
        ImageReference repository, Uri location, HttpMethod method, byte[] body, Action<HttpRequestMessage>? decorate, CancellationToken cancellationToken) =>
        _transport.SendAsync(repository, HostCapabilities.Push, "pull,push", _ =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OctetStream);
            var request = new HttpRequestMessage(method, location) { Content = content };
            decorate?.Invoke(request);
            return request;
        }, cancellationToken);

    private static Uri NextLocation(HttpResponseMessage response, Uri current) =>
        response.Headers.Location is { } next ? new Uri(current, next) : current;
}
