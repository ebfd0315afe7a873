#!/usr/bin/env bash
# The main job on local defaults: build pluggable-snapshotter, then drive a real
# containerd 1.6 pull and run through it, and print what happened.
#
#   1. scripts/install-deps.sh and scripts/build.sh
#   2. a busybox image built offline (busybox-static + umoci) in a loopback docker-registry
#   3. the daemon with the repository's plugins.yaml, and a private containerd that
#      loads it as proxy snapshotter "pluggable"
#   4. ctr-remote image rpull (remote-snapshot labels) and ctr image pull (classic path)
#   5. ctr run of each image printing a file, and ctr snapshots info of a layer
#
# Everything lives on a private tmpfs under .demo/ and is stopped, unmounted and
# removed at exit, also on failure. Logs are kept in out/demo/. Run as root on Debian 12.
#
# Usage: scripts/demo.sh [--skip-install] [--skip-build]
# Environment: PSNAP_DAEMON overrides the daemon executable (default out/host/pluggable-snapshotter),
#              PSNAP_CONFIG the plugins.yaml (default: the repository's plugins.yaml).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
skip_install=0
skip_build=0
for arg in "$@"; do
  case "$arg" in
    --skip-install) skip_install=1 ;;
    --skip-build) skip_build=1 ;;
    *) echo "demo: unknown argument $arg (expected --skip-install, --skip-build)" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "demo: run as root (containerd, overlay mounts)" >&2; exit 1; }

# Shared with the benchmarks: free ports, socket waits, containerd shim cleanup.
# shellcheck source=../bench/lib/rig.sh
source "$repo/bench/lib/rig.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
fail() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

demo="$repo/.demo"
logs="$repo/out/demo"
snapshotter=pluggable
namespace=demo
summary=()

