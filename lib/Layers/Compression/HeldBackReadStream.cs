namespace PluggableSnapshotter.Layers.Compression;

/// <summary>
/// Reads its source after awaiting a hold-back before each read, so that whoever pulls from it (a decompressor, an
/// unpack) stops where it is while the hold lasts. Read asynchronously only; owns its source.
/// </summary>
internal sealed class HeldBackReadStream(Stream source, Func<CancellationToken, ValueTask> holdBack) : AsyncReadOnlyStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await holdBack(cancellationToken).ConfigureAwait(false);
        return await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) source.Dispose();
        base.Dispose(disposing);
    }
}
