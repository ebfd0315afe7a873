namespace PluggableSnapshotter.Fuse;

/// <summary>
/// A node operation's outcome: a value, or an <see cref="Errno"/>. Converts implicitly from both,
/// so a node writes <c>return attributes;</c> or <c>return Errno.ENOENT;</c>.
/// </summary>
/// <typeparam name="T">The value type on success.</typeparam>
public readonly struct FuseResult<T>
{
    private FuseResult(T value, Errno error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value; meaningful only when <see cref="Error"/> is <see cref="Errno.None"/>.</summary>
    public T Value { get; }

    /// <summary>The failure, or <see cref="Errno.None"/> on success.</summary>
    public Errno Error { get; }

    /// <summary>True when the operation succeeded.</summary>
    public bool IsSuccess => Error == Errno.None;

    /// <summary>A successful result.</summary>
    public static implicit operator FuseResult<T>(T value) => new(value, Errno.None);

    /// <summary>A failed result; <see cref="Errno.None"/> is not a failure and is turned into EIO.</summary>
    public static implicit operator FuseResult<T>(Errno error) => new(default!, error == Errno.None ? Errno.EIO : error);
}
