#!/usr/bin/env bash
# Installs the published daemon (scripts/build.sh's out/) and the systemd units on this machine, as root:
#   out/            -> /usr/local/lib/pluggable-snapshotter/
#   plugins.yaml    -> /etc/pluggable-snapshotter/plugins.yaml (only when absent; plugin paths pointed at the install)
#   deploy/systemd/ -> /etc/systemd/system/, then the socket is enabled and started (the service starts on first use
#                      or at boot, before containerd). deploy/README.md explains the units.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${PREFIX:-/usr/local/lib/pluggable-snapshotter}
[ -x out/host/pluggable-snapshotter ] || { echo "run scripts/build.sh first" >&2; exit 1; }

install -d "$prefix"
cp -a out/host/. "$prefix/"
install -d "$prefix/plugins"
cp -a out/plugins/. "$prefix/plugins/"

install -d -m 0755 /etc/pluggable-snapshotter
if [ ! -e /etc/pluggable-snapshotter/plugins.yaml ]; then
  sed "s#path: out/plugins/#path: $prefix/plugins/#" plugins.yaml > /etc/pluggable-snapshotter/plugins.yaml
fi
"$prefix/pluggable-snapshotter" config validate /etc/pluggable-snapshotter/plugins.yaml

sed "s#/usr/local/lib/pluggable-snapshotter/pluggable-snapshotter#$prefix/pluggable-snapshotter#" \
  deploy/systemd/pluggable-snapshotter.service > /etc/systemd/system/pluggable-snapshotter.service
install -m 0644 deploy/systemd/pluggable-snapshotter.socket /etc/systemd/system/pluggable-snapshotter.socket
systemctl daemon-reload
systemctl enable --now pluggable-snapshotter.socket
systemctl enable pluggable-snapshotter.service
echo "installed: $prefix; socket /run/pluggable-snapshotter/snapshotter.sock (add deploy/kubernetes/containerd.toml's proxy_plugins to containerd)"
