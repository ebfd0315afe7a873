using System.Text.Json;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.TestSupport.Logging;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

/// <summary>The daemon's log lines: one per event, scopes as key=value or JSON fields, credentials masked.</summary>
public sealed class LogFormatTests
{
    private const string Digest = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

    [Fact]
    public void Text_DictionaryAndTemplateScopes_RenderedAsKeyValuePairs()
    {
        var capture = new FormattedLogCapture(new TextLogFormatter());
        using (var factory = capture.CreateFactory())
        {
            var logger = factory.CreateLogger("Test.Category");
            using var prepare = logger.BeginScope(new Dictionary<string, object?> { ["Key"] = "default/3/extract 1", ["LayerDigest"] = Digest });
            using var backend = logger.BeginScope("layer {LayerDigest} of {ImageReference}", Digest, "registry.local/app:v1");
            logger.LogInformation(new EventId(3001, "Mounted"), "Serving layer {LayerDigest} lazily", Digest);
        }

        var line = Assert.Single(capture.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("System.Collections.Generic", line, StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: Test\.Category\[3001\] Serving layer sha256:\w+ lazily ", line);
        Assert.Contains("Key=\"default/3/extract 1\"", line, StringComparison.Ordinal);
        Assert.Contains($"LayerDigest={Digest}", line, StringComparison.Ordinal);
        Assert.Contains("ImageReference=registry.local/app:v1", line, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(line, "LayerDigest="));
    }

    [Fact]
    public void Text_Exception_StaysOnTheEventsLine()
    {
        var capture = new FormattedLogCapture(new TextLogFormatter());
        using (var factory = capture.CreateFactory())
        {
            factory.CreateLogger("Test").LogWarning(new IOException("first\nsecond"), "fetch failed");
        }

        var line = Assert.Single(capture.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("exception=\"System.IO.IOException: first\\nsecond\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_MessageValuesAndScopes_AreTopLevelFields()
    {
        var capture = new FormattedLogCapture(new JsonLogFormatter());
        using (var factory = capture.CreateFactory())
        {
            var logger = factory.CreateLogger("Test.Category");
            using var scope = logger.BeginScope("layer {LayerDigest} of {ImageReference}", Digest, "registry.local/app:v1");
            logger.LogWarning(new EventId(3011), "Filling layer {LayerDigest} failed after {Attempts} attempts", Digest, 3);
        }

        var line = Assert.Single(capture.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("warning", root.GetProperty("level").GetString());
        Assert.Equal("Test.Category", root.GetProperty("category").GetString());
        Assert.Equal(3011, root.GetProperty("event_id").GetInt32());
        Assert.Equal($"Filling layer {Digest} failed after 3 attempts", root.GetProperty("message").GetString());
        Assert.Equal(Digest, root.GetProperty("LayerDigest").GetString());
        Assert.Equal("registry.local/app:v1", root.GetProperty("ImageReference").GetString());
        Assert.Equal(3, root.GetProperty("Attempts").GetInt32());
    }

    [Theory]
    [InlineData("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "eyJhbGciOiJSUzI1NiJ9")]
    [InlineData("sent Authorization=Basic YWxpY2U6d29uZGVybGFuZA==", "YWxpY2U6d29uZGVybGFuZA")]
    [InlineData("GET https://alice:wonderland@registry.local/v2/ failed", "wonderland")]
    [InlineData("token response {\"token\":\"opaque-123\",\"access_token\":\"opaque-123\"}", "opaque-123")]
    [InlineData("login with password=hunter2&user=bob", "hunter2")]
    [InlineData("refresh with identitytoken: refresh-abc", "refresh-abc")]
    public void Redact_LineWithCredential_MasksIt(string line, string secret)
    {
        var redacted = LogRedactor.Redact(line);

        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(LogRedactor.Mask, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_LineWithoutCredential_IsTheSameString()
    {
        var line = $"Serving layer {Digest} lazily at /var/lib/pluggable-snapshotter/snapshots/12/fs";

        Assert.Same(line, LogRedactor.Redact(line));
    }
}
