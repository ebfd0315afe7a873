using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Commands;

/// <summary>Runs a command body and turns expected failures into one line on stderr and exit code 1.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is CliException or RegistryException or InvalidDataException or HttpRequestException or IOException)
        {
            await Console.Error.WriteLineAsync($"psoci: error: {Describe(e)}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("psoci: cancelled").ConfigureAwait(false);
            return 130;
        }
    }

    // "The SSL connection could not be established, see inner exception": say what the inner ones say instead.
    private static string Describe(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!message.Contains(inner.Message, StringComparison.Ordinal))
            {
                message += ": " + inner.Message;
            }
        }
        return message;
    }
}
