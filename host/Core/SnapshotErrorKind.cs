using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>The contract violations a snapshotter reports; the gRPC adapter maps each to the status code containerd expects.</summary>
internal enum SnapshotErrorKind
{
    /// <summary>The key, name or parent does not exist (gRPC NotFound).</summary>
    NotFound,

    /// <summary>The key or name is taken (gRPC AlreadyExists); also how a remote snapshotter says "committed it myself".</summary>
    AlreadyExists,

    /// <summary>The snapshot is in the wrong state for the operation, such as removing one with children (gRPC FailedPrecondition).</summary>
    FailedPrecondition,

    /// <summary>The request is malformed, such as a bad filter or field path (gRPC InvalidArgument).</summary>
    InvalidArgument,

    /// <summary>The request carries no containerd namespace where one is needed (SOCI's <c>ErrNoNamespace</c>; gRPC InvalidArgument).</summary>
    NoNamespace,
}
