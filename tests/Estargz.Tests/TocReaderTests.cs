using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

public sealed class TocReaderTests
{
    [Fact]
    public void ExtractAndParse_TocMemberWithMatchingDigest_GivesEntries()
    {
        var (blob, json, tocOffset) = new EstargzBlobWriter()
            .Entry(new TocEntry { Name = "etc/", Type = "dir", Mode = 0x41ED, ModTime = "2024-01-02T03:04:05.123456789Z" })
            .File("etc/hosts", EstargzBlobWriter.Text("127.0.0.1 localhost\n"))
            .Build();
        var member = blob.AsMemory((int)tocOffset, blob.Length - (int)tocOffset - EstargzFooter.Size);

        var extracted = TocReader.Extract(member);
        var toc = TocReader.Parse(extracted, OciDigest.Compute(json).ToString());

        Assert.Equal(json, extracted);
        Assert.Equal(["etc/", "etc/hosts"], toc.Entries.Select(e => e.Name));
        Assert.Equal("reg", toc.Entries[1].Type);
        Assert.Equal(20, toc.Entries[1].Size);
        Assert.StartsWith("sha256:", toc.Entries[1].ChunkDigest, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DigestDiffers_Throws()
    {
        var (_, json, _) = new EstargzBlobWriter().File("a", EstargzBlobWriter.Text("a")).Build();
        var wrong = OciDigest.Compute("something else"u8).ToString();

        var error = Assert.Throws<InvalidDataException>(() => TocReader.Parse(json, wrong));
        Assert.Contains(wrong, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Sha512Digest_AcceptedWhenItMatchesRefusedWhenNot()
    {
        var (_, json, _) = new EstargzBlobWriter().File("a", EstargzBlobWriter.Text("a")).Build();
        var sha512 = "sha512:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(json)); // OCI allows sha512 (128 hex)

        var toc = TocReader.Parse(json, sha512);

        Assert.Contains(toc.Entries, e => e.Name == "a");
        var other = "sha512:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData("something else"u8));
        Assert.Throws<InvalidDataException>(() => TocReader.Parse(json, other));
    }

    [Fact]
    public void Parse_XattrsBase64_AreDecoded()
    {
        var json = """{"version":1,"entries":[{"name":"f","type":"reg","xattrs":{"user.k":"dmFsdWU="}}]}"""u8.ToArray();

        var toc = TocReader.Parse(json, expectedDigest: null);

        Assert.Equal("value"u8.ToArray(), toc.Entries[0].Xattrs!["user.k"]);
    }

    [Fact]
    public void Parse_NotJsonOrOtherVersion_Throws()
    {
        Assert.Throws<InvalidDataException>(() => TocReader.Parse("not json"u8.ToArray(), null));
        Assert.Throws<InvalidDataException>(() => TocReader.Parse("""{"version":2,"entries":[]}"""u8.ToArray(), null));
    }

    [Fact]
    public void Extract_MemberThatIsNotAGzipTar_Throws()
    {
        Assert.Throws<InvalidDataException>(() => TocReader.Extract(new byte[64]));
    }
}
