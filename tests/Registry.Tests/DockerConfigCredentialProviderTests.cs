using System.Text;
using PluggableSnapshotter.Registry.Auth;

namespace PluggableSnapshotter.Registry.Tests;

public sealed class DockerConfigCredentialProviderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("docker-config-").FullName;

    [Fact]
    public async Task GetCredentials_AuthField_DecodesUserAndPassword()
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cr:et"));
        var provider = Write($$"""{"auths":{"https://index.docker.io/v1/":{"auth":"{{auth}}"},"127.0.0.1:5000":{"identitytoken":"refresh"} } }""");
        var hub = await provider.GetCredentialsAsync("docker.io", CancellationToken.None);
        Assert.Equal("alice", hub?.Username);
        Assert.Equal("s3cr:et", hub?.Password);
        var local = await provider.GetCredentialsAsync("127.0.0.1:5000", CancellationToken.None);
        Assert.Equal("refresh", local?.IdentityToken);
        Assert.Null(await provider.GetCredentialsAsync("other.example", CancellationToken.None));
    }

    [Fact]
    public void ToString_Credentials_HidesSecrets()
    {
        var text = new RegistryCredentials { Username = "bob", Password = "hunter2" }.ToString();
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("s3cr3t-refresh", new RegistryCredentials { IdentityToken = "s3cr3t-refresh" }.ToString());
    }

    [Fact]
    public async Task GetCredentials_BadBase64_ThrowsInvalidData()
    {
        var provider = Write("""{"auths":{"h":{"auth":"%%%"} } }""");
        await Assert.ThrowsAsync<InvalidDataException>(async () => await provider.GetCredentialsAsync("h", CancellationToken.None));
    }

    private DockerConfigCredentialProvider Write(string json)
    {
        var path = Path.Combine(_directory, "config.json");
        File.WriteAllText(path, json);
        return new DockerConfigCredentialProvider(path);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
