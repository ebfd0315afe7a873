namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>What a finished tool run produced.</summary>
internal sealed record ProcessResult(int ExitCode, byte[] Output, string Error)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Output);

    public string[] Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
