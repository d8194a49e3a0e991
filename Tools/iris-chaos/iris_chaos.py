"""iris-chaos: real irisd processes under kill -9, pauses and network partitions, then a check
that nothing acknowledged was lost, duplicated, moved or diverged. Run through run.sh."""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback

from checker import PartitionEvidence, check, unknown_landed
from cluster_info import parse_info
from dump import parse_dump
from faults import FaultInjector
from follower import Follower
from netfaults import NetFaults, NetFaultsUnavailable
from processes import Node, run_command
from producers import Ledger, Producer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spec-reader"))
from iris_placement import placement  # noqa: E402  (SPEC §10, written independently of the Swift code)

INFO_TIMEOUT_SECONDS = 5
LEADER_WAIT_SECONDS = 90
OFFLINE_COMMAND_TIMEOUT_SECONDS = 120
CATCH_UP_WAIT_SECONDS = 30
QUIET_SECONDS = 3
NODE_RESTARTS_MAX = 3


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="run.sh", description=__doc__)
    parser.add_argument("--nodes", type=int, choices=(3, 5), default=3)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=3, help="replicas per partition (default 3)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of faults (default 60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--bin", default=None, help="directory with irisd and iris-log (default .build/debug)")
    parser.add_argument("--producers", type=int, default=None, help="producer processes (default 2 per partition)")
    parser.add_argument("--rate", type=float, default=20, help="lines per second per producer (default 20)")
    parser.add_argument("--append-timeout", type=float, default=3,
                        help="iris-log append --timeout (default 3: short enough that faults make some appends' outcome unknown)")
    parser.add_argument("--resume-bound", type=float, default=30,
                        help="seconds after healing within which every partition must commit again (default 30)")
    parser.add_argument("--address-base", type=int, default=11,
                        help="nodes listen on 127.0.0.B, B+1, ... (default 11); runs at the same time need disjoint ranges, "
                             "since a partition drops all traffic between two addresses")
    parser.add_argument("--keep", action="store_true", help="keep the work directory even when the run is clean")
    arguments = parser.parse_args(argv)
    if arguments.partitions < 1 or arguments.replicas < 1 or arguments.replicas > arguments.nodes:
        parser.error("need 1 <= --replicas <= --nodes and --partitions >= 1")
    if not 2 <= arguments.address_base <= 250 - arguments.nodes:
        parser.error("--address-base must leave room for every node below 127.0.0.250 (and not be 127.0.0.1)")
    if arguments.duration < 0 or arguments.rate <= 0:
        parser.error("--duration must be >= 0 and --rate > 0")
    return arguments


def say(text):
    print(f"iris-chaos: {text}", flush=True)


