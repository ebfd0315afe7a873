using System.Collections.Concurrent;
using System.Text;

namespace PluggableSnapshotter.Fuse.InMemory;

/// <summary>
/// A directory of the in-memory tree. Build the tree with the Add methods (before or while mounted); lookups are
/// lock-free and allocation-free, and listings are served from a sorted snapshot rebuilt after changes.
/// </summary>
public sealed class MemoryDirectory : MemoryNode, INodeLookuper, INodeReaddirer, INodeStatfser
{
    private const int MaxNameBytes = 255;

    private readonly ConcurrentDictionary<string, MemoryNode> _children = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MemoryNode>.AlternateLookup<ReadOnlySpan<char>> _byName;
    private readonly Lock _changeLock = new();
    private FuseDirEntry[]? _entries;
    private int _subdirectories;

    /// <summary>Creates an empty directory with the given permission bits (e.g. 0x1ED for 0755).</summary>
    public MemoryDirectory(uint permissions = 0x1ED)
        : base(FileModes.Directory | (permissions & 0xFFF))
    {
        _byName = _children.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The number of children.</summary>
    public int Count => _children.Count;

    /// <summary>Adds (or replaces) a child and returns it.</summary>
    /// <exception cref="ArgumentException">The name is empty, ".", "..", contains '/' or NUL, or is longer than 255 bytes.</exception>
    public T Add<T>(string name, T node) where T : MemoryNode
    {
        ValidateName(name);
        lock (_changeLock)
        {
            if (_children.TryGetValue(name, out MemoryNode? previous) && previous is MemoryDirectory)
            {
                _subdirectories--;
            }

            _children[name] = node;
            if (node is MemoryDirectory)
            {
                _subdirectories++;
            }

            _entries = null;
        }

        return node;
    }

    /// <summary>Adds a subdirectory.</summary>
    public MemoryDirectory AddDirectory(string name, uint permissions = 0x1ED) => Add(name, new MemoryDirectory(permissions));

    /// <summary>Adds a regular file.</summary>
    public MemoryFile AddFile(string name, ReadOnlyMemory<byte> content, uint permissions = 0x1A4) => Add(name, new MemoryFile(content, permissions));

    /// <summary>Adds a symbolic link.</summary>
    public MemorySymlink AddSymlink(string name, string target) => Add(name, new MemorySymlink(target));

    /// <summary>Adds a character device.</summary>
    public MemorySpecialNode AddCharacterDevice(string name, uint major, uint minor) =>
        Add(name, new MemorySpecialNode(FileModes.CharacterDevice | 0x1B6, major, minor));

    /// <summary>Adds an overlayfs whiteout: a 0:0 character device that hides <paramref name="name"/> in lower layers.</summary>
    public MemorySpecialNode AddWhiteout(string name) => Add(name, new MemorySpecialNode(FileModes.CharacterDevice, 0, 0));

    /// <summary>Adds a named pipe.</summary>
    public MemorySpecialNode AddFifo(string name) => Add(name, new MemorySpecialNode(FileModes.Fifo | 0x1A4));

    /// <summary>Finds a child by name.</summary>
    public MemoryNode? Find(string name) => _children.TryGetValue(name, out MemoryNode? node) ? node : null;

    /// <inheritdoc/>
    public ValueTask<FuseResult<FuseNode>> LookupAsync(ReadOnlyMemory<byte> name, CancellationToken cancellationToken)
    {
        if (name.Length > MaxNameBytes)
        {
            return ValueTask.FromResult<FuseResult<FuseNode>>(Errno.ENAMETOOLONG);
        }

        Span<char> chars = stackalloc char[MaxNameBytes];
        int length = Encoding.UTF8.GetChars(name.Span, chars);
        return _byName.TryGetValue(chars[..length], out MemoryNode? child)
            ? ValueTask.FromResult<FuseResult<FuseNode>>(child)
            : ValueTask.FromResult<FuseResult<FuseNode>>(Errno.ENOENT);
    }

    /// <inheritdoc/>
    public ValueTask<FuseResult<IReadOnlyList<FuseDirEntry>>> ReaddirAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<IReadOnlyList<FuseDirEntry>>>(Entries());

    /// <inheritdoc/>
    public ValueTask<FuseResult<FuseStatfs>> StatfsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseStatfs>>(new FuseStatfs { Files = (ulong)_children.Count + 1 });

    /// <inheritdoc/>
    protected override FuseAttributes GetAttributes() =>
        base.GetAttributes() with { Size = 4096, LinkCount = (uint)(2 + Volatile.Read(ref _subdirectories)) };

    private FuseDirEntry[] Entries()
    {
        FuseDirEntry[]? entries = Volatile.Read(ref _entries);
        if (entries is not null)
        {
            return entries;
        }

        lock (_changeLock)
        {
            _entries ??= [.. _children
                .OrderBy(pair => pair.Key, StringComparer.Ordinal)
                .Select(pair => new FuseDirEntry(pair.Key, pair.Value, pair.Value.Mode, pair.Value.Ino))];
            return _entries;
        }
    }

    private static void ValidateName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/', StringComparison.Ordinal)
            || name.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw new ArgumentException($"Invalid directory entry name '{name}'", nameof(name));
        }
    }
}
