using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Registry.Tests.Support;

/// <summary>
/// A small token server for the registry's <c>token</c> auth mode: signs RS256 JWTs with a test key whose self-signed
/// certificate the registry trusts (<c>rootcertbundle</c>), granting every requested action. Optionally requires Basic
/// credentials or a refresh token (docker's identity token, POSTed as a form).
/// </summary>
public sealed class TokenIssuer : IDisposable
{
    public const string Service = "test-registry";
    public const string Issuer = "test-issuer";
    private readonly HttpListener _listener = new();
    private RSA _key = RSA.Create(2048);
    private X509Certificate2 _certificate;
    private readonly string _directory;
    private int _tokensIssued;

    public TokenIssuer(string directory)
    {
        _directory = directory;
        Port = LoopbackPort.Reserve();
        _certificate = CreateCertificate(_key);
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = ServeAsync();
    }

    public int Port { get; }

    /// <summary>Signs with a new key from now on and writes its certificate (restart the registry to trust it).</summary>
    public void RotateKey()
    {
        var old = (_key, _certificate);
        _key = RSA.Create(2048);
        _certificate = CreateCertificate(_key);
        old._key.Dispose();
        old._certificate.Dispose();
    }

    private X509Certificate2 CreateCertificate(RSA key)
    {
        var request = new CertificateRequest("CN=test token issuer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
        return certificate;
    }
    public string CertificatePath => Path.Combine(_directory, "token-cert.pem");
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string? RefreshToken { get; init; }

    /// <summary>Lifetime written into the JWT (the registry enforces it).</summary>
    public TimeSpan JwtLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>expires_in</c> told to the client (may differ, to make a cached token go stale).</summary>
    public int ReportedExpiresIn { get; set; } = 300;

    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    public string AuthYaml => $"""
        auth:
          token:
            realm: http://127.0.0.1:{Port}/token
            service: {Service}
            issuer: {Issuer}
            rootcertbundle: {CertificatePath}
        """;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                await HandleAsync(context);
            }
            catch (Exception)
            {
                context.Response.StatusCode = 500;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var query = System.Web.HttpUtility.ParseQueryString(context.Request.Url!.Query);
        var scopes = query.GetValues("scope") ?? [];
        var subject = "anonymous";
        if (context.Request.HttpMethod == "POST")
        {
            using var reader = new StreamReader(context.Request.InputStream);
            var form = System.Web.HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
            if (form["grant_type"] != "refresh_token" || form["refresh_token"] != RefreshToken || RefreshToken is null)
            {
                context.Response.StatusCode = 401;
                return;
            }

            scopes = form.GetValues("scope") ?? [];
            subject = "refresh-token-user";
        }
        else if (Username is not null)
        {
            var header = context.Request.Headers["Authorization"];
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
            if (header != expected)
            {
                context.Response.StatusCode = 401;
                return;
            }

            subject = Username;
        }

        var token = Sign(subject, scopes.SelectMany(s => s.Split(' ')).ToArray());
        Interlocked.Increment(ref _tokensIssued);
        var body = JsonSerializer.SerializeToUtf8Bytes(new { token, access_token = token, expires_in = ReportedExpiresIn });
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(body);
    }

    private string Sign(string subject, string[] scopes)
    {
        var access = scopes.Select(scope =>
        {
            var first = scope.IndexOf(':');
            var last = scope.LastIndexOf(':');
            return new { type = scope[..first], name = scope[(first + 1)..last], actions = scope[(last + 1)..].Split(',') };
        }).ToArray();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(_certificate.RawData) } };
        var claims = new
        {
            iss = Issuer, sub = subject, aud = Service, iat = now, nbf = now - 10,
            exp = now + (long)JwtLifetime.TotalSeconds, jti = Guid.NewGuid().ToString("N"), access,
        };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _listener.Close();
        _key.Dispose();
        _certificate.Dispose();
    }
}
