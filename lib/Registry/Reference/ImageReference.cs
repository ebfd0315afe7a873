using System.Text.RegularExpressions;

namespace PluggableSnapshotter.Registry;

/// <summary>
/// A parsed image reference such as <c>ubuntu:22.04</c>, <c>ghcr.io/org/app@sha256:…</c> or <c>localhost:5000/x/y:tag</c>,
/// normalized the way docker and containerd do it (docker.io default registry, <c>library/</c> for official images, tag <c>latest</c>).
/// </summary>
public sealed partial record ImageReference
{
    /// <summary>The registry host used when a reference names none.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>The host that serves Docker Hub's API.</summary>
    public const string DockerHubApiHost = "registry-1.docker.io";

    /// <summary>The registry (host and optional port) as written, with Docker Hub normalized to <c>docker.io</c>.</summary>
    public required string Registry { get; init; }

    /// <summary>The repository path, e.g. <c>library/ubuntu</c>.</summary>
    public required string Repository { get; init; }

    /// <summary>The tag, or null when the reference names only a digest.</summary>
    public string? Tag { get; init; }

    /// <summary>The digest, when the reference pins one.</summary>
    public OciDigest? Digest { get; init; }

    /// <summary>The host to connect to (Docker Hub's API host for <c>docker.io</c>).</summary>
    public string ApiHost => Registry == DockerHub ? DockerHubApiHost : Registry;

    /// <summary>The tag or digest to ask the registry for (the digest wins when both are given).</summary>
    public string Selector => Digest?.ToString() ?? Tag ?? "latest";

    /// <summary>Parses a reference; see the type's summary for the normalization.</summary>
    /// <exception cref="FormatException">The text is not a valid reference (the message says which part).</exception>
    public static ImageReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rest = text.Trim();
        if (rest.Length == 0) throw new FormatException("image reference is empty");

        OciDigest? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!OciDigest.TryParse(rest[(at + 1)..], out var parsed))
                throw new FormatException($"image reference '{text}' has an invalid digest");
            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            if (!TagPattern().IsMatch(tag)) throw new FormatException($"image reference '{text}' has an invalid tag '{tag}'");
            rest = rest[..colon];
        }

        // The first component is a registry when it looks like a host (a dot, a port, or localhost), as in docker's rules.
        var firstSlash = rest.IndexOf('/');
        string registry;
        string repository;
        var first = firstSlash < 0 ? null : rest[..firstSlash];
        if (first is not null && (first.Contains('.') || first.Contains(':') || first == "localhost"))
        {
            registry = first;
            repository = rest[(firstSlash + 1)..];
        }
        else
        {
            registry = DockerHub;
            repository = rest;
        }

        if (registry is "index.docker.io" or DockerHubApiHost) registry = DockerHub;
        if (registry == DockerHub && !repository.Contains('/')) repository = "library/" + repository;
        if (!RepositoryPattern().IsMatch(repository))
            throw new FormatException($"image reference '{text}' has an invalid repository '{repository}' (lowercase path components only)");
        if (tag is null && digest is null) tag = "latest";
        return new ImageReference { Registry = registry, Repository = repository, Tag = tag, Digest = digest };
    }

    /// <summary>The same repository with a different tag or digest (<paramref name="selector"/> is either).</summary>
    public ImageReference WithSelector(string selector) => OciDigest.TryParse(selector, out var digest)
        ? this with { Tag = null, Digest = digest }
        : this with { Tag = TagPattern().IsMatch(selector) ? selector : throw new FormatException($"'{selector}' is not a valid tag"), Digest = null };

    /// <summary>The fully qualified reference, e.g. <c>docker.io/library/ubuntu:22.04</c>.</summary>
    public override string ToString() =>
        $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();
}
