#!/usr/bin/env bash
# Re-reads in new containers after a lazy start, against a reference lazy snapshotter on the same machine: containerd's
# overlayfs (ctr image pull), ours on the SOCI form and on the eStargz form (ctr-remote image rpull), and
# stargz-snapshotter 0.12 on the eStargz form (stargz-reference/, built from Debian's sources, default settings). Each
# mode and rep on a fresh containerd and snapshotter: the pull, a container reading every file, then N re-reads of
# every file, each container split into its start (`ctr run` to its first line), its reads, and its end. Prints every
# container and, per mode, the medians of pull -> first output, pull -> every file read, the first re-read and the
# later ones, with their ratios to overlayfs'.
#
# Usage: bench/lazy/reread-reference.sh [--image small|large] [--runs N] [--rereads N] [--modes "overlayfs ours ours-estargz stargz"]
# (root; default large, 3 runs, 3 re-reads; the images come from run.sh's cache, including the eStargz form:
# `bench/lazy/run.sh --prepare-only`; installs golang-github-containerd-stargz-snapshotter-dev when missing)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/rig.sh
source "$repo/bench/lib/rig.sh"

image=large
runs=3
rereads=3
modes="overlayfs ours ours-estargz stargz"
while (($#)); do
  case "$1" in
    --image) image=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --rereads) rereads=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    *) echo "reread-reference: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "reread-reference: run as root" >&2; exit 1; }
((runs > 0 && rereads > 0)) || { echo "reread-reference: --runs and --rereads must be at least 1" >&2; exit 2; }
work="$repo/out/bench-lazy"
[[ -f $work/cache/$image.v1 && -f $work/cache/$image.esgz.v1 ]] \
  || { echo "reread-reference: no cached $image image in both forms in $work/cache (bench/lazy/run.sh --prepare-only)" >&2; exit 1; }
daemon="$repo/out/host/pluggable-snapshotter"
[[ -x $daemon && -d $repo/out/plugins/soci ]] || "$repo/scripts/build.sh"

