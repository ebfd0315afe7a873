namespace PluggableSnapshotter.Tar;

/// <summary>The type flags of tar headers (POSIX ustar/pax and the GNU extensions), as bytes.</summary>
public static class TarTypeFlags
{
    public const byte Regular = (byte)'0';
    public const byte RegularV7 = 0;
    public const byte HardLink = (byte)'1';
    public const byte Symlink = (byte)'2';
    public const byte Char = (byte)'3';
    public const byte Block = (byte)'4';
    public const byte Directory = (byte)'5';
    public const byte Fifo = (byte)'6';
    public const byte Contiguous = (byte)'7';
    public const byte PaxExtended = (byte)'x';
    public const byte PaxGlobal = (byte)'g';
    public const byte GnuLongName = (byte)'L';
    public const byte GnuLongLink = (byte)'K';
    public const byte GnuSparse = (byte)'S';

    /// <summary>Types whose data section is empty whatever their size field says (Go's isHeaderOnlyType).</summary>
    public static bool IsHeaderOnly(byte type) => type is HardLink or Symlink or Char or Block or Directory or Fifo;

    /// <summary>A printable name for messages: the flag character, or its code when it is not printable.</summary>
    public static string Describe(byte type) => type is >= 0x21 and < 0x7f ? $"'{(char)type}'" : $"0x{type:x2}";
}
