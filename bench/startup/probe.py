#!/usr/bin/env python3
"""Starts the daemon and prints the seconds from exec to the first accepted connection on its socket, and the CPU
seconds (user + system, all threads) the daemon had used by then: on a shared machine the CPU figure moves less.

Polls every millisecond; the daemon publishes the socket (renames it into place) only once the snapshotter is ready,
so the first successful connect is the moment containerd could use it.
Usage: probe.py SOCKET TIMEOUT_S [--log FILE] -- DAEMON ARGS...   (the daemon's output goes to FILE, else nowhere)
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
    log = open(sys.argv[sys.argv.index("--log") + 1], "wb") if "--log" in sys.argv[:sys.argv.index("--")] else subprocess.DEVNULL
    daemon = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        while True:
            client = socket.socket(socket.AF_UNIX)
            try:
                client.connect(path)
                elapsed = time.monotonic() - start
                with open(f"/proc/{daemon.pid}/stat", encoding="ascii") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
                print(f"{elapsed:.4f} {cpu:.2f}")
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
