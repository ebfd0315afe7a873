# Shell helpers for benchmarks that drive a loopback docker-registry, pluggable-snapshotter and a private containerd 1.6.
# Source it; every process it starts is recorded in RIG_PIDS and stopped by rig_stop_all (newest first), and
# rig_unmount_under removes what containerd, runc and the daemon left mounted under a directory.
# Needs root, docker-registry, containerd, ctr, runc and python3 (scripts/install-deps.sh).

RIG_PIDS=()

rig_now() { date +%s.%N; }

# Prints seconds since $1 (a rig_now value), 3 decimals.
rig_since() { awk -v a="$1" -v b="$(rig_now)" 'BEGIN { printf "%.3f", b - a }'; }

rig_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# rig_wait_socket SOCKET PID NAME [TIMEOUT_S]: until a unix-socket connect succeeds; fails when PID exits first.
rig_wait_socket() {
  local deadline=$((SECONDS + ${4:-60}))
  until python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$1" 2>/dev/null; do
    kill -0 "$2" 2>/dev/null || { echo "rig: $3 exited before serving $1" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "rig: $3 did not serve $1 within ${4:-60}s" >&2; return 1; }
    sleep 0.02
  done
}

# rig_wait_warm LOG [TIMEOUT]: waits until the daemon logging to LOG has finished its start-up warm-ups (the host's
# serving path, event 34 or 35, and, when the soci plugin is loaded, its Prepare path, event 3023 or 3024), up to TIMEOUT s (10).
rig_wait_warm() {
  local deadline=$((SECONDS + ${2:-10}))
  until grep -q 'SnapshotterService\[3[45]\]' "$1" && { ! grep -q 'loaded plugin soci ' "$1" || grep -q 'SociWarmUpService\[302[34]\]' "$1"; }; do
    ((SECONDS < deadline)) || { echo "rig: the daemon did not finish warming up within ${2:-10}s" >&2; return 1; }
    sleep 0.02
  done
}

# rig_start_registry DIR LOG: a docker-registry on a free loopback port, storage in DIR/storage; sets RIG_REGISTRY.
rig_start_registry() {
  local dir=$1 log=$2 port
  port=$(rig_free_port)
  RIG_REGISTRY="127.0.0.1:$port"
  mkdir -p "$dir/storage"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: $RIG_REGISTRY
YAML
  docker-registry serve "$dir/config.yml" >"$log" 2>&1 &
  RIG_PIDS+=($!)
  RIG_REGISTRY_PID=$!
  local deadline=$((SECONDS + 30))
  until python3 -c 'import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)' "http://$RIG_REGISTRY/v2/" 2>/dev/null; do
    kill -0 "$RIG_REGISTRY_PID" 2>/dev/null || { echo "rig: docker-registry exited (see $log)" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "rig: docker-registry did not answer on $RIG_REGISTRY" >&2; return 1; }
    sleep 0.05
  done
}

# rig_start_registry_copy STORAGE DIR LOG: rig_start_registry serving a copy of STORAGE (a cached registry's storage
# folder) in DIR, so a run never changes the cache.
rig_start_registry_copy() {
  mkdir -p "$2/storage"
  cp -a "$1/." "$2/storage/"
  rig_start_registry "$2" "$3"
}

# rig_daemon_config PLUGINS_YAML METRICS_SOCKET REPO: prints PLUGINS_YAML with its plugin paths (out/...) made absolute
# under REPO and the daemon's metrics on METRICS_SOCKET, so a rep can record load-independent counters.
rig_daemon_config() {
  echo "metrics_address: unix:$2"
  sed "s#^\([[:space:]]*path: \)out/#\1$3/out/#" "$1"
}

