using System.CommandLine;
using System.Text.Json;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Soci.Cli.Building;

namespace PluggableSnapshotter.Soci.Cli.Commands;

/// <summary>`psoci index list|info`: the SOCI indexes an image has in the registry.</summary>
internal static class IndexCommands
{
    public static Command Create()
    {
        var index = new Command("index", "Inspect SOCI indexes in a registry");
        index.Add(List());
        index.Add(Info());
        return index;
    }

    private static Command List()
    {
        var image = new Argument<string>("IMAGE") { Description = "Image (all its platforms unless --platform)" };
        Option<string[]> platform = CommonOptions.Platform();
        var command = new Command("list", "List the v2 and v1 SOCI indexes of an image") { image, platform };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var reference = References.Parse(parse.GetRequiredValue(image));
            using var env = CliEnvironment.Create(parse, reference);
            string[]? platforms = parse.GetValue(platform);
            var choice = PlatformChoice.From(platforms is not { Length: > 0 }, platforms);
            var selection = await env.Catalog.SelectAsync(reference, choice.Filter, ct);
            var locator = new IndexLocator(env.Client);
            await env.Out.WriteLineAsync("INDEX DIGEST\tVERSION\tPLATFORM\tIMAGE MANIFEST");
            foreach (SelectedManifest m in selection.Selected)
            {
                if (SociIndexDiscovery.IndexDigestFromManifest(m.Bytes) is { } v2)
                {
                    await env.Out.WriteLineAsync($"{v2}\tv2\t{m.PlatformText}\t{m.Descriptor.Digest}");
                }
                foreach (Descriptor v1 in await locator.V1IndexesAsync(reference, m.Descriptor.Digest, ct))
                {
                    await env.Out.WriteLineAsync($"{v1.Digest}\tv1\t{m.PlatformText}\t{m.Descriptor.Digest}");
                }
            }
            return 0;
        }));
        return command;
    }

    private static Command Info()
    {
        var image = new Argument<string>("IMAGE") { Description = "Image whose index to show" };
        var digest = new Option<string?>("--index") { Description = "Show this index digest instead of discovering one" };
        Option<string[]> platform = CommonOptions.Platform();
        var command = new Command("info", "Print an image's SOCI index manifest (found as the snapshotter finds it)") { image, digest, platform };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var reference = References.Parse(parse.GetRequiredValue(image));
            using var env = CliEnvironment.Create(parse, reference);
            LocatedIndex located = await LocateAsync(env, reference, parse.GetValue(platform), parse.GetValue(digest), ct);
            env.Reporter.Note($"index {located.Digest} ({located.Index.Version}), found by {located.FoundBy}");
            using JsonDocument doc = JsonDocument.Parse(located.Bytes);
            await env.Out.WriteLineAsync(JsonSerializer.Serialize(doc.RootElement, Indented));
            return 0;
        }));
        return command;
    }

    /// <summary>The index of the image's first selected manifest (this machine's platform unless --platform).</summary>
    public static async Task<LocatedIndex> LocateAsync(CliEnvironment env, ImageReference reference, string[]? platforms,
        string? explicitDigest, CancellationToken cancellationToken)
    {
        var selection = await env.Catalog.SelectAsync(reference, PlatformChoice.From(false, platforms).Filter, cancellationToken);
        SelectedManifest manifest = selection.Selected[0];
        return await new IndexLocator(env.Client).FindAsync(reference, manifest, explicitDigest, cancellationToken)
            ?? throw new CliException($"{reference} ({manifest.PlatformText}) has no SOCI index (no v2 annotation, no v1 referrer)");
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
