#!/bin/sh
# Builds a small busybox image as an OCI layout, fully offline: make-image.sh WORKDIR
# Layers: (1) busybox-static with its applet links, (2) 2 MB of random data and a text file.
set -eu
work="$1"
cd "$work"
mkdir -p one/bin two/data two/etc
cp /usr/bin/busybox one/bin/busybox
for applet in sh echo cat ls sha256sum true; do ln -sf busybox "one/bin/$applet"; done
head -c 2000000 /dev/urandom > two/data/random.bin
seq 1 200000 > two/etc/numbers.txt
umoci init --layout layout
umoci new --image layout:latest
umoci insert --image layout:latest one / >/dev/null
umoci insert --image layout:latest two / >/dev/null
umoci config --image layout:latest --config.cmd /bin/sh --config.env PATH=/bin
# The same layers as an arm64 image, for multi-platform conversions.
umoci config --image layout:latest --tag arm64 --architecture arm64
umoci gc --layout layout
