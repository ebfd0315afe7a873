using System.Text;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Fuse.InMemory;

// Serves a small in-memory tree at the mount point given as the only argument, prints "READY" once mounted, and
// unmounts when stdin closes. The FUSE tests start it to kill a serving process from outside.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: PluggableSnapshotter.Fuse.TestServer <mount point>");
    return 2;
}

var root = new MemoryDirectory();
root.AddFile("hello.txt", Encoding.UTF8.GetBytes("hello from a child process\n"));
root.AddDirectory("sub").AddFile("nested.txt", Encoding.UTF8.GetBytes("nested\n"));

await using FuseMount mount = await FuseMount.MountAsync(args[0], root, new FuseMountOptions { FsName = "fuse-test-server" }, null, CancellationToken.None);
Console.Out.WriteLine("READY");
Console.Out.Flush();
await Console.In.ReadToEndAsync();
return 0;
