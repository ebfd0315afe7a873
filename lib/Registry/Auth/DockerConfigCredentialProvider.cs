using System.Text;
using System.Text.Json;

namespace PluggableSnapshotter.Registry.Auth;

/// <summary>
/// Reads credentials from a docker <c>config.json</c>: the <c>auths</c> map, with <c>auth</c> (base64 of <c>user:password</c>),
/// <c>username</c>/<c>password</c>, or <c>identitytoken</c>. Keys may be bare hosts or URLs (<c>https://index.docker.io/v1/</c> for Docker Hub).
/// The file is read on every lookup so that a <c>docker login</c> is picked up without a restart.
/// </summary>
public sealed class DockerConfigCredentialProvider(string path) : ICredentialProvider
{
    /// <summary>The default location: <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static string DefaultPath =>
        Path.Combine(Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker"), "config.json");

    /// <inheritdoc />
    public async ValueTask<RegistryCredentials?> GetCredentialsAsync(string host, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) return null;
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"docker config '{path}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return null;
            foreach (var entry in auths.EnumerateObject())
            {
                if (!string.Equals(NormalizeKey(entry.Name), NormalizeKey(host), StringComparison.OrdinalIgnoreCase)) continue;
                return Read(entry.Value, entry.Name);
            }
        }

        return null;
    }

    private RegistryCredentials? Read(JsonElement entry, string key)
    {
        if (entry.ValueKind != JsonValueKind.Object) return null;
        string? String(string name) =>
            entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;

        var identityToken = String("identitytoken");
        var username = String("username");
        var password = String("password");
        if (String("auth") is { } auth)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"docker config '{path}': the auth of '{key}' is not base64", ex);
            }

            var colon = decoded.IndexOf(':');
            if (colon < 0) throw new InvalidDataException($"docker config '{path}': the auth of '{key}' is not user:password");
            username = decoded[..colon];
            password = decoded[(colon + 1)..];
        }

        if (identityToken is null && username is null) return null;
        return new RegistryCredentials { Username = username, Password = password, IdentityToken = identityToken };
    }

    // Docker keys Docker Hub as https://index.docker.io/v1/ and other registries as host or https://host.
    private static string NormalizeKey(string key)
    {
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        var slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        return host is "index.docker.io" or ImageReference.DockerHubApiHost or ImageReference.DockerHub ? ImageReference.DockerHub : host;
    }
}
