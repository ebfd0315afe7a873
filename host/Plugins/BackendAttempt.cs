namespace PluggableSnapshotter.Host.Plugins;

/// <summary>One backend's try at a layer, in the order the chain policy made them.</summary>
/// <param name="Backend">The plugin's name.</param>
/// <param name="Role">The role it was tried in.</param>
/// <param name="Verdict">How the try ended.</param>
/// <param name="Reason">The backend's reason or the failure's message; null when prepared.</param>
internal sealed record BackendAttempt(string Backend, BackendRole Role, AttemptVerdict Verdict, string? Reason = null);
