namespace PluggableSnapshotter.Tar;

/// <summary>Header layouts Go's archive/tar distinguishes.</summary>
internal enum TarFormat
{
    Unknown,
    V7,
    Ustar,
    Star,
    Gnu,
}
