namespace PluggableSnapshotter.Soci;

/// <summary>The entry type names SOCI stores in FileMetadata.type.</summary>
public static class TarEntryTypes
{
    public const string Regular = "reg";
    public const string Directory = "dir";
    public const string Symlink = "symlink";
    public const string Hardlink = "hardlink";
    public const string Char = "char";
    public const string Block = "block";
    public const string Fifo = "fifo";

    public static bool IsKnown(string type) => type is Regular or Directory or Symlink or Hardlink or Char or Block or Fifo;

    /// <summary>Types whose data is never stored in the archive, whatever their size field says.</summary>
    public static bool IsHeaderOnly(string type) => type is not Regular;
}