def free_port(addresses):
    """A TCP port free on every one of the addresses (checked by binding)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = probe.getsockname()[1]
        sockets = []
        try:
            for address in addresses:
                candidate = socket.socket()
                sockets.append(candidate)
                candidate.bind((address, port))
            return port
        except OSError:
            continue
        finally:
            for candidate in sockets:
                candidate.close()
    raise RuntimeError(f"no TCP port free on all of {addresses}")


class ChaosRun:
    def __init__(self, arguments, repository):
        self.arguments = arguments
        bin_dir = arguments.bin or os.path.join(repository, ".build", "debug")
        self.irisd = os.path.abspath(os.path.join(bin_dir, "irisd"))
        self.iris_log = os.path.abspath(os.path.join(bin_dir, "iris-log"))
        self.rng = random.Random(arguments.seed)
        self.work = tempfile.mkdtemp(prefix=f"iris-chaos-s{arguments.seed}-")
        self.nodes = {}
        self.producers = []
        self.followers = {}
        self.ledger = Ledger()
        self.netfaults = None
        self.partition_faults_unavailable = None
        self.violations = []
        self.last_status = {}
        self.resume_after_heal_ms = None
        self.injector = None
        self.unexpected_exits = {}
        self.placement = []
        self.preferred_leaders = []
        self.catch_up_ms = None
        self.unknown_landed = None

    # -- the cluster -------------------------------------------------------------------

    def client_spec(self):
        return ",".join(f"{node.address}:{node.port}" for node in self.nodes.values())

    def start_cluster(self):
        count = self.arguments.nodes
        addresses = [f"127.0.0.{self.arguments.address_base + index}" for index in range(count)]
        port = free_port(addresses)
        cluster = ",".join(f"{index + 1}={address}:{port}" for index, address in enumerate(addresses))
        os.makedirs(os.path.join(self.work, "logs"))
        for index, address in enumerate(addresses):
            node_id = index + 1
            self.nodes[node_id] = Node(node_id, address, port, os.path.join(self.work, f"node{node_id}"),
                                       os.path.join(self.work, "logs", f"node{node_id}.log"), self.irisd, cluster,
                                       self.arguments.partitions, self.arguments.replicas)
        self.placement, self.preferred_leaders = placement(list(self.nodes), self.arguments.partitions, self.arguments.replicas)
        say(f"work directory {self.work}; cluster {cluster}")
        for node in self.nodes.values():
            node.start()

    def status(self):
        """The cluster's view of its partitions, or the last good one when info fails."""
        code, stdout, _ = run_command([self.iris_log, "info", "--cluster", self.client_spec(), "--json"], INFO_TIMEOUT_SECONDS)
        if code == 0:
            try:
                statuses = parse_info(stdout)
            except ValueError:
                statuses = {}
            if statuses:
                self.last_status = statuses
        return self.last_status

    def wait_for_leaders(self):
        deadline = time.monotonic() + LEADER_WAIT_SECONDS
        started = time.monotonic()
        last_error = ""
        while time.monotonic() < deadline:
            self.watch_nodes()
            code, stdout, stderr = run_command([self.iris_log, "info", "--cluster", self.client_spec(), "--json"],
                                               INFO_TIMEOUT_SECONDS)
            if code == 0:
                statuses = parse_info(stdout)
                led = [p for p in range(self.arguments.partitions) if p in statuses and statuses[p].leader]
                if len(led) == self.arguments.partitions:
                    self.last_status = statuses
                    say(f"every partition has a leader after {time.monotonic() - started:.1f} s")
                    self.check_placement(statuses)
                    return True
                last_error = f"{len(led)} of {self.arguments.partitions} partitions have a leader: {stdout.strip()[:300]}"
            else:
                last_error = f"info exit {code}: {stderr.strip()[:300]}"
            time.sleep(0.5)
        self.violate("no_leader", f"not every partition had a leader within {LEADER_WAIT_SECONDS} s: {last_error}")
        return False

    def check_placement(self, statuses):
        """info's replicas must be SPEC §10's placement (computed here independently)."""
        for partition, expected in enumerate(self.placement):
            reported = statuses[partition].replicas
            if sorted(reported) != sorted(expected):
                self.violate("placement", f"partition {partition}: info reports replicas {list(reported)}, "
                                          f"SPEC §10 places it on {expected}", partition=partition)

    def watch_nodes(self):
        """A node that exits without the harness killing it is a violation; it is restarted,
        at most NODE_RESTARTS_MAX times (then left down)."""
        for node in self.nodes.values():
            code = node.exited_unexpectedly()
            if code is None:
                continue
            self.violate("node_exited", f"node {node.node_id} exited with {code} on its own; "
                                        f"log {node.log_path} ends:\n{node.log_tail()}", node=node.node_id)
            self.unexpected_exits[node.node_id] = self.unexpected_exits.get(node.node_id, 0) + 1
            if self.unexpected_exits[node.node_id] <= NODE_RESTARTS_MAX:
                node.start()
            else:
                node.expected_down = True
                say(f"node {node.node_id} exited {NODE_RESTARTS_MAX + 1} times on its own: left down")

    def violate(self, kind, detail, **extra):
        entry = {"kind": kind, "detail": detail, **extra}
        self.violations.append(entry)
        say(f"VIOLATION {kind}: {detail}")

    # -- clients -----------------------------------------------------------------------

    def start_clients(self):
        partitions = self.arguments.partitions
        count = self.arguments.producers or 2 * partitions
        for partition in range(partitions):
            def tail_from(offset, partition=partition):
                return [self.iris_log, "tail", "--cluster", self.client_spec(), "--partition", str(partition),
                        "--from", str(offset), "--json"]
            follower = Follower(partition, tail_from, os.path.join(self.work, "logs", f"tail-p{partition}.err"))
            self.followers[partition] = follower
            follower.start()
        for index in range(count):
            partition = index % partitions
            command = [self.iris_log, "append", "--cluster", self.client_spec(), "--partition", str(partition),
                       "--timeout", str(self.arguments.append_timeout)]
            producer = Producer(index, partition, command, self.arguments.seed, self.arguments.rate, self.ledger,
                                os.path.join(self.work, "logs", f"producer{index}.err"))
            self.producers.append(producer)
            producer.start()

    # -- phases ------------------------------------------------------------------------

    def open_netfaults(self):
        addresses = [node.address for node in self.nodes.values()]
        netfaults = NetFaults()
        try:
            netfaults.open(addresses)
            self.netfaults = netfaults
            say(f"nftables self-test passed (table inet {netfaults.table})")
        except NetFaultsUnavailable as error:
            netfaults.close()
            self.partition_faults_unavailable = str(error)
            say("!!!!!!!! NETWORK PARTITION FAULTS UNAVAILABLE: " + str(error) + " !!!!!!!!")

    def measure_resume(self, healed_at):
        """Waits (bounded) until every partition acknowledged a write after healing; the
        time to the last partition's first acknowledgement is resume_after_heal_ms."""
        bound = self.arguments.resume_bound
        partitions = range(self.arguments.partitions)
        while time.monotonic() < healed_at + bound:
            self.watch_nodes()
            firsts = [self.ledger.first_ack_after(p, healed_at) for p in partitions]
            if all(first is not None for first in firsts):
                self.resume_after_heal_ms = int((max(firsts) - healed_at) * 1000)
                say(f"writes resumed on every partition {self.resume_after_heal_ms} ms after healing")
                return
            time.sleep(0.05)
        stuck = [p for p in partitions if self.ledger.first_ack_after(p, healed_at) is None]
        self.violate("no_resume", f"partitions {stuck} committed nothing within {bound} s after healing")

    def quiesce(self):
        """Stops producers, lets followers and replicas catch up, stops the followers."""
        for producer in self.producers:
            producer.begin_stop()
        deadline = time.monotonic() + self.arguments.append_timeout + 5
        for producer in self.producers:
            producer.finish_stop(deadline)
        deadline = time.monotonic() + CATCH_UP_WAIT_SECONDS
        behind = []
        while time.monotonic() < deadline:
            self.watch_nodes()
            behind = [(p, f.highest_offset(), max(self.ledger.acks.get(p, {}).values(), default=-1))
                      for p, f in self.followers.items()
                      if f.highest_offset() < max(self.ledger.acks.get(p, {}).values(), default=-1)]
            if not behind:
                break
            time.sleep(0.2)
        for partition, seen, acknowledged in behind:
            self.violate("follower_behind", f"partition {partition}: the committed-tail follower reached offset {seen} "
                                            f"but offset {acknowledged} was acknowledged; waited {CATCH_UP_WAIT_SECONDS} s "
                                            f"(see logs/tail-p{partition}.err)", partition=partition)
        self.wait_for_replicas_to_agree()
        time.sleep(QUIET_SECONDS)
        self.status()
        for follower in self.followers.values():
            follower.stop()

    def node_views(self):
        """{partition: {node: commit offset}} from asking each node alone (its own view)."""
        views = {}
        for node in self.nodes.values():
            code, stdout, _ = run_command([self.iris_log, "info", "--cluster", f"{node.address}:{node.port}", "--json"],
                                          INFO_TIMEOUT_SECONDS)
            if code != 0:
                continue
            try:
                statuses = parse_info(stdout)
            except ValueError:
                continue
            for partition, status in statuses.items():
                if node.node_id in self.placement[partition] and status.commit_offset is not None:
                    views.setdefault(partition, {})[node.node_id] = status.commit_offset
        return views

    def wait_for_replicas_to_agree(self):
        """Waits (bounded) until every replica of every partition reports the same commit
        offset: the followers have caught up, so the offline check can require all replicas."""
        started = time.monotonic()
        views = {}
        while time.monotonic() < started + CATCH_UP_WAIT_SECONDS:
            views = self.node_views()
            agreed = all(len(views.get(p, {})) == len(self.placement[p]) and len(set(views[p].values())) == 1
                         for p in range(self.arguments.partitions))
            if agreed:
                self.catch_up_ms = int((time.monotonic() - started) * 1000)
                say(f"every replica reports the same commit offset after {self.catch_up_ms} ms")
                return
            time.sleep(0.5)
        say(f"replicas did not report one commit offset within {CATCH_UP_WAIT_SECONDS} s: {views}")

    def stop_cluster(self):
        for node in self.nodes.values():
            clean, code = node.terminate()
            if not clean:
                self.violate("shutdown", f"node {node.node_id} did not exit within 20 s of SIGTERM (killed); "
                                         f"log ends:\n{node.log_tail()}", node=node.node_id)
            elif code not in (0, None):
                self.violate("shutdown", f"node {node.node_id} exited {code} after SIGTERM; log ends:\n{node.log_tail()}",
                             node=node.node_id)

    def gather(self):
        """Offline evidence for every partition: verify and dump each replica's directory."""
        evidence = {}
        for partition in range(self.arguments.partitions):
            status = self.last_status.get(partition)
            holders = [n for n, node in self.nodes.items()
                       if os.path.isdir(os.path.join(node.data_dir, "partitions", str(partition)))]
            replicas = self.placement[partition]
            for stray in sorted(set(holders) - set(replicas)):
                self.violate("placement", f"node {stray} has a directory for partition {partition}, "
                                          f"which SPEC §10 places on {replicas}", node=stray, partition=partition)
            item = PartitionEvidence(replicas=sorted(replicas))
            for node_id in sorted(set(replicas) | set(holders)):
                directory = os.path.join(self.nodes[node_id].data_dir, "partitions", str(partition))
                code, stdout, stderr = run_command([self.iris_log, "verify", directory], OFFLINE_COMMAND_TIMEOUT_SECONDS)
                item.verify[node_id] = (code, stdout + stderr)
                code, stdout, stderr = run_command([self.iris_log, "dump", directory, "--json"], OFFLINE_COMMAND_TIMEOUT_SECONDS)
                records, problems = parse_dump(stdout)
                if code == 0 or records:
                    item.logs[node_id] = records
                if code != 0:
                    item.dump_errors[node_id] = f"dump exit {code}: {stderr.strip()[:300]}"
                for problem in problems[:5]:
                    self.violate("dump_output", f"node {node_id} partition {partition}: {problem}")
            item.acks = dict(self.ledger.acks.get(partition, {}))
            item.unknown = set(self.ledger.unknown.get(partition, set()))
            item.observed = self.followers[partition].snapshot() if partition in self.followers else []
            item.committed_end = status.commit_offset if status else None
            evidence[partition] = item
        return evidence

    def save_client_record(self):
        """Writes what clients were told and saw to WORK/clients.json, for a post-mortem."""
        def text(value):
            return value.decode("utf-8", "backslashreplace")
        record = {str(p): {"acks": {text(v): o for v, o in self.ledger.acks.get(p, {}).items()},
                           "unknown": sorted(text(v) for v in self.ledger.unknown.get(p, set())),
                           "observed": [[o, text(v)] for o, v in (self.followers[p].snapshot() if p in self.followers else [])]}
                  for p in range(self.arguments.partitions)}
        with open(os.path.join(self.work, "clients.json"), "w") as output:
            json.dump(record, output)

    def run(self):
        self.start_cluster()
        self.open_netfaults()
        if not self.wait_for_leaders():
            return
        self.start_clients()
        self.injector = FaultInjector(self.rng, self.nodes, self.netfaults, self.status, self.watch_nodes)
        self.injector.run(self.arguments.duration)
        healed_at = time.monotonic()
        say("healed: every node running, no firewall rule")
        self.measure_resume(healed_at)
        self.quiesce()
        self.stop_cluster()
        for message in self.ledger.anomalies:
            self.violate("client_contract", message)
        evidence = self.gather()
        self.save_client_record()
        self.unknown_landed = sum(unknown_landed(item) for item in evidence.values())
        for violation in check(evidence):
            self.violate(violation.pop("kind"), violation.pop("detail"), **violation)

    def cleanup(self):
        """Kills everything the run started (by PID) and removes the firewall table."""
        for producer in self.producers:
            producer.force_stop()
        for follower in self.followers.values():
            follower.stop()
        for node in self.nodes.values():
            node.force_stop()
        if self.netfaults is not None:
            self.netfaults.close()   # deleting the table removes every rule

    def summary(self):
        acknowledged, unknown = self.ledger.counts()
        result = {
            "seed": self.arguments.seed,
            "nodes": self.arguments.nodes,
            "partitions": self.arguments.partitions,
            "replicas": self.arguments.replicas,
            "duration": self.arguments.duration,
            "acknowledged": acknowledged,
            "unknown_outcome": unknown,
            "unknown_outcome_landed": self.unknown_landed,
            "faults": dict(self.injector.counts) if self.injector else {},
            "resume_after_heal_ms": self.resume_after_heal_ms,
            "replicas_agreed_after_ms": self.catch_up_ms,
            "producer_restarts": sum(p.restarts for p in self.producers),
            "follower_restarts": sum(f.restarts for f in self.followers.values()),
            "observed_by_followers": sum(len(f.observed) for f in self.followers.values()),
            "preferred_leaders_leading_at_end": sum(1 for p, leader in enumerate(self.preferred_leaders)
                                                    if p in self.last_status and self.last_status[p].leader == leader),
            "stragglers": [v for v in self.violations if v["kind"] == "straggler"],
            "violations": self.violations,
            "fault_log": self.injector.log if self.injector else [],
            "work_dir": self.work,
            "ok": not self.violations,
        }
        if self.partition_faults_unavailable is not None:
            result["partition_faults_unavailable"] = self.partition_faults_unavailable
        return result