# rig_private_rig NAME SCRATCH SIZE PLUGINS_YAML REGISTRY_CACHE LOG_DIR: the script NAME's exit trap
# (rig_teardown_on_exit), then a tmpfs of SIZE at SCRATCH (made here) holding the daemon's plugins.yaml (from
# PLUGINS_YAML, its metrics on SCRATCH/metrics.sock) and a copy of the registry storage at REGISTRY_CACHE, served on
# loopback (log in LOG_DIR/registry.log, LOG_DIR made here); sets RIG_CONFIG and RIG_METRICS (and RIG_REGISTRY).
rig_private_rig() {
  local name=$1 scratch=$2 size=$3 plugins_yaml=$4 cache=$5 logs=$6
  mkdir -p "$logs" "$scratch"
  rig_teardown_on_exit "$name" "$scratch" "$logs"
  mount -t tmpfs -o "size=$size,mode=0755" "psnap-$(basename "$scratch" | tr -d .)" "$scratch"
  RIG_METRICS="$scratch/metrics.sock"
  RIG_CONFIG="$scratch/plugins.yaml"
  rig_daemon_config "$plugins_yaml" "$RIG_METRICS" "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)" >"$RIG_CONFIG"
  rig_start_registry_copy "$cache" "$scratch/registry" "$logs/registry.log"
}

# rig_teardown SCRATCH [KEEP]: what a benchmark's exit trap does: kills the shims, stops every process the rig started,
# and unmounts what they left under SCRATCH (the run's tmpfs), then SCRATCH itself unless KEEP is 1.
rig_teardown() {
  [[ -n ${RIG_CTR_ADDRESS:-} ]] && rig_kill_shims "$RIG_CTR_ADDRESS"
  rig_stop_all
  if awk -v p="$1" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    rig_unmount_under "$1"
    if [[ ${2:-0} == 1 ]]; then echo "rig: work kept in $1 (umount -R $1 when done)" >&2
    else umount -l "$1" && rmdir "$1"; fi
  fi
}

# rig_teardown_on_exit NAME SCRATCH LOGS [KEEP]: sets a benchmark's exit trap: rig_teardown SCRATCH KEEP, and when the
# script failed a line saying so and where its logs are; INT and TERM exit through it too.
rig_teardown_on_exit() {
  RIG_EXIT_NAME=$1 RIG_EXIT_SCRATCH=$2 RIG_EXIT_LOGS=$3 RIG_EXIT_KEEP=${4:-0}
  trap rig_exit_trap EXIT
  trap 'exit 130' INT TERM
}

rig_exit_trap() {
  local rc=$?
  set +e
  rig_teardown "$RIG_EXIT_SCRATCH" "$RIG_EXIT_KEEP"
  ((rc == 0)) || echo "$RIG_EXIT_NAME: failed; logs in $RIG_EXIT_LOGS" >&2
  exit "$rc"
}

# rig_start_daemon DAEMON ROOT SOCKET CONFIG LOG [extra args...]: pluggable-snapshotter; sets RIG_DAEMON_PID.
rig_start_daemon() {
  local daemon=$1 root=$2 socket=$3 config=$4 log=$5
  shift 5
  "$daemon" --root "$root" --address "$socket" --config "$config" "$@" >"$log" 2>&1 &
  RIG_PIDS+=($!)
  RIG_DAEMON_PID=$!
  rig_wait_socket "$socket" "$RIG_DAEMON_PID" pluggable-snapshotter
}

# rig_start_containerd DIR LOG [PROXY_SOCKET]: a private containerd with root and state under DIR, the daemon as proxy
# snapshotter "pluggable" when PROXY_SOCKET is given; log level from RIG_CONTAINERD_LOG_LEVEL (default info); sets
# RIG_CTR_ADDRESS and RIG_CONTAINERD_PID.
rig_start_containerd() {
  local dir=$1 log=$2 proxy=${3:-}
  RIG_CTR_ADDRESS="$dir/c.sock"
  mkdir -p "$dir"
  cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$RIG_CTR_ADDRESS"
[ttrpc]
  address = "$RIG_CTR_ADDRESS.ttrpc"
[debug]
  level = "${RIG_CONTAINERD_LOG_LEVEL:-info}"
[metrics]
  address = ""
TOML
  if [[ -n $proxy ]]; then
    printf '\n[proxy_plugins.pluggable]\n  type = "snapshot"\n  address = "%s"\n' "$proxy" >>"$dir/config.toml"
  fi
  containerd --config "$dir/config.toml" >"$log" 2>&1 &
  RIG_PIDS+=($!)
  RIG_CONTAINERD_PID=$!
  rig_wait_socket "$RIG_CTR_ADDRESS" "$RIG_CONTAINERD_PID" containerd
}

