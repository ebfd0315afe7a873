namespace PluggableSnapshotter.Host.Tests;

/// <summary>Cancellation for test bodies: no test here should run anywhere near this long.</summary>
internal static class TestContext
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <summary>A token that cancels after the per-test limit.</summary>
    public static CancellationToken Token => new CancellationTokenSource(Limit).Token;
}
