using System.CommandLine;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Soci.Cli.Building;

namespace PluggableSnapshotter.Soci.Cli.Commands;

/// <summary>
/// `psoci push IMAGE`: uploads the v1 indexes `create` built for the image's manifests, findable through the
/// referrers API or, on registries without it, the fallback tag.
/// </summary>
internal static class PushCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("IMAGE") { Description = "Image whose indexes to push (the repository they go to)" };
        Option<string[]> platform = CommonOptions.Platform();
        Option<bool> all = CommonOptions.AllPlatforms();
        Option<string> store = CommonOptions.Store();
        var command = new Command("push", "Push the v1 SOCI indexes built by `create` for an image") { image, platform, all, store };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var reference = References.Parse(parse.GetRequiredValue(image));
            using var env = CliEnvironment.Create(parse, reference);
            var local = new LocalStore(parse.GetRequiredValue(store));
            var selection = await env.Catalog.SelectAsync(reference, PlatformChoice.From(parse.GetValue(all), parse.GetValue(platform)).Filter, ct);
            var sink = new RegistrySink(env.Client, reference);
            var publisher = new ReferrerPublisher(env.Client);
            int pushed = 0;
            foreach (SelectedManifest m in selection.Selected)
            {
                foreach (string indexDigest in local.IndexesFor(m.Descriptor.Digest))
                {
                    byte[] manifest = await local.GetBlobAsync(indexDigest, ct);
                    SociIndexManifest index = SociIndexManifest.Parse(manifest);
                    foreach (Descriptor blob in index.Blobs)
                    {
                        env.Reporter.Note($"[{m.PlatformText}] pushing {blob.Digest} ({blob.Size} bytes)");
                        await sink.PutBlobAsync(await local.GetBlobAsync(blob.Digest, ct), blob.MediaType, ct);
                    }
                    await sink.PutBlobAsync(SociMediaTypes.EmptyJson.ToArray(), index.ArtifactType, ct);
                    bool viaTag = await publisher.PublishAsync(reference, m.Descriptor.Digest, manifest, ct);
                    string how = viaTag ? $"fallback tag {SociIndexDiscovery.FallbackTag(m.Descriptor.Digest)}" : "referrers API";
                    await env.Out.WriteLineAsync($"{indexDigest}\t{m.PlatformText}\t{m.Descriptor.Digest}\t{how}");
                    pushed++;
                }
            }
            return pushed > 0 ? 0 : throw new CliException($"the local store {local.Root} has no index for {reference}; run `psoci create` first");
        }));
        return command;
    }
}
