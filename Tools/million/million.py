"""Many MQTT connections on one box, measured three ways (issue 12): the harness behind run.sh.

Applies and records every limit the run needs (and restores the sysctls it changed), builds what
is missing (the generator with cc, irisd through the shared Swift build lock), starts irisd, ramps
N connections with mqtt-million (a workload process holding the 1:1 QoS 1 pairs and an idle
process holding the rest), holds them through at least two keep-alive periods, kills the idle
process with SIGKILL (the mass disconnect), measures the storm, reconnects at full speed, and
prints one JSON object (the last line of stdout).

Parts: limits.py (sysctls, RLIMIT_NOFILE), probes.py (kernel and process readings),
generators.py (mqtt-million processes), runner.py (the phases).

Run as root: `Tools/million/run.sh --connections N [--json] [--clean 0|1]`; `--help` lists the rest.
"""

import argparse
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from generators import GENERATOR_FDS_BASE, ROOT, build_generator
from harness import HarnessError, log
from limits import Limits, apply_limits, local_port_range, nofile_of
from probes import free_port, listen_backlog, server_metrics
from runner import Run

BUILD_LOCK = "/tmp/iris-swift-build.lock"
# Descriptors irisd must keep free while serving N connections (log segments, checkpoints, metrics
# scrapes): at a full table libdispatch traps (SIGILL) when its monitor cannot open /proc/TID/stat.
SERVER_FDS_SPARE = 256


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


def start_irisd(path, workdir, mqtt_port, metrics_port, connections):
    """irisd with room for `connections` MQTT connections (its cap, SPEC.md §14.7), a few client-port
    connections and the kernel's largest listen backlog here (somaxconn is raised to 4096)."""
    data = os.path.join(workdir, "data")
    client_port = free_port()
    log_path = os.path.join(workdir, "irisd.log")
    process = subprocess.Popen(
        [path, "serve", "--data", data, "--id", "1", "--cluster", f"1=127.0.0.1:{client_port}",
         "--mqtt", f"127.0.0.1:{mqtt_port}", "--metrics", f"127.0.0.1:{metrics_port}",
         "--mqtt-max-connections", str(connections + 16), "--max-client-connections", "64",
         "--mqtt-listen-backlog", "4096"],
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


def check_server_descriptors(limits, server, n):
    """Records irisd's RLIMIT_NOFILE and descriptors at start; refuses N that would fill its table."""
    server_fds = len(os.listdir(f"/proc/{server.pid}/fd"))
    limits.applied["irisd_nofile"] = nofile_of(server.pid)
    limits.applied["irisd_fds_at_start"] = server_fds
    nofile = limits.applied["irisd_nofile"][0]
    if n + server_fds + SERVER_FDS_SPARE > nofile:
        raise HarnessError(
            f"irisd (pid {server.pid}) holds {server_fds} descriptors at start and has RLIMIT_NOFILE {nofile}: "
            f"{n} connections would leave fewer than {SERVER_FDS_SPARE} spare, and a Swift process whose "
            "descriptor table fills up dies (libdispatch's worker monitor traps when it cannot open /proc)")


def describe(args, workload_clients, ping_interval, sources):
    """The run's settings and environment, the head of the result."""
    return {"command": " ".join(["Tools/million/run.sh", *sys.argv[1:]]), "connections": args.connections,
            "clean_session": args.clean, "keepalive_s": args.keepalive, "ping_interval_s": ping_interval,
            "hold_s": args.hold, "rate_per_s": args.rate, "reconnect_rate_per_s": args.reconnect_rate,
            "workload_clients": workload_clients, "workload_message_interval_ms": args.message_interval_ms,
            "workload_payload_bytes": 16, "silent_clients": args.silent, "wills": args.wills, "sources": sources,
            "environment": {"kernel": platform.release(), "cores": os.cpu_count(),
                            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
                            "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
                            "transport": "loopback, both ends on this host, no TLS"}}


def run(args, limits, workdir):
    """Applies the limits, starts irisd, runs the phases, stops everything; returns the result."""
    n = args.connections
    workload_clients = int(n * args.workload_fraction) & ~1
    if n - workload_clients < 1:
        raise HarnessError("--workload-fraction leaves no idle clients")
    low, high = local_port_range()
    sources = args.sources or max(4, math.ceil(n / ((high - low + 1) // 2)))
    nofile = apply_limits(limits, args, n + 65536)
    build_generator()
    irisd = ensure_irisd(args.irisd)
    mqtt_port, metrics_port = free_port(), free_port()
    ping_interval = max(1, args.keepalive // 2)
    common = ["--port", str(mqtt_port), "--keepalive", str(args.keepalive), "--ping-interval", str(ping_interval),
              "--clean", str(args.clean), "--sources", str(sources), "--pending-max", str(args.pending_max),
              "--connect-timeout", "60", "--first-source", "127.0.0.2"]
    result = describe(args, workload_clients, ping_interval, sources)
    server, server_log = start_irisd(irisd, workdir, mqtt_port, metrics_port, args.connections)
    phases = None
    try:
        time.sleep(1)
        limits.applied["irisd_listen_backlog"] = listen_backlog(mqtt_port)
        check_server_descriptors(limits, server, n)
        result["limits"] = limits.applied
        phases = Run(args, server, (mqtt_port, metrics_port), workdir, common, nofile - GENERATOR_FDS_BASE, result)
        log(f"irisd pid {server.pid} on MQTT {mqtt_port}; ramping {n} connections "
            f"({workload_clients} in the workload, {sources} source addresses) at {args.rate}/s")
        phases.ramp()
        held, snaps = phases.hold()
        phases.storm(held, snaps)
        phases.reconnect()
    except (HarnessError, OSError) as error:
        if server.poll() is not None:
            with open(server_log) as f:
                tail = " | ".join(f.read().strip().splitlines()[-5:])
            raise HarnessError(f"{error}; irisd had exited with status {server.returncode}: {tail}") from error
        raise
    finally:
        if phases:
            phases.stop_generators()
        stopped = stop_irisd(server)
    result["not_shown"] = ["TLS (tens of KB per connection)", "a real NIC or WAN round trips",
                           "clients on other hosts: both ends share this host's kernel, CPU and memory",
                           "kernel figures count both ends of each loopback connection"]
    result["failures"] = phases.failures + ([] if stopped else ["irisd did not stop within 120 s of SIGTERM"])
    return result


def stop_irisd(server):
    """SIGTERM, then SIGKILL after 120 s; whether it stopped by itself."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=120)
        return True
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        return False


def main():
    parser = argparse.ArgumentParser(prog="Tools/million/run.sh", description=__doc__.splitlines()[0])
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
    parser.add_argument("--wills", type=int, choices=(0, 1), default=1,
                        help="idle clients have a QoS 0 will, counted by a workload subscriber as the storm publishes them (default 1)")
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
