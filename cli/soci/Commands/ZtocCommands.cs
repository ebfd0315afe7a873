using System.CommandLine;
using System.Globalization;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci.Cli.Building;

namespace PluggableSnapshotter.Soci.Cli.Commands;

/// <summary>`psoci ztoc list|info|get-file`: the zTOCs of an image's index, and files read through them.</summary>
internal static class ZtocCommands
{
    /// <summary>zTOCs are small next to their layers; refuse anything absurd before allocating.</summary>
    private const int MaxZtocSize = 512 * 1024 * 1024;

    public static Command Create()
    {
        var ztoc = new Command("ztoc", "Inspect zTOCs and read files through them");
        ztoc.Add(List());
        ztoc.Add(Info());
        ztoc.Add(GetFile());
        return ztoc;
    }

    private static Command List()
    {
        var image = new Argument<string>("IMAGE");
        var index = new Option<string?>("--index") { Description = "Index digest (default: discovered)" };
        Option<string[]> platform = CommonOptions.Platform();
        var command = new Command("list", "List the zTOCs of an image's SOCI index") { image, index, platform };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var reference = References.Parse(parse.GetRequiredValue(image));
            using var env = CliEnvironment.Create(parse, reference);
            LocatedIndex located = await IndexCommands.LocateAsync(env, reference, parse.GetValue(platform), parse.GetValue(index), ct);
            await env.Out.WriteLineAsync("ZTOC DIGEST\tSIZE\tLAYER DIGEST\tSPAN SIZE");
            foreach (Descriptor z in located.Index.Ztocs)
            {
                await env.Out.WriteLineAsync(
                    $"{z.Digest}\t{z.Size}\t{z.Annotation(SociAnnotations.ImageLayerDigest)}\t{z.Annotation(SociAnnotations.SpanSize)}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Info()
    {
        var image = new Argument<string?>("IMAGE") { Description = "Image (omit with --file)", Arity = ArgumentArity.ZeroOrOne };
        var ztocDigest = new Argument<string?>("ZTOC") { Description = "zTOC digest", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Read a zTOC from a local file instead" };
        var index = new Option<string?>("--index") { Description = "Index digest (default: discovered)" };
        var command = new Command("info", "Show a zTOC: sizes, spans and its table of contents") { image, ztocDigest, file, index };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            Ztoc ztoc;
            if (parse.GetValue(file) is { } path)
            {
                ztoc = ZtocSerializer.Deserialize(await File.ReadAllBytesAsync(path, ct));
                await Print(Console.Out, ztoc, path);
                return 0;
            }
            var reference = References.Parse(parse.GetValue(image) ?? throw new CliException("give IMAGE and ZTOC, or --file"));
            string digest = parse.GetValue(ztocDigest) ?? throw new CliException("give the zTOC digest (see `psoci ztoc list`)");
            using var env = CliEnvironment.Create(parse, reference);
            (ztoc, _) = await FetchAsync(env, reference, parse.GetValue(index), digest, ct);
            await Print(env.Out, ztoc, digest);
            return 0;
        }));
        return command;
    }

    private static Command GetFile()
    {
        var image = new Argument<string>("IMAGE");
        var ztocDigest = new Argument<string>("ZTOC") { Description = "zTOC digest (see `psoci ztoc list`)" };
        var filePath = new Argument<string>("PATH") { Description = "File in the layer" };
        var output = new Option<string?>("--output", "-o") { Description = "Write here instead of stdout" };
        var index = new Option<string?>("--index") { Description = "Index digest (default: discovered)" };
        var command = new Command("get-file", "Read one file of a layer through its zTOC, fetching only the spans it needs")
        {
            image, ztocDigest, filePath, output, index,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var reference = References.Parse(parse.GetRequiredValue(image));
            using var env = CliEnvironment.Create(parse, reference);
            (Ztoc ztoc, Descriptor descriptor) = await FetchAsync(env, reference, parse.GetValue(index), parse.GetRequiredValue(ztocDigest), ct);
            string wanted = Normalize(parse.GetRequiredValue(filePath));
            FileMetadata entry = ztoc.Files.FirstOrDefault(f => Normalize(f.Name) == wanted && f.Type == TarEntryTypes.Regular)
                ?? throw new CliException($"the layer has no regular file {wanted}");
            OciDigest layer = OciDigest.Parse(descriptor.Annotation(SociAnnotations.ImageLayerDigest)
                ?? throw new CliException($"zTOC {descriptor.Digest} has no {SociAnnotations.ImageLayerDigest} annotation"));
            var reader = new ZtocSpanReader(ztoc, async (offset, length, token) =>
                await env.Client.GetBlobRangeAsync(reference, layer, new ByteRange(offset, length), token));
            if (parse.GetValue(output) is { } outPath)
            {
                await using FileStream f = File.Create(outPath);
                await reader.CopyFileToAsync(entry, f, ct);
            }
            else
            {
                await using Stream stdout = Console.OpenStandardOutput();
                await reader.CopyFileToAsync(entry, stdout, ct);
            }
            return 0;
        }));
        return command;
    }

    private static async Task<(Ztoc, Descriptor)> FetchAsync(CliEnvironment env, ImageReference reference, string? indexDigest,
        string ztocDigest, CancellationToken ct)
    {
        LocatedIndex located = await IndexCommands.LocateAsync(env, reference, null, indexDigest, ct);
        Descriptor descriptor = located.Index.Ztocs.FirstOrDefault(z => z.Digest == ztocDigest)
            ?? throw new CliException($"index {located.Digest} has no zTOC {ztocDigest}");
        byte[] bytes = await env.Client.GetBlobAsync(reference, descriptor, MaxZtocSize, ct);
        return (ZtocSerializer.Deserialize(bytes), descriptor);
    }

    private static async Task Print(TextWriter output, Ztoc ztoc, string what)
    {
        CompressionInfo info = ztoc.CompressionInfo;
        await output.WriteLineAsync($"zTOC {what}");
        await output.WriteLineAsync($"  version {ztoc.Version}, built by \"{ztoc.BuildToolIdentifier}\"");
        await output.WriteLineAsync($"  compression {info.Algorithm}, {info.MaxSpanId + 1} spans, checkpoints {info.Checkpoints.Length} bytes");
        await output.WriteLineAsync($"  archive {ztoc.CompressedArchiveSize} bytes compressed, {ztoc.UncompressedArchiveSize} bytes of tar");
        await output.WriteLineAsync("TYPE\tMODE\tUID:GID\tSIZE\tOFFSET\tMOD TIME\tNAME");
        foreach (FileMetadata f in ztoc.Files)
        {
            string name = f.LinkName.Length > 0 ? $"{f.Name} -> {f.LinkName}" : f.Name;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{f.Type}\t{Convert.ToString(f.Mode, 8)}\t{f.Uid}:{f.Gid}\t{f.UncompressedSize}\t{f.UncompressedOffset}\t{f.ModTime}\t{name}"));
        }
    }

    /// <summary>"./etc/x", "/etc/x" and "etc/x" name the same file.</summary>
    private static string Normalize(string name)
    {
        string n = name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
        return n.TrimStart('/');
    }
}
