#!/usr/bin/env python3
"""Waits until the soci backend reports every layer of an image local, and prints the seconds since START.

The backend writes <daemon root>/plugins/soci/status.json:
  {"layers":[{"digest":"sha256:...","state":"lazy|filling|local|failed","bytes_local":N,"bytes_total":N}]}
Prints the elapsed seconds, or "failed" (a layer failed), or "timeout" (not all local within TIMEOUT_S),
or "n/a" when the file never appeared (a backend without background fill).
Usage: fill.py STATUS_JSON START_EPOCH TIMEOUT_S DIGEST...
"""
import json
import sys
import time


def main() -> int:
    path, start, timeout, digests = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), set(sys.argv[4:])
    seen = False
    while time.time() - start < timeout:
        try:
            with open(path, encoding="utf-8") as f:
                layers = {layer["digest"]: layer for layer in json.load(f).get("layers", [])}
            seen = True
        except (OSError, ValueError):
            layers = {}  # not written yet, or caught mid-write: look again
        states = [layers.get(d, {}).get("state") for d in digests]
        if any(state == "failed" for state in states):
            print("failed")
            return 0
        if states and all(state == "local" for state in states):
            print(f"{time.time() - start:.2f}")
            return 0
        time.sleep(0.1)
    print("timeout" if seen else "n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
