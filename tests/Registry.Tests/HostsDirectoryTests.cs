using PluggableSnapshotter.Registry.Hosts;

namespace PluggableSnapshotter.Registry.Tests;

public sealed class HostsDirectoryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("certs.d-").FullName;

    [Fact]
    public void GetEndpoints_HostsToml_ListsMirrorsInOrderThenServer()
    {
        Write("docker.io", """
            server = "https://registry-1.docker.io"

            [host."https://mirror.example/v2/proxy"]
              capabilities = ["pull"]
              override_path = true
              skip_verify = true
              [host."https://mirror.example/v2/proxy".header]
                x-team = "build"

            [host."http://10.0.0.5:5000"]
            """);

        var endpoints = new HostsDirectory(_directory, _ => "https").GetEndpoints("docker.io");

        Assert.Equal(["https://mirror.example/v2/proxy/", "http://10.0.0.5:5000/v2/", "https://registry-1.docker.io/v2/"],
            endpoints.Select(e => e.ApiRoot.ToString()));
        Assert.Equal(HostCapabilities.Pull, endpoints[0].Capabilities);
        Assert.True(endpoints[0].SkipVerify);
        Assert.Equal(["build"], endpoints[0].Headers["x-team"]);
        Assert.Equal(HostCapabilities.Pull | HostCapabilities.Resolve, endpoints[1].Capabilities);
        Assert.False(endpoints[2].IsMirror);
        Assert.Equal(HostCapabilities.All, endpoints[2].Capabilities);
    }

    [Fact]
    public void GetEndpoints_NoFileButDefault_UsesDefaultDirectory()
    {
        Write("_default", "[host.\"https://everything.example\"]\n");
        var endpoints = new HostsDirectory(_directory, _ => "https").GetEndpoints("quay.io");
        Assert.Equal(["https://everything.example/v2/", "https://quay.io/v2/"], endpoints.Select(e => e.ApiRoot.ToString()));
    }

    [Fact]
    public void GetEndpoints_UnknownCapability_ThrowsInvalidDataNamingIt()
    {
        Write("bad.example", "[host.\"https://m.example\"]\ncapabilities = [\"teleport\"]\n");
        var error = Assert.Throws<InvalidDataException>(() => new HostsDirectory(_directory, _ => "https").GetEndpoints("bad.example"));
        Assert.Contains("teleport", error.Message);
    }

    [Fact]
    public void GetEndpoints_LoopbackHostsTomlWithOnlyCa_IsHttpsWithThatCa()
    {
        Write("127.0.0.1:5000", "ca = \"/etc/ca.pem\"\n");

        var endpoint = Assert.Single(new HostsDirectory(_directory, _ => "http").GetEndpoints("127.0.0.1:5000"));

        Assert.Equal("https://127.0.0.1:5000/v2/", endpoint.ApiRoot.ToString());
        Assert.Equal(["/etc/ca.pem"], endpoint.CaFiles);
    }

    [Fact]
    public void GetEndpoints_SkipVerifyHostWithoutHostsToml_IsHttpsUnverified()
    {
        var endpoint = Assert.Single(new HostsDirectory(_directory, _ => "http", host => host == "127.0.0.1:5000").GetEndpoints("127.0.0.1:5000"));

        Assert.Equal("https://127.0.0.1:5000/v2/", endpoint.ApiRoot.ToString());
        Assert.True(endpoint.SkipVerify);
    }

    private void Write(string host, string toml)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_directory, host)).FullName;
        File.WriteAllText(Path.Combine(directory, "hosts.toml"), toml);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
