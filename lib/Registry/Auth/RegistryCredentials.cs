namespace PluggableSnapshotter.Registry.Auth;

/// <summary>
/// Credentials for one registry: a username and password, or an identity token (an OAuth2 refresh token,
/// docker's <c>identitytoken</c>). <see cref="ToString"/> never shows the secrets.
/// </summary>
public sealed record RegistryCredentials
{
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string? IdentityToken { get; init; }

    /// <summary>A redacted description, safe to log.</summary>
    public override string ToString() =>
        IdentityToken is not null ? "identity token (redacted)" : $"user {Username} (password redacted)";
}
