using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Sdk.Testing;
using TarballDirectory;
using Xunit;

namespace TarballDirectory.Tests;

/// <summary>Every contract test of the kit, against this backend with an empty tarball directory.</summary>
public sealed class TarballDirectoryContractTests : FileSystemContractTests<TarballDirectoryPlugin>
{
    protected override string PluginName => "tarball-directory";

    protected override IReadOnlyDictionary<string, string?> Settings(string workDirectory) =>
        new Dictionary<string, string?> { ["directory"] = Directory.CreateDirectory(Path.Combine(workDirectory, "blobs")).FullName };

    // The backend's own case beside the kit's: a blob that does not match its digest fails, leaving the mount point as found.
    [Fact]
    public async Task MountLocalAsync_BlobWithWrongContent_FailsAndLeavesMountPointAsFound()
    {
        var digest = ContractRequests.UnknownLayer;
        await File.WriteAllTextAsync(Path.Combine(WorkDirectory, "blobs", digest.Replace(':', '-')), "not that layer");
        var mountpoint = NewMountPoint();

        var request = ContractRequests.ForImageLayer(mountpoint, "registry.example/any:v1", digest);
        await Assert.ThrowsAsync<InvalidDataException>(() => FileSystem.MountLocalAsync(request, [], CancellationToken.None));

        Assert.Null(MountPoints.Disturbance(mountpoint));
    }
}
