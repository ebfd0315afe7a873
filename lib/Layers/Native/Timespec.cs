using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>
/// A file time as the kernel takes and gives it (<c>struct timespec</c>): seconds since the epoch and nanoseconds into
/// that second, never negative. Layers carry nanoseconds (PAX <c>mtime</c>), so times stay in this form from the archive
/// to <c>utimensat</c> and from <c>statx</c> back; <see cref="DateTimeOffset"/> would keep 100 ns.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct Timespec(long Seconds, long Nanoseconds);
