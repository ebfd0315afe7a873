namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>An index manifest ready to push: its bytes and digest (its blobs are already in the sink).</summary>
internal sealed record BuiltIndex(byte[] Manifest, string Digest, int ZtocCount)
{
    public long Size => Manifest.Length;
}
