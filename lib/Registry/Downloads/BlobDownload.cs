using System.Buffers;
using System.Net;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// One layer blob being written to a file, either in one request or as concurrent range requests (chunks), with a
/// watermark below which the file holds the blob's bytes, so unpacking can follow the download. The blob's digest is
/// checked before <see cref="Completion"/> succeeds; readers see a mismatch as the error of their last read. (A
/// <see cref="Resume"/>d download leaves the check to its <see cref="PresentBytesStream"/>.)
/// </summary>
public sealed partial class BlobDownload : IDisposable
{
    private const int CopyBufferSize = 1024 * 1024;
    private const long DefaultChunkBytes = 8L * 1024 * 1024;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cancellation = new();
    private readonly SafeFileHandle _file;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _watermark;
    private long _size;
    private long _wakeAt = long.MaxValue;
    private readonly PartialBlob? _partial;

    private BlobDownload(Descriptor blob, string path, SafeFileHandle file, PartialBlob? partial = null)
    {
        Blob = blob;
        Path = path;
        _size = blob.Size;
        _file = file;
        _partial = partial;
    }

    /// <summary>Creates the (empty, preallocated) file at <paramref name="path"/> for <paramref name="blob"/>.</summary>
    public static BlobDownload Create(Descriptor blob, string path) =>
        new(blob, path, File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete,
            FileOptions.None, Math.Max(0, blob.Size)));

    /// <summary>
    /// A download into <paramref name="partial"/> that fetches only the ranges it lacks (and waits for ranges another
    /// fetcher is getting), recording what it writes there. It is read through <see cref="OpenPresentReader"/>, which
    /// takes any bytes the partial blob holds, wherever the download is, and checks the blob digest over exactly the
    /// bytes it gave; the download itself does not hash (once is enough), so its <see cref="Completion"/> says only that
    /// every byte is present. The partial blob stays open and on disk after disposal.
    /// </summary>
    public static BlobDownload Resume(Descriptor blob, PartialBlob partial)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(partial);
        if (partial.Size != blob.Size) throw new ArgumentException($"partial blob {partial.Path} holds {partial.Size} bytes, blob {blob.Digest} has {blob.Size}", nameof(partial));
        return new(blob, partial.Path, partial.Handle, partial);
    }

    /// <summary>The blob's descriptor.</summary>
    public Descriptor Blob { get; }

    /// <summary>The file the blob is written to.</summary>
    public string Path { get; }

    /// <summary>The blob's size; -1 until known when the descriptor had none.</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>Bytes from the start of the blob that are in the file.</summary>
    public long Watermark => Volatile.Read(ref _watermark);

    /// <summary>
    /// Succeeds when the whole blob is in the file and matches its digest (<see cref="Resume"/>d: when every byte is
    /// present; its reader checks the digest); fails or is cancelled otherwise.
    /// </summary>
    public Task Completion => _completed.Task;

    /// <summary>True once the download failed or was cancelled (a new one is needed).</summary>
    public bool IsBroken => _completed.Task.IsFaulted || _completed.Task.IsCanceled;

    /// <summary>
    /// Starts fetching. The returned task completes once every request has been admitted by the limits (or the download
    /// ended), so an image can start its next layer's requests only behind this one's and layers arrive in order.
    /// </summary>
    public Task StartAsync(DownloadPlan plan)
    {
        var admitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = RunAsync(plan, admitted, _cancellation.Token);
        return admitted.Task;
    }

    /// <summary>
    /// A stream of the blob's bytes that waits for the download; its last read fails when the digest does not match. Not
    /// for a <see cref="Resume"/>d download, which does not hash: read it with <see cref="OpenPresentReader"/>.
    /// </summary>
    public Stream OpenReader() => _partial is null
        ? new BlobReader(this)
        : throw new InvalidOperationException($"blob {Blob.Digest}: a resumed download is read through {nameof(OpenPresentReader)}, which checks its digest");

    /// <summary>
    /// The blob's bytes from its start, read wherever the partial blob holds them (a reader of the layer may have fetched
    /// far ahead of the download), digest-checked by its last read. Only for a <see cref="Resume"/>d download.
    /// </summary>
    public PresentBytesStream OpenPresentReader() => _partial is not null
        ? new PresentBytesStream(this, _partial)
        : throw new InvalidOperationException($"blob {Blob.Digest}: a present-bytes reader needs a partial blob (a download made by {nameof(Resume)})");

    /// <summary>Cancels the download (the file stays until disposal).</summary>
    public void Cancel() => _cancellation.Cancel();

    /// <summary>Reads bytes of the file at <paramref name="offset"/> (below the <see cref="Watermark"/> they are the blob's).</summary>
    public int ReadAt(Span<byte> buffer, long offset) => RandomAccess.Read(_file, buffer, offset);

    /// <summary>
    /// Waits until the watermark reaches <paramref name="target"/> (clamped to the size) or the download ends. Waiters say
    /// how far they want to get, so a reader is woken once per batch of bytes rather than at every write: on a loaded
    /// machine each wake-up costs a scheduling delay.
    /// </summary>
    internal async Task WaitForAsync(long target, CancellationToken cancellationToken)
    {
        if (Size >= 0) target = Math.Min(target, Size);
        while (true)
        {
            var signal = Volatile.Read(ref _advanced).Task;
            LowerWakeAt(target);
            if (Watermark >= target || _completed.Task.IsCompleted) return;
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void LowerWakeAt(long target)
    {
        var current = Interlocked.Read(ref _wakeAt);
        while (target < current)
        {
            var seen = Interlocked.CompareExchange(ref _wakeAt, target, current);
            if (seen == current) return;
            current = seen;
        }
    }

    private async Task RunAsync(DownloadPlan plan, TaskCompletionSource admitted, CancellationToken cancellationToken)
    {
        try
        {
            if (_partial is not null && plan.RangesSupported && Blob.Size > 0)
                await FetchChunkedAsync(plan, plan.ChunkBytes ?? DefaultChunkBytes, admitted, cancellationToken).ConfigureAwait(false);
            else if (plan.ChunkBytes is { } chunk && plan.RangesSupported && Blob.Size > chunk)
                await FetchChunkedAsync(plan, chunk, admitted, cancellationToken).ConfigureAwait(false);
            else
                await FetchWholeAsync(plan, admitted, cancellationToken).ConfigureAwait(false);
            _completed.TrySetResult();
        }
        catch (Exception ex)
        {
            if (cancellationToken.IsCancellationRequested) _completed.TrySetCanceled(cancellationToken);
            else _completed.TrySetException(ex);
        }
        finally
        {
            admitted.TrySetResult();
            Advance(Watermark, force: true); // wake every waiter: the download ended
        }
    }

    // One request; the registry client verifies the digest on the read that completes the blob and resumes broken connections.
    private async Task FetchWholeAsync(DownloadPlan plan, TaskCompletionSource admitted, CancellationToken cancellationToken)
    {
        using var slot = await plan.PerImage.EnterAsync(plan.Global, cancellationToken).ConfigureAwait(false);
        admitted.TrySetResult();
        var stream = await plan.Registry.OpenBlobAsync(plan.Repository, Blob, cancellationToken).ConfigureAwait(false);
        await using var streamDisposal = stream.ConfigureAwait(false);
        Volatile.Write(ref _size, stream.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long offset = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (plan.Gate is { } gate) await gate.WaitAsync(read, cancellationToken).ConfigureAwait(false);
                if (_partial is not null) _partial.Write(offset, buffer.AsSpan(0, read));
                else RandomAccess.Write(_file, buffer.AsSpan(0, read), offset);
                offset += read;
                Advance(offset);
            }

            if (offset != Size) throw new InvalidDataException($"blob {Blob.Digest} ended after {offset} of {Size} bytes");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Advance(long watermark, bool force = false)
    {
        Volatile.Write(ref _watermark, watermark);
        if (!force && watermark < Interlocked.Read(ref _wakeAt)) return; // nobody waits for this much yet
        Interlocked.Exchange(ref _wakeAt, long.MaxValue);
        Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>True for failures a new request may not repeat: broken connections, short bodies, 5xx after the client's retries.</summary>
    private static bool IsRetryable(Exception ex) => ex switch
    {
        IOException or HttpRequestException or InvalidDataException => true,
        RegistryException { StatusCode: null } => true,
        RegistryException { StatusCode: { } status } => (int)status >= 500 || status == HttpStatusCode.TooManyRequests,
        _ => false,
    };

    public void Dispose()
    {
        _cancellation.Cancel();
        if (_partial is not null) return; // the partial blob's owner keeps (or deletes) the file
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Gone already (the staging wipe at startup, or an operator).
        }

        // The token source is not disposed: requests still unwinding may look at its token.
        _file.Dispose();
    }
}
