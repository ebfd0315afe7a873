#!/bin/sh
# FUSE server benchmark: sequential read of a 1 GiB file and stat of a 100k-file tree, tmpfs vs FUSE, with ratios.
# Needs root (mounts tmpfs and FUSE) and about 3 GiB of free memory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dotnet build -c Release "$here/Fuse.Bench.csproj" -nologo -v q
exec dotnet "$here/bin/Release/net10.0/PluggableSnapshotter.Fuse.Bench.dll" "$@"
