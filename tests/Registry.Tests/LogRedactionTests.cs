using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.UnitTests.Support;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Tests.Support;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>
/// No credential in the daemon's log: a push and pull through a registry that wants a password for a bearer token,
/// logged at trace in the daemon's text and JSON formats, holds no password, no Basic credential and no token; and a
/// line that carries them anyway (an exception message, a URL with user:password) is masked on its way out.
/// </summary>
public sealed class LogRedactionTests
{
    private const string User = "carol";
    private const string Password = "pw-9f3c1e77";

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

    private static string Basic() => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
}
