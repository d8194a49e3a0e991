"""One run against a started irisd: ramp, hold, storm, reconnect, each adding to the result."""

import time

from generators import (Generator, merged_percentiles, merged_ramps, snapshots, start_idle, window_figures)
from harness import HarnessError, log
from probes import (counters_since, cpu_seconds, kernel_established, memory_figures, meminfo, netstat_counters,
                    process_memory, server_metrics, slabinfo, sockstat)


# How long the storm waits for the killed clients' wills once the server has dropped them.
WILLS_WAIT_S = 30


def agree(figures):
    """Whether the kernel, the server and the client count the same connections."""
    return figures["connections_kernel"] == figures["connections_server"] == figures["connections_client"]


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


class Run:
    """The state of one run: irisd's process and ports, the generators, the baseline, the result.

    `args` are run.sh's options; `common` the generator options every process shares;
    `per_process` the most connections one generator process may hold."""

    def __init__(self, args, server, ports, workdir, common, per_process, result):
        self.args, self.server, self.workdir, self.common, self.per_process = args, server, workdir, common, per_process
        self.mqtt_port, self.metrics_port = ports
        self.result = result
        self.failures = []
        self.generators = []
        self.workload = None
        self.idle = []
        self.workload_clients = result["workload_clients"]
        self.idle_clients = args.connections - self.workload_clients
        self.base = {"process": process_memory(server.pid), "kernel": meminfo(), "slabs": slabinfo(),
                     "netstat": netstat_counters()}
        result["baseline"] = {"server_rss_bytes": self.base["process"]["VmRSS"],
                              "slab_bytes": self.base["kernel"]["Slab"],
                              "mem_available_bytes": self.base["kernel"]["MemAvailable"]}

    def check(self, condition, failure):
        if not condition:
            self.failures.append(failure)

    def counts(self):
        return counts(self.mqtt_port, self.metrics_port, self.generators)

    def memory(self, n):
        return memory_figures(self.server.pid, self.base, n, self.generators)

    def ramp(self):
        """The workload pairs first, then the idle clients at --rate; N counted three ways, memory at the peak."""
        args, result = self.args, self.result
        started, before = time.monotonic(), netstat_counters()
        ramps = []
        if self.workload_clients:
            if self.workload_clients > self.per_process:
                raise HarnessError(f"{self.workload_clients} workload clients exceed one generator's "
                                   f"{self.per_process} descriptors")
            rate = min(args.rate, 2000)
            self.workload = Generator("workload", self.workdir, [
                *self.common, "--connections", str(self.workload_clients), "--prefix", "mw-",
                "--workload-fraction", "1", "--rate", str(rate), "--message-interval-ms", str(args.message_interval_ms),
                "--count-wills", str(args.wills)])
            self.generators.append(self.workload)
            ramps.append(self.workload.wait_event("ramped", self.workload_clients / rate * 4 + 60))
        self.idle = start_idle(self.workdir, [*self.common, "--will", str(args.wills)], self.idle_clients,
                               self.per_process, args.rate, args.silent, "idle")
        self.generators.extend(self.idle)
        ramps.extend(g.wait_event("ramped", self.idle_clients / args.rate * 4 + 120) for g in self.idle)
        result["ramp"] = merged_ramps(ramps)
        result["ramp"]["wall_s"] = round(time.monotonic() - started, 3)
        result["ramp"]["generator_processes"] = len(self.generators)
        result["ramp"]["tcp_counters_delta"] = counters_since(before)
        result["connect_p99_ms"] = result["ramp"]["connect_p99_ms"]
        peak, _ = self.counts()
        result["peak"] = peak
        result.update({k: peak[k] for k in ("connections_kernel", "connections_server", "connections_client")})
        self.check(agree(peak), f"the three counts disagree after the ramp: {peak}")
        self.check(peak["connections_client"] >= args.connections,
                   f"only {peak['connections_client']} of {args.connections} connections got CONNACK: errors "
                   f"{result['ramp']['connect_errors']}, refused {result['ramp']['connack_refused']}")
        memory = self.memory(peak["connections_client"])
        result["memory_at_peak"] = memory
        result["server_user_bytes_per_connection"] = memory["server_user_bytes_per_connection"]
        result["kernel_bytes_per_connection"] = memory["kernel_bytes_per_connection"]
        log(f"peak: {peak}; server {memory['server_user_bytes_per_connection']} B/conn (RSS), "
            f"kernel {memory['kernel_bytes_per_connection']} B/conn (Slab, both ends)")

    def hold(self):
        """--hold seconds in windows of one keep-alive period: pings = pongs, the workload's latency."""
        args, result = self.args, self.result
        windows = []
        hold_end = time.monotonic() + args.hold
        while hold_end - time.monotonic() > 1:
            time.sleep(min(args.keepalive, hold_end - time.monotonic()))
            windows.append(window_figures(snapshots(self.generators)))
            log(f"hold window: pings {windows[-1]['pings_sent']} pongs {windows[-1]['pongs_received']}")
        held, snaps = self.counts()
        windows.append(window_figures(snaps))
        result["hold"] = {
            "windows": windows, "counts_at_end": held,
            "silent_closed_by_server": sum(snaps[g.name]["silent_closed_by_server"] for g in self.idle),
            "others_closed_after_connack": sum(s["others_closed_after_connack"] for s in snaps.values()),
            "drops_after_connack": {g: s["drops_after_connack"] for g, s in snaps.items() if s["drops_after_connack"]},
            "memory": self.memory(held["connections_client"])}
        result["pings_sent"] = sum(w["pings_sent"] for w in windows)
        result["pongs_received"] = sum(w["pongs_received"] for w in windows)
        self.summarise_workload(windows)
        self.check(agree(held), f"the three counts disagree at the end of the hold: {held}")
        self.check(result["pings_sent"] == result["pongs_received"],
                   f"PINGREQ {result['pings_sent']} != PINGRESP {result['pongs_received']} over the hold")
        self.check(not result["hold"]["others_closed_after_connack"],
                   f"{result['hold']['others_closed_after_connack']} pinging connections were closed during the hold")
        self.check(args.hold < 1.5 * args.keepalive + 2 or result["hold"]["silent_closed_by_server"] == args.silent,
                   f"{result['hold']['silent_closed_by_server']} of {args.silent} silent clients were closed by the "
                   "server's keep-alive enforcement")
        return held, snaps

    def summarise_workload(self, windows):
        """The hold's workload over every window, from the merged latency histograms."""
        workloads = [w["workload"] for w in windows if w["workload"]]
        if workloads:
            merged = merged_percentiles(workloads, "buckets")
            for key in ("p50_ms", "p99_ms", "p999_ms", "max_ms"):
                self.result["workload_" + key] = merged[key]
            self.result["workload_messages"] = sum(w["delivered"] for w in workloads)
            self.result["workload_published"] = sum(w["published"] for w in workloads)
            self.result["workload_acked"] = sum(w["acked"] for w in workloads)
            self.result["workload_messages_per_s"] = round(
                self.result["workload_messages"] / sum(w["seconds"] for w in windows), 1)
        for w in workloads:
            del w["buckets"], w["buckets_max_us"]

    def storm(self, held, snaps):
        """SIGKILL of the idle generators (the kernel closes every socket at once); how long the server
        takes to drop them, its CPU, the workload's latency meanwhile, memory after."""
        killed = sum(snaps[g.name]["connected_now"] for g in self.idle)
        remaining = held["connections_client"] - killed
        storm = {"killed_connections": killed}
        cpu_before, started = cpu_seconds(self.server.pid), time.monotonic()
        for g in self.idle:
            self.generators.remove(g)
            g.kill()
        slowest, server_now = 0.0, None
        while time.monotonic() - started < self.args.storm_timeout:
            server_now, _, answered = server_metrics(self.metrics_port)
            slowest = max(slowest, answered)
            if server_now <= remaining:
                break
            time.sleep(0.1)
        storm["server_release_s"] = round(time.monotonic() - started, 3)
        storm["server_cpu_s"] = round(cpu_seconds(self.server.pid) - cpu_before, 2)
        storm["metrics_slowest_response_ms"] = round(slowest, 1)
        storm["connections_server_after"] = server_now
        storm["connections_kernel_after"] = kernel_established(self.mqtt_port)
        self.check(server_now is not None and server_now <= remaining,
                   f"the server still counts {server_now} connections {self.args.storm_timeout} s after the kill")
        if self.workload:
            self.storm_workload(storm, snaps["workload"]["wills_received"], killed, started)
        time.sleep(2)
        storm["memory_2s_after"] = {k: v for k, v in self.memory(self.args.connections).items() if k in (
            "server_rss_bytes", "sockstat_tcp", "slab_objects_delta", "mem_available_bytes")}
        self.result["storm"] = storm
        log(f"storm: {killed} dropped, the server released them in {storm['server_release_s']} s, "
            f"{storm['server_cpu_s']} s CPU")

    def storm_workload(self, storm, wills_before, killed, started):
        """The workload during the storm, and (with --wills 1) the wills of the killed clients
        arriving: snapshots every 0.5 s until all are in, or for at most WILLS_WAIT_S more."""
        windows = []
        deadline = time.monotonic() + WILLS_WAIT_S
        while True:
            windows.append(snapshots([self.workload])["workload"])
            wills = windows[-1]["wills_received"] - wills_before
            if not self.args.wills or wills >= killed or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        latency = merged_percentiles(windows, "delivery_buckets")
        storm["workload"] = {"delivered": sum(w["workload"]["delivered"] for w in windows),
                             "published": sum(w["workload"]["published"] for w in windows),
                             "acked": sum(w["workload"]["acked"] for w in windows), **latency,
                             "seconds": round(sum(w["window_s"] for w in windows), 3)}
        storm["workload_closed"] = windows[-1]["others_closed_after_connack"]
        self.result["storm_workload_p99_ms"] = latency["p99_ms"]
        if self.args.wills:
            storm["wills_received"] = wills
            storm["wills_all_in_s"] = round(time.monotonic() - started, 3) if wills >= killed else None
            self.check(wills == killed, f"{wills} wills received for {killed} clients killed")

    def reconnect(self):
        """The same client IDs again (clean session 0 resumes them) at --reconnect-rate."""
        cpu_before, started, before = cpu_seconds(self.server.pid), time.monotonic(), netstat_counters()
        again = start_idle(self.workdir, self.common, self.idle_clients, self.per_process, self.args.reconnect_rate,
                           0, "reconnect")
        self.generators.extend(again)
        back = merged_ramps([g.wait_event("ramped", self.idle_clients / self.args.reconnect_rate * 4 + 120)
                             for g in again])
        back["wall_s"] = round(time.monotonic() - started, 3)
        back["server_cpu_s"] = round(cpu_seconds(self.server.pid) - cpu_before, 2)
        back["tcp_counters_delta"] = counters_since(before)
        after, snaps = self.counts()
        back["counts"] = after
        if self.workload:
            back["workload"] = snaps["workload"]["workload"]
        self.result["reconnect"] = back
        self.check(back["connacks"] == self.idle_clients,
                   f"reconnect: {back['connacks']} of {self.idle_clients} got CONNACK ({back['connect_errors']})")
        self.check(agree(after), f"the three counts disagree after the reconnect: {after}")
        self.result["tcp_counters_delta"] = counters_since(self.base["netstat"])

    def stop_generators(self):
        for generator in self.generators:
            generator.stop()
