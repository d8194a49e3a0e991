"""Readings of the kernel and of a process: memory, slabs, sockets, TCP counters, irisd's metrics."""

import os
import socket
import subprocess
import time
import urllib.request

from harness import HarnessError

# The slab caches that grow by a fixed count per socket (dentry is left out of the sum: other
# processes churn it by far more than the sockets add).
SOCKET_SLABS = ("TCP", "sock_inode_cache", "filp", "eventpoll_epi", "eventpoll_pwq")
SLABS = ("TCP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi", "eventpoll_pwq")


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


