using System.Net;
using System.Text.Json;
using PluggableSnapshotter.Registry.Hosts;

namespace PluggableSnapshotter.Registry.Transport;

/// <summary>A response whose headers have arrived; owns the request's overall deadline until disposed.</summary>
internal sealed class RegistryResponse(HttpResponseMessage message, CancellationTokenSource deadline, RegistryEndpoint endpoint) : IDisposable
{
    public HttpResponseMessage Message => message;
    public HttpStatusCode StatusCode => message.StatusCode;
    public RegistryEndpoint Endpoint => endpoint;

    /// <summary>Cancelled when the request's overall time runs out.</summary>
    public CancellationToken Deadline => deadline.Token;

    /// <summary>Reads the whole body, refusing more than <paramref name="maxSize"/> bytes.</summary>
    public async Task<byte[]> ReadBodyAsync(int maxSize, string what, CancellationToken cancellationToken)
    {
        if (message.Content.Headers.ContentLength > maxSize)
            throw new InvalidDataException($"{what} is {message.Content.Headers.ContentLength} bytes, more than the {maxSize} allowed");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var body = await message.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
        await using var bodyDisposal = body.ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, linked.Token).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxSize) throw new InvalidDataException($"{what} is more than the {maxSize} bytes allowed");
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Throws a <see cref="RegistryException"/> describing a non-success answer (with the registry's error message).</summary>
    public async Task EnsureSuccessAsync(string what, CancellationToken cancellationToken)
    {
        if (message.IsSuccessStatusCode) return;
        var detail = "";
        try
        {
            var body = await ReadBodyAsync(64 * 1024, "error body", cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                detail = $": {(first.TryGetProperty("code", out var c) ? c.ToString() : "")} {(first.TryGetProperty("message", out var m) ? m.ToString() : "")}".TrimEnd();
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or HttpRequestException or IOException)
        {
            // The body is only decoration for the error; the status below is what matters.
        }

        throw new RegistryException($"{what}: {endpoint.Authority} answered {(int)message.StatusCode} {message.ReasonPhrase}{detail}", message.StatusCode);
    }

    public void Dispose()
    {
        message.Dispose();
        deadline.Dispose();
    }
}
