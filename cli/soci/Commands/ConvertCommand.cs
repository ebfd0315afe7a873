using System.CommandLine;
using PluggableSnapshotter.Soci.Cli.Building;

namespace PluggableSnapshotter.Soci.Cli.Commands;

/// <summary>`psoci convert SRC DST`: a SOCI-enabled image (index v2) pushed under DST's tag.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("SRC") { Description = "Image to convert (tag or digest)" };
        var destination = new Argument<string>("DST") { Description = "Where to push the SOCI-enabled image (must have a tag)" };
        Option<long> span = CommonOptions.SpanSize();
        Option<long> minLayer = CommonOptions.MinLayerSize();
        Option<string[]> platform = CommonOptions.Platform();
        Option<bool> all = CommonOptions.AllPlatforms();
        var command = new Command("convert", "Build zTOCs and a v2 SOCI index for an image and push a SOCI-enabled image")
        {
            source, destination, span, minLayer, platform, all,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var src = References.Parse(parse.GetRequiredValue(source));
            var dst = References.ParseTaggedDestination(parse.GetRequiredValue(destination));
            var settings = new BuildSettings { SpanSize = Positive(parse.GetValue(span), "--span-size"), MinLayerSize = parse.GetValue(minLayer) };
            using var env = CliEnvironment.Create(parse, src, dst);
            var converter = new ImageConverter(env.Client, env.Catalog, env.Reporter, settings);
            var result = await converter.ConvertAsync(src, dst, PlatformChoice.From(parse.GetValue(all), parse.GetValue(platform)), ct);
            await env.Out.WriteLineAsync($"{dst}@{result.Digest}");
            return 0;
        }));
        return command;
    }

    public static long Positive(long value, string option) =>
        value > 0 ? value : throw new CliException($"{option} must be positive, not {value}");
}
