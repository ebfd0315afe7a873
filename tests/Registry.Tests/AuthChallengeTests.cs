using PluggableSnapshotter.Registry.Auth;

namespace PluggableSnapshotter.Registry.Tests;

public class AuthChallengeTests
{
    [Fact]
    public void Parse_BearerWithQuotedParameters_ReadsAll()
    {
        var challenges = AuthChallenge.Parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");
        var bearer = Assert.Single(challenges);
        Assert.True(bearer.IsBearer);
        Assert.Equal("https://auth.example/token", bearer["realm"]);
        Assert.Equal("registry.example", bearer["service"]);
        Assert.Equal("repository:a/b:pull,push", bearer["scope"]);
    }

    [Fact]
    public void Parse_TwoChallenges_ReturnsBoth()
    {
        var challenges = AuthChallenge.Parse("Basic realm=\"r\", Bearer realm=\"https://t\",service=s");
        Assert.Equal(2, challenges.Count);
        Assert.True(challenges[0].IsBasic);
        Assert.Equal("s", challenges[1]["service"]);
    }
}
