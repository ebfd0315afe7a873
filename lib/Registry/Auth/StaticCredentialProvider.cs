namespace PluggableSnapshotter.Registry.Auth;

/// <summary>Credentials given in code, per host (for tests and for callers that hold their own secrets).</summary>
public sealed class StaticCredentialProvider(IReadOnlyDictionary<string, RegistryCredentials> byHost) : ICredentialProvider
{
    /// <inheritdoc />
    public ValueTask<RegistryCredentials?> GetCredentialsAsync(string host, CancellationToken cancellationToken) =>
        ValueTask.FromResult(byHost.TryGetValue(host, out var credentials) ? credentials : null);
}
