namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>
/// Tests that drop the kernel's dentry cache and tests that rely on it staying warm (re-lookups legitimately
/// allocate node table entries) must not overlap.
/// </summary>
[CollectionDefinition(Name)]
public sealed class KernelCacheCollection
{
    public const string Name = "KernelCache";
}
