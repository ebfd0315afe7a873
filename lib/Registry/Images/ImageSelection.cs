namespace PluggableSnapshotter.Registry.Images;

/// <summary>What a reference names (an image index or a single manifest) and the manifests <see cref="ImageCatalog.SelectAsync"/> chose from it.</summary>
/// <param name="Root">The descriptor of what the reference names.</param>
/// <param name="RootBytes">Its bytes as served.</param>
/// <param name="Index">The image index, parsed, when the root is one.</param>
/// <param name="Selected">The chosen platform manifests, in index order.</param>
public sealed record ImageSelection(Descriptor Root, byte[] RootBytes, ImageIndex? Index, IReadOnlyList<SelectedManifest> Selected);
