using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.TestSupport.Logging;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Tests.Support;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>
/// No credential in the daemon's log: a push and pull through a registry that wants a password for a bearer token,
/// or through an HTTPS registry that takes Basic credentials on every request, logged at trace in the daemon's text
/// and JSON formats, holds no password, no Basic credential and no token; and a line that carries them anyway (an
/// exception message, a URL with user:password) is masked on its way out.
/// </summary>
public sealed class LogRedactionTests
{
    private const string User = "carol";
    private const string Password = "pw-9f3c1e77";

    // bcrypt of Password, made once with `htpasswd -nbB -C 5 carol pw-9f3c1e77` (apache2-utils); cost 5 keeps the
    // registry's check of every request cheap.
    private const string HtpasswdLine = "carol:$2y$05$qVlHN.ABqV/aoZ2AF.aQA.gMHYT8yLH56TdfZS1P9sq1.0NfxNScm";

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task PushAndPull_TokenAuthAtTraceLevel_LogHoldsNoCredential(string format)
    {
        var capture = new FormattedLogCapture(format == "json" ? new JsonLogFormatter() : new TextLogFormatter(), LogLevel.Trace);
        var directory = Directory.CreateTempSubdirectory("registry-redaction-").FullName;
        using var issuer = new TokenIssuer(directory) { Username = User, Password = Password };
        await using var server = await RegistryFixture.StartAsync(CancellationToken.None, extraConfig: issuer.AuthYaml, directory: directory);
        using (var factory = capture.CreateFactory())
        {
            var credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
            {
                [server.Host] = new() { Username = User, Password = Password },
            });
            using var client = new RegistryClient(credentials: credentials, logger: factory.CreateLogger<RegistryClient>());
            var reference = ImageReference.Parse($"{server.Host}/private/app:v1");
            var (_, layer) = await TestImages.PushAsync(client, reference, TestImages.RandomBytes(3000, 31));
            await client.ResolveAsync(reference, null, CancellationToken.None);
            await client.GetBlobAsync(reference, layer, 1 << 20, CancellationToken.None);

            // What a careless library or exception message might carry: masked by the formatter all the same.
            var careless = factory.CreateLogger("Careless");
            careless.LogTrace("retrying https://{User}:{Password}@{Host}/v2/ with Authorization: Basic {Basic}",
                User, Password, server.Host, Basic());
            careless.LogWarning(new HttpRequestException($"401 with password={Password}; header Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig-123"), "request failed");
        }

        var log = capture.Text;
        Assert.Contains("Bearer", log, StringComparison.Ordinal); // the challenge was logged: the flow ran at trace
        Assert.Contains(LogRedactor.Mask, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Basic(), log, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", log, StringComparison.Ordinal); // every JWT starts so (base64 of '{"')
        Assert.True(issuer.TokensIssued > 0);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task PushAndPull_TlsBasicAuthAtTraceLevel_LogHoldsNoCredential(string format)
    {
        var capture = new FormattedLogCapture(format == "json" ? new JsonLogFormatter() : new TextLogFormatter(), LogLevel.Trace);
        var directory = Directory.CreateTempSubdirectory("registry-redaction-tls-").FullName;
        var htpasswd = Path.Combine(directory, "htpasswd");
        await File.WriteAllTextAsync(htpasswd, HtpasswdLine + "\n");
        var auth = $"""
            auth:
              htpasswd:
                realm: test-registry
                path: {htpasswd}
            """;
        await using var server = await RegistryFixture.StartAsync(CancellationToken.None, extraConfig: auth, directory: directory, tls: true);
        // Trust the test CA the way a deployment does, through containerd's hosts.toml, not the machine's store.
        var hosts = Directory.CreateDirectory(Path.Combine(directory, "certs.d", server.Host)).FullName;
        await File.WriteAllTextAsync(Path.Combine(hosts, "hosts.toml"), $"ca = \"{server.Certificates!.CaFile}\"\n");
        var layerBytes = TestImages.RandomBytes(3000, 37);
        byte[] pulled;
        using (var factory = capture.CreateFactory())
        {
            var credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
            {
                [server.Host] = new() { Username = User, Password = Password },
            });
            var options = new RegistryClientOptions { HostsDirectory = Path.Combine(directory, "certs.d") };
            using var client = new RegistryClient(options, credentials, factory.CreateLogger<RegistryClient>());
            var reference = ImageReference.Parse($"{server.Host}/private/app:v1");
            var (manifest, layer) = await TestImages.PushAsync(client, reference, layerBytes);
            var resolved = await client.ResolveAsync(reference, null, CancellationToken.None);
            Assert.Equal(manifest.Digest, resolved.ManifestDescriptor.Digest);
            pulled = await client.GetBlobAsync(reference, layer, 1 << 20, CancellationToken.None);
        }

        Assert.Equal(layerBytes, pulled);
        var log = capture.Text;
        Assert.Contains("asked for Basic authentication", log, StringComparison.Ordinal); // the Basic flow ran, logged
        Assert.DoesNotContain(Password, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Basic(), log, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"Basic\s+[A-Za-z0-9+/]{16,}=*"), log); // no Basic credential of any user
        Assert.DoesNotMatch(new Regex(@"Authorization""?\s*[:=]\s*""?(?!" + Regex.Escape(LogRedactor.Mask) + @")\S"), log);
    }

    private static string Basic() => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
}
