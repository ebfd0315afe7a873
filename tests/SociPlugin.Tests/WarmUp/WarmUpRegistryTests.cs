using System.Net;
using System.Net.Http.Headers;
using PluggableSnapshotter.Plugins.Soci.WarmUp;

namespace PluggableSnapshotter.Plugins.Soci.Tests.WarmUp;

/// <summary>The warm-up's loopback registry answers whole documents and the single ranges on-demand reads and the fill ask for.</summary>
public sealed class WarmUpRegistryTests
{
    private static readonly byte[] Blob = [.. Enumerable.Range(0, 100).Select(i => (byte)i)];

    private static WarmUpRegistry Serving()
    {
        var server = new WarmUpRegistry();
        server.Add("r", "blobs", "sha256:b", "application/octet-stream", Blob, "sha256:b");
        server.Start();
        return server;
    }

    private static async Task<HttpResponseMessage> GetAsync(WarmUpRegistry server, RangeHeaderValue? range)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{server.Host}/v2/r/blobs/sha256:b");
        request.Headers.Range = range;
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Get_Range_AnswersThoseBytesWithTheirContentRange()
    {
        await using var server = Serving();

        using var part = await GetAsync(server, new RangeHeaderValue(10, 19));
        using var tail = await GetAsync(server, new RangeHeaderValue(95, 200));
        using var whole = await GetAsync(server, null);

        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(Blob[10..20], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes 10-19/100", part.Content.Headers.ContentRange?.ToString());
        Assert.Equal(Blob[95..], await tail.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(Blob, await whole.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_RangeOutsideTheBlob_IsNotSatisfiable()
    {
        await using var server = Serving();

        using var past = await GetAsync(server, new RangeHeaderValue(100, 110));

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, past.StatusCode);
        Assert.Equal(100, past.Content.Headers.ContentRange?.Length);
    }
}