# ---------------------------------------------------------------- cleanup
cleanup() {
  local rc=$?
  set +e
  if [[ -n ${ctr_address:-} ]]; then
    rig_kill_shims "$ctr_address"
    if [[ -d $demo/runc/$namespace ]]; then
      for c in "$demo/runc/$namespace"/*; do
        [[ -e $c ]] && runc --root "$demo/runc/$namespace" delete --force "$(basename "$c")" >/dev/null 2>&1
      done
    fi
  fi
  rig_stop_all # newest first: containerd, the daemon, the registry
  if [[ -d $demo ]]; then
    awk -v p="$demo" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo \
      | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rmdir "$demo" 2>/dev/null
  fi
  if ((rc != 0)); then
    echo "demo: logs in $logs (daemon.log, containerd.log, registry.log)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- 1. install and build
if ((skip_install)); then
  step "1. dependencies: skipped (--skip-install)"
else
  step "1. installing dependencies (scripts/install-deps.sh)"
  "$repo/scripts/install-deps.sh"
fi
if ((skip_build)); then
  step "   build: skipped (--skip-build)"
else
  step "   building the daemon and plugins (scripts/build.sh)"
  t=$(now)
  "$repo/scripts/build.sh"
  summary+=("build:           scripts/build.sh in $(elapsed "$t")")
fi
daemon="${PSNAP_DAEMON:-$repo/out/host/pluggable-snapshotter}"
[[ -x $daemon ]] || fail "$daemon not found or not executable (run scripts/build.sh)"

# A fresh tmpfs for every root: registry storage, daemon root, containerd root and state.
if [[ -d $demo ]] && awk -v p="$demo" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; then
  fail "$demo is still mounted (another demo running?); unmount it first"
fi
mkdir -p "$demo" "$logs"
mount -t tmpfs -o size=4g,mode=0755 psnap-demo "$demo"
rm -f "$logs"/*.log

# ---------------------------------------------------------------- 2. image and registry
step "2. building a busybox image offline and pushing it to a loopback docker-registry"
rig_start_registry "$demo/registry" "$logs/registry.log" || fail "docker-registry did not start (see $logs/registry.log)"
registry=$RIG_REGISTRY
note "registry: http://$registry (storage on tmpfs)"

oci="$demo/image/oci"
bundle="$demo/image/bundle"
mkdir -p "$demo/image"
umoci init --layout "$oci"
umoci new --image "$oci:base"
umoci unpack --image "$oci:base" "$bundle"
rootfs="$bundle/rootfs"
mkdir -p "$rootfs"/{bin,dev,etc,proc,root,sys,tmp,usr/bin,var}
chmod 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"
umoci repack --image "$oci:base" "$bundle"
rm -rf "$bundle"

# Three tags with their own top layer, so each pull path prepares its own snapshots.
for tag in lazy rpull pull; do
  umoci unpack --image "$oci:base" "$bundle"
  printf 'hello from pluggable-snapshotter (pulled with %s)\n' "$tag" >"$bundle/rootfs/etc/message"
  umoci repack --image "$oci:$tag" "$bundle"
  rm -rf "$bundle"
  umoci config --image "$oci:$tag" --config.env PATH=/bin:/usr/bin --config.cmd /bin/cat --config.cmd /etc/message
  skopeo copy --quiet --dest-tls-verify=false "oci:$oci:$tag" "docker://$registry/demo/busybox:$tag"
  note "pushed $registry/demo/busybox:$tag (2 layers: busybox-static, /etc/message)"
done
summary+=("image:           busybox-static + /etc/message, 2 layers, built offline, in docker-registry at $registry")

# A SOCI-enabled copy of the lazy tag: zTOCs for both layers (64 KiB spans), a v2 index bound through the manifest.
psoci="$repo/out/cli/psoci"
[[ -x $psoci ]] || fail "$psoci not found (run scripts/build.sh)"
"$psoci" convert --plain-http --quiet --min-layer-size 0 --span-size 65536 "$registry/demo/busybox:lazy" "$registry/demo/busybox:lazy-soci" \
  || fail "psoci convert"
note "psoci convert: $registry/demo/busybox:lazy-soci is SOCI-enabled (index: $("$psoci" index list --plain-http "$registry/demo/busybox:lazy-soci" 2>/dev/null | head -1))"
summary+=("soci:            psoci convert made demo/busybox:lazy-soci (SOCI index v2, zTOC per layer)")

# ---------------------------------------------------------------- 3. daemon and containerd
config="${PSNAP_CONFIG:-$repo/plugins.yaml}"
step "3. starting pluggable-snapshotter ($config) and a private containerd"
psnap_root="$demo/psnap"
psnap_socket="$demo/psnap.sock"
rig_start_daemon "$daemon" "$psnap_root" "$psnap_socket" "$config" "$logs/daemon.log" --log-level debug \
  || fail "pluggable-snapshotter did not serve $psnap_socket (see $logs/daemon.log)"
note "daemon: pid $RIG_DAEMON_PID, root $psnap_root, socket $psnap_socket"

RIG_CONTAINERD_LOG_LEVEL=debug rig_start_containerd "$demo/containerd" "$logs/containerd.log" "$psnap_socket" \
  || fail "containerd did not start (see $logs/containerd.log)"
ctr_address=$RIG_CTR_ADDRESS
ctr() { command ctr --address "$ctr_address" -n "$namespace" "$@"; }
ctr_remote() { command ctr-remote --address "$ctr_address" -n "$namespace" "$@"; }
ctr plugins ls | grep -E "^TYPE|$snapshotter" | sed 's/^/   /'
summary+=("containerd:      $(containerd --version | awk '{print $3}'), private (root/state on tmpfs), proxy_plugins.$snapshotter -> $psnap_socket")

# ---------------------------------------------------------------- 4. pulls
step "4. ctr-remote image rpull of the SOCI-enabled image: layers are FUSE-mounted, file data fetched on demand"
t=$(now)
ctr_remote image rpull --plain-http --snapshotter "$snapshotter" "$registry/demo/busybox:lazy-soci" || fail "ctr-remote image rpull (lazy)"
fuse_mounts=$(grep -c "fuse.pluggable-soci" /proc/self/mountinfo || true)
note "FUSE mounts of lazily served layers: $fuse_mounts"
summary+=("lazy rpull:      ctr-remote image rpull of demo/busybox:lazy-soci: ok in $(elapsed "$t"), $fuse_mounts layers lazily mounted (FUSE)")

step "4a. ctr-remote image rpull --plain-http --snapshotter $snapshotter (sends the remote-snapshot labels)"
t=$(now)
ctr_remote image rpull --plain-http --snapshotter "$snapshotter" "$registry/demo/busybox:rpull" || fail "ctr-remote image rpull"
summary+=("rpull:           ctr-remote image rpull of demo/busybox:rpull: ok in $(elapsed "$t")")

step "4b. ctr image pull --plain-http --snapshotter $snapshotter (classic path, no labels)"
t=$(now)
ctr image pull --plain-http --snapshotter "$snapshotter" "$registry/demo/busybox:pull" || fail "ctr image pull"
summary+=("pull:            ctr image pull of demo/busybox:pull: ok in $(elapsed "$t")")

# ---------------------------------------------------------------- 5. run and inspect
step "5. ctr run: each image prints /etc/message"
for tag in lazy-soci rpull pull; do
  out=$(ctr run --rm --snapshotter "$snapshotter" --runc-root "$demo/runc" "$registry/demo/busybox:$tag" "demo-$tag" cat /etc/message) \
    || fail "ctr run of demo/busybox:$tag"
  note "demo/busybox:$tag printed: $out"
  [[ $out == *"pulled with ${tag%-soci}"* ]] || fail "demo/busybox:$tag printed '$out', expected its message"
  summary+=("$(printf '%-17s' "run ($tag):")ctr run printed \"$out\"")
done

step "   ctr snapshots --snapshotter $snapshotter ls"
ctr snapshots --snapshotter "$snapshotter" ls | sed 's/^/   /'
# The labels our daemon sets (backend, chain) show through containerd's Stat, merged with containerd's own.
our_labels() {
  python3 -c '
import json, sys
labels = json.load(sys.stdin).get("Labels") or {}
mine = {k: v for k, v in labels.items() if "pluggable" in k or "backend" in k or "chain" in k}
print(", ".join(f"{k}={v}" for k, v in sorted(mine.items())))'
}
mapfile -t committed < <(ctr snapshots --snapshotter "$snapshotter" ls | awk '$NF == "Committed" { print $1 }')
((${#committed[@]} > 0)) || fail "no committed snapshots in $snapshotter after two pulls"
layer=${committed[0]}
for key in "${committed[@]}"; do
  labels=$(ctr snapshots --snapshotter "$snapshotter" info "$key" | our_labels)
  summary+=("$(printf '%-17s' "layer ${key:7:9}:")${labels:-no backend label (containerd applied the layer)}")
  if [[ -n $labels && -z ${labelled:-} ]]; then labelled=$key; fi
done
layer=${labelled:-$layer}
step "   ctr snapshots --snapshotter $snapshotter info ${layer:0:19}... (a layer; its labels name the backend that made it)"
ctr snapshots --snapshotter "$snapshotter" info "$layer" | sed 's/^/   /'
summary+=("snapshots:       ${#committed[@]} committed in $snapshotter")
summary+=("daemon root:     $(find "$psnap_root/snapshots" -mindepth 1 -maxdepth 1 -type d | wc -l) snapshot directories under $psnap_root/snapshots")

# ---------------------------------------------------------------- summary
step "summary"
for line in "${summary[@]}"; do note "$line"; done
note "logs:            $logs/{daemon,containerd,registry}.log"
note "cleanup:         containerd, daemon and registry stopped, mounts under $demo removed at exit"
printf '\ndemo: OK\n'
