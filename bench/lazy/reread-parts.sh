#!/usr/bin/env bash
# A re-read through containerd, taken apart (issue 10's "re-read in a new container" row): on one registry, containerd's
# overlayfs and then our daemon (the repository's plugins.yaml, a fresh daemon and containerd on a private tmpfs) pull
# the image and run a container per step: the read of every file, three re-reads, then two `true` containers. Prints
# per container when `hi` came (the container's start) and when it ended, for ours the FUSE requests the daemon answered
# during each (from its metrics socket), and the fill's progress per layer (status.json, sampled every 0.2 s) with the
# time the reads of every file ended: a re-read that starts before the fill is done shares the CPUs with it. For ours,
# each step also says where the daemon's reads took their bytes so far (cumulative): a file the running fill unpacked,
# a span in memory, and how many spans it decompressed. With --drop-caches the page cache is dropped right before the
# first two re-reads (`echo 1 > /proc/sys/vm/drop_caches`): every FUSE page of the first read is gone, as memory
# pressure (or this VM's DAMON reclaim) may do to any part of it.
#
# Usage: bench/lazy/reread-parts.sh [--image small|large] [--work DIR] [--config FILE] [--drop-caches]   (root; default large; the images
# come from bench/lazy/run.sh's cache: run `bench/lazy/run.sh --prepare-only --format soci` once)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/rig.sh
source "$repo/bench/lib/rig.sh"

image=large
plugins_yaml="$repo/plugins.yaml"
work="$repo/out/bench-lazy"
drop_caches=""
while (($#)); do
  case "$1" in
    --image) image=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --config) plugins_yaml=$(realpath "$2"); shift 2 ;;
    --drop-caches) drop_caches=1; shift ;;
    *) echo "reread-parts: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "reread-parts: run as root" >&2; exit 1; }
[[ -f $work/cache/$image.v1 ]] || { echo "reread-parts: no cached $image image in $work/cache (bench/lazy/run.sh --prepare-only)" >&2; exit 1; }
daemon="$repo/out/host/pluggable-snapshotter"
scratch="$repo/.bench-parts"
logs="$work/logs-parts"
rig_private_rig reread-parts "$scratch" 8g "$plugins_yaml" "$work/cache/registry" "$logs"
metrics=$RIG_METRICS
config=$RIG_CONFIG
ref="$RIG_REGISTRY/bench/$image:soci"

# fuse_total: the FUSE requests the daemon answered so far, over all opcodes and mounts.
# read_sources: where the daemon's reads took their bytes so far, and the spans it decompressed.
read_sources() {
  curl -s --max-time 10 --unix-socket "$metrics" http://localhost/metrics | awk '
    /^soci_content_read_bytes/ && /source="unpacked"/ { u += $NF }
    /^soci_content_read_bytes/ && /source="decompressed"/ { d += $NF }
    /^soci_span_decompressions/ { s += $NF }
    END { printf "read so far: %.0f MB from the fill'"'"'s unpacked files, %.0f MB from spans in memory; %d spans decompressed", u / 1e6, d / 1e6, s }'
}

fuse_total() {
  curl -s --max-time 10 --unix-socket "$metrics" http://localhost/metrics | awk '/^fuse_operations/ { t += $NF } END { printf "%.0f\n", t }'
}

# step NAME COMMAND: a container running `echo hi; COMMAND`; prints when it started (s after the pull), when hi came
# and when it ended (s after `ctr run`), and for ours the FUSE requests answered meanwhile and read_sources. Sets
# step_end (its end, epoch).
step() {
  local t0 line before="" ended
  [[ $snapshotter == pluggable ]] && before=$(fuse_total)
  t0=$(rig_now)
  "${ctr_[@]}" run --rm --snapshotter "$snapshotter" --runc-root "$rep/runc" "$ref" "$1" sh -c "echo hi; $2" 2>>"$logs/ctr.log" \
    | while IFS= read -r line; do [[ $line == hi ]] && echo -n "  [$(rig_since "$pulled")] $1: hi $(rig_since "$t0") s"; done
  ended=$(rig_since "$t0")
  step_end=$(rig_now)
  if [[ -n $before ]]; then
    sleep 0.4 # the metrics exporter answers a scrape within 300 ms of the last one from its cache
    echo ", ended $ended s, FUSE requests $(($(fuse_total) - before)); $(read_sources)"
  else
    echo ", ended $ended s"
  fi
}

read_all='find / -xdev -type f -exec cat {} + >/dev/null'
for mode in overlayfs ours; do
  rep="$scratch/$mode"
  mkdir -p "$rep"
  echo "$mode ($image):"
  if [[ $mode == ours ]]; then
    snapshotter=pluggable
    rig_start_daemon "$daemon" "$rep/psnap" "$rep/psnap.sock" "$config" "$logs/daemon.log"
    rig_start_containerd "$rep/containerd" "$logs/containerd-$mode.log" "$rep/psnap.sock"
    ctr-remote --address "$RIG_CTR_ADDRESS" -n bench image rpull --plain-http --snapshotter pluggable "$ref" >>"$logs/ctr.log" 2>&1
    t0=$(rig_now)
    pulled=$t0
    status="$rep/psnap/plugins/soci/status.json"
    # Each sample: seconds since the pull ended, then per layer its state and the percent of its bytes local.
    ( while sleep 0.2; do
        [[ -f $status ]] && python3 - "$status" "$(rig_since "$t0")" <<'PY' || true
import json, sys
layers = json.load(open(sys.argv[1])).get("layers", [])
print(sys.argv[2], " ".join(f"{l.get('state')}:{100 * l.get('bytes_local', 0) // max(1, l.get('bytes_total', 1))}%" for l in layers))
PY
      done >"$rep/fill.txt" ) &
    poller=$!
    RIG_PIDS+=("$poller") # stopped with the rest if the script fails
  else
    snapshotter=overlayfs
    rig_start_containerd "$rep/containerd" "$logs/containerd-$mode.log"
    ctr --address "$RIG_CTR_ADDRESS" -n bench image pull --plain-http "$ref" >>"$logs/ctr.log" 2>&1
    pulled=$(rig_now)
  fi
  ctr_=(ctr --address "$RIG_CTR_ADDRESS" -n bench)
  step read "$read_all"
  [[ $mode == ours ]] && echo "  (the reads of every file ended $(awk -v a="$t0" -v b="$step_end" 'BEGIN { printf "%.3f", b - a }') s after the pull)"
  for i in 1 2 3; do
    [[ -n $drop_caches && $i != 3 ]] && { sync; echo 1 >/proc/sys/vm/drop_caches; }
    step "reread$i" "$read_all"
  done
  step true1 true
  step true2 true
  if [[ $mode == ours ]]; then
    rig_stop "$poller"
    echo "  fill (s after the pull: state:percent local per layer, every 5th sample):"
    awk 'NR % 5 == 1' "$rep/fill.txt" | sed 's/^/    /'
  fi
  rig_kill_shims "$RIG_CTR_ADDRESS"
  rig_stop "$RIG_CONTAINERD_PID"
  [[ $mode == ours ]] && rig_stop "$RIG_DAEMON_PID"
done
