#!/usr/bin/env bash
# Lazy-loading benchmark (issues 10 and 15): our daemon with chain [soci, estargz, parallel-pull, local] (`ctr-remote image
# rpull`) against containerd's own overlayfs (`ctr image pull`), through a private containerd 1.6, side by side in the
# same run, each rep with a fresh daemon and fresh containerd state on tmpfs.
#
# Images (generated once by generate.py, cached as registry storage under the work dir):
#   small    ~215 MB, 6 layers, 20k files of 1-20 KB     large    ~1 GB, 3 layers, mostly incompressible
# each converted with psoci (default --min-layer-size and span size: every layer gets a zTOC).
# Per image and rep: pull -> first output of a container (echo hi), pull -> every file read (find | cat), re-read in a
# new container, background fill done (soci's status.json, "n/a" without it), a re-read in a third container once the
# image is local, bytes fetched from the registry, daemon RSS after reading, the daemon's CPU during each re-read. Then
# issue 15's memory row: daemon RSS idle, after reading two 1 GB lazy images, and after
# `ctr image rm` of both, next to the configured span cache bound; with small, issue 10's: 10 lazily mounted images.
#
# With --format both (the default) each image is also converted to eStargz (ctr-remote image convert --estargz --oci)
# and measured through the estargz backend in the same run (mode "estargz"), printed next to soci and overlayfs.
#
# Usage: bench/lazy/run.sh [--runs N] [--image small|large|both] [--format soci|both] [--keep-work] [--work DIR] [--fill-timeout S] [--config FILE] [--prepare-only] [--pull-when-warm]
#   --config FILE  the daemon's plugins.yaml (default the repository's; its out/ paths are taken relative to the repository)
#   --prepare-only generate and convert the images into the cache (minutes of CPU for large's eStargz form), measure nothing
#   --work DIR     image cache (default out/bench-lazy); logs go to DIR/logs
#   --keep-work    leave the run's tmpfs (daemon roots, containerd state) mounted for inspection, processes stopped
#   --pull-when-warm  each rep pulls once the daemon has finished its start-up warm-ups (a node whose snapshotter started
#                  before the pull) instead of as soon as containerd is up (the default: a pull right after a restart)
# Needs root and scripts/install-deps.sh's packages; builds out/ first when something is missing. Uses ~8 GB of tmpfs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/rig.sh
source "$repo/bench/lib/rig.sh"

runs=3
images=both
keep=0
work="$repo/out/bench-lazy"
fill_timeout=300
formats=both
prepare_only=0
pull_when_warm=0
config="$repo/plugins.yaml"
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --image) images=$2; shift 2 ;;
    --keep-work) keep=1; shift ;;
    --work) work=$2; shift 2 ;;
    --fill-timeout) fill_timeout=$2; shift 2 ;;
    --format) formats=$2; shift 2 ;;
    --prepare-only) prepare_only=1; shift ;;
    --pull-when-warm) pull_when_warm=1; shift ;;
    --config) config=$(realpath "$2"); shift 2 ;;
    *) echo "bench/lazy: unknown argument $1 (see the usage in $0)" >&2; exit 2 ;;
  esac
done
case "$images" in small) names=(small) ;; large) names=(large) ;; both) names=(small large) ;;
  *) echo "bench/lazy: --image small|large|both" >&2; exit 2 ;; esac
case "$formats" in soci) lazy_modes=(ours) ;; both) lazy_modes=(ours estargz) ;;
  *) echo "bench/lazy: --format soci|both" >&2; exit 2 ;; esac
[[ $EUID -eq 0 ]] || { echo "bench/lazy: run as root (tmpfs, containerd, FUSE)" >&2; exit 1; }

daemon="$repo/out/host/pluggable-snapshotter"
psoci="$repo/out/cli/psoci"
if [[ ! -x $daemon || ! -x $psoci || ! -d $repo/out/plugins/soci ]]; then "$repo/scripts/build.sh"; fi

