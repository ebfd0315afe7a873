using System.Diagnostics;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// An external decompressor process (<c>decompress_streams</c>, e.g. unpigz) run directly, without a shell: the compressed
/// blob is pumped into its stdin while the tar is read from its stdout, so decompression runs beside the unpack on
/// another core. <see cref="WaitAsync"/> surfaces the blob's own errors (digest) and the process's exit status.
/// </summary>
internal sealed class ExternalDecompression : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _pump;
    private readonly Task<string> _errors;
    private readonly string _path;

    private ExternalDecompression(Process process, Stream compressed, string path, CancellationToken cancellationToken)
    {
        _process = process;
        _path = path;
        _pump = PumpAsync(compressed, process.StandardInput.BaseStream, cancellationToken);
        _errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
    }

    /// <summary>The tar stream (the process's stdout).</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>Starts <paramref name="decompressor"/> on <paramref name="compressed"/> (which it owns from now on).</summary>
    public static ExternalDecompression Start(DecompressStreamOptions decompressor, Stream compressed, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(decompressor.Path)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in decompressor.Args) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"decompressor {decompressor.Path} did not start");
        return new ExternalDecompression(process, compressed, decompressor.Path, cancellationToken);
    }

    /// <summary>Waits for the input to be fed and the process to exit; throws when either failed.</summary>
    /// <exception cref="InvalidDataException">The decompressor exited with an error (its stderr is in the message).</exception>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _pump.ConfigureAwait(false);
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (_process.ExitCode != 0)
            throw new InvalidDataException($"decompressor {_path} exited with {_process.ExitCode}: {(await _errors.ConfigureAwait(false)).Trim()}");
    }

    private static async Task PumpAsync(Stream compressed, Stream stdin, CancellationToken cancellationToken)
    {
        await using (compressed.ConfigureAwait(false))
        await using (stdin.ConfigureAwait(false))
        {
            await compressed.CopyToAsync(stdin, 1024 * 1024, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
        {
            // Already reported through WaitAsync, or the unpack failed first and the pipe broke.
        }

        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        _process.Dispose();
    }
}
