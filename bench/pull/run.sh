#!/usr/bin/env bash
# Pull benchmark: containerd's overlayfs pull vs the local backend (library level and through the daemon), side by side.
# Needs root (tmpfs, containerd). Builds out/ first when it is missing so the daemon run is included.
# Usage: bench/pull/run.sh [--runs N] [--small-mb MB] [--large-mb MB] [--layers N]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x out/host/pluggable-snapshotter ] || [ ! -f out/plugins/local/PluggableSnapshotter.Plugins.Local.dll ]; then
  scripts/build.sh
fi
dotnet run -c Release --project bench/pull/PluggableSnapshotter.Bench.Pull.csproj -- "$@"