# rig_kill_shims ADDRESS: shims are daemonized away from containerd; they carry its socket path as -address.
rig_kill_shims() {
  local proc argv
  for proc in /proc/[0-9]*; do
    argv=$({ tr '\0' '\n' <"$proc/cmdline"; } 2>/dev/null) || continue
    if [[ $(head -1 <<<"$argv") == *containerd-shim* ]] && grep -qxF -- "$1" <<<"$argv"; then
      kill -KILL "${proc#/proc/}" 2>/dev/null || true
    fi
  done
}

# rig_stop PID: TERM, up to 5 s, then KILL; drops it from RIG_PIDS.
rig_stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${!RIG_PIDS[@]}"; do [[ ${RIG_PIDS[i]} == "$pid" ]] && unset 'RIG_PIDS[i]'; done
  RIG_PIDS=("${RIG_PIDS[@]}")
  return 0
}

# Stops every process started here, newest first (containerd before the daemon before the registry).
rig_stop_all() {
  local i
  for ((i = ${#RIG_PIDS[@]} - 1; i >= 0; i--)); do rig_stop "${RIG_PIDS[i]}"; done
}

# rig_unmount_under DIR: lazily unmounts every mount below DIR (deepest first), not DIR itself.
rig_unmount_under() {
  awk -v p="$1" 'index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo \
    | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}

# rig_vm KEY PID: a /proc/PID/status value in MiB (VmRSS, VmHWM).
rig_vm() {
  awk -v k="$1:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$2/status" 2>/dev/null || echo "?"
}

# rig_cpu_sample PID: the CPU PID has used so far, as "TOTAL_TICKS tid:comm:ticks ..." (clock ticks; TOTAL from
# /proc/PID/stat, so threads that have exited still count). One grep and one awk: a thread that exits meanwhile is
# skipped quietly. rig_cpu_since feeds it back in.
rig_cpu_sample() {
  grep -H '' "/proc/$1/stat" /proc/"$1"/task/*/stat 2>/dev/null | awk '
    { path = substr($0, 1, index($0, ":") - 1); stat = substr($0, index($0, ":") + 1)
      name = stat; sub(/^[^(]*\(/, "", name); sub(/\)[^)]*$/, "", name); gsub(/[ :]/, "_", name)
      sub(/^.*\) /, "", stat); split(stat, f, " ")   # f[1] is field 3 (state): utime and stime are f[12] and f[13]
      split(path, p, "/")
      if (p[4] == "task") threads = threads sprintf(" %s:%s:%d", p[5], name, f[12] + f[13]); else total = f[12] + f[13] }
    END { printf "%d%s", total, threads }'
}

# rig_cpu_since PID SAMPLE: milliseconds of CPU PID used since SAMPLE (rig_cpu_sample), as "ALL TIERUP": all its
# threads, and the runtime's tier-up compiler thread (".NET Tiered Compilation Worker"), which recompiles hot methods
# in the background and so competes with whatever the node runs at that moment. TIERUP is a lower bound: that thread
# ends after a while idle, and what a thread that ended used no longer shows per thread (ALL still counts it).
rig_cpu_since() {
  local now
  now=$(rig_cpu_sample "$1")
  awk -v before="$2" -v after="$now" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    nb = split(before, b, " "); na = split(after, a, " ")
    for (i = 2; i <= nb; i++) { split(b[i], f, ":"); was[f[1]] = f[3] }
    for (i = 2; i <= na; i++) { split(a[i], f, ":"); if (f[2] ~ /^\.NET_Tiered/) tier += f[3] - (f[1] in was ? was[f[1]] : 0) }
    printf "%.0f %.0f", (a[1] - b[1]) * 1000 / hz, tier * 1000 / hz }'
}
