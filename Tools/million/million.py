"""Many MQTT connections on one box, measured three ways (issue 12): the harness behind run.sh.

Applies and records every limit the run needs (and restores the sysctls it changed), builds what
is missing (the generator with cc, irisd through the shared Swift build lock), starts irisd, ramps
N connections with mqtt-million (a workload process holding the 1:1 QoS 1 pairs and an idle
process holding the rest), holds them through at least two keep-alive periods, kills the idle
process with SIGKILL (the mass disconnect), measures the storm, reconnects at full speed, and
prints one JSON object (the last line of stdout).

Run as root: `Tools/million/run.sh --connections N [--json] [--clean 0|1]`; `--help` lists the rest.
"""

import argparse
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
GENERATOR_SOURCE = os.path.join(HERE, "mqtt-million.c")
GENERATOR = os.path.join(ROOT, ".build", "million", "mqtt-million")
BUILD_LOCK = "/tmp/iris-swift-build.lock"
# Descriptors irisd holds besides its MQTT connections (logs, listeners, epoll, eventfds), with room
# to spare; the run checks the real count once irisd is up.
SERVER_FDS_BASE = 512
# Descriptors irisd must keep free while serving N connections (log segments, checkpoints, metrics
# scrapes): at a full table libdispatch traps (SIGILL) when its monitor cannot open /proc/TID/stat.
SERVER_FDS_SPARE = 256
# Descriptors a generator process holds besides its connections.
GENERATOR_FDS_BASE = 64
# The slab caches that grow by a fixed count per socket (dentry is left out of the sum: other
# processes churn it by far more than the sockets add).
SOCKET_SLABS = ("TCP", "sock_inode_cache", "filp", "eventpoll_epi", "eventpoll_pwq")
SLABS = ("TCP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi", "eventpoll_pwq")


class HarnessError(Exception):
    """A run that cannot go on: the message says what failed and what to do."""