# The reference, in GOPATH mode against Debian's sources (as tests/conformance).
if [[ " $modes " == *" stargz "* ]]; then
  if [[ ! -d /usr/share/gocode/src/github.com/containerd/stargz-snapshotter ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends golang-github-containerd-stargz-snapshotter-dev >/dev/null
  fi
  mkdir -p "$repo/out/bench-lazy/bin"
  (cd "$repo/bench/lazy/stargz-reference" && GO111MODULE=off GOFLAGS= GOPATH=/usr/share/gocode GOCACHE="${GOCACHE:-$repo/out/gocache}" \
    go build -o "$repo/out/bench-lazy/bin/stargz-reference" .)
fi

scratch="$repo/.bench-reference"
logs="$work/logs-reference"
rig_private_rig reread-reference "$scratch" 12g "$repo/plugins.yaml" "$work/cache/registry" "$logs"
results="$scratch/results"
: >"$results"

ctr_() { command ctr --address "$RIG_CTR_ADDRESS" -n bench "$@"; }
rpull() { command ctr-remote --address "$RIG_CTR_ADDRESS" -n bench image rpull --plain-http --snapshotter pluggable "$1" >>"$logs/ctr.log" 2>&1; }

# container SNAPSHOTTER REF ID: reads every file in a new container; prints "start READS END TOTAL" (seconds).
container() {
  local t0 t1
  t0=$(rig_now)
  ctr_ run --rm --snapshotter "$1" --runc-root "$rep/runc" "$2" "$3" sh -c 'echo start; find / -xdev -type f -exec cat {} + >/dev/null; echo done' \
    2>>"$logs/ctr.log" | while IFS= read -r line; do printf '%s %s\n' "$(rig_now)" "$line"; done >"$rep/out"
  t1=$(rig_now)
  awk -v t0="$t0" -v t1="$t1" '$2 == "start" { s = $1 } $2 == "done" { d = $1 }
    END { if (!s || !d) exit 1; printf "%.3f %.3f %.3f %.3f\n", s - t0, d - s, t1 - d, t1 - t0 }' "$rep/out" \
    || { echo "reread-reference: container $3 did not finish (ctr's errors: $logs/ctr.log)" >&2; return 1; }
}

echo "reread-reference ($image): $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); start / reads / end / total in seconds"
for ((n = 1; n <= runs; n++)); do
  for mode in $modes; do
    rep="$scratch/rep"
    mkdir -p "$rep"
    case $mode in
      overlayfs)
        rig_start_containerd "$rep/containerd" "$logs/containerd-$mode-$n.log"
        snapshotter=overlayfs ref="$RIG_REGISTRY/bench/$image:plain"
        t0=$(rig_now); ctr_ image pull --plain-http "$ref" >>"$logs/ctr.log" 2>&1 ;;
      ours | ours-estargz)
        rig_start_daemon "$daemon" "$rep/psnap" "$rep/psnap.sock" "$RIG_CONFIG" "$logs/daemon-$mode-$n.log"
        rig_start_containerd "$rep/containerd" "$logs/containerd-$mode-$n.log" "$rep/psnap.sock"
        snapshotter=pluggable ref="$RIG_REGISTRY/bench/$image:soci"
        [[ $mode == ours-estargz ]] && ref="$RIG_REGISTRY/bench/$image:esgz"
        t0=$(rig_now); rpull "$ref" ;;
      stargz)
        "$repo/out/bench-lazy/bin/stargz-reference" --root "$rep/stargz" --address "$rep/stargz.sock" >"$logs/stargz-$n.log" 2>&1 &
        RIG_PIDS+=($!)
        rig_wait_socket "$rep/stargz.sock" "$!" stargz-reference
        rig_start_containerd "$rep/containerd" "$logs/containerd-$mode-$n.log" "$rep/stargz.sock"
        snapshotter=pluggable ref="$RIG_REGISTRY/bench/$image:esgz"
        t0=$(rig_now); rpull "$ref" ;;
      *) echo "reread-reference: unknown mode $mode" >&2; exit 2 ;;
    esac
    pull=$(rig_since "$t0")
    out=$(container "$snapshotter" "$ref" "read-$n") || exit 1
    read -r start reads end total <<<"$out"
    echo "$mode $n first $(awk -v p="$pull" -v s="$start" 'BEGIN { printf "%.3f", p + s }')" >>"$results"
    echo "$mode $n all $(awk -v p="$pull" -v t="$total" -v e="$end" 'BEGIN { printf "%.3f", p + t - e }')" >>"$results"
    echo "  rep $n $mode: pull $pull s; read of every file: $start / $reads / $end / $total"
    for ((i = 1; i <= rereads; i++)); do
      out=$(container "$snapshotter" "$ref" "reread-$n-$i") || exit 1
      read -r start reads end total <<<"$out"
      echo "$mode $n reread$i $total $reads" >>"$results"
      echo "  rep $n $mode: re-read $i: $start / $reads / $end / $total"
    done
    rig_kill_shims "$RIG_CTR_ADDRESS"
    # Every process of this rep (containerd, the snapshotter), newest first; the registry stays.
    for ((i = ${#RIG_PIDS[@]} - 1; i >= 0; i--)); do [[ ${RIG_PIDS[i]} != "$RIG_REGISTRY_PID" ]] && rig_stop "${RIG_PIDS[i]}"; done
    rig_unmount_under "$rep"
    rm -rf "$rep"
  done
done

python3 - "$results" "$modes" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
modes = sys.argv[2].split()
def med(mode, pick, index=3):
    values = [float(r[index]) for r in rows if r[0] == mode and pick(r[2])]
    return statistics.median(values) if values else None
base_first, base_later = med("overlayfs", lambda k: k == "reread1"), med("overlayfs", lambda k: k.startswith("reread") and k != "reread1")
print("\nmedians (s)       pull + first output   pull + every file read   first re-read (its reads)   later re-reads (their reads)")
for mode in modes:
    first, later = med(mode, lambda k: k == "reread1"), med(mode, lambda k: k.startswith("reread") and k != "reread1")
    first_reads, later_reads = med(mode, lambda k: k == "reread1", 4), med(mode, lambda k: k.startswith("reread") and k != "reread1", 4)
    ratio = lambda v, b: f" {v / b:.2f}x" if v is not None and b else ""
    later_text = f"{later:.3f}{ratio(later, base_later)} ({later_reads:.3f})" if later is not None else "-"
    output, every = med(mode, lambda k: k == "first"), med(mode, lambda k: k == "all")
    base_output, base_every = med("overlayfs", lambda k: k == "first"), med("overlayfs", lambda k: k == "all")
    print(f"{mode:<14} {output:>11.3f}{ratio(output, base_output) or '':>7} {every:>16.3f}{ratio(every, base_every) or '':>7}   "
          f"{first:>10.3f}{ratio(first, base_first)} ({first_reads:.3f})      {later_text}")
PY
