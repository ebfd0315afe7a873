#!/usr/bin/env bash
# Parallel-pull benchmark: containerd's overlayfs vs our daemon with [local] and with [parallel-pull], side by side, with CPU
# use and the gzip -dc + tar -x floor. Needs root (tmpfs, containerd) and ~14 GB of memory for the tmpfs.
# Builds out/ first when the daemon or a plugin is missing.
# Usage: bench/parallel-pull/run.sh [--runs N] [--small-mb MB] [--large-mb MB] [--layers N] [--chunk 8mb] [--downloads N] [--unpacks N] [--decompressor /usr/bin/unpigz]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x out/host/pluggable-snapshotter ] || [ ! -f out/plugins/local/PluggableSnapshotter.Plugins.Local.dll ] \
   || [ ! -f out/plugins/parallel-pull/PluggableSnapshotter.Plugins.ParallelPull.dll ]; then
  scripts/build.sh
fi
dotnet run -c Release --project bench/parallel-pull/PluggableSnapshotter.Bench.ParallelPull.csproj -- "$@"
