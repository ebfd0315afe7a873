using System.Diagnostics;
using System.Net;
using System.Text;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Tests.Support;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>The client against real docker-registry instances that require Basic (htpasswd) or Bearer (token) auth.</summary>
public sealed class AuthenticatedRegistryTests
{
    [Fact]
    public async Task PushAndResolve_HtpasswdWithCredentials_Succeed()
    {
        await using var server = await StartHtpasswdAsync("alice", "wonderland");
        using var client = new RegistryClient(credentials: Credentials(server.Host, "alice", "wonderland"));
        var reference = ImageReference.Parse($"{server.Host}/private/app:v1");

        var (manifest, _) = await TestImages.PushAsync(client, reference, TestImages.RandomBytes(1000, 20));
        var resolved = await client.ResolveAsync(reference, null, CancellationToken.None);

        Assert.Equal(manifest.Digest, resolved.ManifestDescriptor.Digest);
    }

    [Fact]
    public async Task ResolveAsync_HtpasswdWithoutCredentials_ThrowsUnauthorized()
    {
        await using var server = await StartHtpasswdAsync("alice", "wonderland");
        using var client = new RegistryClient();
        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            client.ResolveAsync(ImageReference.Parse($"{server.Host}/private/app:v1"), null, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task ResolveAsync_HtpasswdFromDockerConfigAuth_Succeeds()
    {
        await using var server = await StartHtpasswdAsync("bob", "builder");
        var configPath = Path.Combine(server.Directory, "config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:builder"));
        await File.WriteAllTextAsync(configPath, $$"""{"auths":{"{{server.Host}}":{"auth":"{{auth}}"} } }""");
        using var client = new RegistryClient(credentials: new DockerConfigCredentialProvider(configPath));
        var reference = ImageReference.Parse($"{server.Host}/team/app:v1");

        var (manifest, _) = await TestImages.PushAsync(client, reference, TestImages.RandomBytes(500, 21));

        Assert.Equal(manifest.Digest, (await client.ResolveAsync(reference, null, CancellationToken.None)).ManifestDescriptor.Digest);
    }

    [Fact]
    public async Task Pull_BearerTokens_AreCachedPerScope()
    {
        var directory = Directory.CreateTempSubdirectory("registry-test-").FullName;
        using var issuer = new TokenIssuer(directory) { Username = "carol", Password = "pw" };
        await using var server = await RegistryFixture.StartAsync(CancellationToken.None, extraConfig: issuer.AuthYaml, directory: directory);
        using var client = new RegistryClient(credentials: Credentials(server.Host, "carol", "pw"));
        var reference = ImageReference.Parse($"{server.Host}/tokens/app:v1");
        var (_, layer) = await TestImages.PushAsync(client, reference, TestImages.RandomBytes(2000, 22));
        var afterPush = issuer.TokensIssued;

        for (var i = 0; i < 3; i++)
        {
            var resolved = await client.ResolveAsync(reference, null, CancellationToken.None);
            await client.GetBlobAsync(reference, layer, 1 << 20, CancellationToken.None);
        }

        Assert.Equal(2, afterPush); // one token for the pull scope (the existence check), one for pull,push
        Assert.Equal(afterPush, issuer.TokensIssued); // the cached pull-scope token served all six pulls
    }

    [Fact]
    public async Task Pull_BearerTokenRefusedByRegistry_IsRenewedOn401()
    {
        var directory = Directory.CreateTempSubdirectory("registry-test-").FullName;
        using var issuer = new TokenIssuer(directory) { ReportedExpiresIn = 3600 };
        await using var server = await RegistryFixture.StartAsync(CancellationToken.None, extraConfig: issuer.AuthYaml, directory: directory);
        using var client = new RegistryClient();
        var reference = ImageReference.Parse($"{server.Host}/renew/app:v1");
        await TestImages.PushAsync(client, reference, TestImages.RandomBytes(100, 23));
        await client.ResolveAsync(reference, null, CancellationToken.None);
        var before = issuer.TokensIssued;

        issuer.RotateKey(); // the registry now refuses the cached token, which the client was told is good for an hour
        await server.RestartAsync(CancellationToken.None);
        var resolved = await client.ResolveAsync(reference, null, CancellationToken.None);

        Assert.NotNull(resolved.Manifest);
        Assert.Equal(before + 1, issuer.TokensIssued);
    }

    [Fact]
    public async Task Pull_IdentityTokenFromDockerConfig_GetsTokenWithRefreshGrant()
    {
        var directory = Directory.CreateTempSubdirectory("registry-test-").FullName;
        using var issuer = new TokenIssuer(directory) { Username = "nobody-uses-this", Password = "x", RefreshToken = "refresh-123" };
        await using var server = await RegistryFixture.StartAsync(CancellationToken.None, extraConfig: issuer.AuthYaml, directory: directory);
        var configPath = Path.Combine(directory, "config.json");
        await File.WriteAllTextAsync(configPath, $$"""{"auths":{"https://{{server.Host}}":{"identitytoken":"refresh-123"} } }""");
        using var client = new RegistryClient(credentials: new DockerConfigCredentialProvider(configPath));
        var reference = ImageReference.Parse($"{server.Host}/idtoken/app:v1");

        var (manifest, _) = await TestImages.PushAsync(client, reference, TestImages.RandomBytes(100, 24));

        Assert.Equal(manifest.Digest, (await client.ResolveAsync(reference, null, CancellationToken.None)).ManifestDescriptor.Digest);
    }

    [Fact]
    public async Task ResolveAsync_TokenServerRefusesCredentials_ThrowsUnauthorized()
    {
        var directory = Directory.CreateTempSubdirectory("registry-test-").FullName;
        using var issuer = new TokenIssuer(directory) { Username = "dave", Password = "right" };
        await using var server = await RegistryFixture.StartAsync(CancellationToken.None, extraConfig: issuer.AuthYaml, directory: directory);
        using var client = new RegistryClient(credentials: Credentials(server.Host, "dave", "wrong"));

        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            client.ResolveAsync(ImageReference.Parse($"{server.Host}/x/app:v1"), null, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.DoesNotContain("wrong", error.Message);
    }

    private static StaticCredentialProvider Credentials(string host, string user, string password) =>
        new(new Dictionary<string, RegistryCredentials> { [host] = new() { Username = user, Password = password } });

    private static async Task<RegistryFixture> StartHtpasswdAsync(string user, string password)
    {
        var directory = Directory.CreateTempSubdirectory("registry-test-").FullName;
        var htpasswd = Path.Combine(directory, "htpasswd");
        var info = new ProcessStartInfo("htpasswd", ["-Bbn", user, password]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        await File.WriteAllTextAsync(htpasswd, await process.StandardOutput.ReadToEndAsync());
        await process.WaitForExitAsync();
        return await RegistryFixture.StartAsync(CancellationToken.None, extraConfig: $"""
            auth:
              htpasswd:
                realm: test
                path: {htpasswd}
            """, directory: directory);
    }
}
