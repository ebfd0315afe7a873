using System.Globalization;
using Xunit.Abstractions;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>
/// Random mutations of every corpus archive (bytes flipped in headers and PAX bodies, numbers rewritten, the stream cut
/// short): the applier and the zTOC builder either succeed or fail with <see cref="InvalidDataException"/> (or, for the
/// applier, an <see cref="IOException"/> from the file system), never crash or hang, and nothing is ever written
/// outside the layer directory. <c>PSNAP_FUZZ_ITERATIONS</c> sets the mutations per form (default 100; thousands on
/// demand). Root only.
/// </summary>
public sealed class FuzzTests(Corpus corpus, ITestOutputHelper output) : IClassFixture<Corpus>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Forms => [.. Corpus.Forms];

    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("PSNAP_FUZZ_ITERATIONS"), CultureInfo.InvariantCulture, out var n) ? n : 100;

    [RootOnlyTheory]
    [MemberData(nameof(Forms))]
    public async Task ApplyAsync_MutatedArchives_FailCleanlyAndStayInsideTheLayer(string form)
    {
        var original = await File.ReadAllBytesAsync(corpus.ArchiveOf(form));
        var area = corpus.Scratch("fuzz-" + form);
        var layers = Path.Combine(area, "layers");
        var outside = Path.Combine(area, "outside");
        Directory.CreateDirectory(layers);
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "sentinel"), "untouched");
        var random = new Random(HashCode.Combine(form.Length, form[0], form[^1])); // reproducible per form
        var outcomes = new Dictionary<string, int>();

        for (var i = 0; i < Iterations; i++)
        {
            var mutated = Mutate(original, random);
            var target = Path.Combine(layers, "layer");
            string outcome;
            try
            {
                await new LayerApplier().ApplyAsync(new MemoryStream(mutated), target, new LayerApplyOptions(), CancellationToken.None).WaitAsync(Limit);
                outcome = "applied";
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException and not EndOfStreamException)
            {
                outcome = ex.GetType().Name;
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            Assert.Equal(["sentinel"], Directory.EnumerateFileSystemEntries(outside).Select(Path.GetFileName));
            Assert.Equal("untouched", await File.ReadAllTextAsync(Path.Combine(outside, "sentinel")));
            Assert.Equal([area + "/layers", area + "/outside"], Directory.EnumerateFileSystemEntries(area).Order(StringComparer.Ordinal));
            var left = Directory.EnumerateFileSystemEntries(layers).ToList();
            Assert.True(left.Count == 0 || (outcome == "applied" && left.SequenceEqual([target])), $"mutation {i} left {string.Join(", ", left)} ({outcome})");
            if (left.Count > 0) RawTree.Delete(RawPath.FromPath(target));

            await BuildZtocAsync(mutated);
        }

        output.WriteLine($"{form}: {Iterations} mutations: {string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"))}");
        Assert.Equal(Iterations, outcomes.Values.Sum());
    }

    private static async Task BuildZtocAsync(byte[] tar)
    {
        try
        {
            await ZtocBuilder.BuildAsync(new MemoryStream(tar), LayerCompression.Uncompressed, new ZtocBuildOptions(), CancellationToken.None).WaitAsync(Limit);
        }
        catch (InvalidDataException)
        {
        }
    }

    // Mostly header bytes (where the parsing is), sometimes a number rewritten in base-256 or a cut.
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        var headers = HeaderOffsets(bytes);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits; e++)
        {
            var header = headers[random.Next(headers.Count)];
            switch (random.Next(6))
            {
                case 0: // a byte anywhere
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
                case 1: // a byte of a header or of the PAX body after it
                    bytes[Math.Min(bytes.Length - 1, header + random.Next(1024))] = (byte)random.Next(256);
                    break;
                case 2: // a numeric field in base-256, any magnitude or sign
                    var (offset, width) = new[] { (100, 8), (108, 8), (116, 8), (124, 12), (136, 12), (329, 8), (337, 8) }[random.Next(7)];
                    var value = random.Next(2) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : random.Next(-1000, 100_000);
                    for (var b = width - 1; b >= 0; b--, value >>= 8) bytes[header + offset + b] = (byte)value;
                    bytes[header + offset] |= 0x80;
                    FixChecksum(bytes, header);
                    break;
                case 3: // the type flag
                    bytes[header + 156] = (byte)"0123456Sxg7LKZ\0"[random.Next(15)];
                    FixChecksum(bytes, header);
                    break;
                case 4: // a digit of a PAX record or sparse map
                    var at = Math.Min(bytes.Length - 1, header + 512 + random.Next(512));
                    bytes[at] = (byte)"0123456789 =,\n"[random.Next(14)];
                    break;
                default: // the stream cut short
                    return bytes[..random.Next(bytes.Length)];
            }

            if (random.Next(2) == 0) FixChecksum(bytes, header);
        }

        return bytes;
    }

    private static List<int> HeaderOffsets(byte[] tar)
    {
        var offsets = new List<int>();
        for (var at = 0; at + 512 <= tar.Length; at += 512)
        {
            if (tar.AsSpan(at + 257, 5).SequenceEqual("ustar"u8)) offsets.Add(at);
        }

        return offsets.Count > 0 ? offsets : [0];
    }

    private static void FixChecksum(byte[] tar, int header)
    {
        if (header + 512 > tar.Length) return;
        tar.AsSpan(header + 148, 8).Fill((byte)' ');
        var sum = 0;
        for (var i = 0; i < 512; i++) sum += tar[header + i];
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, header + 148);
    }
}
