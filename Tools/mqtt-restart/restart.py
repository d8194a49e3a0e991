"""Restart time of irisd's MQTT router with many sessions and much history (issue 11: "opening a node
with 100,000 persistent sessions and 10 GiB of messages takes at most 2 s plus the log's own open").

Method: a single node (8 partitions, given: the method predates the per-core default). N persistent sessions (clean session 0) connect, subscribe to a
filter of their own and disconnect; then publishers store G GiB of QoS 1 messages of B bytes, on topics
those sessions' filters match (so every session has a backlog). Then:
  1. kill -9, restart: from the checkpoints written while loading (every 16,384 records or 64 MiB, and every 30 s);
  2. SIGTERM, restart: from the final checkpoints written at shutdown;
  3. SIGTERM, remove every router-checkpoint file, restart: the whole log is read (the baseline).
Each restart is timed from the process start to the first CONNACK 0, and the node's own log lines
give the split: the partitions' open (log recovery), the wait for a leader, the checkpoints' load and
the records read past them. A client then reconnects a few sessions to check they are all there.
"""

import argparse
import asyncio
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def remaining_length(length):
    out = bytearray()
    while True:
        byte = length % 128
        length //= 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def mqtt_string(text):
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def connect_packet(client_id, clean):
    body = mqtt_string("MQTT") + bytes([4, 0x02 if clean else 0x00]) + (0).to_bytes(2, "big") + mqtt_string(client_id)
    return bytes([0x10]) + remaining_length(len(body)) + body


def subscribe_packet(packet_id, topic_filter, qos):
    body = packet_id.to_bytes(2, "big") + mqtt_string(topic_filter) + bytes([qos])
    return bytes([0x82]) + remaining_length(len(body)) + body


def publish_packet(topic, payload, packet_id):
    body = mqtt_string(topic) + packet_id.to_bytes(2, "big") + payload
    return bytes([0x32]) + remaining_length(len(body)) + body


DISCONNECT = bytes([0xE0, 0])


async def read_packet(reader):
    header = (await reader.readexactly(1))[0]
    multiplier, length = 1, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length += (byte & 0x7F) * multiplier
        multiplier *= 128
        if not byte & 0x80:
            break
    return header, await reader.readexactly(length)


async def open_session(port, client_id, topic_filter):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(connect_packet(client_id, clean=False))
    header, body = await read_packet(reader)
    if header != 0x20 or body[1] != 0:
        raise RuntimeError(f"{client_id}: CONNACK {body!r}")
    writer.write(subscribe_packet(1, topic_filter, 1))
    header, body = await read_packet(reader)
    if header != 0x90 or body[2] != 1:
        raise RuntimeError(f"{client_id}: SUBACK {body!r}")
    writer.write(DISCONNECT)
    await writer.drain()
    writer.close()


async def open_sessions(port, count, topics, concurrency):
    queue = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)

    async def worker():
        while not queue.empty():
            index = queue.get_nowait()
            await open_session(port, f"restart-{index}", f"restart/{index % topics}/#")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def publish(port, client_id, topics, count, payload, window):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(connect_packet(client_id, clean=True))
    header, body = await read_packet(reader)
    if header != 0x20 or body[1] != 0:
        raise RuntimeError(f"{client_id}: CONNACK {body!r}")
    credit = asyncio.Semaphore(window)
    acked = 0
    done = asyncio.Event()

    async def acks():
        nonlocal acked
        while acked < count:
            header, _ = await read_packet(reader)
            if header >> 4 == 4:
                acked += 1
                credit.release()
        done.set()

    ack_task = asyncio.create_task(acks())
    for number in range(count):
        await credit.acquire()
        writer.write(publish_packet(f"restart/{number % topics}/m", payload, number % 65535 + 1))
        if number % 16 == 0:
            await writer.drain()
    await writer.drain()
    await asyncio.wait_for(done.wait(), 600)
    await ack_task
    writer.write(DISCONNECT)
    await writer.drain()
    writer.close()


class Node:
    def __init__(self, irisd, data):
        self.irisd = irisd
        self.data = data
        self.mqtt_port = free_port()
        self.client_port = free_port()
        self.process = None
        self.log_path = os.path.join(data, "irisd.out")

    def start(self):
        """Starts irisd; returns seconds from the start to the first CONNACK 0."""
        started = time.monotonic()
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.irisd, "--data", os.path.join(self.data, "node"), "--id", "1",
                 "--cluster", f"1=127.0.0.1:{self.client_port}", "--partitions", "8",
                 "--mqtt", f"127.0.0.1:{self.mqtt_port}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = started + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"irisd exited with {self.process.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.mqtt_port), timeout=1) as probe:
                    probe.sendall(connect_packet("restart-probe", clean=True))
                    if probe.recv(4)[:4] == bytes([0x20, 2, 0, 0]):
                        probe.sendall(DISCONNECT)
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError("irisd did not serve MQTT within 600 s")

    def stop(self, sig):
        self.process.send_signal(sig)
        self.process.wait(timeout=300)
        self.process = None

    def start_log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            log.seek(self.log_offset)
            return log.read()


