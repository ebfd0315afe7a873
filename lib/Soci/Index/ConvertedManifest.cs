namespace PluggableSnapshotter.Soci;

/// <summary>One platform's conversion: the source manifest digest, the rewritten manifest and its SOCI index.</summary>
public sealed record ConvertedManifest(string OriginalDigest, Descriptor Manifest, Descriptor SociIndex);