cache="$work/cache"
logs="$work/logs"
scratch="$repo/.bench-lazy"
namespace=bench
mkdir -p "$cache/registry" "$logs"
rm -f "$logs"/*.log

rig_teardown_on_exit bench/lazy "$scratch" "$logs" "$keep"

if awk -v p="$scratch" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; then
  echo "bench/lazy: $scratch is still mounted (another run, or --keep-work); umount -R it first" >&2; exit 1
fi
mkdir -p "$scratch"
mount -t tmpfs -o size=12g,mode=0755 psnap-bench-lazy "$scratch"

# The daemon of the timed reps: the repository's plugins.yaml (paths made absolute) with its metrics on a unix socket,
# so each rep also records the read path's counters (load-independent, unlike the times).
metrics_socket="$scratch/metrics.sock"
rep_config="$scratch/plugins.yaml"
rig_daemon_config "$config" "$metrics_socket" "$repo" >"$rep_config"

# ---------------------------------------------------------------- registry and images
rig_start_registry_copy "$cache/registry" "$scratch/registry" "$logs/registry.log"
registry=$RIG_REGISTRY
echo "registry: http://$registry (storage copied from $cache/registry to tmpfs)"

# prepare_image NAME KIND SEED: bench/NAME:plain (as generated) and bench/NAME:soci (psoci convert), unless cached.
prepare_image() {
  local name=$1 kind=$2 seed=$3 stamp="$cache/$1.v1"
  [[ -f $stamp ]] && return 0
  echo "generating bench/$name ($kind, seed $seed) ..."
  local gen="$scratch/gen/$name" t
  t=$(rig_now)
  mkdir -p "$gen"
  python3 "$repo/bench/lazy/generate.py" "$kind" "$seed" "$gen/tars" >/dev/null
  umoci init --layout "$gen/oci"
  umoci new --image "$gen/oci:$name"
  for tar in "$gen/tars"/layer-*.tar; do
    umoci raw add-layer --no-history --image "$gen/oci:$name" "$tar"
    rm -f "$tar"
  done
  umoci config --image "$gen/oci:$name" --config.env PATH=/bin --config.cmd /bin/sh
  skopeo copy --quiet --dest-tls-verify=false "oci:$gen/oci:$name" "docker://$registry/bench/$name:plain"
  "$psoci" convert --plain-http --quiet "$registry/bench/$name:plain" "$registry/bench/$name:soci"
  rm -rf "$gen"
  cp -a "$scratch/registry/storage/." "$cache/registry/"
  touch "$stamp"
  echo "generated bench/$name in $(rig_since "$t") s"
}

# prepare_estargz NAME: bench/NAME:esgz, ctr-remote's eStargz conversion of bench/NAME:plain, unless cached.
prepare_estargz() {
  local name=$1 stamp="$cache/$1.esgz.v1" t
  [[ -f $stamp ]] && return 0
  echo "converting bench/$name to eStargz ..."
  t=$(rig_now)
  rig_start_containerd "$scratch/convert" "$logs/containerd-convert-$name.log"
  local ctr=(ctr --address "$RIG_CTR_ADDRESS" -n "$namespace")
  "${ctr[@]}" image pull --plain-http "$registry/bench/$name:plain" >/dev/null
  command ctr-remote --address "$RIG_CTR_ADDRESS" -n "$namespace" image convert --estargz --oci \
    "$registry/bench/$name:plain" "$registry/bench/$name:esgz" >/dev/null
  "${ctr[@]}" image push --plain-http "$registry/bench/$name:esgz" >/dev/null
  rig_stop "$RIG_CONTAINERD_PID"
  rig_unmount_under "$scratch/convert"
  rm -rf "$scratch/convert"
  cp -a "$scratch/registry/storage/." "$cache/registry/"
  touch "$stamp"
  echo "converted bench/$name in $(rig_since "$t") s"
}

# layer_digests NAME [TAG]: the layers of bench/NAME:TAG (default plain), from the registry.
layer_digests() {
  python3 - "$registry" "$1" "${2:-plain}" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(f"http://{sys.argv[1]}/v2/bench/{sys.argv[2]}/manifests/{sys.argv[3]}",
    headers={"Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"})
print(" ".join(layer["digest"] for layer in json.load(urllib.request.urlopen(request))["layers"]))
PY
}

# image_mb NAME: compressed size of bench/NAME's layers, MB.
image_mb() {
  python3 - "$registry" "$1" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(f"http://{sys.argv[1]}/v2/bench/{sys.argv[2]}/manifests/plain",
    headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
print(f'{sum(l["size"] for l in json.load(urllib.request.urlopen(request))["layers"]) / 1e6:.0f}')
PY
}

# registry_bytes FROM_LINE: bytes the registry wrote for blob GETs logged after line FROM_LINE.
registry_bytes() {
  tail -n +"$(($1 + 1))" "$logs/registry.log" | awk '
    /http.request.method=GET/ && /\/blobs\// { if (match($0, /http.response.written=[0-9]+/)) n += substr($0, RSTART + 22, RLENGTH - 22) }
    END { printf "%.0f", n }'
}

for name in "${names[@]}"; do prepare_image "$name" "$name" 1; done
if [[ " ${lazy_modes[*]} " == *" estargz "* ]]; then for name in "${names[@]}"; do prepare_estargz "$name"; done; fi
if [[ " ${names[*]} " == *" large "* ]]; then prepare_image large-b large 2; fi
if ((prepare_only)); then echo "bench/lazy: images cached in $cache"; exit 0; fi

# counters LABEL: the lazy read path's counters from the daemon's /metrics (cumulative since its start), appended to
# $results as "name mode LABEL.counter value": spans decompressed and their bytes, bytes reads returned (from the
# decompressed spans on disk, from a span in memory, or from a file the running fill unpacked), span cache hits and misses, FUSE READs answered, and what the
# daemon allocated (bytes, gen2 collections, span arrays allocated or reused).
counters() {
  curl -s --max-time 10 --unix-socket "$metrics_socket" http://localhost/metrics | awk -v n="$name" -v m="$mode" -v l="$1" '
    /^#/ { next }
    { line = $0; sub(/\{[^}]*\}/, "", line); split(line, f, " "); metric = f[1]; v = f[2] }
    metric == "soci_span_decompressions" { c["decompressions"] += v }
    metric == "soci_span_decompressed_bytes" { c["decompressed"] += v }
    metric == "soci_content_read_bytes" && /source="disk"/ { c["served_disk"] += v }
    metric == "soci_content_read_bytes" && /source="decompressed"/ { c["served_memory"] += v }
    metric == "soci_content_read_bytes" && /source="unpacked"/ { c["served_unpacked"] += v }
    metric == "soci_span_cache_hits" { c["cache_hits"] += v }
    metric == "soci_span_cache_misses" { c["cache_misses"] += v }
    metric == "soci_span_buffers_allocated" { c["span_arrays_allocated"] += v }
    metric == "soci_span_buffers_reused" { c["span_arrays_reused"] += v }
    metric == "dotnet_gc_heap_total_allocated_bytes" { c["gc_allocated"] += v }
    metric == "dotnet_gc_collections" && /gen2/ { c["gc_gen2"] += v }
    metric == "fuse_operations" && /opcode="read"/ { c["fuse_reads"] += v }
    metric == "fuse_operations" && match($0, /opcode="[a-z_]+"/) { c["fuse_" substr($0, RSTART + 8, RLENGTH - 9)] += v }
    END { for (k in c) printf "%s %s %s.%s %.0f\n", n, m, l, k, c[k] }' >>"$results" || true
}

# daemon_cpu LABEL SAMPLE: the daemon's CPU since SAMPLE (rig_cpu_sample), appended to $results as "name mode
# LABEL_cpu ms" and "name mode LABEL_tierup ms" (of which the runtime's tier-up JIT thread).
daemon_cpu() {
  local used
  used=$(rig_cpu_since "$RIG_DAEMON_PID" "$2")
  echo "$name $mode $1_cpu ${used% *}" >>"$results"
  echo "$name $mode $1_tierup ${used#* }" >>"$results"
}

# ---------------------------------------------------------------- one rep
ctr_() { command ctr --address "$RIG_CTR_ADDRESS" -n "$namespace" "$@"; }

# run_container SNAPSHOTTER REF ID SCRIPT OUT: runs SCRIPT in a new container; each output line to OUT with its epoch.
run_container() {
  local line
  ctr_ run --rm --snapshotter "$1" --runc-root "$rep/runc" "$2" "$3" sh -c "$4" 2>>"$logs/ctr.log" \
    | while IFS= read -r line; do printf '%s %s\n' "$(rig_now)" "$line"; done >"$5"
}

# stamp_of FILE WORD: epoch of the line WORD in FILE.
stamp_of() { awk -v w="$2" '$2 == w { print $1; exit }' "$1"; }

# measure MODE NAME REP: one rep, results appended to $results as "name mode metric value".
measure() {
  local mode=$1 name=$2 n=$3 snapshotter ref proxy="" t0 mark poller="" out plugin=soci tag=plain
  rep="$scratch/rep"
  mkdir -p "$rep"
  if [[ $mode == ours || $mode == estargz ]]; then
    snapshotter=pluggable ref="$registry/bench/$name:soci" proxy="$rep/psnap.sock"
    [[ $mode == estargz ]] && plugin=estargz tag=esgz ref="$registry/bench/$name:esgz"
    rig_start_daemon "$daemon" "$rep/psnap" "$proxy" "$rep_config" "$logs/daemon-$mode-$name-$n.log"
  else
    snapshotter=overlayfs ref="$registry/bench/$name:plain"
  fi
  rig_start_containerd "$rep/containerd" "$logs/containerd-$mode-$name-$n.log" "$proxy"
  if ((pull_when_warm)) && [[ -n $proxy ]]; then rig_wait_warm "$logs/daemon-$mode-$name-$n.log"; fi

  mark=$(wc -l <"$logs/registry.log")
  t0=$(rig_now)
  if [[ $mode != overlayfs ]]; then
    # shellcheck disable=SC2046 # one argument per digest
    python3 "$repo/bench/lazy/fill.py" "$rep/psnap/plugins/$plugin/status.json" "$t0" "$fill_timeout" $(layer_digests "$name" "$tag") \
      >"$rep/fill.out" &
    poller=$!
    command ctr-remote --address "$RIG_CTR_ADDRESS" -n "$namespace" image rpull --plain-http --snapshotter pluggable "$ref" \
      >>"$logs/ctr.log" 2>&1
  else
    ctr_ image pull --plain-http "$ref" >>"$logs/ctr.log" 2>&1
  fi
  echo "$name $mode pull $(rig_since "$t0")" >>"$results"
  run_container "$snapshotter" "$ref" "read-$n" 'echo hi; find / -xdev -type f -exec cat {} + >/dev/null; echo done' "$rep/read.out"
  [[ -n $(stamp_of "$rep/read.out" done) ]] || { echo "bench/lazy: the read container of $name ($mode) did not finish" >&2; return 1; }
  echo "$name $mode first $(awk -v a="$t0" -v b="$(stamp_of "$rep/read.out" hi)" 'BEGIN { printf "%.3f", b - a }')" >>"$results"
  echo "$name $mode all $(awk -v a="$t0" -v b="$(stamp_of "$rep/read.out" done)" 'BEGIN { printf "%.3f", b - a }')" >>"$results"
  [[ $mode != overlayfs ]] && counters all

  local t1 cpu
  [[ $mode != overlayfs ]] && cpu=$(rig_cpu_sample "$RIG_DAEMON_PID")
  t1=$(rig_now)
  run_container "$snapshotter" "$ref" "reread-$n" 'find / -xdev -type f -exec cat {} + >/dev/null; echo done' "$rep/reread.out"
  [[ -n $(stamp_of "$rep/reread.out" done) ]] || { echo "bench/lazy: the re-read container of $name ($mode) did not finish" >&2; return 1; }
  echo "$name $mode reread $(rig_since "$t1")" >>"$results"
  if [[ $mode != overlayfs ]]; then
    daemon_cpu reread "$cpu"
    sleep 0.35 # the exporter answers from its cache within 300 ms of the last scrape (after every file read)
    counters reread
  fi

  if [[ $mode != overlayfs ]]; then
    echo "$name $mode rss $(rig_vm VmRSS "$RIG_DAEMON_PID")" >>"$results"
    echo "$name $mode hwm $(rig_vm VmHWM "$RIG_DAEMON_PID")" >>"$results"
    if [[ -f $rep/psnap/plugins/$plugin/status.json ]]; then wait "$poller"; else kill "$poller" 2>/dev/null || true; wait "$poller" 2>/dev/null || true; echo n/a >"$rep/fill.out"; fi
    echo "$name $mode fill $(cat "$rep/fill.out")" >>"$results"
  else
    echo "$name $mode fill $(awk -v n="$name" -v m="$mode" '$1 == n && $2 == m && $3 == "pull" { v = $4 } END { print v }' "$results")" >>"$results"
  fi
  # The protocol's order (first output, every file read, fill done, re-read): a third container once the image is local.
  [[ $mode != overlayfs ]] && cpu=$(rig_cpu_sample "$RIG_DAEMON_PID")
  t1=$(rig_now)
  run_container "$snapshotter" "$ref" "local-$n" 'find / -xdev -type f -exec cat {} + >/dev/null; echo done' "$rep/local.out"
  [[ -n $(stamp_of "$rep/local.out" done) ]] || { echo "bench/lazy: the re-read container of $name ($mode) once local did not finish" >&2; return 1; }
  echo "$name $mode reread_local $(rig_since "$t1")" >>"$results"
  [[ $mode != overlayfs ]] && daemon_cpu reread_local "$cpu"
  echo "$name $mode bytes $(registry_bytes "$mark")" >>"$results"

  rig_kill_shims "$RIG_CTR_ADDRESS"
  rig_stop "$RIG_CONTAINERD_PID"
  [[ $mode != overlayfs ]] && rig_stop "$RIG_DAEMON_PID"
  rig_unmount_under "$rep"
  rm -rf "$rep"
  out=$(awk -v n="$name" -v m="$mode" '$1 == n && $2 == m { v[$3] = $4 } END { printf "pull %s s, first output %s s, all read %s s, re-read %s s, fill %s, re-read once local %s s", v["pull"], v["first"], v["all"], v["reread"], v["fill"], v["reread_local"]; if ("reread_cpu" in v) printf "; daemon CPU in the re-reads %s / %s ms (tier-up JIT %s / %s); FUSE READs in the re-read %d", v["reread_cpu"], v["reread_local_cpu"], v["reread_tierup"], v["reread_local_tierup"], v["reread.fuse_reads"] - v["all.fuse_reads"]; if ("all.gc_allocated" in v) printf "; by every file read: %d spans decompressed (%d MB), %d MB allocated, %d gen2 GCs, span arrays %d new / %d reused", v["all.decompressions"], v["all.decompressed"] / 1e6, v["all.gc_allocated"] / 1e6, v["all.gc_gen2"], v["all.span_arrays_allocated"], v["all.span_arrays_reused"] }' "$results")
  echo "  rep $n $name $mode: $out"
}

results="$scratch/results"
: >"$results"
for ((n = 1; n <= runs; n++)); do
  for name in "${names[@]}"; do
    for mode in overlayfs "${lazy_modes[@]}"; do
      measure "$mode" "$name" "$n"
    done
  done
done

# ---------------------------------------------------------------- issue 15: memory after two 1 GB images
memory=()
if [[ " ${names[*]} " == *" large "* ]]; then
  echo "memory: two 1 GB lazy images read through one daemon, then removed"
  rep="$scratch/rep"
  mkdir -p "$rep"
  rig_start_daemon "$daemon" "$rep/psnap" "$rep/psnap.sock" "$rep_config" "$logs/daemon-memory.log"
  rig_start_containerd "$rep/containerd" "$logs/containerd-memory.log" "$rep/psnap.sock"
  sleep 2
  memory+=("idle: VmRSS $(rig_vm VmRSS "$RIG_DAEMON_PID") MB")
  for name in large large-b; do
    command ctr-remote --address "$RIG_CTR_ADDRESS" -n "$namespace" image rpull --plain-http --snapshotter pluggable \
      "$registry/bench/$name:soci" >>"$logs/ctr.log" 2>&1
    run_container pluggable "$registry/bench/$name:soci" "mem-$name" 'find / -xdev -type f -exec cat {} + >/dev/null; echo done' "$rep/mem.out"
  done
  memory+=("after reading both: VmRSS $(rig_vm VmRSS "$RIG_DAEMON_PID") MB, VmHWM $(rig_vm VmHWM "$RIG_DAEMON_PID") MB")
  ctr_ image rm --sync "$registry/bench/large:soci" "$registry/bench/large-b:soci" >>"$logs/ctr.log" 2>&1
  sleep 15
  memory+=("15 s after ctr image rm of both: VmRSS $(rig_vm VmRSS "$RIG_DAEMON_PID") MB ($(awk -v p="$rep/" 'index($5, p) == 1 && / - fuse/' /proc/self/mountinfo | wc -l) FUSE mounts left)")
  rig_kill_shims "$RIG_CTR_ADDRESS"
  rig_stop "$RIG_CONTAINERD_PID"
  rig_stop "$RIG_DAEMON_PID"
  rig_unmount_under "$rep"
  rm -rf "$rep"
fi

# ---------------------------------------------------------------- issue 10: memory with 10 lazily mounted images
# prepare_variants: bench/small:v1..v10-soci, the small image's layers in 10 orders (variants.py), unless cached.
prepare_variants() {
  local stamp="$cache/small-variants.v1" i
  [[ -f $stamp ]] && return 0
  echo "making 10 variants of bench/small ..."
  python3 "$repo/bench/lazy/variants.py" "$registry" 10 >/dev/null
  for ((i = 1; i <= 10; i++)); do
    "$psoci" convert --plain-http --quiet "$registry/bench/small:v$i-plain" "$registry/bench/small:v$i-soci" >/dev/null
  done
  cp -a "$scratch/registry/storage/." "$cache/registry/"
  touch "$stamp"
}

# mem_snapshot LABEL: where the daemon's memory is (bench/lib/smaps.py: anon vs file-backed, threads) and the runtime's
# own view (managed heap by generation, committed, thread pool) from its metrics, appended to logs/smaps-mem10.txt.
mem_snapshot() {
  python3 "$repo/bench/lib/smaps.py" "$RIG_DAEMON_PID" "$1" >>"$logs/smaps-mem10.txt" 2>&1 || true
  curl -s --max-time 10 --unix-socket "$metrics_socket" http://localhost/metrics \
    | awk '/^(dotnet_(gc_last_collection|process_memory|thread_pool_thread_count|gc_heap_total_allocated|gc_collections)|soci_span_cache_bytes|soci_span_buffers)/ { printf "  %s\n", $0 }' \
    >>"$logs/smaps-mem10.txt" 2>&1 || true
}

if [[ " ${names[*]} " == *" small "* ]]; then
  prepare_variants
  echo "memory: 10 lazily mounted images (the small image's layers in 10 orders: 60 FUSE mounts) through one daemon"
  rep="$scratch/rep"
  mkdir -p "$rep"
  rig_start_daemon "$daemon" "$rep/psnap" "$rep/psnap.sock" "$rep_config" "$logs/daemon-memory10.log"
  rig_start_containerd "$rep/containerd" "$logs/containerd-memory10.log" "$rep/psnap.sock"
  sleep 2
  rm -f "$logs/smaps-mem10.txt"
  mem_snapshot "idle, before the images"
  for ((i = 1; i <= 10; i++)); do
    command ctr-remote --address "$RIG_CTR_ADDRESS" -n "$namespace" image rpull --plain-http --snapshotter pluggable \
      "$registry/bench/small:v$i-soci" >>"$logs/ctr.log" 2>&1
    run_container pluggable "$registry/bench/small:v$i-soci" "mem10-$i" 'echo hi' "$rep/mem10.out"
  done
  memory+=("10 images mounted, a container run in each: VmRSS $(rig_vm VmRSS "$RIG_DAEMON_PID") MB ($(awk -v p="$rep/" 'index($5, p) == 1 && / - fuse/' /proc/self/mountinfo | wc -l) FUSE mounts)")
  # Where that memory is (anon vs file-backed, threads): logs/smaps-mem10.txt, one block per step.
  mem_snapshot "10 images, right after"
  # The same daemon once idle: the host's trimmer compacts the heap 1-2 s after work stops (IdleMemoryTrimmer).
  sleep 15
  memory+=("  the same, 15 s later (idle): VmRSS $(rig_vm VmRSS "$RIG_DAEMON_PID") MB")
  mem_snapshot "10 images, 15 s later"
  run_container pluggable "$registry/bench/small:v10-soci" "mem10-read" 'find / -xdev -type f -exec cat {} + >/dev/null; echo done' "$rep/mem10.out"
  memory+=("then every file of one read: VmRSS $(rig_vm VmRSS "$RIG_DAEMON_PID") MB, VmHWM $(rig_vm VmHWM "$RIG_DAEMON_PID") MB")
  rig_kill_shims "$RIG_CTR_ADDRESS"
  rig_stop "$RIG_CONTAINERD_PID"
  rig_stop "$RIG_DAEMON_PID"
  rig_unmount_under "$rep"
  rm -rf "$rep"
fi

# ---------------------------------------------------------------- table
# The span cache bound: soci's max_lru_cache_entry (plugins.yaml, default 64) spans of psoci's default 4 MiB, and at
# most directory_cache.max_bytes (default 32 MiB), whichever is smaller.
entries=$(awk '/max_lru_cache_entry:/ { gsub(/[^0-9]/, "", $0); print; exit }' "$config")
entries=${entries:-64}
cache_bytes=$(awk '/directory_cache:/ { d = 1 } d && /max_bytes:/ { gsub(/[^0-9]/, "", $0); print; exit }' "$config")
cache_mb=$(( ${cache_bytes:-33554432} / 1048576 ))
(( entries * 4 < cache_mb )) && cache_mb=$(( entries * 4 ))
sizes=""
for name in "${names[@]}"; do sizes+="$name $(image_mb "$name") MB gzip; "; done
pull_start="pulls as soon as containerd is up"
((pull_when_warm)) && pull_start="pulls once the daemon has warmed up (--pull-when-warm)"
PULL_START=$pull_start python3 - "$results" "$runs" "$cache_mb" "$sizes" "${memory[@]}" <<'PY'
import os, statistics, sys
path, runs, cache_mb, sizes, memory = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
values = {}
for line in open(path):
    name, mode, metric, value = line.split()
    values.setdefault((name, mode, metric), []).append(value)

def median(name, mode, metric):
    numbers = [float(v) for v in values.get((name, mode, metric), []) if v.replace(".", "", 1).isdigit()]
    if not numbers:
        return None, (values.get((name, mode, metric)) or ["-"])[0]
    m = statistics.median(numbers)
    return m, m

targets = {
    ("small", "first"): "<= 0.15x", ("large", "first"): "<= 0.06x",
    ("small", "all"): "<= 1.0x", ("large", "all"): "<= 0.8x",
    ("small", "reread"): "<= 1.2x", ("large", "reread"): "<= 1.2x",
    ("small", "reread_local"): "<= 1.2x", ("large", "reread_local"): "<= 1.2x",
    ("small", "fill"): "<= 1.0x", ("large", "fill"): "<= 1.0x",
}
rows = [("first", "pull -> first output", "s"), ("all", "pull -> every file read", "s"),
        ("reread", "re-read in a new container", "s"), ("fill", "whole image local (overlayfs: full pull)", "s"),
        ("reread_local", "re-read in a new container once local", "s"),
        ("bytes", "bytes fetched from the registry", "MB")]
print(f"\nbench/lazy: median of {runs} runs; {sizes.strip('; ')}; {os.environ['PULL_START']}")
print(f"{'row':<52} {'ours':>12} {'overlayfs':>10} {'ratio':>7}  target")
for name in sorted({k[0] for k in values}, key=["small", "large"].index):
    for metric, label, unit in rows:
        ours, ours_text = median(name, "ours", metric)
        base, base_text = median(name, "overlayfs", metric)
        if unit == "MB":
            ours_text = f"{ours / 1e6:.0f}" if ours is not None else ours_text
            base_text = f"{base / 1e6:.0f}" if base is not None else base_text
        elif ours is not None:
            ours_text = f"{ours:.2f}"
        if unit == "s" and base is not None:
            base_text = f"{base:.2f}"
        ratio = f"{ours / base:.2f}x" if ours is not None and base else "-"
        print(f"{name + ': ' + label + ' (' + unit + ')':<52} {ours_text:>12} {base_text:>10} {ratio:>7}  {targets.get((name, metric), '')}")
    for metric, label in (("reread", "re-read"), ("reread_local", "re-read once local")):
        cpu, _ = median(name, "ours", f"{metric}_cpu")
        tierup, _ = median(name, "ours", f"{metric}_tierup")
        if cpu is not None:
            print(f"{name + ': daemon CPU during the ' + label + ' (ms)':<52} {f'{cpu:.0f}':>12} {'':>10} {'':>7}  of which tier-up JIT {tierup:.0f}")
    rss, _ = median(name, "ours", "rss")
    hwm, _ = median(name, "ours", "hwm")
    if rss is not None:
        print(f"{name + ': daemon VmRSS / VmHWM after reading (MB)':<52} {f'{rss:.0f} / {hwm:.0f}':>12} {'':>10} {'':>7}  <= 200 MB with 10 lazily mounted images")
if any(k[1] == "estargz" for k in values):
    print(f"\n{'eStargz form, estargz backend (issue 13)':<52} {'estargz':>12} {'soci':>10} {'overlayfs':>10} {'vs soci':>8}")
    for name in sorted({k[0] for k in values if k[1] == "estargz"}, key=["small", "large"].index):
        for metric, label, unit in rows:
            cells = []
            for mode in ("estargz", "ours", "overlayfs"):
                value, text = median(name, mode, metric)
                cells.append((value, text if value is None else (f"{value / 1e6:.0f}" if unit == "MB" else f"{value:.2f}")))
            ratio = f"{cells[0][0] / cells[1][0]:.2f}x" if cells[0][0] is not None and cells[1][0] else "-"
            print(f"{name + ': ' + label + ' (' + unit + ')':<52} {cells[0][1]:>12} {cells[1][1]:>10} {cells[2][1]:>10} {ratio:>8}")
        rss, _ = median(name, "estargz", "rss")
        if rss is not None:
            print(f"{name + ': daemon VmRSS after reading (MB)':<52} {rss:>12.0f}")
counter_modes = sorted({k[1] for k in values if "." in k[2]})
if counter_modes:
    print("\nread path counters (first rep; cumulative per daemon: after reading every file / after the re-read as well)")
    print(f"{'image mode':<18} {'spans decompressed':>19} {'MB decompressed':>16} {'MB served':>14} {'decompressed/served':>20} {'MB from disk':>13} {'MB unpacked':>13} {'cache hit/miss':>15} {'FUSE READs':>15}")
    def first(name, mode, key):
        v = values.get((name, mode, key))
        return float(v[0]) if v else 0.0
    for name in sorted({k[0] for k in values}, key=["small", "large"].index):
        for mode in counter_modes:
            cells = []
            for label in ("all", "reread"):
                c = {k: first(name, mode, f"{label}.{k}") for k in ("decompressions", "decompressed", "served_disk", "served_memory", "served_unpacked", "cache_hits", "cache_misses", "fuse_reads")}
                served = c["served_disk"] + c["served_memory"] + c["served_unpacked"]
                cells.append((c, served))
            (a, sa), (b, sb) = cells
            def pair(key, scale=1.0):
                return f"{a[key] / scale:.0f} / {b[key] / scale:.0f}"
            ratio = lambda c, s: f"{c['decompressed'] / s:.2f}" if s else "-"
            hits = f"{a['cache_hits']:.0f}/{a['cache_misses']:.0f}"
            print(f"{name + ' ' + mode:<18} {pair('decompressions'):>19} {pair('decompressed', 1e6):>16} {f'{sa / 1e6:.0f} / {sb / 1e6:.0f}':>14} "
                  f"{ratio(a, sa) + ' / ' + ratio(b, sb):>20} {pair('served_disk', 1e6):>13} {pair('served_unpacked', 1e6):>13} {hits:>15} {pair('fuse_reads'):>15}")
if memory:
    print(f"\ndaemon memory (issue 15), span cache bound {cache_mb} MiB:")
    for line in memory:
        print(f"  {line}")
PY