def log(message):
    print(f"[million {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- limits ------------------------------------------------------------------------------------

def sysctl_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def read_sysctl(key):
    with open(sysctl_path(key)) as f:
        return " ".join(f.read().split())


class Limits:
    """The sysctls this run set (old values kept for restore) and every limit as applied."""

    def __init__(self):
        self.changed = {}
        self.applied = {}

    def at_least(self, key, minimum):
        """Raises sysctl `key` to `minimum` if it is lower; records the value in force."""
        if not os.path.exists(sysctl_path(key)):
            raise HarnessError(f"sysctl {key} does not exist here: cannot make sure it is at least {minimum}")
        old = read_sysctl(key)
        if int(old.split()[0]) < minimum:
            self.set(key, str(minimum))
        self.applied[key] = read_sysctl(key)

    def set(self, key, value):
        """Sets sysctl `key`; fails loudly when it does not take."""
        old = read_sysctl(key)
        try:
            with open(sysctl_path(key), "w") as f:
                f.write(value)
        except OSError as error:
            raise HarnessError(f"cannot set sysctl {key} to {value!r} (was {old!r}): {error}; run as root, "
                               "outside a read-only /proc/sys") from error
        now = read_sysctl(key)
        if now != " ".join(value.split()):
            raise HarnessError(f"sysctl {key} reads {now!r} after setting {value!r}")
        self.changed.setdefault(key, old)
        self.applied[key] = now
        log(f"sysctl {key}: {old} -> {now}")

    def restore(self):
        """Writes every changed sysctl back; returns the failures (also printed loudly)."""
        failures = []
        for key, old in reversed(list(self.changed.items())):
            try:
                with open(sysctl_path(key), "w") as f:
                    f.write(old)
                if read_sysctl(key) != old:
                    raise OSError(f"reads {read_sysctl(key)!r}")
                log(f"sysctl {key} restored to {old}")
            except OSError as error:
                failures.append(f"{key}={old}: {error}")
                log(f"ERROR: could not restore sysctl {key} to {old}: {error}")
        self.changed.clear()
        return failures


def local_port_range():
    low, high = (int(x) for x in read_sysctl("net.ipv4.ip_local_port_range").split())
    return low, high


def apply_limits(limits, args, fds_per_process):
    """Every limit a run of `args.connections` needs; raises HarnessError if one cannot be set.

    Returns RLIMIT_NOFILE as applied to irisd and the generators (each generator process then holds
    at most that less a margin, so the generator is never the limit)."""
    n = args.connections
    limits.at_least("fs.nr_open", fds_per_process)
    nofile, shortfall = raise_own_nofile(fds_per_process)
    limits.applied["RLIMIT_NOFILE"] = nofile
    if shortfall and n + SERVER_FDS_BASE > nofile:
        raise HarnessError(
            f"irisd would need about {n + SERVER_FDS_BASE} file descriptors for {n} connections, but {shortfall}. "
            f"The largest N one irisd can hold on this machine is about {nofile - SERVER_FDS_BASE}: run with "
            f"--connections {nofile - SERVER_FDS_BASE} or fewer, or on a machine that grants CAP_SYS_RESOURCE")
    allocated = int(open("/proc/sys/fs/file-nr").read().split()[0])
    limits.at_least("fs.file-max", 2 * n + allocated + 65536)
    limits.at_least("net.core.somaxconn", 4096)
    limits.at_least("net.ipv4.tcp_max_syn_backlog", 8192)
    if args.port_range:
        limits.set("net.ipv4.ip_local_port_range", args.port_range)
    limits.applied["net.ipv4.ip_local_port_range"] = read_sysctl("net.ipv4.ip_local_port_range")
    limits.applied["net.ipv4.ip_local_reserved_ports"] = read_sysctl("net.ipv4.ip_local_reserved_ports")
    limits.applied["net.ipv4.tcp_syncookies"] = read_sysctl("net.ipv4.tcp_syncookies")
    limits.applied["net.ipv4.tcp_mem"] = read_sysctl("net.ipv4.tcp_mem")
    if os.path.exists(sysctl_path("net.netfilter.nf_conntrack_max")):
        limits.at_least("net.netfilter.nf_conntrack_max", n + 65536)
        limits.applied["net.netfilter.nf_conntrack_count_before"] = read_sysctl("net.netfilter.nf_conntrack_count")
    else:
        limits.applied["net.netfilter.nf_conntrack_max"] = "conntrack not loaded"
    with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
        limits.applied["transparent_hugepage"] = f.read().strip()
    with open("/proc/swaps") as f:
        limits.applied["swap_devices"] = len(f.read().splitlines()) - 1
    return nofile


def raise_own_nofile(wanted):
    """Sets this process's RLIMIT_NOFILE (inherited by irisd and the generators) to `wanted`, or, when
    the hard limit cannot be raised (no CAP_SYS_RESOURCE), soft = hard. Returns (limit in force, why not more)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        return wanted, None
    except (ValueError, OSError) as error:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard, (f"setrlimit(RLIMIT_NOFILE, {wanted}) failed ({error}): the hard limit {hard} needs "
                      f"CAP_SYS_RESOURCE to be raised, and this process has {capability_sys_resource()}")


def capability_sys_resource():
    """Whether CAP_SYS_RESOURCE (bit 24) is in this process's effective and bounding sets, in words."""
    sets = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("CapEff:", "CapBnd:")):
                sets[line.split(":")[0]] = int(line.split()[1], 16)
    has = {name: bool(value >> 24 & 1) for name, value in sets.items()}
    if not has.get("CapBnd", True):
        return "no CAP_SYS_RESOURCE in its capability bounding set (not even root can get it here)"
    return f"CAP_SYS_RESOURCE effective={has.get('CapEff')}"


