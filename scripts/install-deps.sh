#!/usr/bin/env bash
# Installs everything the demo, the tests and the benchmarks need on a fresh Debian 12 machine (as root).
# Idempotent: packages already present are skipped by apt.
set -euo pipefail

packages=(
  containerd runc stargz-snapshotter        # containerd 1.6, its runtime, ctr-remote (rpull with layer labels)
  docker-registry skopeo umoci busybox-static  # offline test images on a loopback registry
  fuse3 flatbuffers-compiler zlib1g pigz zstd attr libcap2-bin  # FUSE, flatc for zTOC dumps, zlib checkpoints, xattr and capability tools
  golang-go golang-github-containerd-containerd-dev  # containerd's snapshotter conformance suite (GOPATH mode)
  apache2-utils python3 iproute2 util-linux kmod curl  # curl: the benchmarks read the daemon's metrics socket
  systemd                                   # systemd-analyze verify of the unit files in deploy/systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v dotnet >/dev/null || { echo "install-deps: the .NET 10 SDK is required (dotnet on PATH)" >&2; exit 1; }
modprobe overlay 2>/dev/null || true
modprobe fuse 2>/dev/null || true
