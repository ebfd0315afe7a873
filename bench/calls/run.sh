#!/usr/bin/env bash
# The snapshotter calls of one container start, timed over the socket (callloop/): our daemon with the repository's
# plugins.yaml against containerd's own overlayfs snapshotter served as a proxy plugin by the Go server the
# conformance harness is proven on (tests/conformance/refsnapshotter), each on a fresh root on a private tmpfs. What
# a proxy snapshotter adds to every container start over containerd's built-in one is these round trips.
# Usage: bench/calls/run.sh [--rounds N] [--pause-ms MS]   (root; Debian's golang-go and containerd sources, as the
# conformance suite; builds out/ when the daemon is missing)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/rig.sh
source "$repo/bench/lib/rig.sh"
rounds=500
pause=5
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --pause-ms) pause=$2; shift 2 ;;
    *) echo "bench/calls: unknown argument $1 (--rounds N, --pause-ms MS)" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "bench/calls: run as root (tmpfs, overlay)" >&2; exit 1; }
daemon="$repo/out/host/pluggable-snapshotter"
[[ -x $daemon && -d $repo/out/plugins/soci ]] || "$repo/scripts/build.sh"

# GOPATH mode against Debian's containerd 1.6 sources, as tests/conformance/run.sh.
export GO111MODULE=off GOFLAGS= GOPATH=/usr/share/gocode GOCACHE="${GOCACHE:-$repo/out/gocache}"
mkdir -p "$repo/out/bench-calls"
(cd "$repo/tests/conformance" && go build -o "$repo/out/bench-calls/refsnapshotter" ./refsnapshotter)
(cd "$repo/bench/calls/callloop" && go build -o "$repo/out/bench-calls/callloop" .)

scratch=$(mktemp -d /tmp/psnap-calls.XXXXXX)
logs="$repo/out/bench-calls/logs"
mkdir -p "$logs"
rig_teardown_on_exit bench/calls "$scratch" "$logs"
mount -t tmpfs -o size=1g,mode=0755 psnap-calls "$scratch"
rig_daemon_config "$repo/plugins.yaml" "$scratch/metrics.sock" "$repo" >"$scratch/plugins.yaml"
rig_start_daemon "$daemon" "$scratch/ours" "$scratch/ours.sock" "$scratch/plugins.yaml" "$logs/daemon.log"
"$repo/out/bench-calls/refsnapshotter" --root "$scratch/reference" --address "$scratch/reference.sock" >"$logs/reference.log" 2>&1 &
RIG_PIDS+=($!)
rig_wait_socket "$scratch/reference.sock" "$!" refsnapshotter

echo "bench/calls: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); ours: $daemon; reference: containerd's overlayfs (Go, refsnapshotter)"
for socket in ours reference; do
  "$repo/out/bench-calls/callloop" "$scratch/$socket.sock" "$rounds" "$pause" | sed "s|$scratch/$socket.sock|$socket|"
done