def nofile_of(pid):
    """RLIMIT_NOFILE (soft, hard) of a running process, read back from /proc."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                parts = line.split()
                return int(parts[3]), int(parts[4])
    raise HarnessError(f"no 'Max open files' line in /proc/{pid}/limits")


# ---- builds ------------------------------------------------------------------------------------

def build_generator():
    if os.path.exists(GENERATOR) and os.path.getmtime(GENERATOR) >= os.path.getmtime(GENERATOR_SOURCE):
        return
    os.makedirs(os.path.dirname(GENERATOR), exist_ok=True)
    log(f"cc -O2 {GENERATOR_SOURCE}")
    subprocess.run(["cc", "-O2", "-Wall", "-o", GENERATOR, GENERATOR_SOURCE], check=True)


def irisd_is_stale(path):
    """Older than the last commit touching Sources/ or Package.swift, or Sources/ has uncommitted changes."""
    if not os.path.exists(path):
        return True
    try:
        last = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%ct", "--", "Sources", "Package.swift"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return False
    return bool(dirty) or (last != "" and os.path.getmtime(path) < int(last))


def ensure_irisd(path):
    default = os.path.join(ROOT, ".build", "release", "irisd")
    if path != default:
        if not os.access(path, os.X_OK):
            raise HarnessError(f"--irisd {path} is not an executable")
        return path
    if irisd_is_stale(path):
        log("building irisd (release) through the shared build lock")
        subprocess.run(["flock", BUILD_LOCK, "swift", "build", "-c", "release", "--product", "irisd"],
                       cwd=ROOT, check=True)
    return path


# ---- measurement -------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def meminfo():
    values = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, rest = line.split(":", 1)
            values[key] = int(rest.split()[0]) * 1024
    return {k: values[k] for k in ("Slab", "SUnreclaim", "SReclaimable", "MemAvailable", "MemFree")}


def slabinfo():
    out = {}
    with open("/proc/slabinfo") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in SLABS:
                out[parts[0]] = {"active_objects": int(parts[1]), "object_bytes": int(parts[3])}
    return out


def sockstat():
    out = {}
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                parts = line.split()[1:]
                out = {parts[i]: int(parts[i + 1]) for i in range(0, len(parts), 2)}
    return out


def netstat_counters():
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for i in range(0, len(lines), 2):
        if lines[i].startswith("TcpExt:"):
            names, values = lines[i].split()[1:], lines[i + 1].split()[1:]
            table = dict(zip(names, (int(v) for v in values)))
            return {k: table.get(k, 0) for k in ("ListenOverflows", "ListenDrops", "TCPAbortOnMemory",
                                                 "TCPMemoryPressures", "TCPAbortOnTimeout", "TCPAbortOnData")}
    return {}


def counters_since(before):
    """TcpExt counters since `before` (system-wide: other processes' connections count too)."""
    now = netstat_counters()
    return {k: now[k] - before.get(k, 0) for k in now}


def process_memory(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) * 1024
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("Rss", "Pss", "Anonymous", "Private_Dirty"):
                out["smaps_" + key] = int(line.split()[1]) * 1024
    return out


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kernel_established(port):
    """Server-side ESTABLISHED sockets on `port` (ss), counted by wc to keep 1M lines out of Python."""
    out = subprocess.run(f"ss -Htn state established '( sport = :{port} )' | wc -l", shell=True,
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def listen_backlog(port):
    """The listening socket's backlog as the kernel applies it (ss's Send-Q for a LISTEN socket)."""
    out = subprocess.run(["ss", "-Hltn", f"( sport = :{port} )"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        return int(line.split()[2])
    raise HarnessError(f"no listening socket on port {port}")


def server_metrics(port):
    """(iris_mqtt_connections, iris_mqtt_sessions, response milliseconds) from irisd --metrics."""
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    elapsed = (time.monotonic() - started) * 1000
    values = {}
    for line in text.splitlines():
        if line.startswith("iris_mqtt_"):
            name, value = line.split()
            values[name] = int(float(value))
    return values.get("iris_mqtt_connections", -1), values.get("iris_mqtt_sessions", -1), elapsed


# ---- processes ---------------------------------------------------------------------------------

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


def start_irisd(path, workdir, mqtt_port, metrics_port):
    data = os.path.join(workdir, "data")
    client_port = free_port()
    log_path = os.path.join(workdir, "irisd.log")
    process = subprocess.Popen(
        [path, "serve", "--data", data, "--id", "1", "--cluster", f"1=127.0.0.1:{client_port}",
         "--mqtt", f"127.0.0.1:{mqtt_port}", "--metrics", f"127.0.0.1:{metrics_port}"],
        stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HarnessError(f"irisd exited ({process.returncode}) at start; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", mqtt_port), timeout=1):
                pass
            server_metrics(metrics_port)
            return process, log_path
        except OSError:
            time.sleep(0.2)
    raise HarnessError(f"irisd did not serve MQTT on {mqtt_port} within 120 s; see {log_path}")


# ---- the run -----------------------------------------------------------------------------------

def counts(port, metrics_port, generators, attempts=3):
    """N three ways: kernel (ss, sockstat), server (metric), client (CONNACKed and open).

    The three are read one after another, and ss's netlink dump is not atomic, so when they
    disagree the kernel and server counts are read again (at most `attempts` in all, 1 s apart);
    the disagreeing samples are kept in the result ("earlier_samples") rather than hidden."""
    snaps = snapshots(generators)
    client = sum(s["connected_now"] for s in snaps.values())
    earlier = []
    while True:
        server, sessions, _ = server_metrics(metrics_port)
        figures = {"connections_kernel": kernel_established(port), "sockstat_tcp_inuse": sockstat().get("inuse"),
                   "connections_server": server, "sessions_server": sessions, "connections_client": client}
        if agree(figures) or len(earlier) + 1 >= attempts:
            if earlier:
                figures["earlier_samples"] = earlier
            return figures, snaps
        earlier.append(figures)
        time.sleep(1)


def per_connection(delta, n):
    return round(delta / n, 1) if n else None


def memory_figures(pid, base, n, generators):
    now_process, now_kernel, now_slabs = process_memory(pid), meminfo(), slabinfo()
    return {
        "server_rss_bytes": now_process["VmRSS"],
        "server_user_bytes_per_connection": per_connection(now_process["VmRSS"] - base["process"]["VmRSS"], n),
        "server_anonymous_bytes_per_connection":
            per_connection(now_process["smaps_Anonymous"] - base["process"]["smaps_Anonymous"], n),
        "server_private_dirty_bytes_per_connection":
            per_connection(now_process["smaps_Private_Dirty"] - base["process"]["smaps_Private_Dirty"], n),
        "kernel_bytes_per_connection": per_connection(now_kernel["Slab"] - base["kernel"]["Slab"], n),
        "kernel_socket_objects_bytes_per_connection": per_connection(sum(
            (v["active_objects"] - base["slabs"].get(k, {}).get("active_objects", 0)) * v["object_bytes"]
            for k, v in now_slabs.items() if k in SOCKET_SLABS), n),
        "kernel_unreclaimable_bytes_per_connection":
            per_connection(now_kernel["SUnreclaim"] - base["kernel"]["SUnreclaim"], n),
        "slab_objects_delta": {k: v["active_objects"] - base["slabs"].get(k, {}).get("active_objects", 0)
                               for k, v in now_slabs.items()},
        "slab_object_bytes": {k: v["object_bytes"] for k, v in now_slabs.items()},
        "sockstat_tcp": sockstat(),
        "mem_available_bytes": now_kernel["MemAvailable"],
        "generator_rss_bytes": sum(process_memory(g.process.pid)["VmRSS"] for g in generators),
    }


def agree(figures):
    return figures["connections_kernel"] == figures["connections_server"] == figures["connections_client"]


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


def run(args, limits, workdir):
    n = args.connections
    workload_clients = int(n * args.workload_fraction) & ~1
    idle_clients = n - workload_clients
    if idle_clients < 1:
        raise HarnessError("--workload-fraction leaves no idle clients")
    low, high = local_port_range()
    sources = args.sources or max(4, math.ceil(n / ((high - low + 1) // 2)))
    nofile = apply_limits(limits, args, n + 65536)
    per_process = nofile - GENERATOR_FDS_BASE
    build_generator()
    irisd = ensure_irisd(args.irisd)
    mqtt_port, metrics_port = free_port(), free_port()
    ping_interval = max(1, args.keepalive // 2)
    common = ["--port", str(mqtt_port), "--keepalive", str(args.keepalive), "--ping-interval", str(ping_interval),
              "--clean", str(args.clean), "--sources", str(sources), "--pending-max", str(args.pending_max),
              "--connect-timeout", "60", "--first-source", "127.0.0.2"]
    result = {"command": " ".join(["Tools/million/run.sh", *sys.argv[1:]]), "connections": n,
              "clean_session": args.clean, "keepalive_s": args.keepalive, "ping_interval_s": ping_interval,
              "hold_s": args.hold, "rate_per_s": args.rate, "reconnect_rate_per_s": args.reconnect_rate,
              "workload_clients": workload_clients, "workload_message_interval_ms": args.message_interval_ms,
              "workload_payload_bytes": 16, "silent_clients": args.silent, "sources": sources,
              "environment": {"kernel": platform.release(), "cores": os.cpu_count(),
                              "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
                              "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
                              "transport": "loopback, both ends on this host, no TLS"}}
    server, server_log = start_irisd(irisd, workdir, mqtt_port, metrics_port)
    generators, failures = [], []
    try:
        time.sleep(1)
        server_fds = len(os.listdir(f"/proc/{server.pid}/fd"))
        limits.applied["irisd_listen_backlog"] = listen_backlog(mqtt_port)
        limits.applied["irisd_nofile"] = nofile_of(server.pid)
        limits.applied["irisd_fds_at_start"] = server_fds
        result["limits"] = limits.applied
        irisd_nofile = limits.applied["irisd_nofile"][0]
        if n + server_fds + SERVER_FDS_SPARE > irisd_nofile:
            raise HarnessError(
                f"irisd (pid {server.pid}) holds {server_fds} descriptors at start and has RLIMIT_NOFILE {irisd_nofile}: "
                f"{n} connections would leave fewer than {SERVER_FDS_SPARE} spare, and a Swift process whose "
                "descriptor table fills up dies (libdispatch's worker monitor traps when it cannot open /proc)")
        base = {"process": process_memory(server.pid), "kernel": meminfo(), "slabs": slabinfo(),
                "netstat": netstat_counters()}
        result["baseline"] = {"server_rss_bytes": base["process"]["VmRSS"], "slab_bytes": base["kernel"]["Slab"],
                              "mem_available_bytes": base["kernel"]["MemAvailable"]}
        log(f"irisd pid {server.pid} on MQTT {mqtt_port}; ramping {n} connections "
            f"({workload_clients} in the workload, {sources} source addresses) at {args.rate}/s")
        ramp_started, ramp_counters = time.monotonic(), netstat_counters()
        ramps = []
        if workload_clients:
            if workload_clients > per_process:
                raise HarnessError(f"{workload_clients} workload clients exceed one generator's {per_process} descriptors")
            workload_rate = min(args.rate, 2000)
            workload = Generator("workload", workdir, [
                *common, "--connections", str(workload_clients), "--prefix", "mw-", "--workload-fraction", "1",
                "--rate", str(workload_rate), "--message-interval-ms", str(args.message_interval_ms)])
            generators.append(workload)
            ramps.append(workload.wait_event("ramped", workload_clients / workload_rate * 4 + 60))
        idle = start_idle(workdir, common, idle_clients, per_process, args.rate, args.silent, "idle")
        generators.extend(idle)
        ramps.extend(g.wait_event("ramped", idle_clients / args.rate * 4 + 120) for g in idle)
        result["ramp"] = merged_ramps(ramps)
        result["ramp"]["wall_s"] = round(time.monotonic() - ramp_started, 3)
        result["ramp"]["generator_processes"] = len(generators)
        result["ramp"]["tcp_counters_delta"] = counters_since(ramp_counters)
        result["connect_p99_ms"] = result["ramp"]["connect_p99_ms"]
        peak, _ = counts(mqtt_port, metrics_port, generators)
        result["peak"] = peak
        result.update({k: peak[k] for k in ("connections_kernel", "connections_server", "connections_client")})
        if not agree(peak):
            failures.append(f"the three counts disagree after the ramp: {peak}")
        if peak["connections_client"] < n:
            failures.append(f"only {peak['connections_client']} of {n} connections got CONNACK: "
                            f"errors {result['ramp']['connect_errors']}, refused {result['ramp']['connack_refused']}")
        memory = memory_figures(server.pid, base, peak["connections_client"], generators)
        result["memory_at_peak"] = memory
        result["server_user_bytes_per_connection"] = memory["server_user_bytes_per_connection"]
        result["kernel_bytes_per_connection"] = memory["kernel_bytes_per_connection"]
        log(f"peak: {peak}; server {memory['server_user_bytes_per_connection']} B/conn (RSS), "
            f"kernel {memory['kernel_bytes_per_connection']} B/conn (Slab, both ends)")

        # Hold: one window per keep-alive period, pings and the workload per window.
        windows = []
        hold_end = time.monotonic() + args.hold
        while hold_end - time.monotonic() > 1:
            time.sleep(min(args.keepalive, hold_end - time.monotonic()))
            windows.append(window_figures(snapshots(generators)))
            log(f"hold window: pings {windows[-1]['pings_sent']} pongs {windows[-1]['pongs_received']}")
        held, held_snaps = counts(mqtt_port, metrics_port, generators)
        windows.append(window_figures(held_snaps))
        idle_snaps = [held_snaps[g.name] for g in idle]
        result["hold"] = {
            "windows": windows, "counts_at_end": held,
            "silent_closed_by_server": sum(s["silent_closed_by_server"] for s in idle_snaps),
            "others_closed_after_connack": sum(s["others_closed_after_connack"] for s in held_snaps.values()),
            "drops_after_connack": {g: s["drops_after_connack"] for g, s in held_snaps.items() if s["drops_after_connack"]},
            "memory": memory_figures(server.pid, base, held["connections_client"], generators)}
        result["pings_sent"] = sum(w["pings_sent"] for w in windows)
        result["pongs_received"] = sum(w["pongs_received"] for w in windows)
        hold_workload = [w["workload"] for w in windows if w["workload"]]
        if hold_workload:
            merged = merged_percentiles(hold_workload, "buckets")
            for key in ("p50_ms", "p99_ms", "p999_ms", "max_ms"):
                result["workload_" + key] = merged[key]
            result["workload_messages"] = sum(w["delivered"] for w in hold_workload)
            result["workload_published"] = sum(w["published"] for w in hold_workload)
            result["workload_acked"] = sum(w["acked"] for w in hold_workload)
            result["workload_messages_per_s"] = round(result["workload_messages"] / sum(w["seconds"] for w in windows), 1)
        for w in hold_workload:
            del w["buckets"], w["buckets_max_us"]
        if not agree(held):
            failures.append(f"the three counts disagree at the end of the hold: {held}")
        if result["pings_sent"] != result["pongs_received"]:
            failures.append(f"PINGREQ {result['pings_sent']} != PINGRESP {result['pongs_received']} over the hold")
        if result["hold"]["others_closed_after_connack"]:
            failures.append(f"{result['hold']['others_closed_after_connack']} pinging connections were closed during the hold")
        if args.hold >= 1.5 * args.keepalive + 2 and result["hold"]["silent_closed_by_server"] != args.silent:
            failures.append(f"{result['hold']['silent_closed_by_server']} of {args.silent} silent clients were "
                            "closed by the server's keep-alive enforcement")

        # Storm: SIGKILL of the idle generators; the kernel closes every socket at once.
        killed = sum(s["connected_now"] for s in idle_snaps)
        remaining = held["connections_client"] - killed
        storm = {"killed_connections": killed}
        cpu_before, started = cpu_seconds(server.pid), time.monotonic()
        for g in idle:
            generators.remove(g)
            g.kill()
        slowest_metrics, server_now = 0.0, None
        while time.monotonic() - started < args.storm_timeout:
            server_now, _, answered = server_metrics(metrics_port)
            slowest_metrics = max(slowest_metrics, answered)
            if server_now <= remaining:
                break
            time.sleep(0.1)
        storm["server_release_s"] = round(time.monotonic() - started, 3)
        storm["server_cpu_s"] = round(cpu_seconds(server.pid) - cpu_before, 2)
        storm["metrics_slowest_response_ms"] = round(slowest_metrics, 1)
        storm["connections_server_after"] = server_now
        storm["connections_kernel_after"] = kernel_established(mqtt_port)
        if server_now is None or server_now > remaining:
            failures.append(f"the server still counts {server_now} connections {args.storm_timeout} s after the kill")
        if workload_clients:
            snap = snapshots([workload])["workload"]
            storm["workload"] = snap["workload"]
            storm["workload_closed"] = snap["others_closed_after_connack"]
            result["storm_workload_p99_ms"] = snap["workload"]["p99_ms"]
        time.sleep(2)
        storm["memory_2s_after"] = {k: v for k, v in memory_figures(server.pid, base, n, generators).items()
                                    if k in ("server_rss_bytes", "sockstat_tcp", "slab_objects_delta", "mem_available_bytes")}
        result["storm"] = storm
        log(f"storm: {killed} dropped, the server released them in {storm['server_release_s']} s, "
            f"{storm['server_cpu_s']} s CPU")

        # Reconnect: the same client IDs (clean session 0 resumes them), as fast as allowed.
        cpu_before, started, reconnect_counters = cpu_seconds(server.pid), time.monotonic(), netstat_counters()
        again = start_idle(workdir, common, idle_clients, per_process, args.reconnect_rate, 0, "reconnect")
        generators.extend(again)
        back = merged_ramps([g.wait_event("ramped", idle_clients / args.reconnect_rate * 4 + 120) for g in again])
        back["wall_s"] = round(time.monotonic() - started, 3)
        back["server_cpu_s"] = round(cpu_seconds(server.pid) - cpu_before, 2)
        back["tcp_counters_delta"] = counters_since(reconnect_counters)
        after, after_snaps = counts(mqtt_port, metrics_port, generators)
        back["counts"] = after
        if workload_clients:
            back["workload"] = after_snaps["workload"]["workload"]
        result["reconnect"] = back
        if back["connacks"] != idle_clients:
            failures.append(f"reconnect: {back['connacks']} of {idle_clients} got CONNACK ({back['connect_errors']})")
        if not agree(after):
            failures.append(f"the three counts disagree after the reconnect: {after}")
        result["tcp_counters_delta"] = counters_since(base["netstat"])
    except (HarnessError, OSError) as error:
        if server.poll() is not None:
            with open(server_log) as f:
                tail = " | ".join(f.read().strip().splitlines()[-5:])
            raise HarnessError(f"{error}; irisd had exited with status {server.returncode}: {tail}") from error
        raise
    finally:
        for generator in generators:
            generator.stop()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            failures.append("irisd did not stop within 120 s of SIGTERM")
    result["not_shown"] = ["TLS (tens of KB per connection)", "a real NIC or WAN round trips",
                           "clients on other hosts: both ends share this host's kernel, CPU and memory",
                           "kernel figures count both ends of each loopback connection"]
    result["failures"] = failures
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, required=True, help="N, the connections to hold")
    parser.add_argument("--json", action="store_true", help="print only the JSON object (one line)")
    parser.add_argument("--clean", type=int, choices=(0, 1), default=1, help="clean session flag (default 1)")
    parser.add_argument("--keepalive", type=int, default=30, help="CONNECT keep-alive seconds (default 30); "
                        "clients ping every half of it")
    parser.add_argument("--hold", type=float, help="seconds to hold after the ramp (default 2 x keep-alive + 5)")
    parser.add_argument("--rate", type=float, default=10000, help="connects per second in the ramp (default 10000)")
    parser.add_argument("--reconnect-rate", type=float, default=50000, help="connects per second after the storm")
    parser.add_argument("--pending-max", type=int, default=10000, help="connections awaiting CONNACK at once, at most")
    parser.add_argument("--workload-fraction", type=float, default=0.01, help="clients in 1:1 QoS 1 pairs (0.01)")
    parser.add_argument("--message-interval-ms", type=int, default=1000, help="each publisher's message interval")
    parser.add_argument("--silent", type=int, default=10, help="clients that never ping (keep-alive enforcement)")
    parser.add_argument("--sources", type=int, help="source addresses from 127.0.0.2 (default: N / half the port range, at least 4)")
    parser.add_argument("--port-range", help="set net.ipv4.ip_local_port_range to 'LOW HIGH' for the run (restored after)")
    parser.add_argument("--storm-timeout", type=float, default=120, help="seconds the server may take to drop the killed clients")
    parser.add_argument("--irisd", default=os.path.join(ROOT, ".build", "release", "irisd"),
                        help="irisd binary (default: this tree's release build, built if missing or stale)")
    parser.add_argument("--workdir", help="where irisd's data and the logs go (default: a new temporary folder, removed after)")
    args = parser.parse_args()
    if args.hold is None:
        args.hold = 2 * args.keepalive + 5
    if args.hold < 2 * args.keepalive:
        parser.error(f"--hold {args.hold} is below two keep-alive periods ({2 * args.keepalive} s)")
    if os.geteuid() != 0:
        parser.error("run as root: the harness raises fs.nr_open, fs.file-max and RLIMIT_NOFILE (and restores them)")
    workdir = args.workdir or tempfile.mkdtemp(prefix="iris-million-")
    limits = Limits()
    original = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def interrupted(signal_number, _frame):
        raise HarnessError(f"interrupted by signal {signal_number}")
    for s in original:
        signal.signal(s, interrupted)
    error = None
    try:
        result = run(args, limits, workdir)
    except (HarnessError, subprocess.CalledProcessError, subprocess.SubprocessError, OSError) as caught:
        error = caught
    finally:
        restore_failures = [f"sysctl not restored: {f}" for f in limits.restore()]
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if error is not None:
        print(f"run.sh: FAILED: {error}", file=sys.stderr)
        result = {"ok": False, "failures": [str(error), *restore_failures], "connections": args.connections,
                  "command": " ".join(["Tools/million/run.sh", *sys.argv[1:]]), "limits": limits.applied}
        print(json.dumps(result))
        return 2
    result["failures"].extend(restore_failures)
    result["ok"] = not result["failures"]
    if not args.json:
        print(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
