namespace PluggableSnapshotter.Registry;

/// <summary>A range of bytes of a blob: <see cref="Length"/> bytes starting at <see cref="Offset"/>.</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    /// <summary>The offset just past the range.</summary>
    public long End => Offset + Length;

    /// <summary>The HTTP <c>Range</c> header item, <c>first-last</c> (inclusive).</summary>
    public override string ToString() => $"{Offset}-{End - 1}";
}
