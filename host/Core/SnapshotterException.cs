using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>A request the snapshotter refuses, with the kind that decides its gRPC status code.</summary>
internal class SnapshotterException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SnapshotterException(SnapshotErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException) => Kind = kind;

    /// <summary>What kind of violation this is.</summary>
    public SnapshotErrorKind Kind { get; }

    /// <summary>The key, name or parent does not exist.</summary>
    public static SnapshotterException NotFound(string message) => new(SnapshotErrorKind.NotFound, message);

    /// <summary>The key or name is taken.</summary>
    public static SnapshotterException AlreadyExists(string message) => new(SnapshotErrorKind.AlreadyExists, message);

    /// <summary>The snapshot is in the wrong state for the operation.</summary>
    public static SnapshotterException FailedPrecondition(string message) => new(SnapshotErrorKind.FailedPrecondition, message);

    /// <summary>The request is malformed.</summary>
    public static SnapshotterException InvalidArgument(string message) => new(SnapshotErrorKind.InvalidArgument, message);

    /// <summary>The request carries no namespace.</summary>
    public static SnapshotterException NoNamespace(string message = "namespace is required") => new(SnapshotErrorKind.NoNamespace, message);
}
