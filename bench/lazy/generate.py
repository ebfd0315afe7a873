#!/usr/bin/env python3
"""Writes the layers of bench/lazy's images as uncompressed tars, deterministically (same seed, same bytes).

  small: ~215 MB in 6 layers, 20k files of 1-20 KB, about 2:1 compressible (text-like runs between random ones)
  large: ~1 GB in 3 layers of 4-24 MiB files, mostly incompressible (random, with a little text)

Layer 0 of each also carries a static busybox (/bin/busybox and its applets), so `ctr run` has sh, find and cat.
Every layer stays above psoci's default --min-layer-size (10 MB) once gzipped, so every layer gets a zTOC.
Usage: generate.py small|large SEED OUTDIR   (writes OUTDIR/layer-N.tar, prints their paths)
"""
import io
import os
import random
import subprocess
import sys
import tarfile

MTIME = 1_700_000_000
WORDS = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua\n"


def text_like(rng: random.Random, size: int) -> bytes:
    """Half random bytes, half repeated words: gzip gets it to about half its size, as with typical files."""
    out = bytearray()
    while len(out) < size:
        run = rng.randint(256, 4096)
        if rng.random() < 0.5:
            out += rng.randbytes(run)
        else:
            out += (WORDS * (run // len(WORDS) + 1))[:run]
    return bytes(out[:size])


def mostly_random(rng: random.Random, size: int) -> bytes:
    """Random bytes with a text run every 1 MiB: gzip saves a few percent, like media or compressed archives."""
    out = bytearray()
    while len(out) < size:
        out += rng.randbytes(1 << 20)
        out += WORDS * 64
    return bytes(out[:size])


def add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, MTIME
    tar.addfile(info)


def add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, MTIME
    tar.addfile(info, io.BytesIO(data))


def add_busybox(tar: tarfile.TarFile) -> None:
    for directory in ("bin", "dev", "etc", "proc", "sys", "root", "var"):
        add_dir(tar, directory)
    add_dir(tar, "tmp", 0o1777)
    with open("/bin/busybox", "rb") as f:
        add_file(tar, "bin/busybox", f.read(), 0o755)
    applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet == "busybox":
            continue
        info = tarfile.TarInfo(f"bin/{applet}")
        info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, "busybox", 0o777, MTIME
        tar.addfile(info)
    add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    add_file(tar, "etc/group", b"root:x:0:\n")


def small_layer(tar: tarfile.TarFile, rng: random.Random, layer: int) -> None:
    files, total = 20_000 // 6 + (1 if layer < 20_000 % 6 else 0), 215_000_000 // 6
    average = total // files
    root = f"data/small{layer}"
    add_dir(tar, "data")
    add_dir(tar, root)
    for d in range(40):
        add_dir(tar, f"{root}/d{d:02d}")
    for i in range(files):
        size = max(1024, min(2 * average - 1024, int(rng.gauss(average, average / 2))))
        add_file(tar, f"{root}/d{i % 40:02d}/f{i:05d}.txt", text_like(rng, size))


def large_layer(tar: tarfile.TarFile, rng: random.Random, layer: int) -> None:
    total, written, i = 1_000_000_000 // 3, 0, 0
    root = f"data/large{layer}"
    add_dir(tar, "data")
    add_dir(tar, root)
    while written < total:
        size = min(total - written, rng.randint(4, 24) << 20)
        add_file(tar, f"{root}/blob{i:03d}.bin", mostly_random(rng, size))
        written, i = written + size, i + 1


def main() -> int:
    kind, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    layers, write = {"small": (6, small_layer), "large": (3, large_layer)}[kind]
    os.makedirs(out, exist_ok=True)
    for layer in range(layers):
        path = os.path.join(out, f"layer-{layer}.tar")
        rng = random.Random(seed * 1000 + layer)
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
            if layer == 0:
                add_busybox(tar)
            write(tar, rng, layer)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
