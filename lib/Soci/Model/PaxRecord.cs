using System.Text;

namespace PluggableSnapshotter.Soci;

/// <summary>One PAX record. The value is bytes: xattr values (SCHILY.xattr.*) need not be UTF-8.</summary>
public sealed class PaxRecord(string key, byte[] value)
{
    /// <summary>Prefix of PAX records that carry extended attributes.</summary>
    public const string XattrPrefix = "SCHILY.xattr.";

    public string Key { get; } = key;
    public byte[] Value { get; } = value;

    /// <summary>The value read as UTF-8 (replacement characters where it is not).</summary>
    public string ValueText => Encoding.UTF8.GetString(Value);

    public override string ToString() => $"{Key}={ValueText}";
}
