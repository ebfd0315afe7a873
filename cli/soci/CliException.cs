namespace PluggableSnapshotter.Soci.Cli;

/// <summary>A failure the user can act on; printed as "psoci: error: ..." with exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
