#!/usr/bin/env bash
# Re-reads in new containers, ours and containerd's overlayfs taken in turns on ONE containerd (issue 10's re-read rows,
# without the drift between two containerds measured 30 s apart that run.sh's single re-read per mode lives with):
# a fresh daemon and containerd on a private tmpfs; the image pulled with overlayfs (ctr image pull) and rpulled with
# ours; a first read of every file with each; then rounds of one re-read of every file with each (ours first, the
# harder place: nearest its first read) and one `true` container with each, right away while the fill still runs
# (--rounds-during, default 3) and then once every layer is local (--rounds, default 6). Prints each container's time
# (`ctr run` to its exit) and, per phase, the medians and their ratio.
#
# Usage: bench/lazy/reread-alternating.sh [--image small|large] [--rounds N] [--rounds-during N] [--work DIR] [--config FILE]
# (root; default large; the images come from bench/lazy/run.sh's cache: run `bench/lazy/run.sh --prepare-only --format soci` once)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/rig.sh
source "$repo/bench/lib/rig.sh"

image=large
rounds=6
rounds_during=3
plugins_yaml="$repo/plugins.yaml"
work="$repo/out/bench-lazy"
while (($#)); do
  case "$1" in
    --image) image=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --rounds-during) rounds_during=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --config) plugins_yaml=$(realpath "$2"); shift 2 ;;
    *) echo "reread-alternating: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "reread-alternating: run as root" >&2; exit 1; }
((rounds > 0 && rounds_during > 0)) || { echo "reread-alternating: --rounds and --rounds-during must be at least 1" >&2; exit 2; }
[[ -f $work/cache/$image.v1 ]] || { echo "reread-alternating: no cached $image image in $work/cache (bench/lazy/run.sh --prepare-only)" >&2; exit 1; }
daemon="$repo/out/host/pluggable-snapshotter"
scratch="$repo/.bench-alternating"
logs="$work/logs-alternating"
rig_private_rig reread-alternating "$scratch" 8g "$plugins_yaml" "$work/cache/registry" "$logs"
rep="$scratch/rep"
mkdir -p "$rep"
rig_start_daemon "$daemon" "$rep/psnap" "$rep/psnap.sock" "$RIG_CONFIG" "$logs/daemon.log"
rig_start_containerd "$rep/containerd" "$logs/containerd.log" "$rep/psnap.sock"
ctr_=(ctr --address "$RIG_CTR_ADDRESS" -n bench)
plain="$RIG_REGISTRY/bench/$image:plain"
soci="$RIG_REGISTRY/bench/$image:soci"
"${ctr_[@]}" image pull --plain-http "$plain" >>"$logs/ctr.log" 2>&1
ctr-remote --address "$RIG_CTR_ADDRESS" -n bench image rpull --plain-http --snapshotter pluggable "$soci" >>"$logs/ctr.log" 2>&1

read_all='find / -xdev -type f -exec cat {} + >/dev/null; echo done'
containers=0
# run SNAPSHOTTER REF SCRIPT: runs SCRIPT in a new container and sets took (seconds from `ctr run` to its exit); exits
# the script unless SCRIPT printed done. Not called in a subshell: the count names each container.
run() {
  local t0 out
  containers=$((containers + 1))
  t0=$(rig_now)
  out=$("${ctr_[@]}" run --rm --snapshotter "$1" --runc-root "$rep/runc" "$2" "c$containers" sh -c "$3" 2>>"$logs/ctr.log") || true
  took=$(rig_since "$t0")
  [[ $out == done ]] || { echo "reread-alternating: container c$containers ($1) printed '$out', not done (ctr's errors: $logs/ctr.log)" >&2; exit 1; }
}

all_local() {
  python3 -c 'import json, sys; layers = json.load(open(sys.argv[1]))["layers"]; sys.exit(0 if layers and all(l["state"] == "local" for l in layers) else 1)' \
    "$rep/psnap/plugins/soci/status.json" 2>/dev/null
}

# phase KEY NAME N: N rounds (kept in $rep/rounds under KEY, one word); a line per round, then the medians.
phase() {
  local key=$1 name=$2 n=$3 i a b c d
  echo "$name:"
  for ((i = 1; i <= n; i++)); do
    run pluggable "$soci" "$read_all"; a=$took
    run overlayfs "$plain" "$read_all"; b=$took
    run pluggable "$soci" 'echo done'; c=$took
    run overlayfs "$plain" 'echo done'; d=$took
    echo "  round $i: re-read ours $a s, overlayfs $b s; true: ours $c s, overlayfs $d s"
    echo "$key $a $b $c $d" >>"$rep/rounds"
  done
  python3 - "$rep/rounds" "$key" <<'PY'
import statistics, sys
rows = [line.split()[1:] for line in open(sys.argv[1]) if line.split()[0] == sys.argv[2]]
med = [statistics.median(float(r[i]) for r in rows) for i in range(4)]
print(f"  median re-read: ours {med[0]:.3f} s, overlayfs {med[1]:.3f} s, {med[0] / med[1]:.2f}x; "
      f"true: ours {med[2]:.3f} s, overlayfs {med[3]:.3f} s, {med[2] / med[3]:.2f}x")
PY
}

echo "reread-alternating ($image): one containerd, ours and overlayfs in turns"
run pluggable "$soci" "$read_all"; first_ours=$took
run overlayfs "$plain" "$read_all"
echo "first read of every file: ours $first_ours s, overlayfs $took s"
all_local && echo "(every layer was local by the end of the first reads)"
phase during "right after the first read" "$rounds_during"
for ((waited = 0; waited < 120; waited++)); do all_local && break; sleep 1; done
all_local || { echo "reread-alternating: the fill was not done 120 s after the first reads" >&2; exit 1; }
sleep 4 # past the partial files' deletion after the last fill (3 s of quiet)
phase local "once local" "$rounds"
