namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>Turns FUSE over io_uring on in the kernel (/sys/module/fuse/parameters/enable_uring) and restores the setting.</summary>
public sealed class KernelUringSwitch : IDisposable
{
    private const string Parameter = "/sys/module/fuse/parameters/enable_uring";
    private readonly string _before;

    public KernelUringSwitch()
    {
        if (!File.Exists(Parameter))
        {
            throw new InvalidOperationException($"{Parameter} is missing: this kernel is built without CONFIG_FUSE_IO_URING (Linux 6.14+)");
        }

        _before = File.ReadAllText(Parameter).Trim();
        Set(true);
    }

    public static void Set(bool enabled) => File.WriteAllText(Parameter, enabled ? "Y" : "N");

    public void Dispose() => File.WriteAllText(Parameter, _before);
}
