#!/usr/bin/env bash
# Runs containerd's snapshotter conformance suite (and our bad-input checks) against
# pluggable-snapshotter, in two modes:
#   direct      the suite talks to the daemon's socket (containerd's proxy client),
#               plus bad-input and serving checks (badinput_test.go, socket_test.go)
#   containerd  the suite goes through a private containerd 1.6 that loads the
#               daemon as proxy_plugins.pluggable
# Each test starts its own daemon (and containerd) with a fresh root on a private
# tmpfs, and stops it in cleanup. Needs root, Debian's golang-go and
# golang-github-containerd-containerd-dev, containerd; see scripts/install-deps.sh.
#
# Usage: tests/conformance/run.sh [--mode direct|containerd|all] [--daemon PATH] [--reference] [-v]
#   --daemon PATH  executable or .dll to test (default: out/host/pluggable-snapshotter,
#                  published by scripts/build.sh)
#   --reference    test containerd's own overlayfs snapshotter served by refsnapshotter/
#                  instead: proves the harness itself
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
mode=all
daemon="${PSNAP_DAEMON:-$repo/out/host/pluggable-snapshotter}"
reference=0
verbose=()
while (($#)); do
  case "$1" in
    --mode) mode="$2"; shift 2 ;;
    --daemon) daemon="$2"; shift 2 ;;
    --reference) reference=1; shift ;;
    -v) verbose=(-v); shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$mode" in direct|containerd|all) ;; *) echo "run.sh: --mode must be direct, containerd or all" >&2; exit 2 ;; esac
[[ $EUID -eq 0 ]] || { echo "run.sh: must run as root (overlay mounts, containerd)" >&2; exit 1; }

# GOPATH mode against Debian's containerd 1.6 sources and their dependencies.
export GO111MODULE=off GOFLAGS= GOPATH=/usr/share/gocode
export GOCACHE="${GOCACHE:-$repo/out/gocache}"
cd "$here"

# A private tmpfs for every root the tests create: the root fs is slow, and a
# lazy unmount at exit takes whatever a crashed test left behind with it.
scratch="$(mktemp -d /tmp/psnap-conformance.XXXXXX)"
cleanup() {
  local rc=$?
  # Anything still mounted below the scratch dir (deepest first), then the tmpfs.
  awk -v p="$scratch" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo \
    | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rmdir "$scratch" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
mount -t tmpfs -o size=4g,mode=0755 psnap-conformance "$scratch"
export TMPDIR="$scratch"

if ((reference)); then
  mkdir -p "$repo/out/conformance"
  go build -o "$repo/out/conformance/refsnapshotter" ./refsnapshotter
  daemon="$repo/out/conformance/refsnapshotter"
fi
[[ -e "$daemon" ]] || { echo "run.sh: $daemon not found: run scripts/build.sh first (or pass --daemon)" >&2; exit 1; }
export PSNAP_DAEMON="$daemon"
echo "conformance: testing $daemon"

status=0
if [[ $mode == direct || $mode == all ]]; then
  echo "== direct: containerd's snapshotter suite and bad-input checks over the daemon's socket"
  go test -count=1 -timeout 15m "${verbose[@]}" -run 'TestSnapshotterOverSocket|^Test[A-Za-z0-9]+_[A-Za-z0-9]+_[A-Za-z0-9]+$' . || status=1
fi
if [[ $mode == containerd || $mode == all ]]; then
  echo "== containerd: the same suite through a private containerd 1.6 with the daemon as proxy plugin"
  go test -count=1 -timeout 15m "${verbose[@]}" -run 'TestSnapshotterThroughContainerd' . || status=1
fi
exit "$status"
