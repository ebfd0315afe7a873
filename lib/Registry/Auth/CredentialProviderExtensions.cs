namespace PluggableSnapshotter.Registry.Auth;

/// <summary>Lets a missing provider mean anonymous access.</summary>
internal static class CredentialProviderExtensions
{
    public static ValueTask<RegistryCredentials?> LookupAsync(this ICredentialProvider? provider, string host, CancellationToken cancellationToken) =>
        provider?.GetCredentialsAsync(host, cancellationToken) ?? ValueTask.FromResult<RegistryCredentials?>(null);
}
