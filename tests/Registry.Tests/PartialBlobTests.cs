using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Registry.Tests;

public sealed class PartialBlobTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("partial-blob-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Open_AfterWritesAndClose_KeepsTheRangesAndTheirBytes()
    {
        var path = Path.Combine(_directory, "blob");
        using (var blob = PartialBlob.Open(path, 1000))
        {
            blob.Write(100, Enumerable.Repeat((byte)7, 50).ToArray());
            blob.Write(900, Enumerable.Repeat((byte)9, 100).ToArray());
        }

        using var reopened = PartialBlob.Open(path, 1000);

        Assert.Equal(150, reopened.BytesPresent);
        Assert.Equal([new ByteRange(0, 100), new ByteRange(150, 750)], reopened.Missing(new ByteRange(0, 1000)));
        var bytes = new byte[50];
        reopened.Read(100, bytes);
        Assert.All(bytes, b => Assert.Equal(7, b));
    }

    [Fact]
    public void Retire_ThenFilesMovedAway_ReadsGoOnAndNothingIsWrittenWhereTheyWere()
    {
        var path = Path.Combine(_directory, "blob");
        var moved = Path.Combine(_directory, "elsewhere");
        var blob = PartialBlob.Open(path, 100);
        blob.Write(0, Enumerable.Repeat((byte)5, 100).ToArray()); // arms the map's save timer

        blob.Retire();
        File.Move(path, moved); // what the store does with a local layer's partial files
        Thread.Sleep(PartialBlob.MapSaveInterval * 2); // the pending save comes and goes
        blob.Forget(new ByteRange(90, 10)); // a range failing its digest: recorded absent, not saved

        var bytes = new byte[90];
        blob.Read(0, bytes);
        Assert.All(bytes, b => Assert.Equal(5, b));
        Assert.Throws<IOException>(() => blob.Write(90, new byte[10])); // readers catch it: the bytes are not kept
        blob.Close(delete: true);
        Assert.Equal(["elsewhere"], Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task WhenPresentAsync_WriteElsewhereThenOneCoveringTheByte_CompletesOnlyAfterTheSecond()
    {
        using var blob = PartialBlob.Open(Path.Combine(_directory, "blob"), 1000);
        var present = blob.WhenPresentAsync(500, CancellationToken.None);

        blob.Write(0, new byte[500]); // ends just before byte 500
        await Task.Delay(50);
        Assert.False(present.IsCompleted);
        blob.Write(450, new byte[100]);

        await present.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(10, blob.PresentRun(500, 10));
        Assert.Equal(50, blob.PresentRun(500, 1000)); // [0, 550) present
        Assert.True(blob.WhenPresentAsync(10, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task WhenPresentAsync_BlobClosedOrWaitCancelled_Ends()
    {
        var blob = PartialBlob.Open(Path.Combine(_directory, "blob"), 1000);
        using var cancellation = new CancellationTokenSource();
        var cancelled = blob.WhenPresentAsync(1, cancellation.Token);
        var closed = blob.WhenPresentAsync(2, CancellationToken.None);

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(closed.IsCompleted);
        blob.Close(delete: false);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => closed.WaitAsync(TimeSpan.FromSeconds(10))); // a waiting reader learns the blob went
        await Assert.ThrowsAsync<ObjectDisposedException>(() => blob.WhenPresentAsync(3, CancellationToken.None));
    }

    [Fact]
    public void Open_OtherSizeThanRecorded_StartsEmpty()
    {
        var path = Path.Combine(_directory, "blob");
        using (var blob = PartialBlob.Open(path, 1000)) blob.Write(0, new byte[10]);

        using var reopened = PartialBlob.Open(path, 2000);

        Assert.Equal(0, reopened.BytesPresent);
    }

    [Fact]
    public void Forget_RangeThatFailedItsDigest_IsMissingAfterReopening()
    {
        var path = Path.Combine(_directory, "blob");
        using (var blob = PartialBlob.Open(path, 100))
        {
            blob.Write(0, new byte[100]);
            blob.Forget(new ByteRange(20, 10));
        }

        using var reopened = PartialBlob.Open(path, 100);

        Assert.Equal([new ByteRange(20, 10)], reopened.Missing(new ByteRange(0, 100)));
    }

    [Fact]
    public async Task BeginFetch_OverlappingAFetchInFlight_ReturnsItsTaskUntilItEnds()
    {
        using var blob = PartialBlob.Open(Path.Combine(_directory, "blob"), 100);
        var (first, _) = blob.BeginFetch(new ByteRange(0, 50));

        var (second, theirs) = blob.BeginFetch(new ByteRange(40, 20));
        Assert.Null(second);
        Assert.NotNull(theirs);
        Assert.False(theirs.IsCompleted);
        first!.Dispose();
        await theirs.WaitAsync(TimeSpan.FromSeconds(5));

        var (third, none) = blob.BeginFetch(new ByteRange(40, 20));
        Assert.NotNull(third);
        Assert.Null(none);
        third.Dispose();
    }

    [Fact]
    public void BeginFetch_OverlappingAFetchInFlight_TellsThatFetchSomeoneWaits()
    {
        using var blob = PartialBlob.Open(Path.Combine(_directory, "blob"), 100);
        var (first, _) = blob.BeginFetch(new ByteRange(0, 50));
        var (apart, _) = blob.BeginFetch(new ByteRange(60, 10));
        Assert.False(first!.Awaited.IsCompleted);

        _ = blob.BeginFetch(new ByteRange(40, 20));

        Assert.True(first.Awaited.IsCompleted);
        Assert.False(apart!.Awaited.IsCompleted);
        first.Dispose();
        apart.Dispose();
    }

    [Fact]
    public void Write_ManyWrites_MapSavedOnceAtCloseNotPerWrite()
    {
        var path = Path.Combine(_directory, "blob");
        var blob = PartialBlob.Open(path, 10_000);
        for (var i = 0; i < 100; i++) blob.Write(i * 100, new byte[50]);

        Assert.Equal(0, blob.MapSaves); // within the save interval: nothing rewritten yet
        blob.Close(delete: false);

        Assert.Equal(1, blob.MapSaves);
        Assert.Equal(5000, PartialBlob.RecordedBytes(path));
    }

    [Fact]
    public async Task Write_BlobLeftOpen_MapNamesTheBytesWithinTheSaveInterval()
    {
        var path = Path.Combine(_directory, "blob");
        using var blob = PartialBlob.Open(path, 1000);

        blob.Write(0, new byte[300]);
        blob.Write(300, new byte[200]);

        // As a crash would find it: the map on disk, read without closing the blob.
        for (var waited = 0; PartialBlob.RecordedBytes(path) != 500 && waited < 50; waited++) await Task.Delay(100);
        Assert.Equal(500, PartialBlob.RecordedBytes(path));
        Assert.Equal(1, blob.MapSaves);
    }

    [Fact]
    public void Write_ReserveRefusesRoom_ThrowsAndRecordsNothing()
    {
        var asked = new List<long>();
        using var blob = PartialBlob.Open(Path.Combine(_directory, "blob"), 1000, bytes =>
        {
            asked.Add(bytes);
            return bytes <= 100;
        });
        blob.Write(0, new byte[100]);

        Assert.Throws<IOException>(() => blob.Write(50, new byte[200])); // 150 new bytes

        Assert.Equal([100, 150], asked);
        Assert.Equal(100, blob.BytesPresent);
    }

    [Fact]
    public void Close_WithDelete_RemovesTheFileAndItsMap()
    {
        var path = Path.Combine(_directory, "blob");
        var blob = PartialBlob.Open(path, 100);
        blob.Write(0, new byte[10]);

        blob.Close(delete: true);

        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".ranges"));
    }
}
