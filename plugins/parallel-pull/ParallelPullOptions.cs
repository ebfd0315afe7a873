using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The parallel-pull backend's <c>settings</c> in plugins.yaml. The first seven keys are SOCI's
/// (<c>[pull_modes.parallel_pull_unpack]</c>, docs/parallel-mode.md) with SOCI's defaults; a negative limit means unbounded.
/// </summary>
public sealed partial record ParallelPullOptions : RegistrySettings
{
    /// <summary>Range requests in flight across all images (SOCI default -1: unbounded).</summary>
    [ConfigurationKeyName("max_concurrent_downloads")]
    public int MaxConcurrentDownloads { get; init; } = -1;

    /// <summary>Range requests in flight for one image (SOCI default 3).</summary>
    [ConfigurationKeyName("max_concurrent_downloads_per_image")]
    public int MaxConcurrentDownloadsPerImage { get; init; } = 3;

    /// <summary>Bytes per range request, such as <c>8mb</c>; empty (SOCI's default) fetches each layer in one request.</summary>
    [ConfigurationKeyName("concurrent_download_chunk_size")]
    public string ConcurrentDownloadChunkSize { get; init; } = "";

    /// <summary>Layers being unpacked at once across all images (SOCI default -1: unbounded).</summary>
    [ConfigurationKeyName("max_concurrent_unpacks")]
    public int MaxConcurrentUnpacks { get; init; } = -1;

    /// <summary>Layers of one image being unpacked at once (SOCI default 1).</summary>
    [ConfigurationKeyName("max_concurrent_unpacks_per_image")]
    public int MaxConcurrentUnpacksPerImage { get; init; } = 1;

    /// <summary>Delete a layer's downloaded blob once it is unpacked, instead of keeping it until its image is cleaned (SOCI default false).</summary>
    [ConfigurationKeyName("discard_unpacked_layers")]
    public bool DiscardUnpackedLayers { get; init; }

    /// <summary>
    /// External decompressors by compression (<c>gzip</c>, <c>zstd</c>): an absolute <c>path</c> and its <c>args</c>; the
    /// compressed layer goes to its stdin, the tar comes from its stdout. Run without a shell. None by default: in-process.
    /// </summary>
    [ConfigurationKeyName("decompress_streams")]
    public Dictionary<string, DecompressStreamOptions> DecompressStreams { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Mark opaque directories with <c>user.overlay.opaque</c> (for overlay mounted with <c>userxattr</c>).</summary>
    [ConfigurationKeyName("userxattr")]
    public bool UserXattr { get; init; }

    /// <summary>Check each layer's diff ID against the image config (containerd does too).</summary>
    [ConfigurationKeyName("verify_diff_ids")]
    public bool VerifyDiffIds { get; init; } = true;

    /// <summary>An image pull that no Prepare has touched for this many seconds is cancelled and its staging removed.</summary>
    [ConfigurationKeyName("unclaimed_job_timeout_seconds")]
    public int UnclaimedJobTimeoutSeconds { get; init; } = 300;

    /// <summary>Attempts per range request when the connection breaks or the body comes short.</summary>
    [ConfigurationKeyName("chunk_attempts")]
    public int ChunkAttempts { get; init; } = 5;

    /// <summary>The chunk size in bytes, or null when layers are fetched in one request.</summary>
    public long? ChunkBytes => ParseSize(ConcurrentDownloadChunkSize);

    /// <summary>Reads the options from a plugin's settings section: unknown keys, unconvertible values and bad values are refused.</summary>
    /// <exception cref="PluginSettingsException">Every problem, each at its key.</exception>
    public static ParallelPullOptions From(IConfiguration settings) =>
        PluginSettings.Read("parallel-pull", settings, s => s.Get<ParallelPullOptions>(), o => o.Validate());

    /// <summary>Every problem with these options, each at its key (empty when they are usable), decompressors checked on disk.</summary>
    public IReadOnlyList<PluginSettingsError> Validate()
    {
        var errors = new List<PluginSettingsError>();
        CheckLimit(errors, "max_concurrent_downloads", MaxConcurrentDownloads);
        CheckLimit(errors, "max_concurrent_downloads_per_image", MaxConcurrentDownloadsPerImage);
        CheckLimit(errors, "max_concurrent_unpacks", MaxConcurrentUnpacks);
        CheckLimit(errors, "max_concurrent_unpacks_per_image", MaxConcurrentUnpacksPerImage);
        if (MaxConcurrentDownloads > 0 && MaxConcurrentDownloadsPerImage > MaxConcurrentDownloads)
            errors.Add(new("max_concurrent_downloads_per_image", $"{MaxConcurrentDownloadsPerImage} must not exceed max_concurrent_downloads ({MaxConcurrentDownloads})"));
        if (MaxConcurrentUnpacks > 0 && MaxConcurrentUnpacksPerImage > MaxConcurrentUnpacks)
            errors.Add(new("max_concurrent_unpacks_per_image", $"{MaxConcurrentUnpacksPerImage} must not exceed max_concurrent_unpacks ({MaxConcurrentUnpacks})"));
        try
        {
            _ = ChunkBytes;
        }
        catch (FormatException ex)
        {
            errors.Add(new("concurrent_download_chunk_size", ex.Message));
        }

        if (UnclaimedJobTimeoutSeconds <= 0) errors.Add(new("unclaimed_job_timeout_seconds", $"must be positive, not {UnclaimedJobTimeoutSeconds}"));
        if (ChunkAttempts <= 0) errors.Add(new("chunk_attempts", $"must be positive, not {ChunkAttempts}"));
        foreach (var (name, stream) in DecompressStreams)
        {
            if (name is not ("gzip" or "zstd")) errors.Add(new($"decompress_streams:{name}", $"unknown compression '{name}' (expected gzip or zstd)"));
            errors.AddRange(stream.Validate($"decompress_streams:{name}"));
        }

        errors.AddRange(FindRegistryProblems().Select(p => new PluginSettingsError(p.Key, p.Message)));
        return errors;
    }

    private static void CheckLimit(List<PluginSettingsError> errors, string name, int value)
    {
        if (value == 0) errors.Add(new(name, "must be positive, or negative for unbounded; 0 would never run anything"));
    }

    // SOCI's size syntax: a number with an optional unit b, kb, mb or gb (powers of 1024); empty or 0 means "whole layer".
    private static long? ParseSize(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var match = SizePattern().Match(text);
        if (!match.Success)
            throw new FormatException($"'{text}' is not a size such as 8mb, 512kb or 1048576");
        var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[3].Value.ToLowerInvariant();
        var bytes = (long)(number * unit switch { "kb" => 1024d, "mb" => 1024d * 1024, "gb" => 1024d * 1024 * 1024, _ => 1d });
        return bytes <= 0 ? null : bytes;
    }

    [GeneratedRegex(@"^\s*(\d+(\.\d+)?)\s*(gb|mb|kb|b)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
