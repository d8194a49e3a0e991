"""Where irisd's memory per MQTT connection goes: the accepted channel alone, then the session.

Starts irisd on free ports, opens N TCP connections that send nothing (the edge holds a NIO channel,
its handler and receive buffer, no router state), measures, then sends CONNECT (clean session 1) on
each and waits for every CONNACK (the router's session and connection state, the connect record),
and measures again. irisd's connect timeout (10 s) bounds the first step, so N stays small
(default 5,000; needs N + 100 descriptors here).
    python3 Tools/million/edge_split.py [--irisd PATH] [--connections N]
Prints one JSON object: bytes per connection (RSS and smaps_rollup Anonymous deltas / N) for each step.
"""

import argparse
import json
import os
import socket
import struct
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("Rss", "Anonymous"):
                out[key] = int(line.split()[1]) * 1024
    return out


def per_connection(after, before, n):
    return {key: round((after[key] - before[key]) / n, 1) for key in before}


def measure(n, port, pid):
    time.sleep(1)
    base = memory(pid)
    sockets = []
    for i in range(n):
        s = socket.socket()
        s.bind((f"127.0.0.{2 + i % 4}", 0))
        s.connect(("127.0.0.1", port))
        sockets.append(s)
    time.sleep(2)
    accepted = memory(pid)
    for i, s in enumerate(sockets):
        client = f"split-{i}".encode()
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", len(client)) + client
        s.sendall(bytes([0x10, len(body)]) + body)
    for s in sockets:
        s.settimeout(30)
        if s.recv(4)[:2] != b"\x20\x02":
            raise SystemExit("edge_split: a CONNECT was not answered with CONNACK")
    time.sleep(2)
    session = memory(pid)
    for s in sockets:
        s.close()
    return {"connections": n, "accepted_channel_bytes_per_connection": per_connection(accepted, base, n),
            "session_bytes_per_connection": per_connection(session, accepted, n),
            "total_bytes_per_connection": per_connection(session, base, n)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--irisd", default=os.path.join(ROOT, ".build", "release", "irisd"))
    parser.add_argument("--connections", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iris-edge-split-") as data:
        port = free_port()
        process = subprocess.Popen(
            [args.irisd, "serve", "--data", data, "--id", "1", "--cluster", f"1=127.0.0.1:{free_port()}",
             "--mqtt", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise SystemExit("edge_split: irisd did not start serving MQTT within 60 s")
                    time.sleep(0.2)
            print(json.dumps(measure(args.connections, port, process.pid)))
        finally:
            process.terminate()
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
