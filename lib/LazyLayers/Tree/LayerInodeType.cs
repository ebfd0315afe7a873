namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>The kinds of inode a layer holds; whiteouts are character devices 0:0 (the overlay convention).</summary>
public enum LayerInodeType
{
    Regular,
    Directory,
    Symlink,
    CharacterDevice,
    BlockDevice,
    Fifo,
}
