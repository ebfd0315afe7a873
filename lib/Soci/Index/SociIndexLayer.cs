namespace PluggableSnapshotter.Soci;

/// <summary>One indexed image layer: the layer, its zTOC blob, and how the zTOC was built.</summary>
public sealed record SociIndexLayer(Descriptor ImageLayer, string ZtocDigest, long ZtocSize, long SpanSize, bool DisableXattrs)
{
    /// <summary>The index manifest's descriptor of the zTOC, with the annotations the runtime maps layers by.</summary>
    public Descriptor ToZtocDescriptor()
    {
        var annotations = new Dictionary<string, string>
        {
            [SociAnnotations.ImageLayerDigest] = ImageLayer.Digest,
            [SociAnnotations.ImageLayerMediaType] = ImageLayer.MediaType,
            [SociAnnotations.SpanSize] = SpanSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (DisableXattrs)
        {
            annotations[SociAnnotations.DisableXattrs] = "true";
        }
        return new Descriptor { MediaType = SociMediaTypes.Ztoc, Digest = ZtocDigest, Size = ZtocSize, Annotations = annotations };
    }

    /// <summary>
    /// SOCI's rule: xattrs can be skipped when no entry carries SCHILY.xattr.* records and no directory is
    /// marked opaque (whose marker becomes an xattr on the overlay side).
    /// </summary>
    public static bool CanDisableXattrs(Ztoc ztoc)
    {
        ArgumentNullException.ThrowIfNull(ztoc);
        return !ztoc.Files.Any(f =>
            f.PaxRecords.Any(r => r.Key.StartsWith(PaxRecord.XattrPrefix, StringComparison.Ordinal))
            || Path.GetFileName(f.Name.TrimEnd('/')) == ".wh..wh..opq");
    }
}
