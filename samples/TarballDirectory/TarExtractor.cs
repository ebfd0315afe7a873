using System.Diagnostics;

namespace TarballDirectory;

/// <summary>
/// Unpacks a layer blob with GNU tar (it detects gzip and zstd itself), keeping numeric owners, modes, xattrs (binary values
/// too), hard links, devices and nanosecond times, as containerd's applier does; <c>trusted.*</c> xattrs are left out, as
/// containerd leaves them out. Cancellation kills tar.
/// </summary>
internal static class TarExtractor
{
    public static async Task ExtractAsync(string blob, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("tar")
        {
            ArgumentList = { "--extract", "--file", blob, "--directory", directory, "--numeric-owner", "--same-owner", "--same-permissions",
                "--xattrs", "--xattrs-include=*", "--xattrs-exclude=trusted.*", "--delay-directory-restore" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var tar = Process.Start(start) ?? throw new InvalidOperationException("could not start tar");
        var errors = tar.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await tar.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            tar.Kill(entireProcessTree: true);
            await tar.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        if (tar.ExitCode != 0) throw new InvalidDataException($"tar could not unpack {blob} (exit {tar.ExitCode}): {(await errors.ConfigureAwait(false)).Trim()}");
    }
}