def main(argv):
    arguments = parse_arguments(argv)
    repository = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    chaos = ChaosRun(arguments, repository)
    for binary in (chaos.irisd, chaos.iris_log):
        if not os.access(binary, os.X_OK):
            say(f"{binary} is missing: build it first (swift build --build-tests builds every product)")
            return 2

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    interrupted = False
    try:
        chaos.run()
    except KeyboardInterrupt:
        interrupted = True
        chaos.violate("interrupted", "the run was interrupted before it finished")
    except Exception:   # a harness bug must still clean up and report, never hide as a pass
        interrupted = True
        chaos.violate("harness_error", traceback.format_exc())
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a second Ctrl-C must not cut the cleanup short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        chaos.cleanup()
    result = chaos.summary()
    say(f"seed {arguments.seed}: {result['acknowledged']} acknowledged, {result['unknown_outcome']} outcome unknown, "
        f"faults {result['faults']}, resume after heal {result['resume_after_heal_ms']} ms, "
        f"{len(result['violations'])} violations")
    if result["ok"] and not arguments.keep and not interrupted:
        shutil.rmtree(chaos.work, ignore_errors=True)
        result["work_dir"] = None
    else:
        say(f"logs and data kept in {chaos.work}")
    if arguments.json:
        print(json.dumps(result, sort_keys=True), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
