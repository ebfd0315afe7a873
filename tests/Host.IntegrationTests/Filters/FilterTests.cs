using PluggableSnapshotter.Host.Filters;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.IntegrationTests.Filters;

public class FilterTests
{
    private static readonly SnapshotInfo Layer = new()
    {
        Kind = SnapshotKind.Committed,
        Name = "sha256:aaa",
        Parent = "default/3/sha256:bbb",
        Labels = new Dictionary<string, string>
        {
            ["containerd.io/snapshot.ref"] = "sha256:aaa",
            ["containerd.io/gc.root"] = "2024-01-01",
            ["plain"] = "x y",
        },
    };

    [Theory]
    [InlineData("kind==committed", true)]
    [InlineData("kind==active", false)]
    [InlineData("name==sha256:aaa", true)]
    [InlineData("parent==\"default/3/sha256:bbb\"", true)]
    [InlineData("labels.\"containerd.io/snapshot.ref\"==sha256:aaa,parent==\"default/3/sha256:bbb\"", true)]
    [InlineData("labels.\"containerd.io/snapshot.ref\"==sha256:aaa,parent==\"other\"", false)]
    [InlineData("labels.\"containerd.io/gc.root\"", true)]
    [InlineData("labels.missing", false)]
    [InlineData("labels.missing!=x", true)]
    [InlineData("labels.plain==\"x y\"", true)]
    [InlineData("name~=/^sha256:a+$/", true)]
    [InlineData("name~=|b|", false)]
    [InlineData("labels.plain", true)]
    [InlineData("", true)]
    public void Matches_Selector_AsContainerdDoes(string filter, bool expected)
    {
        Assert.Equal(expected, Filter.Parse([filter]).Matches(Layer));
    }

    [Fact]
    public void Matches_SeveralFilters_AnyOneSuffices()
    {
        Assert.True(Filter.Parse(["kind==active", "kind==committed"]).Matches(Layer));
        Assert.False(Filter.Parse(["kind==active", "kind==view"]).Matches(Layer));
    }

    [Theory]
    [InlineData("kind=", "unsupported operator \"=\"")]
    [InlineData("kind==", "expected value or quoted")]
    [InlineData("==x", "expected field or quoted")]
    [InlineData("labels.\"open", "quoted literal not terminated")]
    [InlineData("name==/x/", "invalid quote encountered")]
    [InlineData("kind==a b", "unexpected input: b")]
    [InlineData("name~=/(/", "invalid regular expression")]
    public void Parse_Malformed_InvalidArgumentSaysWhatIsWrong(string filter, string expected)
    {
        var error = Assert.Throws<SnapshotterException>(() => Filter.Parse([filter]));
        Assert.Equal(SnapshotErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(expected, error.Message);
        Assert.Contains("parse error", error.Message);
    }
}
