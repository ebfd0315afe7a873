namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>
/// A python3 reader that reads 4 KiB with O_DIRECT and prints "result &lt;return&gt; &lt;errno&gt;": O_DIRECT makes the
/// read a synchronous request of the reader itself, the kind the kernel interrupts (page cache readahead runs in
/// the background and is never interrupted). SIGINT is caught so the process survives to report EINTR.
/// </summary>
internal static class DirectReadScript
{
    public const string Source = """
        import ctypes, mmap, os, signal, sys
        signal.signal(signal.SIGINT, lambda signum, frame: None)
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
        buffer = mmap.mmap(-1, 4096)
        address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
        print("reading", flush=True)
        result = libc.read(fd, ctypes.c_void_p(address), ctypes.c_size_t(4096))
        print("result", result, ctypes.get_errno(), flush=True)
        """;
}
