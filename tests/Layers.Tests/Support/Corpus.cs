using System.Diagnostics;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Layers.Tests.Support;

/// <summary>
/// The tar corpus made with real tools by <c>Corpus/make-corpus.sh</c> (GNU tar pax/gnu/ustar and sparse 0.0/0.1/1.0/old,
/// Python tarfile, busybox tar, umoci = Go archive/tar) on a tmpfs, built once per test class. Root only.
/// </summary>
public sealed class Corpus : IDisposable
{
    /// <summary>Every form the corpus holds.</summary>
    public static readonly string[] Forms =
    [
        "gnu-pax", "gnu-gnu", "gnu-ustar", "gnu-sparse-1.0", "gnu-sparse-0.1", "gnu-sparse-0.0", "gnu-sparse-old",
        "python-pax", "python-gnu", "python-ustar", "busybox", "umoci",
    ];

    private readonly Tmpfs _tmpfs = new();

    public Corpus()
    {
        Directory = _tmpfs.PathOf("corpus");
        System.IO.Directory.CreateDirectory(Directory);
        Run("bash", [Script("make-corpus.sh"), Directory]);
    }

    public string Directory { get; }

    /// <summary>A scratch directory on the same tmpfs (missing: the applier creates it).</summary>
    public string Scratch(string name) => _tmpfs.PathOf(name);

    public string ArchiveOf(string form) => Path.Combine(Directory, form + ".tar");

    /// <summary>True for forms containerd's applier refuses.</summary>
    public bool IsRejected(string form) => File.Exists(Path.Combine(Directory, form + ".reject"));

    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Corpus", name);

    /// <summary>The canonical listing of a tree (Corpus/list-tree.py): names, types, modes, owners, times, links, devices, content hashes, xattr bytes.</summary>
    public static string List(string root, bool withDirectoryTimes = true) =>
        Run("python3", withDirectoryTimes ? [Script("list-tree.py"), root] : [Script("list-tree.py"), root, "--no-dir-times"]);

    public static string Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }

    public void Dispose() => _tmpfs.Dispose();
}
