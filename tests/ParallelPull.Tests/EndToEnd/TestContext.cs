namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.EndToEnd;

/// <summary>Cancellation for test bodies: no test here should run anywhere near this long.</summary>
internal static class TestContext
{
    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token;
}
