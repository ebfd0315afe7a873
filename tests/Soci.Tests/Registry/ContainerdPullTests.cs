namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>Root-only: a converted image stays an ordinary image to containerd's overlayfs snapshotter.</summary>
public class ContainerdPullTests(LoopbackRegistry registry, ContainerdDaemon containerd)
    : IClassFixture<LoopbackRegistry>, IClassFixture<ContainerdDaemon>
{
    [Fact]
    public async Task PullAndRun_ConvertedImage_OverlayfsRunsIt()
    {
        string target = $"{registry.Host}/containerd/busybox:soci";
        Psoci.Result convert = await Psoci.RunAsync("convert", registry.Image, target, "--min-layer-size", "0");
        Assert.True(convert.ExitCode == 0, convert.ToString());

        containerd.Ctr("images", "pull", "--plain-http", "--snapshotter", "overlayfs", target);
        string output = containerd.Ctr("run", "--rm", "--snapshotter", "overlayfs", target, "soci-run-" + Guid.NewGuid().ToString("N")[..8],
            "/bin/sh", "-c", "echo ran; sha256sum /data/random.bin");

        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            File.ReadAllBytes(Path.Combine(registry.Root, "image", "two", "data", "random.bin"))));
        Assert.Contains("ran", output, StringComparison.Ordinal);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }
}
