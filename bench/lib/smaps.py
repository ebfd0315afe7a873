#!/usr/bin/env python3
"""Where a process's resident memory is: /proc/PID/smaps grouped by kind, in MiB, plus threads and GC-ish regions.

Usage: smaps.py PID [LABEL]   prints one block; bench/lazy/run.sh saves it next to the memory rows (logs/smaps-*.txt).
Kinds: file-backed mappings by file type (.so native, .dll ReadyToRun images, other files), anonymous mappings split
by size (>= 64 MiB reservations are the GC's regions range; 8 MiB + guard are thread stacks), [heap] (malloc's main
arena), [stack], io_uring rings and /dev/fuse mappings by name.
"""
import os
import re
import sys
from collections import defaultdict


def kind_of(name, size_kb):
    if name == "":
        if size_kb >= 256 * 1024:
            return "anon: GC region range (>= 256 MiB reservation)"
        if size_kb in (8192, 8196, 1536, 1540, 1024, 1028):
            return "anon: thread-stack-sized (1-8 MiB)"
        if size_kb >= 65536 - 4 and size_kb <= 65536 + 4:
            return "anon: 64 MiB (glibc malloc arena)"
        return "anon: other"
    if name == "[heap]":
        return "[heap] (malloc main arena)"
    if name.startswith("[stack"):
        return "[stack]"
    if "io_uring" in name:
        return "io_uring rings"
    if name.startswith("/dev/fuse") or "fuse" in name and name.startswith("/dev"):
        return "/dev/fuse"
    if name.startswith("/memfd:") or name.startswith("/dev/shm"):
        return "memfd/shm (doublemapped code)"
    if name.endswith(".so") or ".so." in name:
        return "file: native .so"
    if name.endswith(".dll"):
        return "file: managed .dll (R2R images)"
    if name.startswith("["):
        return name
    return "file: other"


def main():
    pid = int(sys.argv[1])
    label = sys.argv[2] if len(sys.argv) > 2 else ""
    rss = defaultdict(int)
    anon = defaultdict(int)
    count = defaultdict(int)
    header = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")
    name, size = "", 0
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if header.match(line):
                parts = line.split(None, 5)
                name = parts[5].strip() if len(parts) > 5 else ""
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                size = (hi - lo) // 1024
                k = kind_of(name, size)
                count[k] += 1
            elif line.startswith("Rss:"):
                rss[kind_of(name, size)] += int(line.split()[1])
            elif line.startswith("Anonymous:"):
                anon[kind_of(name, size)] += int(line.split()[1])
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    threads = os.listdir(f"/proc/{pid}/task")
    names = defaultdict(int)
    for t in threads:
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                names[re.sub(r"\d+", "#", f.read().strip())] += 1
        except OSError:
            pass
    print(f"== {label} pid {pid}: VmRSS {status.get('VmRSS')}, RssAnon {status.get('RssAnon')}, RssFile {status.get('RssFile')}, "
          f"VmHWM {status.get('VmHWM')}, threads {len(threads)}")
    total = sum(rss.values())
    for k in sorted(rss, key=lambda k: -rss[k]):
        print(f"  {rss[k] / 1024:8.1f} MiB rss ({anon[k] / 1024:7.1f} anon) {count[k]:5d} maps  {k}")
    print(f"  {total / 1024:8.1f} MiB total")
    print("  threads: " + ", ".join(f"{n} x{c}" for n, c in sorted(names.items(), key=lambda x: -x[1])))


main()
