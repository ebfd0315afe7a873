namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>
/// Where `create` keeps v1 indexes until `push` uploads them (SOCI keeps them in containerd's content store;
/// this CLI needs no containerd). Layout: blobs/sha256/&lt;hex&gt;, and refs/&lt;manifest alg-hex&gt;/&lt;index alg-hex&gt;
/// marking which indexes were built for which image manifest.
/// </summary>
internal sealed class LocalStore(string root) : IArtifactSink
{
    public static string DefaultRoot =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "psoci");

    public string Root { get; } = root;

    public async Task PutBlobAsync(byte[] content, string mediaType, CancellationToken cancellationToken)
    {
        string path = BlobPath(ZtocSerializer.Digest(content));
        if (File.Exists(path))
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".tmp-" + Environment.ProcessId;
        await File.WriteAllBytesAsync(temp, content, cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }

    public async Task<byte[]> GetBlobAsync(string digest, CancellationToken cancellationToken)
    {
        string path = BlobPath(digest);
        byte[] bytes = File.Exists(path)
            ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)
            : throw new CliException($"local store {Root} has no blob {digest}");
        return ZtocSerializer.Digest(bytes) == digest
            ? bytes
            : throw new CliException($"local store blob {digest} is corrupt (its content has another digest)");
    }

    public void AddRef(string manifestDigest, string indexDigest)
    {
        string dir = Path.Combine(Root, "refs", SociIndexDiscovery.FallbackTag(manifestDigest));
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, SociIndexDiscovery.FallbackTag(indexDigest)), []);
    }

    /// <summary>Digests of the indexes built for an image manifest, oldest first.</summary>
    public IReadOnlyList<string> IndexesFor(string manifestDigest)
    {
        string dir = Path.Combine(Root, "refs", SociIndexDiscovery.FallbackTag(manifestDigest));
        return Directory.Exists(dir)
            ? [.. new DirectoryInfo(dir).GetFiles().OrderBy(f => f.LastWriteTimeUtc).Select(f => ReplaceFirstDash(f.Name))]
            : [];
    }

    private string BlobPath(string digest)
    {
        string[] parts = digest.Split(':');
        if (parts.Length != 2 || parts[0] != "sha256" || parts[1].Length != 64)
        {
            throw new CliException($"\"{digest}\" is not a sha256 digest");
        }
        return Path.Combine(Root, "blobs", parts[0], parts[1]);
    }

    private static string ReplaceFirstDash(string name)
    {
        int dash = name.IndexOf('-', StringComparison.Ordinal);
        return string.Concat(name.AsSpan(0, dash), ":", name.AsSpan(dash + 1));
    }
}
