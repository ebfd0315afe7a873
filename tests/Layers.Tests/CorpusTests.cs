using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>
/// Each corpus archive (real tools, every tar form) applied by the layer applier gives the same tree as GNU tar's own
/// extraction (less the root entry and trusted.* xattrs, which containerd does not apply) (names, types, modes, owners, nanosecond mtimes, contents, hard link counts, devices, binary xattrs);
/// the forms containerd refuses are refused with an error naming the entry, leaving nothing behind. Root only.
/// </summary>
public sealed class CorpusTests(Corpus corpus) : IClassFixture<Corpus>
{
    public static TheoryData<string> Forms => [.. Corpus.Forms];

    [RootOnlyTheory]
    [MemberData(nameof(Forms))]
    public async Task ApplyAsync_CorpusForm_MatchesGnuTarExtractionOrIsRefusedLikeContainerd(string form)
    {
        var ours = corpus.Scratch("ours-" + form);
        var apply = new LayerApplier().ApplyAsync(File.OpenRead(corpus.ArchiveOf(form)), ours, new LayerApplyOptions(), CancellationToken.None);

        if (corpus.IsRejected(form))
        {
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => apply);
            Assert.Contains("allhole", error.Message, StringComparison.Ordinal); // the first sparse entry, named
            Assert.Contains("'S'", error.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(ours));
            Assert.Empty(Directory.EnumerateDirectories(Path.GetDirectoryName(ours)!, ".ours-" + form + "*"));
            return;
        }

        await apply;
        var reference = corpus.Scratch("ref-" + form);
        Directory.CreateDirectory(reference);
        Corpus.Run("tar", ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", corpus.ArchiveOf(form), "-C", reference]);

        var expected = AsContainerdApplies(Corpus.List(reference));
        Assert.True(expected.Split('\n').Length > 3, $"the reference tree of {form} is nearly empty: {expected}");
        Assert.Equal(expected, AsContainerdApplies(Corpus.List(ours)));
    }

    // Where GNU tar's extraction and containerd's applier differ by design: containerd skips the "./" entry (the root is the
    // snapshotter's directory) and never sets trusted.* xattrs from an archive. tests/Fidelity.Tests compares with
    // containerd itself.
    private static string AsContainerdApplies(string listing) => string.Join('\n', listing.Split('\n')
        .Where(line => !line.StartsWith(". ", StringComparison.Ordinal))
        .Select(line => string.Join(' ', line.Split(' ').Where(field => !field.StartsWith("xattr:trusted.", StringComparison.Ordinal)))));

    [RootOnlyTheory]
    [InlineData("gnu-sparse-old")]
    [InlineData("gnu-sparse-1.0")]
    [InlineData("gnu-sparse-0.1")]
    [InlineData("gnu-sparse-0.0")]
    public async Task ReadDataAsync_SparseForms_YieldTheFilesBytesAtTheirOffsets(string form)
    {
        var reader = new PluggableSnapshotter.Tar.TarArchiveReader(File.OpenRead(corpus.ArchiveOf(form)));
        var buffer = new byte[100_000];
        var files = 0;
        while (await reader.NextAsync(CancellationToken.None) is { } entry)
        {
            if (entry.TypeFlag is not ((byte)'0' or (byte)'S')) continue;
            var rebuilt = new byte[entry.Size];
            while (await reader.ReadDataAsync(buffer, CancellationToken.None) is (var at, > 0 and var n)) buffer.AsSpan(0, n).CopyTo(rebuilt.AsSpan((int)at));
            var name = entry.DisplayName.TrimStart('.', '/');
            Assert.Equal(File.ReadAllBytes(Path.Combine(corpus.Directory, "src-sparse", name)), rebuilt);
            files++;
        }

        Assert.Equal(3, files);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_IssueReproduction_BinaryXattrWithNewlineReadsBackExactly()
    {
        var ours = corpus.Scratch("issue");
        await new LayerApplier().ApplyAsync(File.OpenRead(corpus.ArchiveOf("gnu-pax")), ours, new LayerApplyOptions(), CancellationToken.None);

        var od = Corpus.Run("bash", ["-c", $"getfattr --only-values -n user.bin '{ours}/xattr.bin' | od -An -tx1 | tr -d ' \\n'"]);

        Assert.Equal("000102030405060708090a0b0c0d0e0f", od);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_FileSystemWithoutXattrs_SkipsThemWithOneWarningForTheLayer()
    {
        var ramfs = corpus.Scratch("ramfs");
        Directory.CreateDirectory(ramfs);
        Corpus.Run("mount", ["-t", "ramfs", "ramfs", ramfs]);
        try
        {
            var logger = new RecordingLogger<LayerApplier>();
            await new LayerApplier(logger).ApplyAsync(File.OpenRead(corpus.ArchiveOf("gnu-pax")), Path.Combine(ramfs, "layer"), new LayerApplyOptions(), CancellationToken.None);

            var warnings = logger.Messages.Where(m => m.Level == LogLevel.Warning).ToList();
            Assert.Single(warnings);
            Assert.Contains("user.bin", warnings[0].Text, StringComparison.Ordinal);
            Assert.Equal("xattr file", File.ReadAllText(Path.Combine(ramfs, "layer", "xattr.bin")));
        }
        finally
        {
            Corpus.Run("umount", ["-l", ramfs]);
        }
    }
}
