namespace PluggableSnapshotter.Fuse.Keeper;

/// <summary>One request to the keeper: one SOCK_SEQPACKET message of JSON, the descriptor of a deposit attached.</summary>
internal sealed record KeeperRequest(string Operation, string? MountPoint = null, KeptConnection? Connection = null)
{
    public const string Deposit = "deposit";
    public const string Take = "take";
    public const string Release = "release";
    public const string List = "list";
    public const string ReleaseOrphans = "release-orphans";
    public const string Ping = "ping";
}
