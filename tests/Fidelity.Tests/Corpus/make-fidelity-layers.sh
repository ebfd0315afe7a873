#!/bin/bash
# Builds, in $1 (the corpus folder, after make-corpus.sh):
# - gnu-pax-utf8.tar and gnu-gnu-utf8.tar: the full tree (src-full) without its names that are not UTF-8, which a zTOC
#   cannot hold (psoci refuses them), so the lazy backend is compared on binary xattrs, long names and links too;
# - whiteout-upper.tar: a layer to put over gnu-pax-utf8.tar that deletes a file, a directory, a fifo and one name of a
#   hard-linked file (.wh.<name>), makes dir/ opaque (.wh..wh..opq) with one new file in it, and adds files and a
#   directory with binary xattrs. GNU tar, pax format.
set -euo pipefail
cd "$1"
rm -rf src-full-utf8
cp -a src-full src-full-utf8
find src-full-utf8 -depth -name "$(printf '*[\x80-\xff]*')" -exec rm -rf {} +
tar --numeric-owner --sort=name --xattrs --xattrs-include='*' --format=pax -cf gnu-pax-utf8.tar -C src-full-utf8 .
tar --numeric-owner --sort=name --format=gnu -cf gnu-gnu-utf8.tar -C src-full-utf8 .

s=src-upper
rm -rf "$s"
mkdir -p "$s/dir" "$s/newdir"
: > "$s/.wh.plain.txt"
: > "$s/.wh.sticky"
: > "$s/.wh.fifo"
chown 5:6 "$s/.wh.fifo"             # containerd gives the whiteout device the whiteout entry's owner
: > "$s/.wh.hardlink-a"
: > "$s/dir/.wh..wh..opq"
printf 'only this is left in dir\n' > "$s/dir/fresh"
printf 'added\n' > "$s/added"
setfattr -n user.added -v 0x0a0d00ff "$s/added"
printf 'in a new dir\n' > "$s/newdir/file"
chown 99:98 "$s/newdir/file"
chmod 2755 "$s/dir"
setfattr -n user.dirattr -v 0x0102 "$s/dir"
touch -h -d '2022-02-02 02:02:02.222222222' "$s/added" "$s/newdir/file" "$s/dir/fresh" "$s/newdir" "$s/dir"
chmod 0750 "$s"                    # "./" says 0750: containerd skips the root entry, so the layer root stays 0755
chown 7:7 "$s"
tar --numeric-owner --sort=name --xattrs --xattrs-include='*' --format=pax -cf whiteout-upper.tar -C "$s" .

# One marker layer per puller, put under every image it pulls: the images then differ in every chain ID, so each puller
# unpacks each layer itself (containerd hands a remote snapshotter's committed snapshot to every namespace that asks).
for puller in containerd local parallel-pull soci; do
  rm -rf "src-marker-$puller"
  mkdir "src-marker-$puller"
  printf '%s\n' "$puller" > "src-marker-$puller/.fidelity-$puller"
  tar --numeric-owner --sort=name --format=pax -cf "marker-$puller.tar" -C "src-marker-$puller" ".fidelity-$puller"
done
