#!/usr/bin/env python3
"""Starts the daemon and prints the seconds from exec to the first accepted connection on its socket.

Polls every millisecond; the daemon publishes the socket (renames it into place) only once the snapshotter is ready,
so the first successful connect is the moment containerd could use it.
Usage: probe.py SOCKET TIMEOUT_S -- DAEMON ARGS...
"""
import os
import socket
import subprocess
import sys
import time


def main() -> int:
    path, timeout = sys.argv[1], float(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            client = socket.socket(socket.AF_UNIX)
            try:
                client.connect(path)
                print(f"{time.monotonic() - start:.4f}")
                return 0
            except OSError:
                pass
            finally:
                client.close()
            if daemon.poll() is not None:
                print(f"daemon exited with {daemon.returncode} before serving {path}", file=sys.stderr)
                return 1
            if time.monotonic() - start > timeout:
                print(f"no connection on {path} within {timeout}s", file=sys.stderr)
                return 1
            time.sleep(0.001)
    finally:
        daemon.terminate()
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


if __name__ == "__main__":
    sys.exit(main())
