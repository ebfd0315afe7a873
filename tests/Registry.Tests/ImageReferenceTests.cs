namespace PluggableSnapshotter.Registry.Tests;

public class ImageReferenceTests
{
    [Theory]
    [InlineData("ubuntu", "docker.io", "library/ubuntu", "latest")]
    [InlineData("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04")]
    [InlineData("org/app:v1", "docker.io", "org/app", "v1")]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest")]
    [InlineData("localhost:5000/x/y:tag", "localhost:5000", "x/y", "tag")]
    [InlineData("ghcr.io/org/app", "ghcr.io", "org/app", "latest")]
    [InlineData("localhost/app", "localhost", "app", "latest")]
    public void Parse_DockerStyleReference_Normalizes(string text, string registry, string repository, string tag)
    {
        var reference = ImageReference.Parse(text);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
    }

    [Fact]
    public void Parse_Digest_PinsDigestAndKeepsTag()
    {
        var digest = "sha256:" + new string('a', 64);
        var reference = ImageReference.Parse($"127.0.0.1:5000/app:v2@{digest}");
        Assert.Equal(digest, reference.Digest.ToString());
        Assert.Equal("v2", reference.Tag);
        Assert.Equal(digest, reference.Selector);
        Assert.Equal($"127.0.0.1:5000/app:v2@{digest}", reference.ToString());
    }

    [Fact]
    public void ApiHost_DockerHub_IsRegistry1()
    {
        Assert.Equal("registry-1.docker.io", ImageReference.Parse("alpine").ApiHost);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper/Case")]
    [InlineData("app@sha256:1234")]
    [InlineData("app:-badtag")]
    public void Parse_Invalid_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => ImageReference.Parse(text));
    }
}
