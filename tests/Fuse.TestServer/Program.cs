using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.TestServer;

// The FUSE tests start this to have a serving process they can kill from outside:
//   <mount point>                         serves a small tree, prints READY, unmounts when stdin closes;
//   keeper <socket>                       runs a FUSE keeper until killed or its socket file is removed;
//   kept <mount point> <socket> [stall|other]
//                                         serves KeptTree with that keeper, prints MOUNTED or RESUMED (and STALLED
//                                         when a READ of stall.bin arrives, with stall; "other" names the tree
//                                         differently); stdin "leave" leaves the mount to the keeper and exits, end of
//                                         stdin unmounts.
switch (args)
{
    case [string mountPoint]:
        return await ServeSmallTreeAsync(mountPoint);
    case ["keeper", string socket]:
        await FuseKeeper.RunAsync(socket, NullLogger.Instance, CancellationToken.None);
        return 0;
    case ["kept", string mountPoint, string socket, .. var rest]:
        return await ServeKeptAsync(mountPoint, socket, stall: rest is ["stall"], identity: rest is ["other"] ? "other-tree" : "kept-tree");
    default:
        Console.Error.WriteLine("usage: PluggableSnapshotter.Fuse.TestServer <mount point> | keeper <socket> | kept <mount point> <socket> [stall|other]");
        return 2;
}

static async Task<int> ServeSmallTreeAsync(string mountPoint)
{
    var root = new MemoryDirectory();
    root.AddFile("hello.txt", Encoding.UTF8.GetBytes("hello from a child process\n"));
    root.AddDirectory("sub").AddFile("nested.txt", Encoding.UTF8.GetBytes("nested\n"));

    await using FuseMount mount = await FuseMount.MountAsync(mountPoint, root, new FuseMountOptions { FsName = "fuse-test-server" }, null, CancellationToken.None);
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    await Console.In.ReadToEndAsync();
    return 0;
}

static async Task<int> ServeKeptAsync(string mountPoint, string socket, bool stall, string identity)
{
    MemoryDirectory root = KeptTree.Build(stall ? () => Say("STALLED") : null);
    var options = new FuseMountOptions
    {
        FsName = identity,
        // Every access reaches the server, so the resumed one answers lookups and attributes, not the kernel's cache.
        EntryTimeout = TimeSpan.Zero,
        AttributeTimeout = TimeSpan.Zero,
        Keeper = new FuseKeeperClient(socket),
    };
    FuseMount mount = await FuseMount.MountAsync(mountPoint, root, options, null, CancellationToken.None);
    Say(mount.Resumed ? "RESUMED" : "MOUNTED");
    while (await Console.In.ReadLineAsync() is { } line)
    {
        if (line == "leave")
        {
            await mount.LeaveToKeeperAsync(CancellationToken.None);
            Say("LEFT");
            return 0;
        }
    }

    await mount.DisposeAsync();
    return 0;
}

static void Say(string line)
{
    lock (Console.Out)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
