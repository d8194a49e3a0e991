#!/usr/bin/env python3
"""How much writing zeroes ahead of the writer cuts the cost of a group's fdatasync.

Usage: prezero-sync.py [DIR [GROUP_KIB ...]]   (default /tmp/iris-bench-data, groups 4 and 128 KiB;
DIR must be on the disk to measure)

Times N appending pwrite + fdatasync pairs (4 KiB: a lone 1 KiB producer's group; 128 KiB: a typical
1 KiB x 256-producer group) into a 64 MiB file that was
  (a) preallocated with posix_fallocate, as iris segments were before zero-ahead: each sync also
      commits the conversion of the unwritten extents the group landed in;
  (b) filled with zeroes and synced first, so each sync flushes data only;
  (c) preallocated, with zeroes written ahead of the writer in CHUNK steps inside the group's own
      write (what the log does, SPEC.md §2.2): one sync in CHUNK/GROUP pays for a conversion.
Rounds alternate. Python 3 standard library only.
"""
import os
import sys
import time

SIZE = 64 << 20
N = 400


def prepare(fd, kind):
    if kind == "prezeroed":
        zeroes = bytes(1 << 20)
        for index in range(SIZE >> 20):
            os.pwrite(fd, zeroes, index << 20)
    else:
        os.posix_fallocate(fd, 0, SIZE)
    os.fsync(fd)


def run(directory, kind, group_bytes, chunk=0):
    label = kind if not chunk else f"ahead {chunk >> 10}K"
    path = os.path.join(directory, "prezero-sync-test")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        prepare(fd, kind)
        group = os.urandom(group_bytes)
        zeroes = bytes(chunk)
        frontier = 0
        latencies = []
        start = time.perf_counter()
        for index in range(N):
            position = index * group_bytes
            t0 = time.perf_counter()
            if chunk and position + group_bytes > frontier:
                # The group and the zeroes after it in one call, as the log's writer does.
                frontier = min(SIZE, max(frontier, position + group_bytes) + chunk)
                tail = frontier - position - group_bytes
                os.pwritev(fd, [group, memoryview(zeroes)[:tail]], position)
            else:
                os.pwrite(fd, group, position)
            os.fdatasync(fd)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()
    return (f"{group_bytes >> 10:4d} KiB {label:10s} pwrite+fdatasync: {N / elapsed:6.0f}/s  "
            f"p50 {latencies[N // 2] * 1e6:5.0f} us  p99 {latencies[int(N * 0.99)] * 1e6:5.0f} us")


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/iris-bench-data"
    groups = [int(arg) << 10 for arg in sys.argv[2:]] or [4 << 10, 128 << 10]
    os.makedirs(directory, exist_ok=True)
    for _ in range(2):
        for group_bytes in groups:
            for kind, chunk in (("fallocate", 0), ("prezeroed", 0), ("fallocate", 256 << 10),
                                ("fallocate", 1 << 20), ("fallocate", 4 << 20)):
                print(run(directory, kind, group_bytes, chunk), flush=True)


if __name__ == "__main__":
    main()
