using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Images;

/// <summary>
/// Builds OCI images offline: layers written as tars by <see cref="LayerBuilder"/> and
/// assembled with umoci (init, new, raw add-layer, config). Nothing touches the network.
/// </summary>
/// <example>
/// <code>
/// var image = await new TestImageBuilder(workDir)
///     .AddBusyboxLayer()
///     .AddLayer(l => l.File("/etc/message", "hello\n").Whiteout("/bin/vi"))
///     .WithCommand("/bin/sh")
///     .BuildAsync("test", ct);
/// await image.PushAsync(registry.Reference("busybox", "test"), ct);
/// </code>
/// </example>
public sealed class TestImageBuilder
{
    private readonly string _workDirectory;
    private readonly List<Func<CancellationToken, Task<LayerBuilder>>> _layers = [];
    private readonly List<string> _configArguments = [];

    /// <summary>Builds in <paramref name="workDirectory"/> (layout in "oci", layer tars beside it).</summary>
    public TestImageBuilder(string workDirectory) => _workDirectory = workDirectory;

    /// <summary>Number of layers added so far.</summary>
    public int LayerCount => _layers.Count;

    /// <summary>Adds a layer with busybox-static and its applets (see <see cref="BusyboxLayer"/>).</summary>
    public TestImageBuilder AddBusyboxLayer()
    {
        _layers.Add(ct => BusyboxLayer.AddToAsync(new LayerBuilder(), ct));
        return this;
    }

    /// <summary>Adds a layer described entry by entry.</summary>
    public TestImageBuilder AddLayer(Action<LayerBuilder> describe)
    {
        _layers.Add(_ =>
        {
            var layer = new LayerBuilder();
            describe(layer);
            return Task.FromResult(layer);
        });
        return this;
    }

    /// <summary>Sets the image's Cmd.</summary>
    public TestImageBuilder WithCommand(params string[] command)
    {
        foreach (var part in command)
        {
            _configArguments.AddRange(["--config.cmd", part]);
        }
        return this;
    }

    /// <summary>Adds an environment variable (NAME=value) to the image config.</summary>
    public TestImageBuilder WithEnvironment(string variable)
    {
        _configArguments.AddRange(["--config.env", variable]);
        return this;
    }

    /// <summary>Writes the layers and assembles the image under <paramref name="tag"/>.</summary>
    public async Task<OciImage> BuildAsync(string tag, CancellationToken cancellationToken)
    {
        var layout = Path.Combine(_workDirectory, "oci");
        var image = new OciImage(layout, tag);
        if (!Directory.Exists(layout))
        {
            await Umoci(["init", "--layout", layout], cancellationToken);
        }
        await Umoci(["new", "--image", image.LayoutReference], cancellationToken);
        for (var i = 0; i < _layers.Count; i++)
        {
            var layer = await _layers[i](cancellationToken);
            var tar = Path.Combine(_workDirectory, $"{tag}-layer{i}.tar");
            await using (var file = File.Create(tar))
            {
                await layer.WriteAsync(file, cancellationToken);
            }
            await Umoci(["raw", "add-layer", "--image", image.LayoutReference, tar], cancellationToken);
            File.Delete(tar);
        }
        await Umoci(
            ["config", "--image", image.LayoutReference, "--config.env", "PATH=/bin:/usr/bin", .. _configArguments],
            cancellationToken);
        return image;
    }

    private static Task<ProcessResult> Umoci(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunCheckedAsync("umoci", arguments, cancellationToken);
}
