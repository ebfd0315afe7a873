namespace PluggableSnapshotter.Soci;

/// <summary>
/// A SOCI index manifest: an OCI image manifest whose config media type names the index version and whose
/// layers are the zTOCs (soci-formats.md, "Index manifest (v1 and v2)").
/// </summary>
public sealed record SociIndexManifest
{
    public required SociIndexVersion Version { get; init; }

    /// <summary>zTOC descriptors (and any prefetch descriptors), in image-layer order.</summary>
    public required IReadOnlyList<Descriptor> Blobs { get; init; }

    /// <summary>v1 only: the image manifest this index belongs to.</summary>
    public Descriptor? Subject { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public string ArtifactType => ArtifactTypeOf(Version);

    public IEnumerable<Descriptor> Ztocs => Blobs.Where(b => b.MediaType == SociMediaTypes.Ztoc);

    /// <summary>The zTOC for an image layer, found by the image-layer-digest annotation alone (as the runtime does).</summary>
    public Descriptor? ZtocFor(string layerDigest) =>
        Ztocs.FirstOrDefault(z => z.Annotation(SociAnnotations.ImageLayerDigest) == layerDigest);

    public static string ArtifactTypeOf(SociIndexVersion version) =>
        version == SociIndexVersion.V1 ? SociMediaTypes.IndexV1 : SociMediaTypes.IndexV2;

    /// <summary>Builds an index over the given layers; v1 needs a subject, v2 must not have one.</summary>
    public static SociIndexManifest Create(SociIndexVersion version, IReadOnlyList<SociIndexLayer> layers,
        string buildToolIdentifier, Descriptor? subject)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException("an index needs at least one zTOC", nameof(layers));
        }
        if ((version == SociIndexVersion.V1) != (subject is not null))
        {
            throw new ArgumentException("a v1 index has a subject and a v2 index has none", nameof(subject));
        }
        return new SociIndexManifest
        {
            Version = version,
            Blobs = [.. layers.Select(l => l.ToZtocDescriptor())],
            Subject = subject,
            Annotations = new Dictionary<string, string> { [SociAnnotations.BuildToolIdentifier] = buildToolIdentifier },
        };
    }

    /// <summary>The index as an OCI image manifest (compact JSON, the field order of SOCI's Go structs).</summary>
    public byte[] ToJson() => OciJson.Serialize(new ImageManifest
    {
        MediaType = MediaTypes.OciManifest,
        Config = new Descriptor { MediaType = ArtifactType, Digest = SociMediaTypes.EmptyJsonDigest, Size = 2 },
        Layers = Blobs,
        Subject = Subject,
        Annotations = Annotations,
    });

    /// <summary>Reads an index manifest; anything but a v1/v2 SOCI config media type is "unknown index version".</summary>
    public static SociIndexManifest Parse(ReadOnlySpan<byte> json)
    {
        ImageManifest document = OciJson.Parse<ImageManifest>(json, "SOCI index");
        // `required` lets an explicit JSON null through; registry input is not trusted.
        Descriptor config = document.Config ?? throw new InvalidDataException("SOCI index has a null config");
        SociIndexVersion version = config.MediaType switch
        {
            SociMediaTypes.IndexV1 => SociIndexVersion.V1,
            SociMediaTypes.IndexV2 => SociIndexVersion.V2,
            var other => throw new InvalidDataException($"unknown index version (config media type \"{other}\")"),
        };
        if (document.SchemaVersion != 2)
        {
            throw new InvalidDataException($"SOCI index has schemaVersion {document.SchemaVersion}, expected 2");
        }
        return new SociIndexManifest
        {
            Version = version,
            Blobs = document.Layers ?? [],
            Subject = document.Subject,
            Annotations = document.Annotations,
        };
    }
}
