using System.Globalization;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.Tar;
using FileStat = PluggableSnapshotter.TestSupport.Rootfs.FileStat;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>
/// The zTOC built from a corpus archive (what the lazy tree serves) agrees with the tree the applier unpacks from the
/// same archive: both read it through the one tar reader. Forms a zTOC cannot describe fail the build clearly. Root only.
/// </summary>
public sealed class ZtocAgreementTests(Corpus corpus) : IClassFixture<Corpus>
{
    public static TheoryData<string> DescribableForms => ["gnu-ustar", "python-ustar", "busybox", "umoci"];

    [RootOnlyTheory]
    [MemberData(nameof(DescribableForms))]
    public async Task BuildAsync_CorpusForm_RecordsWhatTheApplierUnpacks(string form)
    {
        var ours = corpus.Scratch("ztoc-" + form);
        await new LayerApplier().ApplyAsync(File.OpenRead(corpus.ArchiveOf(form)), ours, new LayerApplyOptions(), CancellationToken.None);

        var ztoc = await ZtocBuilder.BuildAsync(File.OpenRead(corpus.ArchiveOf(form)), LayerCompression.Uncompressed, new ZtocBuildOptions(), CancellationToken.None);

        Assert.NotEmpty(ztoc.Files);
        foreach (var file in ztoc.Files)
        {
            var relative = file.Name.TrimStart('.').Trim('/');
            if (relative.Length == 0) continue; // the layer root is the snapshotter's: the applier skips "./", as containerd does
            var path = Path.Combine(ours, relative);
            var stat = FileStat.Of(path);
            var status = FileStatus.Of(path);
            Assert.Equal((file.Name, (long)file.Uid, (long)file.Gid), (file.Name, (long)stat.Uid, (long)stat.Gid));
            var (seconds, nanos) = ParseNanos(stat.ModifiedNanos);
            Assert.Equal((file.Name, file.ModTime), (file.Name, GoTime.FormatUnix(seconds, nanos)));
            switch (file.Type)
            {
                case TarEntryTypes.Symlink:
                    Assert.Equal(file.LinkName, File.ResolveLinkTarget(path, returnFinalTarget: false) is { } link ? new FileInfo(path).LinkTarget : null);
                    break;
                case TarEntryTypes.Hardlink:
                    var target = FileStatus.Of(Path.Combine(ours, file.LinkName.TrimStart('.').TrimStart('/')));
                    Assert.Equal(target.Inode, status.Inode);
                    break;
                default:
                    Assert.Equal((file.Name, file.Mode & 0xFFF), (file.Name, (long)status.Permissions));
                    if (file.Type == TarEntryTypes.Regular) Assert.Equal(file.UncompressedSize, status.Size);
                    if (file.Type is TarEntryTypes.Char or TarEntryTypes.Block) Assert.Equal((file.DevMajor, file.DevMinor), ((long)status.RdevMajor, (long)status.RdevMinor));
                    break;
            }

            foreach (var record in file.PaxRecords.Where(r => r.Key.StartsWith(PaxRecord.XattrPrefix, StringComparison.Ordinal)))
                Assert.Equal(record.Value, Xattrs.Get(path, record.Key[PaxRecord.XattrPrefix.Length..]));
        }
    }

    [RootOnlyTheory]
    [InlineData("gnu-sparse-1.0", "sparse")]
    [InlineData("gnu-sparse-0.1", "sparse")]
    [InlineData("gnu-pax", "UTF-8")]
    [InlineData("python-pax", "'g'")] // a PAX global header: SOCI refuses the type too
    public async Task BuildAsync_FormAZtocCannotDescribe_FailsNamingWhy(string form, string why)
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            ZtocBuilder.BuildAsync(File.OpenRead(corpus.ArchiveOf(form)), LayerCompression.Uncompressed, new ZtocBuildOptions(), CancellationToken.None));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    private static (long Seconds, long Nanos) ParseNanos(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return (long.Parse(text[..dot], CultureInfo.InvariantCulture), long.Parse(text[(dot + 1)..], CultureInfo.InvariantCulture));
    }
}
