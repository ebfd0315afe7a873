using System.CommandLine;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Soci.Cli.Building;

namespace PluggableSnapshotter.Soci.Cli.Commands;

/// <summary>`psoci create IMAGE`: builds v1 indexes (subject = the image manifest) into the local store.</summary>
internal static class CreateCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("IMAGE") { Description = "Image to index" };
        Option<long> span = CommonOptions.SpanSize();
        Option<long> minLayer = CommonOptions.MinLayerSize();
        Option<string[]> platform = CommonOptions.Platform();
        Option<bool> all = CommonOptions.AllPlatforms();
        Option<string> store = CommonOptions.Store();
        var command = new Command("create", "Build zTOCs and a v1 SOCI index for an image into the local store (then `push`)")
        {
            image, span, minLayer, platform, all, store,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var reference = References.Parse(parse.GetRequiredValue(image));
            var settings = new BuildSettings
            {
                SpanSize = ConvertCommand.Positive(parse.GetValue(span), "--span-size"),
                MinLayerSize = parse.GetValue(minLayer),
            };
            using var env = CliEnvironment.Create(parse, reference);
            var local = new LocalStore(parse.GetRequiredValue(store));
            var selection = await env.Catalog.SelectAsync(reference, PlatformChoice.From(parse.GetValue(all), parse.GetValue(platform)).Filter, ct);
            var indexer = new ManifestIndexer(env.Client, env.Reporter, settings);
            foreach (SelectedManifest m in selection.Selected)
            {
                BuiltIndex index = await indexer.BuildAsync(reference, m.Descriptor, m.Manifest, m.PlatformText, SociIndexVersion.V1, local, ct);
                await local.PutBlobAsync(index.Manifest, MediaTypes.OciManifest, ct);
                local.AddRef(m.Descriptor.Digest, index.Digest);
                await env.Out.WriteLineAsync($"{index.Digest}\t{m.PlatformText}\t{m.Descriptor.Digest}\t{index.ZtocCount} zTOCs");
            }
            return 0;
        }));
        return command;
    }
}
