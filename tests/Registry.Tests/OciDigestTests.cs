using System.Security.Cryptography;

namespace PluggableSnapshotter.Registry.Tests;

public sealed class OciDigestTests
{
    [Fact]
    public void Verifies_Sha512DigestOfTheContent_TrueAndFalseForOtherContent()
    {
        var digest = OciDigest.Parse("sha512:" + Convert.ToHexStringLower(SHA512.HashData("ztoc"u8)));

        Assert.True(digest.Verifies("ztoc"u8));
        Assert.False(digest.Verifies("other"u8));
        Assert.Equal(digest, OciDigest.Compute("sha512", "ztoc"u8));
    }

    [Fact]
    public void Compute_Sha256_SameAsTheDefault()
    {
        Assert.Equal(OciDigest.Compute("ztoc"u8), OciDigest.Compute("sha256", "ztoc"u8));
        Assert.True(OciDigest.Compute("ztoc"u8).Verifies("ztoc"u8));
        Assert.Throws<ArgumentException>(() => OciDigest.Compute("md5", "ztoc"u8));
    }
}
