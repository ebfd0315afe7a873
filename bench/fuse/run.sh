#!/bin/sh
# FUSE server benchmark: sequential read of a 1 GiB file and stat of a 100k-file tree, tmpfs vs FUSE, with ratios.
# Needs root (mounts tmpfs and FUSE) and about 3 GiB of free memory. When a C compiler is present, a minimal C
# FUSE server (baseline.c) is measured too, to show the kernel round-trip floor for stat.
# Usage: run.sh [--workers N] [--readahead KB] [--only read|stat] [--no-uring] [--uring-depth N]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dotnet build -c Release "$here/Fuse.Bench.csproj" -nologo -v q
baseline=""
if command -v cc >/dev/null 2>&1; then
    mkdir -p "$here/bin"
    cc -O2 -Wall -pthread -o "$here/bin/fuse-baseline" "$here/baseline.c"
    baseline="--baseline $here/bin/fuse-baseline"
fi
# shellcheck disable=SC2086
exec dotnet "$here/bin/Release/net10.0/PluggableSnapshotter.Fuse.Bench.dll" "$@" $baseline
