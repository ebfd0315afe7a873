namespace PluggableSnapshotter.Soci;

/// <summary>Whether one image layer gets a zTOC, and why not when it does not.</summary>
public sealed record LayerPlan(Descriptor Layer, LayerCompression? Compression, string? SkipReason)
{
    public bool GetsZtoc => SkipReason is null;
}
