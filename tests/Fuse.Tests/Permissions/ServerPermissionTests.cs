using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Permissions;

/// <summary>
/// Mounts without default_permissions: the server checks OPEN, OPENDIR and ACCESS against the caller (root; the
/// other user is "nobody", 65534, through setpriv).
/// </summary>
public sealed class ServerPermissionTests
{
    private static readonly FuseMountOptions ServerChecks = new() { DefaultPermissions = false, Transport = FuseTransport.Device };

    private static Task<ProcessResult> AsNobodyAsync(string script) =>
        Tool.RunAsync("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", script);

    [RootOnlyFact]
    public async Task Open_WithoutDefaultPermissions_FollowsTheModeForOtherUsers()
    {
        var root = new MemoryDirectory();
        root.AddFile("public", "everyone\n"u8.ToArray(), permissions: 0x1A4); // 0644
        root.AddFile("private", "root only\n"u8.ToArray(), permissions: 0x180); // 0600
        root.AddDirectory("closed", permissions: 0x1C0).AddFile("inside", "x"u8.ToArray()); // 0700
        await using TestMount mount = await TestMount.StartAsync(root, ServerChecks);

        ProcessResult publicRead = await AsNobodyAsync($"cat {mount.PathOf("public")}");
        ProcessResult privateRead = await AsNobodyAsync($"cat {mount.PathOf("private")}");
        ProcessResult closedList = await AsNobodyAsync($"ls {mount.PathOf("closed")}");
        string rootRead = await Tool.CheckedAsync("cat", mount.PathOf("private"));

        Assert.Equal("everyone\n", publicRead.Text);
        Assert.NotEqual(0, privateRead.ExitCode);
        Assert.Contains("Permission denied", privateRead.Error);
        Assert.NotEqual(0, closedList.ExitCode);
        Assert.Contains("Permission denied", closedList.Error);
        Assert.Equal("root only\n", rootRead);
    }

    [RootOnlyFact]
    public async Task Access_WithoutDefaultPermissions_AnswersPerCallerAndRefusesWrites()
    {
        var root = new MemoryDirectory();
        root.AddFile("private", "secret"u8.ToArray(), permissions: 0x180); // 0600
        root.AddFile("tool", "#!/bin/sh\n"u8.ToArray(), permissions: 0x1ED); // 0755
        await using TestMount mount = await TestMount.StartAsync(root, ServerChecks);

        ProcessResult nobody = await AsNobodyAsync(
            $"test -r {mount.PathOf("private")}; echo r=$?; test -x {mount.PathOf("tool")}; echo x=$?; test -w {mount.PathOf("tool")}; echo w=$?");
        ProcessResult asRoot = await Tool.ShellAsync($"test -r {mount.PathOf("private")}; echo r=$?; test -x {mount.PathOf("private")}; echo x=$?");

        Assert.Equal("r=1\nx=0\nw=1\n", nobody.Text);
        Assert.Equal("r=0\nx=1\n", asRoot.Text); // root reads anything, but executes only what has an x bit
    }
}
