#!/usr/bin/env bash
# The small image's first start through containerd, taken apart (issue 10's "rpull -> first output" row): per rep a
# fresh daemon (the repository's plugins.yaml) and containerd on a private tmpfs, `ctr-remote image rpull` of
# bench/small:soci, then `ctr run ... echo hi`. Prints per rep the pull and first-output times, the FUSE requests the
# daemon answered by opcode during the container's start (from its metrics socket, before and after the run: counts do
# not depend on the machine's load), the first layer's Prepare timing line (event 3009, with the FUSE mount's phases)
# and the warm-up's line.
#
# Usage: bench/lazy/first-start.sh [--runs N] [--work DIR] [--config FILE] [--pull-when-warm]   (root; --config: the daemon's plugins.yaml, default the repository's; the images come from bench/lazy/run.sh's cache,
# out/bench-lazy/cache: run `bench/lazy/run.sh --prepare-only --image small --format soci` once, or symlink it)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/rig.sh
source "$repo/bench/lib/rig.sh"

runs=1
pull_when_warm=0
plugins_yaml="$repo/plugins.yaml"
work="$repo/out/bench-lazy"
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --config) plugins_yaml=$(realpath "$2"); shift 2 ;;
    --pull-when-warm) pull_when_warm=1; shift ;;
    *) echo "first-start: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "first-start: run as root" >&2; exit 1; }
[[ -f $work/cache/small.v1 ]] || { echo "first-start: no cached small image in $work/cache (bench/lazy/run.sh --prepare-only)" >&2; exit 1; }
daemon="$repo/out/host/pluggable-snapshotter"
scratch="$repo/.bench-first"
logs="$work/logs-first"
rig_private_rig first-start "$scratch" 4g "$plugins_yaml" "$work/cache/registry" "$logs"
metrics=$RIG_METRICS
config=$RIG_CONFIG

# counters: every counter of the daemon's /metrics as "name{labels} value", for a before/after difference.
counters() { curl -s --max-time 10 --unix-socket "$metrics" http://localhost/metrics | grep -v '^#' | sort; }

# fuse_ops: "opcode count" per line, summed over the daemon's mounts.
fuse_ops() {
  curl -s --max-time 10 --unix-socket "$metrics" http://localhost/metrics | awk '
    /^fuse_operations/ && match($0, /opcode="[a-z_]+"/) { c[substr($0, RSTART + 8, RLENGTH - 9)] += $NF }
    END { for (k in c) printf "%s %.0f\n", k, c[k] }' | sort
}

for ((n = 1; n <= runs; n++)); do
  rep="$scratch/rep$n"
  mkdir -p "$rep"
  rig_start_daemon "$daemon" "$rep/psnap" "$rep/psnap.sock" "$config" "$logs/daemon-$n.log"
  rig_start_containerd "$rep/containerd" "$logs/containerd-$n.log" "$rep/psnap.sock"
  ctr_=(ctr --address "$RIG_CTR_ADDRESS" -n bench)
  ((pull_when_warm)) && rig_wait_warm "$logs/daemon-$n.log"
  fuse_ops >"$rep/ops.start"
  t0=$(rig_now)
  ctr-remote --address "$RIG_CTR_ADDRESS" -n bench image rpull --plain-http --snapshotter pluggable "$RIG_REGISTRY/bench/small:soci" >"$logs/ctr-$n.log" 2>&1
  pull=$(rig_since "$t0")
  fuse_ops >"$rep/ops.before"
  counters >"$rep/counters.before"
  "${ctr_[@]}" run --rm --snapshotter pluggable --runc-root "$rep/runc" "$RIG_REGISTRY/bench/small:soci" first-$n echo hi >"$rep/out" 2>>"$logs/ctr-$n.log"
  first=$(rig_since "$t0")
  sleep 1 # the metrics exporter answers a scrape within 300 ms of the last one from its cache
  fuse_ops >"$rep/ops.after"
  counters >"$rep/counters.after"
  echo "rep $n: pull $pull s, first output $first s (output: $(cat "$rep/out")), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "  FUSE requests during the container's start: $(join -a2 -e0 -o 2.1,1.2,2.2 "$rep/ops.before" "$rep/ops.after" | awk '$3 - $2 > 0 { printf "%s %d, ", $1, $3 - $2; t += $3 - $2 } END { printf "total %d", t }')"
  echo "  FUSE requests during the pull (the warm-up's own mount too, while it runs): $(join -a2 -e0 -o 2.1,1.2,2.2 "$rep/ops.start" "$rep/ops.before" | awk '$3 - $2 > 0 { printf "%s %d, ", $1, $3 - $2; t += $3 - $2 } END { printf "total %d", t }')"
  echo "  soci read path during the container's start: $(join "$rep/counters.before" "$rep/counters.after" | awk '$1 ~ /^soci_(span_d|span_cache_[hm]|content|fs_operation_count)/ && $3 - $2 > 0 { printf "%s %d, ", $1, $3 - $2 }')"
  echo "  JIT (process-wide) during the container's start and the second after: $(join "$rep/counters.before" "$rep/counters.after" | awk '$1 ~ /^dotnet_jit_(compiled_methods|compilation_time)/ { printf "%s +%g, ", $1, $3 - $2 }')"
  grep -m1 '\[3009\]' "$logs/daemon-$n.log" | sed 's/^/  first layer: /' || true
  grep -m1 -i 'warm' "$logs/daemon-$n.log" | sed 's/^/  /' || true
  rig_kill_shims "$RIG_CTR_ADDRESS"
  rig_stop "$RIG_CONTAINERD_PID"
  rig_stop "$RIG_DAEMON_PID"
  rm -f "$rep/psnap/fuse-keeper.sock" # the keeper stops when its socket file goes
  rig_unmount_under "$rep"
  rm -rf "$rep" # the next rep needs the tmpfs: a filled store holds ~0.7 GB
done
