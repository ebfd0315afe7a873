using PluggableSnapshotter.Host.Plugins;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

public class PluginsConfigLoaderTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("psnap-config-").FullName;

    private PluginsConfig Parse(string yaml) => PluginsConfigLoader.Parse(Path.Combine(_directory, "plugins.yaml"), yaml);

    [Fact]
    public void Parse_RepositoryDefault_IsValidOnceBuilt()
    {
        var root = PluggableSnapshotter.TestSupport.RepositoryPaths.Root;
        var yaml = File.ReadAllText(Path.Combine(root, "plugins.yaml"));
        try
        {
            var config = PluginsConfigLoader.Parse(Path.Combine(root, "plugins.yaml"), yaml);
            Assert.NotEmpty(config.Chains);
        }
        catch (PluginsConfigException e)
        {
            // Before scripts/build.sh the plugin folders do not exist; that must be the only complaint.
            Assert.All(e.Errors, error => Assert.Contains("does not exist", error));
        }
    }

    [Fact]
    public void Parse_Empty_IsAPlainOverlaySnapshotter()
    {
        var config = Parse("");
        Assert.Empty(config.Plugins);
        Assert.Empty(Assert.Single(config.Chains).Backends);
    }

    [Fact]
    public void Parse_ManyMistakes_ListsEveryErrorWithItsLine()
    {
        var error = Assert.Throws<PluginsConfigException>(() => Parse("""
            snapshotter:
              min_layer_size: ten
              parallel_pull_unpack: perhaps
              colour: blue
            plugins:
              - name: ghost
                path: does/not/exist
              - path: somewhere
            chains:
              - name: default
                backends: [ghost, nobody]
            default_chain: missing
            extra: 1
            """));

        Assert.Contains(error.Errors, e => e.StartsWith("line 2:") && e.Contains("'ten' is not a size"));
        Assert.Contains(error.Errors, e => e.StartsWith("line 3:") && e.Contains("'perhaps' is not true or false"));
        Assert.Contains(error.Errors, e => e.StartsWith("line 4:") && e.Contains("unknown snapshotter option 'colour'"));
        Assert.Contains(error.Errors, e => e.StartsWith("line 6:") && e.Contains("does not exist"));
        Assert.Contains(error.Errors, e => e.StartsWith("line 8:") && e.Contains("needs a name"));
        Assert.Contains(error.Errors, e => e.StartsWith("line 10:") && e.Contains("backend 'nobody' is not a plugin"));
        Assert.Contains(error.Errors, e => e.StartsWith("line 12:") && e.Contains("default_chain 'missing'"));
        Assert.Contains(error.Errors, e => e.StartsWith("line 13:") && e.Contains("unknown key 'extra'"));
        Assert.Contains("line 2:", error.Message);
    }

    [Fact]
    public void Parse_BrokenYaml_SaysWhere()
    {
        var error = Assert.Throws<PluginsConfigException>(() => Parse("plugins:\n  - name: [unclosed\n"));
        Assert.StartsWith("line ", Assert.Single(error.Errors));
    }

    [Fact]
    public void Parse_ChainsWithImageRules_ChooseChainPerImage()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, "p")).FullName;
        File.WriteAllText(Path.Combine(folder, "P.dll"), "");
        var config = Parse("""
            plugins:
              - { name: a, path: p, assembly: P.dll }
            chains:
              - name: canary
                backends: [a]
                images: ["registry.local/team/*", "**/canary:*"]
              - name: default
                backends: []
            default_chain: default
            """);

        var chains = config.Chains.Select(c => new Chain(c.Name, [], c.Images.Select(i => new ImagePattern(i)).ToList())).ToList();
        var router = new ChainPreparer(chains, config.DefaultChain, config.Options, Microsoft.Extensions.Logging.Abstractions.NullLogger<ChainPreparer>.Instance);
        Assert.Equal("canary", router.Select("registry.local/team/app:1").Name);
        Assert.Equal("default", router.Select("registry.local/team/sub/app:1").Name);
        Assert.Equal("canary", router.Select("docker.io/library/canary:2").Name);
        Assert.Equal("default", router.Select("docker.io/library/busybox:latest").Name);
        Assert.Equal("default", router.Select(null).Name);
    }
}
