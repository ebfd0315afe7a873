#!/usr/bin/env python3
"""Pushes N variants of bench/small:plain as bench/small:v<i>-plain: the same layer blobs, layer 0 (busybox) first and
the other layers in another order each, so every variant is a snapshot chain of its own in containerd (10 images
lazily mounted = 60 FUSE mounts) while the registry stores no new layer. Usage: variants.py REGISTRY COUNT"""
import hashlib, itertools, json, sys, urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    return urllib.request.urlopen(req)


def main() -> int:
    registry, count = sys.argv[1], int(sys.argv[2])
    base = f"http://{registry}/v2/bench/small"
    manifest = json.load(request("GET", f"{base}/manifests/plain", headers={"Accept": OCI_MANIFEST}))
    config = json.load(request("GET", f"{base}/blobs/{manifest['config']['digest']}"))
    layers, diff_ids = manifest["layers"], config["rootfs"]["diff_ids"]
    orders = itertools.islice((p for p in itertools.permutations(range(1, len(layers))) if list(p) != sorted(p)), count)
    for i, order in enumerate(orders, 1):
        order = [0, *order]
        variant = dict(config, rootfs={"type": "layers", "diff_ids": [diff_ids[j] for j in order]})
        body = json.dumps(variant, sort_keys=True).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        location = request("POST", f"{base}/blobs/uploads/").headers["Location"]
        separator = "&" if "?" in location else "?"
        url = location if location.startswith("http") else f"http://{registry}{location}"
        request("PUT", f"{url}{separator}digest={digest}", body, {"Content-Type": "application/octet-stream"})
        out = dict(manifest, config=dict(manifest["config"], digest=digest, size=len(body)), layers=[layers[j] for j in order])
        request("PUT", f"{base}/manifests/v{i}-plain", json.dumps(out).encode(), {"Content-Type": OCI_MANIFEST})
        print(f"bench/small:v{i}-plain")
    return 0


if __name__ == "__main__":
    sys.exit(main())
