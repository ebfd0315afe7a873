namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// What <see cref="ChainPreparer"/> made of one layer: prepared by the backend of the last attempt (in its role, with its
/// labels), or deferred to containerd for <see cref="DeferReason"/>; with every backend tried on the way.
/// </summary>
/// <param name="Chain">The chain that served the image.</param>
/// <param name="Attempts">Every backend tried (or skipped), in order.</param>
/// <param name="BackendLabels">The labels the preparing backend returned with its result.</param>
/// <param name="DeferReason">Why containerd pulls the layer; null when a backend prepared it.</param>
internal sealed record ChainResult(string Chain, IReadOnlyList<BackendAttempt> Attempts, IReadOnlyDictionary<string, string>? BackendLabels, string? DeferReason)
{
    /// <summary>The attempt that prepared the layer, or null when containerd pulls it.</summary>
    public BackendAttempt? PreparedBy => DeferReason is null ? Attempts[^1] : null;

    public static ChainResult Prepared(string chain, IReadOnlyList<BackendAttempt> attempts, IReadOnlyDictionary<string, string>? labels) =>
        new(chain, attempts, labels, null);

    public static ChainResult Deferred(string chain, IReadOnlyList<BackendAttempt> attempts, string reason) =>
        new(chain, attempts, null, reason);

    /// <summary>One line for logs.</summary>
    public override string ToString() =>
        (PreparedBy is { } by ? $"prepared by {by.Backend} ({by.Role.Label()})" : $"deferred to containerd: {DeferReason}")
        + $" in chain {Chain}" + (Attempts.Count > (PreparedBy is null ? 0 : 1) ? $" [{WhyLabel.Format(this)}]" : "");
}
