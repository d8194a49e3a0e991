"""The load generator's processes (mqtt-million) and the merging of what they report."""

import json
import math
import os
import signal
import subprocess
import sys
import time

from harness import HarnessError, log

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
GENERATOR_SOURCE = os.path.join(HERE, "mqtt-million.c")
GENERATOR = os.path.join(ROOT, ".build", "million", "mqtt-million")
# Descriptors a generator process holds besides its connections.
GENERATOR_FDS_BASE = 64


def build_generator():
    if os.path.exists(GENERATOR) and os.path.getmtime(GENERATOR) >= os.path.getmtime(GENERATOR_SOURCE):
        return
    os.makedirs(os.path.dirname(GENERATOR), exist_ok=True)
    log(f"cc -O2 {GENERATOR_SOURCE}")
    subprocess.run(["cc", "-O2", "-Wall", "-o", GENERATOR, GENERATOR_SOURCE], check=True)


class Generator:
    """One mqtt-million process; its stdout (one JSON event a line) goes to a file read as it grows."""

    def __init__(self, name, workdir, arguments):
        self.name = name
        self.arguments = arguments
        self.path = os.path.join(workdir, f"{name}.out")
        self.output = open(self.path, "w")
        self.process = subprocess.Popen([GENERATOR, *arguments], stdout=self.output, stderr=sys.stderr)

    def events(self):
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip().endswith("}")]

    def wait_event(self, kind, timeout, after=0):
        """The first `kind` event past the first `after` of them, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events() if e["event"] == kind]
            if len(found) > after:
                return found[after]
            if self.process.poll() is not None:
                raise HarnessError(f"{self.name} generator exited ({self.process.returncode}) before '{kind}'")
            time.sleep(0.05)
        raise HarnessError(f"{self.name} generator: no '{kind}' event within {timeout:.0f} s")

    def request_snapshot(self):
        """Asks for a snapshot; returns how many the process had printed before (for `wait_snapshot`)."""
        before = len([e for e in self.events() if e["event"] == "snapshot"])
        self.process.send_signal(signal.SIGUSR1)
        return before

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()

    def kill(self):
        self.process.kill()
        self.process.wait()
        self.output.close()


def snapshots(generators, timeout=30):
    """One snapshot of every generator, asked of all at once: {name: snapshot}."""
    before = {g.name: g.request_snapshot() for g in generators}
    return {g.name: g.wait_event("snapshot", timeout, after=before[g.name]) for g in generators}


def window_figures(snaps):
    """Pings and workload of one window, summed over the generators."""
    workload = None
    if "workload" in snaps:
        workload = dict(snaps["workload"]["workload"])
        workload["buckets"] = snaps["workload"]["delivery_buckets"]
        workload["buckets_max_us"] = snaps["workload"]["delivery_buckets_max_us"]
    return {"pings_sent": sum(s["pings_sent"] for s in snaps.values()),
            "pongs_received": sum(s["pongs_received"] for s in snaps.values()),
            "seconds": max(s["window_s"] for s in snaps.values()), "workload": workload}


def bucket_high(index):
    """The largest value (microseconds) in the generator's histogram bucket `index` (mqtt-million.c)."""
    if index < 128:
        return index
    shift = index // 64 - 1
    return ((index % 64 + 64 + 1) << shift) - 1


def merged_percentiles(events, key):
    """p50/p99/p99.9/max in milliseconds over the histograms `key` of several snapshots, merged exactly."""
    counts, maximum = {}, 0
    for e in events:
        for index, count in e[key]:
            counts[index] = counts.get(index, 0) + count
        maximum = max(maximum, e[key + "_max_us"])
    total = sum(counts.values())
    out = {"count": total}
    for name, q in (("p50_ms", 0.5), ("p99_ms", 0.99), ("p999_ms", 0.999)):
        if not total:
            out[name] = None
            continue
        rank, seen = min(int(q * total), total - 1), 0
        for index in sorted(counts):
            seen += counts[index]
            if seen > rank:
                out[name] = round(min(bucket_high(index), maximum) / 1000, 3)
                break
    out["max_ms"] = round(maximum / 1000, 3) if total else None
    return out


def merged_ramps(events):
    """The generators' 'ramped' events as one: counts summed, latencies and times the worst."""
    errors, refused = {}, {}
    for e in events:
        for k, v in e["connect_errors"].items():
            errors[k] = errors.get(k, 0) + v
        for k, v in e["connack_refused"].items():
            refused[k] = refused.get(k, 0) + v
    ramp = max(e["ramp_s"] for e in events)
    connacks = sum(e["connacks"] for e in events)
    latency = merged_percentiles(events, "connect_buckets")
    return {"ramp_s": ramp, "connacks": connacks, "session_present": sum(e["session_present"] for e in events),
            "connect_rate_per_s": round(connacks / ramp, 1) if ramp else None,
            "connect_p50_ms": latency["p50_ms"], "connect_p99_ms": latency["p99_ms"],
            "connect_p999_ms": latency["p999_ms"], "connect_max_ms": latency["max_ms"],
            "connect_errors": errors, "connack_refused": refused,
            "protocol_errors": sum(e["protocol_errors"] for e in events)}


def start_idle(workdir, common, idle_clients, per_process, rate, silent, label):
    """The idle clients, split over processes of at most `per_process` connections (client IDs
    mi<process>-<index>, the same in every start, so a reconnect resumes the same sessions)."""
    processes = math.ceil(idle_clients / per_process)
    made = []
    for k in range(processes):
        count = idle_clients // processes + (1 if k < idle_clients % processes else 0)
        made.append(Generator(f"{label}{k}", workdir, [
            *common, "--connections", str(count), "--prefix", f"mi{k}-", "--rate", str(rate / processes),
            "--silent", str(silent if k == processes - 1 else 0)]))
    return made


