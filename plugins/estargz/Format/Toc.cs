using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>The eStargz table of contents (<c>stargz.index.json</c>): every entry of the layer in blob order.</summary>
internal sealed record Toc
{
    [JsonPropertyName("version")] public int Version { get; init; }
    [JsonPropertyName("entries")] public List<TocEntry> Entries { get; init; } = [];
}

/// <summary>Source-generated (de)serialization of the TOC: no reflection in the plugin.</summary>
[JsonSerializable(typeof(Toc))]
internal sealed partial class TocJsonContext : JsonSerializerContext;
