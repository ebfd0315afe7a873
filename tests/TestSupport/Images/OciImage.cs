using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Images;

/// <summary>An image in an OCI image layout on disk (built by <see cref="TestImageBuilder"/>).</summary>
public sealed record OciImage(string LayoutPath, string Tag)
{
    /// <summary>The image as umoci and skopeo name it: <c>path:tag</c>.</summary>
    public string LayoutReference => $"{LayoutPath}:{Tag}";

    /// <summary>
    /// Copies the image to <paramref name="destination"/> (e.g. 127.0.0.1:5000/busybox:test)
    /// over plain HTTP with skopeo.
    /// </summary>
    public Task PushAsync(string destination, CancellationToken cancellationToken) =>
        ProcessRunner.RunCheckedAsync(
            "skopeo",
            ["copy", "--quiet", "--dest-tls-verify=false", $"oci:{LayoutReference}", $"docker://{destination}"],
            cancellationToken);

    /// <summary>
    /// Unpacks the image with umoci into <paramref name="bundle"/> (as root, keeping
    /// owners) and returns the root filesystem's path: the reference tree to compare
    /// a snapshotter's result with.
    /// </summary>
    public async Task<string> UnpackAsync(string bundle, CancellationToken cancellationToken)
    {
        await ProcessRunner.RunCheckedAsync("umoci", ["unpack", "--image", LayoutReference, bundle], cancellationToken);
        return Path.Combine(bundle, "rootfs");
    }
}
