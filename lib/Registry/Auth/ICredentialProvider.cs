namespace PluggableSnapshotter.Registry.Auth;

/// <summary>Finds the credentials to use for a registry host.</summary>
public interface ICredentialProvider
{
    /// <summary>The credentials for <paramref name="host"/> (<c>host</c> or <c>host:port</c> as in the reference), or null for anonymous access.</summary>
    ValueTask<RegistryCredentials?> GetCredentialsAsync(string host, CancellationToken cancellationToken);
}
