using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// Refuses a plugin built against an SDK this host cannot stand in for, before any of its code loads. The SDK follows
/// semantic versioning on its assembly version (sdk/README.md): a major version may change the contract, a minor one only
/// adds members. So a plugin runs on a host whose SDK has the same major version and at least the minor version the plugin
/// was built against; anything else would fail later, in the middle of a Prepare, with a MissingMethodException.
/// </summary>
internal static class SdkCompatibility
{
    private static readonly AssemblyName HostSdk = typeof(IFileSystem).Assembly.GetName();

    /// <summary>Throws when the assembly at <paramref name="assemblyPath"/> references an incompatible SDK; says which and what to do.</summary>
    /// <exception cref="InvalidOperationException">The plugin's SDK version does not fit this host's.</exception>
    public static void Check(string assemblyPath)
    {
        if (ReferencedSdk(assemblyPath) is not { } built || HostSdk.Version is not { } host)
        {
            return; // no reference to the SDK: the entry point search says what is wrong
        }
        if (built.Major != host.Major)
        {
            throw new InvalidOperationException(
                $"built against {HostSdk.Name} {built}, but this host provides {host}: the SDK's major version must match; rebuild the plugin against SDK {host.Major}.x");
        }
        if (built.Minor > host.Minor)
        {
            throw new InvalidOperationException(
                $"built against {HostSdk.Name} {built}, newer than this host's {host}: upgrade the snapshotter, or build the plugin against SDK {host.Major}.{host.Minor}");
        }
    }

    /// <summary>The SDK version the assembly's metadata references, or null when it references none.</summary>
    public static Version? ReferencedSdk(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        MetadataReader metadata;
        try
        {
            if (!pe.HasMetadata)
            {
                return null;
            }
            metadata = pe.GetMetadataReader();
        }
        catch (BadImageFormatException)
        {
            return null; // not an assembly: the loader says so in its own words
        }
        foreach (var handle in metadata.AssemblyReferences)
        {
            var reference = metadata.GetAssemblyReference(handle);
            if (metadata.StringComparer.Equals(reference.Name, HostSdk.Name!))
            {
                return reference.Version;
            }
        }
        return null;
    }
}
