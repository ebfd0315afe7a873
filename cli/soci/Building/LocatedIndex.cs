namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>A SOCI index found for an image manifest, and how it was found.</summary>
internal sealed record LocatedIndex(string Digest, byte[] Bytes, SociIndexManifest Index, string FoundBy);
