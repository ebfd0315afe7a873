using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>A converted image stays an ordinary image to containerd's overlayfs snapshotter.</summary>
public class ContainerdPullTests(LoopbackRegistry registry) : IClassFixture<LoopbackRegistry>
{
    [RootOnlyFact]
    public async Task PullAndRun_ConvertedImage_OverlayfsRunsIt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        string target = $"{registry.Host}/containerd/busybox:soci";
        Psoci.Result convert = await Psoci.RunAsync("convert", registry.Image, target, "--min-layer-size", "0");
        Assert.True(convert.ExitCode == 0, convert.ToString());
        await using var containerd = await ContainerdFixture.StartAsync(new ContainerdOptions(), ct);

        await containerd.CtrAsync(["images", "pull", "--plain-http", "--snapshotter", "overlayfs", target], ct);
        string output = await containerd.RunContainerAsync(target, "overlayfs", ["/bin/sh", "-c", "echo ran; sha256sum /data/random.bin"], ct);

        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            File.ReadAllBytes(Path.Combine(registry.Root, "image", "two", "data", "random.bin"))));
        Assert.Contains("ran", output, StringComparison.Ordinal);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }
}
