#!/usr/bin/env python3
"""How much a pre-zeroed segment would cut the cost of a group's fdatasync.

Usage: prezero-sync.py [DIR]   (default /tmp/iris-bench-data; DIR must be on the disk to measure)

Times N appending 128 KiB pwrite + fdatasync pairs (a typical 1 KiB x 256-producer group) into a
64 MiB file that was (a) preallocated with posix_fallocate, as iris segments are, or (b) filled
with zeroes and synced first, so each sync flushes data only and converts no unwritten extents.
Two rounds of each, alternated. Python 3 standard library only.
"""
import os
import sys
import time

SIZE = 64 << 20
GROUP = 128 << 10
N = 400


def run(directory, kind):
    path = os.path.join(directory, f"prezero-sync-{kind}")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        if kind == "fallocate":
            os.posix_fallocate(fd, 0, SIZE)
        else:
            zeroes = bytes(1 << 20)
            for index in range(SIZE >> 20):
                os.pwrite(fd, zeroes, index << 20)
        os.fsync(fd)
        group = os.urandom(GROUP)
        latencies = []
        start = time.perf_counter()
        for index in range(N):
            t0 = time.perf_counter()
            os.pwrite(fd, group, index * GROUP)
            os.fdatasync(fd)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()
    return (f"{kind:9s} 128 KiB pwrite+fdatasync: {N / elapsed:6.0f}/s  "
            f"p50 {latencies[N // 2] * 1e6:4.0f} us  p99 {latencies[int(N * 0.99)] * 1e6:4.0f} us")


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/iris-bench-data"
    os.makedirs(directory, exist_ok=True)
    for _ in range(2):
        for kind in ("fallocate", "prezeroed"):
            print(run(directory, kind), flush=True)


if __name__ == "__main__":
    main()
