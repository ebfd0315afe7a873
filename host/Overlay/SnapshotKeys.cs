namespace PluggableSnapshotter.Host.Overlay;

/// <summary>What containerd encodes in the keys it sends to a proxy snapshotter.</summary>
internal static class SnapshotKeys
{
    /// <summary>
    /// The namespace of a key in containerd's metadata form <c>&lt;namespace&gt;/&lt;seq&gt;/&lt;key&gt;</c> (containerd 1.6 sends
    /// proxy plugins no namespace header), or null when the key is not in that form.
    /// </summary>
    public static string? NamespaceOf(string key)
    {
        var first = key.IndexOf('/');
        if (first <= 0)
        {
            return null;
        }
        var second = key.IndexOf('/', first + 1);
        if (second <= first + 1 || second == key.Length - 1)
        {
            return null;
        }
        return key.AsSpan(first + 1, second - first - 1).ContainsAnyExceptInRange('0', '9') ? null : key[..first];
    }

    /// <summary>
    /// Whether the key is one of containerd's layer unpacks (<c>extract-&lt;random&gt; &lt;chain id&gt;</c>, after the
    /// namespace prefix): a client-side unpack (<c>ctr image pull</c>) prepares them without the target label.
    /// </summary>
    public static bool IsLayerUnpack(string key)
    {
        var name = key[(key.LastIndexOf('/') + 1)..];
        return name.StartsWith("extract-", StringComparison.Ordinal);
    }
}
