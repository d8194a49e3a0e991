"""Seeded faults, one at a time with gaps: kill -9 of a partition's leader or of a follower
(restarted after a random downtime with the same arguments), SIGSTOP/SIGCONT of a node, and
network partitions on loopback: a node isolated both ways, one direction of a node dropped, and
(with 5 nodes or more) a split into a minority and a majority."""

import time

KILL_DOWN_SECONDS = (0.5, 5.0)
PAUSE_SECONDS = (0.5, 5.0)
PARTITION_SECONDS = (1.0, 8.0)
GAP_SECONDS = (1.0, 4.0)
WATCH_INTERVAL_SECONDS = 0.1


class FaultInjector:
    def __init__(self, rng, nodes, netfaults, status, watch):
        """nodes: {id: Node}; netfaults: NetFaults or None; status(): {partition: PartitionStatus};
        watch(): called often while faults run (notices nodes that died on their own)."""
        self.rng = rng
        self.nodes = nodes
        self.netfaults = netfaults
        self.status = status
        self.watch = watch
        self.kinds = ["kill_leader", "kill_follower", "pause"]
        if netfaults is not None:
            self.kinds += ["isolate", "one_way"]
            if len(nodes) >= 5:
                self.kinds.append("split")
        self.counts = {kind: 0 for kind in self.kinds}
        self.log = []
        self.started = time.monotonic()

    def _sleep(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.watch()
            time.sleep(min(WATCH_INTERVAL_SECONDS, max(0.0, end - time.monotonic())))

    def _record(self, kind, detail, hold_seconds):
        self.counts[kind] += 1
        entry = {"t_s": round(time.monotonic() - self.started, 2), "kind": kind, "detail": detail,
                 "hold_s": round(hold_seconds, 2)}
        self.log.append(entry)
        print(f"iris-chaos: fault at {entry['t_s']:7.2f} s: {kind} {detail} for {hold_seconds:.1f} s", flush=True)

    def run(self, duration_seconds):
        """Injects faults until duration_seconds have passed, then heals."""
        end = self.started + duration_seconds
        while time.monotonic() < end:
            self._sleep(min(self.rng.uniform(*GAP_SECONDS), max(0.0, end - time.monotonic())))
            if time.monotonic() >= end:
                break
            kind = self.rng.choice(self.kinds)
            getattr(self, "_" + kind)(min(end, time.monotonic() + 30))
        self.heal_all()

    def _pick_partition(self):
        statuses = self.status()
        if not statuses:
            return None
        return statuses[self.rng.choice(sorted(statuses))]

    def _kill(self, kind, node_id, why, deadline):
        node = self.nodes[node_id]
        down = self.rng.uniform(*KILL_DOWN_SECONDS)
        self._record(kind, f"node {node_id} ({why})", down)
        node.kill9()
        self._sleep(min(down, max(0.0, deadline - time.monotonic())))
        node.start()

    def _kill_leader(self, deadline):
        status = self._pick_partition()
        if status is not None and status.leader in self.nodes:
            self._kill("kill_leader", status.leader, f"leader of partition {status.partition}, term {status.term}", deadline)
        else:
            node_id = self.rng.choice(sorted(self.nodes))
            self._kill("kill_leader", node_id, "no leader known: a random node", deadline)

    def _kill_follower(self, deadline):
        status = self._pick_partition()
        candidates = sorted(self.nodes)
        why = "random node"
        if status is not None:
            followers = [node for node in status.replicas if node != status.leader and node in self.nodes]
            if followers:
                candidates, why = followers, f"follower of partition {status.partition}, leader {status.leader}"
        self._kill("kill_follower", self.rng.choice(candidates), why, deadline)

    def _pause(self, deadline):
        node = self.nodes[self.rng.choice(sorted(self.nodes))]
        hold = self.rng.uniform(*PAUSE_SECONDS)
        self._record("pause", f"node {node.node_id} (SIGSTOP)", hold)
        node.pause()
        self._sleep(min(hold, max(0.0, deadline - time.monotonic())))
        node.resume()

    def _partition(self, kind, detail, pairs, deadline):
        hold = self.rng.uniform(*PARTITION_SECONDS)
        self._record(kind, detail, hold)
        for source, destination in pairs:
            self.netfaults.drop(source, destination)
        self._sleep(min(hold, max(0.0, deadline - time.monotonic())))
        self.netfaults.heal()

    def _isolate(self, deadline):
        node = self.nodes[self.rng.choice(sorted(self.nodes))]
        others = [other.address for other in self.nodes.values() if other is not node]
        pairs = [(node.address, other) for other in others] + [(other, node.address) for other in others]
        self._partition("isolate", f"node {node.node_id} ({node.address}) both ways", pairs, deadline)

    def _one_way(self, deadline):
        node = self.nodes[self.rng.choice(sorted(self.nodes))]
        others = [other.address for other in self.nodes.values() if other is not node]
        if self.rng.random() < 0.5:
            pairs, detail = [(node.address, other) for other in others], f"node {node.node_id} ({node.address}) cannot send"
        else:
            pairs, detail = [(other, node.address) for other in others], f"node {node.node_id} ({node.address}) cannot receive"
        self._partition("one_way", detail, pairs, deadline)

    def _split(self, deadline):
        ids = sorted(self.nodes)
        self.rng.shuffle(ids)
        minority, majority = ids[:(len(ids) - 1) // 2], ids[(len(ids) - 1) // 2:]
        pairs = []
        for a in minority:
            for b in majority:
                pairs += [(self.nodes[a].address, self.nodes[b].address), (self.nodes[b].address, self.nodes[a].address)]
        self._partition("split", f"nodes {sorted(minority)} | {sorted(majority)}", pairs, deadline)

    def heal_all(self):
        """Every node running and unpaused, no firewall rule left. Safe to call at any time."""
        if self.netfaults is not None:
            self.netfaults.heal()
        for node in self.nodes.values():
            node.resume()
            if not node.running():
                node.start()