def split(text):
    """The router's own figures from its start lines."""
    figures = {}
    match = re.search(r"(\d+) of (\d+) partitions start from their checkpoints \((\d+) sessions\) after ([0-9.e-]+) seconds", text)
    if match:
        figures["checkpoint_partitions"] = int(match.group(1))
        figures["checkpoint_sessions"] = int(match.group(3))
        figures["checkpoint_load_seconds"] = float(match.group(4))
    match = re.search(r"rebuilt (\d+) sessions in ([0-9.e-]+) seconds, reading (\d+) records past the checkpoints", text)
    if match:
        figures["router_rebuild_seconds"] = float(match.group(2))
        figures["records_read_past_checkpoints"] = int(match.group(3))
    return figures


def check_sessions(port, sample):
    """Reconnects a few sessions: each must be present."""
    async def check(index):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(connect_packet(f"restart-{index}", clean=False))
        header, body = await read_packet(reader)
        writer.write(DISCONNECT)
        await writer.drain()
        writer.close()
        return header == 0x20 and body[0] == 1 and body[1] == 0

    async def all_checks():
        return await asyncio.gather(*(check(index) for index in sample))

    return asyncio.run(all_checks())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--irisd", required=True, help="path to irisd (a release build)")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--gib", type=float, default=10.0, help="GiB of message payload to store")
    parser.add_argument("--payload-bytes", type=int, default=16 << 10)
    parser.add_argument("--topics", type=int, default=1000, help="topics the messages spread over")
    parser.add_argument("--publishers", type=int, default=8)
    parser.add_argument("--data", help="data directory (default: a new temporary one, removed at the end)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary line at the end")
    options = parser.parse_args()

    data = options.data or tempfile.mkdtemp(prefix="iris-restart-")
    os.makedirs(data, exist_ok=True)
    node = Node(options.irisd, data)
    summary = {"sessions": options.sessions, "payload_bytes": options.payload_bytes}
    try:
        summary["first_start_seconds"] = round(node.start(), 3)
        began = time.monotonic()
        asyncio.run(open_sessions(node.mqtt_port, options.sessions, options.topics, 256))
        summary["sessions_seconds"] = round(time.monotonic() - began, 1)
        print(f"{options.sessions} persistent sessions in {summary['sessions_seconds']} s", flush=True)
        messages = int(options.gib * (1 << 30)) // options.payload_bytes
        per_publisher = messages // options.publishers
        payload = os.urandom(options.payload_bytes)
        began = time.monotonic()

        async def all_publishers():
            await asyncio.gather(*(publish(node.mqtt_port, f"restart-pub-{index}", options.topics, per_publisher, payload, 64)
                                   for index in range(options.publishers)))

        asyncio.run(all_publishers())
        summary["messages"] = per_publisher * options.publishers
        summary["messages_seconds"] = round(time.monotonic() - began, 1)
        print(f"{summary['messages']} messages of {options.payload_bytes} bytes in {summary['messages_seconds']} s", flush=True)
        logs = glob.glob(os.path.join(data, "node", "partitions", "*", "*.log"))
        summary["log_bytes"] = sum(os.path.getsize(path) for path in logs)
        time.sleep(2)
        sample = random.Random(1).sample(range(options.sessions), min(200, options.sessions))
        for label, stop, remove in (("kill9", signal.SIGKILL, False), ("sigterm", signal.SIGTERM, False),
                                    ("no_checkpoint", signal.SIGTERM, True)):
            node.stop(stop)
            checkpoints = glob.glob(os.path.join(data, "node", "partitions", "*", "router-checkpoint"))
            summary[f"{label}_checkpoint_bytes"] = sum(os.path.getsize(path) for path in checkpoints)
            if remove:
                for path in checkpoints:
                    os.remove(path)
            seconds = node.start()
            figures = split(node.start_log())
            present = check_sessions(node.mqtt_port, sample)
            summary[label] = {"serving_after_seconds": round(seconds, 3), "sample_sessions_present": sum(present), **figures}
            print(f"{label}: serving MQTT {seconds:.3f} s after start; {figures}; {sum(present)}/{len(sample)} sampled sessions present", flush=True)
            if not all(present):
                raise RuntimeError(f"{label}: sessions lost after the restart")
        node.stop(signal.SIGTERM)
    finally:
        if node.process is not None:
            node.process.kill()
        if not options.data:
            shutil.rmtree(data, ignore_errors=True)
    if options.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    sys.exit(main())
