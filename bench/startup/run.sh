#!/usr/bin/env bash
# Daemon start-up (issue 10): seconds from exec to the first accepted connection on the socket, with no plugins
# (plugins: []) and with the repository's plugins.yaml (soci, estargz, parallel-pull, local), on a fresh root each run.
# Prints median and max of N runs, wall and CPU (user + system of the daemon by then), and the daemon's own
# phase breakdown (its "start-up:" log line) of the last run of each. Roots live on a private tmpfs, so the figures
# are the daemon's, not a disk's fsync (a fresh metadata.db is created with synchronous=FULL).
# Usage: bench/startup/run.sh [--runs N] [--daemon PATH]   (root; builds out/ when the daemon is missing)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs=10
daemon="$repo/out/host/pluggable-snapshotter"
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --daemon) daemon=$2; shift 2 ;;
    *) echo "bench/startup: unknown argument $1 (--runs N, --daemon PATH)" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "bench/startup: run as root (tmpfs)" >&2; exit 1; }
[[ -x $daemon && -d $repo/out/plugins/soci ]] || "$repo/scripts/build.sh"

scratch=$(mktemp -d /tmp/psnap-startup.XXXXXX)
mount -t tmpfs -o size=256m psnap-startup "$scratch"
trap 'umount -l "$scratch"; rmdir "$scratch"' EXIT
printf 'plugins: []\n' >"$scratch/none.yaml"

# measure LABEL CONFIG: N runs, each with a fresh root; the last run's log is kept for its start-up line.
measure() {
  local label=$1 config=$2 i
  for ((i = 1; i <= runs; i++)); do
    rm -rf "$scratch/root" "$scratch/daemon.log"
    python3 "$repo/bench/startup/probe.py" "$scratch/s.sock" 30 --log "$scratch/daemon.log" -- \
      "$daemon" --root "$scratch/root" --address "$scratch/s.sock" --config "$config"
  done | python3 -c '
import statistics, sys
label = sys.argv[1]
wall, cpu = zip(*((float(a), float(b)) for a, b in (line.split() for line in sys.stdin)))
print(f"{label:<34} wall median {statistics.median(wall):.3f} s, max {max(wall):.3f} s;"
      f" CPU median {statistics.median(cpu):.2f} s, max {max(cpu):.2f} s ({len(wall)} runs)")' "$label"
  sed -n 's/.*start-up: /    last run: /p' "$scratch/daemon.log"
  # Mounts a plugin may leave on a fresh root (none expected): keep the tmpfs removable.
  awk -v p="$scratch/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r umount -l
}

echo "bench/startup: $daemon, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
measure "no plugins (plugins: [])" "$scratch/none.yaml"
measure "plugins.yaml (soci, estargz, parallel-pull, local)" "$repo/plugins.yaml"
echo "target: <= 0.2 s with no plugins"
