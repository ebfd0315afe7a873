namespace PluggableSnapshotter.Fuse.Keeper;

/// <summary>The keeper's answer (one message); the descriptor of a take is attached.</summary>
internal sealed record KeeperResponse(string? Error = null, KeptConnection? Connection = null, IReadOnlyList<KeptConnection>? Connections = null, int ProcessId = 0);
