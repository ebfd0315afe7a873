using System.Text;
using System.Text.RegularExpressions;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// The value of <see cref="HostLabels.Why"/>: every backend the chain tried for a layer and how each ended, then who
/// made it, readable as is in <c>ctr snapshots info</c> and parsed back by <c>pluggable-snapshotter why</c>:
/// <c>soci/lazy below-min-layer-size: 5120 &lt; 65536 bytes; local/local prepared</c> or
/// <c>soci/lazy no-index: image has no SOCI index; containerd: no index and no parallel-pull fallback</c>.
/// </summary>
internal static partial class WhyLabel
{
    private const string Separator = "; ";
    private const string ContainerdPrefix = "containerd: ";
    // containerd refuses a label whose key and value exceed 4096 bytes; keep every reason short and the whole well under.
    private const int MaxReason = 240;
    private const int MaxValue = 3500;

    /// <summary>The label value for <paramref name="result"/>.</summary>
    public static string Format(ChainResult result)
    {
        var entries = result.Attempts.Select(Entry).ToList();
        if (result.DeferReason is { } reason)
        {
            entries.Add(ContainerdPrefix + Clean(reason));
        }
        var value = new StringBuilder();
        foreach (var entry in entries)
        {
            if (value.Length + entry.Length + Separator.Length > MaxValue)
            {
                break;
            }
            value.Append(value.Length == 0 ? "" : Separator).Append(entry);
        }
        return value.ToString();
    }

    /// <summary>The attempts and the reason containerd pulled the layer (null when a backend prepared it) a label value records.</summary>
    public static (IReadOnlyList<BackendAttempt> Attempts, string? DeferReason) Parse(string value)
    {
        var attempts = new List<BackendAttempt>();
        string? deferReason = null;
        foreach (var entry in value.Split(Separator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.StartsWith(ContainerdPrefix, StringComparison.Ordinal))
            {
                deferReason = entry[ContainerdPrefix.Length..];
                continue;
            }
            var match = EntryPattern().Match(entry);
            if (match.Success && BackendRoles.FromLabel(match.Groups["role"].Value) is { } role
                && Verdicts.TryGetValue(match.Groups["verdict"].Value, out var verdict))
            {
                attempts.Add(new BackendAttempt(match.Groups["backend"].Value, role, verdict, match.Groups["reason"].Success ? match.Groups["reason"].Value : null));
            }
        }
        return (attempts, deferReason);
    }

    /// <summary>How <c>why</c> words a verdict.</summary>
    public static string Describe(AttemptVerdict verdict) => verdict switch
    {
        AttemptVerdict.Prepared => "prepared it",
        AttemptVerdict.NoIndex => "no index",
        AttemptVerdict.NoZtoc => "no zTOC for this layer",
        AttemptVerdict.BelowMinLayerSize => "below min_layer_size",
        AttemptVerdict.ParallelPullUnpack => "skipped: parallel_pull_unpack is set",
        AttemptVerdict.Deferred => "deferred to containerd",
        AttemptVerdict.NotSupported => "does not support the role",
        AttemptVerdict.RegistryError => "registry error",
        AttemptVerdict.InvalidData => "invalid data (zTOC, index or digest)",
        _ => "failed",
    };

    private static string Entry(BackendAttempt attempt) =>
        $"{attempt.Backend}/{attempt.Role.Label()} {Token(attempt.Verdict)}" + (attempt.Reason is { } reason ? ": " + Clean(reason) : "");

    // The separator must not occur inside an entry; a multi-line message becomes one line.
    private static string Clean(string reason)
    {
        var flat = reason.Replace(';', ',').ReplaceLineEndings(" ");
        return flat.Length <= MaxReason ? flat : flat[..MaxReason] + "…";
    }

    private static string Token(AttemptVerdict verdict) => Verdicts.First(v => v.Value == verdict).Key;

    private static readonly Dictionary<string, AttemptVerdict> Verdicts = new(StringComparer.Ordinal)
    {
        ["prepared"] = AttemptVerdict.Prepared,
        ["no-index"] = AttemptVerdict.NoIndex,
        ["no-ztoc"] = AttemptVerdict.NoZtoc,
        ["below-min-layer-size"] = AttemptVerdict.BelowMinLayerSize,
        ["parallel-pull-unpack"] = AttemptVerdict.ParallelPullUnpack,
        ["deferred"] = AttemptVerdict.Deferred,
        ["not-supported"] = AttemptVerdict.NotSupported,
        ["registry-error"] = AttemptVerdict.RegistryError,
        ["invalid-data"] = AttemptVerdict.InvalidData,
        ["failed"] = AttemptVerdict.Failed,
    };

    [GeneratedRegex(@"^(?<backend>[^/ ]+)/(?<role>[a-z]+) (?<verdict>[a-z-]+)(: (?<reason>.*))?$", RegexOptions.Singleline)]
    private static partial Regex EntryPattern();
}
