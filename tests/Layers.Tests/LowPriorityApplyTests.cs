using System.Security.Cryptography;
using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Tars;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>
/// The opt-in low-priority apply (a background fill's): its inflate and unpack threads, read back from
/// /proc/self/task while the blob is held half-way, and the layer it leaves. One class, so its tests run one at a time and
/// no other test of the process starts threads of these names.
/// </summary>
public sealed class LowPriorityApplyTests : IDisposable
{
    private const string GzipMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static readonly string[] PipelineThreads = ["layer-inflate", "layer-unpack"];
    private readonly Tmpfs _tmpfs = new();
    private readonly (byte[] Tar, string[] Contents) _layer = Layer();

    private string Target => _tmpfs.PathOf("layer");

    public void Dispose() => _tmpfs.Dispose();

    [RootOnlyFact]
    public async Task ApplyAsync_LowPriority_InflatesAndUnpacksOnLoweredThreadsAndAppliesEveryByte()
    {
        var blob = new HeldStream(LayerBuilder.Gzip(_layer.Tar));
        var apply = new LayerApplier().ApplyAsync(blob, Target, new LayerApplyOptions { MediaType = GzipMediaType, LowPriorityNice = 19 }, CancellationToken.None);

        await blob.Held.WaitAsync(TimeSpan.FromSeconds(30));
        var threads = await WaitForThreadsAsync(PipelineThreads);
        blob.Release();
        var result = await apply.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(threads, AssertLowered);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(_layer.Tar)), result.DiffId);
        for (var i = 0; i < _layer.Contents.Length; i++) Assert.Equal(_layer.Contents[i], File.ReadAllText(Path.Combine(Target, $"data/file-{i}")));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_LowPriorityOff_RunsNoThreadOfItsOwnAndNothingLowered()
    {
        var blob = new HeldStream(LayerBuilder.Gzip(_layer.Tar));
        var apply = new LayerApplier().ApplyAsync(blob, Target, new LayerApplyOptions { MediaType = GzipMediaType }, CancellationToken.None);

        await blob.Held.WaitAsync(TimeSpan.FromSeconds(30));
        var threads = ProcessThreads.Read();
        blob.Release();
        var result = await apply.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(threads, thread => PipelineThreads.Contains(thread.Name));
        var process = threads.Single(thread => thread.Tid == Environment.ProcessId);
        Assert.DoesNotContain(threads, thread => thread.Nice != process.Nice || thread.RtPriority != process.RtPriority);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(_layer.Tar)), result.DiffId);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_LowPriorityCancelledWhileHeld_StopsItsThreadsAndLeavesNothing()
    {
        var blob = new HeldStream(LayerBuilder.Gzip(_layer.Tar));
        using var cancellation = new CancellationTokenSource();
        var apply = new LayerApplier().ApplyAsync(blob, Target, new LayerApplyOptions { MediaType = GzipMediaType, LowPriorityNice = 19 }, cancellation.Token);
        await blob.Held.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitForThreadsAsync(PipelineThreads);

        await cancellation.CancelAsync(); // the blob stays held: only the pipeline's own stop can end its blocked reads

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apply.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_tmpfs.Root), path => Path.GetFileName(path).StartsWith(".layer.apply-", StringComparison.Ordinal));
        for (var waited = 0; ProcessThreads.Read().Any(thread => PipelineThreads.Contains(thread.Name)) && waited < 100; waited++) await Task.Delay(50);
        Assert.DoesNotContain(ProcessThreads.Read(), thread => PipelineThreads.Contains(thread.Name));
        blob.Release();
    }

    /// <summary>Nice 19; in a real-time test process (under <c>chrt</c>), real-time priority 1 instead.</summary>
    private static void AssertLowered(ProcessThreads.Thread thread)
    {
        var main = ProcessThreads.Read().Single(t => t.Tid == Environment.ProcessId);
        if (main.RtPriority > 0) Assert.Equal(1, thread.RtPriority);
        else Assert.Equal(19, thread.Nice);
    }

    private static async Task<IReadOnlyList<ProcessThreads.Thread>> WaitForThreadsAsync(string[] names)
    {
        var seen = new List<ProcessThreads.Thread>();
        for (var waited = 0; waited < 200; waited++)
        {
            seen = ProcessThreads.Read().Where(thread => names.Contains(thread.Name)).ToList();
            if (seen.Count == names.Length) return seen;
            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"expected threads {string.Join(", ", names)}, saw {string.Join(", ", seen.Select(t => t.Name))}");
    }

    /// <summary>Eight files of 512 KiB of base64 text (about 3:4 compressible), so that the gzip blob takes many reads.</summary>
    private static (byte[] Tar, string[] Contents) Layer()
    {
        var random = new Random(42);
        var contents = Enumerable.Range(0, 8).Select(_ =>
        {
            var bytes = new byte[384 * 1024];
            random.NextBytes(bytes);
            return Convert.ToBase64String(bytes);
        }).ToArray();
        var builder = new LayerBuilder().Dir("data/");
        for (var i = 0; i < contents.Length; i++) builder.File($"data/file-{i}", contents[i]);
        return (builder.Tar(), contents);
    }
}
