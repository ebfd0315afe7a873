#!/bin/bash
# Builds the tar corpus with real tools (GNU tar, Python tarfile, busybox tar, umoci = Go archive/tar) into $1.
# Each archive is <form>.tar; <form>.reject marks forms containerd's applier refuses. Root only (owners, devices,
# trusted.* and security.* xattrs). The source trees are made under $1/src-*.
set -euo pipefail
out=$1
cd "$out"

# The full tree: binary xattrs (the issue's value has a newline byte), capabilities, owners, long and non-UTF-8 names,
# long link targets, hard links, fifos, devices, setuid/sticky modes, nanosecond times.
mk_full() {
  local s=$1
  mkdir -p "$s/dir" "$s/sticky"
  printf 'hello\n' > "$s/plain.txt"
  printf 'x%.0s' {1..3000} > "$s/dir/data.bin"
  printf 'xattr file' > "$s/xattr.bin"
  setfattr -n user.bin -v 0x000102030405060708090a0b0c0d0e0f "$s/xattr.bin"
  setfattr -n trusted.blob -v 0x0a00ff0a "$s/xattr.bin"
  setfattr -n user.text -v "line1
line2" "$s/xattr.bin"
  printf '#!/bin/sh\n' > "$s/ping"
  setcap cap_net_raw,cap_net_admin+ep "$s/ping"
  setfattr -n user.dirattr -v 0x0aff "$s/dir"
  local long=aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee
  mkdir -p "$s/$long/$long"
  printf 'deep' > "$s/$long/$long/${long}ffffffffff.txt"
  printf 'latin1' > "$s/caf$(printf '\xe9')-$(printf '\xff\xfe')"
  mkdir -p "$s/$(printf '\xff')$long/$long"
  printf 'long non-utf8' > "$s/$(printf '\xff')$long/$long/$(printf '\xfe')$long"
  ln -s "$long/$long/$long/$long/target-that-does-not-exist" "$s/longlink"
  ln -s plain.txt "$s/shortlink"
  printf 'linked' > "$s/dir/original"
  ln "$s/dir/original" "$s/hardlink-a"
  ln "$s/dir/original" "$s/dir/hardlink-b"
  mkfifo "$s/fifo"
  mknod "$s/null" c 1 3
  mknod "$s/loop" b 7 200
  chown 1234:5678 "$s/plain.txt"
  chown -h 42:43 "$s/shortlink"
  printf 'big ids' > "$s/bigid"
  chown 3000000:3000001 "$s/bigid"
  chmod 4755 "$s/ping"
  chmod 2750 "$s/dir"
  chmod 1777 "$s/sticky"
  chmod 0600 "$s/dir/data.bin"
  touch -h -d '2021-03-04 05:06:07.123456789' "$s/plain.txt" "$s/xattr.bin" "$s/shortlink" "$s/fifo"
  touch -d '1999-12-31 23:59:59' "$s/dir/data.bin"
}

# What ustar can hold: names split at the prefix, octal ids, no xattrs.
mk_ustar() {
  local s=$1
  local mid=mmmmmmmmmmnnnnnnnnnnoooooooooopppppppppp
  mkdir -p "$s/$mid/$mid/$mid"
  printf 'prefixed' > "$s/$mid/$mid/$mid/file-with-a-name-of-its-own.txt"
  printf 'plain' > "$s/plain"
  ln "$s/plain" "$s/$mid/hard"
  ln -s plain "$s/sym"
  mkfifo "$s/fifo"
  mknod "$s/zero" c 1 5
  chown 1000:1000 "$s/plain"
  touch -d '2010-01-01 00:00:00' "$s/plain"
}

# Sparse files: holes at the start, in the middle and at the end; one all hole.
mk_sparse() {
  local s=$1
  mkdir -p "$s"
  truncate -s 8M "$s/holes"
  printf 'start' | dd of="$s/holes" bs=1 seek=0 conv=notrunc status=none
  printf 'middle' | dd of="$s/holes" bs=1 seek=3000000 conv=notrunc status=none
  printf 'late' | dd of="$s/holes" bs=1 seek=6000000 conv=notrunc status=none
  truncate -s 1M "$s/allhole"
  printf 'dense' > "$s/dense"
}

mk_simple() {
  local s=$1
  mkdir -p "$s/d/e"
  printf 'one' > "$s/d/one"
  printf 'two' > "$s/d/e/two"
  ln -s ../d/one "$s/d/e/link"
  ln "$s/d/one" "$s/d/hard"
  chmod 0711 "$s/d/e"
  chown 7:8 "$s/d/one"
}

mk_full src-full
mk_ustar src-ustar
mk_sparse src-sparse
mk_simple src-simple

gnutar() { tar --numeric-owner --sort=name "$@"; }
gnutar --xattrs --xattrs-include='*' --format=pax -cf gnu-pax.tar -C src-full .
gnutar --format=gnu -cf gnu-gnu.tar -C src-full .
gnutar --format=ustar -cf gnu-ustar.tar -C src-ustar .
gnutar --format=pax --sparse --sparse-version=1.0 -cf gnu-sparse-1.0.tar -C src-sparse .
gnutar --format=pax --sparse --sparse-version=0.1 -cf gnu-sparse-0.1.tar -C src-sparse .
gnutar --format=pax --sparse --sparse-version=0.0 -cf gnu-sparse-0.0.tar -C src-sparse .
gnutar --format=gnu --sparse -cf gnu-sparse-old.tar -C src-sparse .
touch gnu-sparse-old.reject
busybox tar -cf busybox.tar -C src-simple .

python3 - <<'PY'
import os, tarfile
def add_tree(tf, root, extra_pax=None):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in [dirpath] + sorted(os.path.join(dirpath, f) for f in filenames) + [os.path.join(dirpath, d) for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            arc = os.path.relpath(name, root)
            info = tf.gettarinfo(name, arcname=arc)
            if tf.format == tarfile.PAX_FORMAT:
                for key in os.listxattr(name, follow_symlinks=False):
                    value = os.getxattr(name, key, follow_symlinks=False)
                    info.pax_headers['SCHILY.xattr.' + key] = value.decode('utf-8', 'surrogateescape')
            if info.isreg():
                with open(name, 'rb') as f:
                    tf.addfile(info, f)
            else:
                tf.addfile(info)
with tarfile.open('python-pax.tar', 'w', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'a global header'}) as tf:
    add_tree(tf, 'src-full')
with tarfile.open('python-gnu.tar', 'w', format=tarfile.GNU_FORMAT) as tf:
    add_tree(tf, 'src-full')
with tarfile.open('python-ustar.tar', 'w', format=tarfile.USTAR_FORMAT) as tf:
    add_tree(tf, 'src-ustar')
PY

# Go's archive/tar, through umoci: a layer of the simple tree (umoci repack writes it with Go's tar writer).
rm -rf oci bundle
umoci init --layout oci >/dev/null
umoci new --image oci:base >/dev/null
umoci unpack --image oci:base bundle >/dev/null 2>&1
cp -a src-simple/. bundle/rootfs/
umoci repack --image oci:base bundle >/dev/null 2>&1
layer=$(python3 -c "
import json,sys
idx=json.load(open('oci/index.json'))
m=idx['manifests'][0]['digest'].split(':')[1]
man=json.load(open('oci/blobs/sha256/'+m))
print(man['layers'][-1]['digest'].split(':')[1])")
gzip -dc "oci/blobs/sha256/$layer" > umoci.tar
rm -rf oci bundle
