#!/usr/bin/env python3
"""Table of cluster-vs-peers.sh's results: Iris (3 nodes) against etcd (3 members) and NATS
JetStream R3 at each client count, the ratios, and the issue's goals. Usage: cluster-table.py OUT_DIR
(reads iris.json, etcd.json, nats.json there; a missing or empty file leaves its columns blank)."""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}


def fmt(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"


def ratio(a, b):
    return None if a is None or not b else a / b


def main(out):
    iris, etcd, nats = load(f"{out}/iris.json"), load(f"{out}/etcd.json"), load(f"{out}/nats.json")
    cluster = {r["clients"]: r for r in iris.get("runs", []) if r["mode"] == "cluster"}
    single = {r["clients"]: r for r in iris.get("runs", []) if r["mode"] == "single"}
    etcd3 = {r["clients"]: r for r in etcd.get("runs", []) if r.get("members") == 3}
    profiles = {p["profile"]: {r["clients"]: r for r in p["runs"]} for p in nats.get("profiles", [])}
    always = profiles.get("new-always", {})
    deb = profiles.get("deb-default", {})
    versions = {p["profile"]: p["version"] for p in nats.get("profiles", [])}
    first = next(iter(cluster.values()), {})
    print(f"Iris {first.get('nodes', '?')} nodes R{first.get('replicas', '?')} vs etcd {etcd.get('version', '?')} 3 members "
          f"vs NATS {versions.get('new-always', '?')} R3 sync_interval: always; 1 KiB, one record per call, "
          f"{iris.get('nproc', '?')} cores")
    header = ("clients", "iris rec/s", "iris p50", "iris p99", "iris p99.9", "etcd rec/s", "etcd p99", "iris/etcd",
              "NATS rec/s", "NATS p99", "iris/NATS", "NATS 2.9 dflt rec/s")
    rows = []
    for c in sorted(cluster):
        i, e, n, d = cluster[c], etcd3.get(c, {}), always.get(c, {}), deb.get(c, {})
        rows.append((str(c), fmt(i["ops_per_s"]), fmt(i.get("p50_ms"), 2), fmt(i.get("p99_ms"), 2), fmt(i.get("p999_ms"), 2),
                     fmt(e.get("ops_per_s")), fmt(e.get("p99_ms"), 2), fmt(ratio(i["ops_per_s"], e.get("ops_per_s")), 2),
                     fmt(n.get("ops_per_s")), fmt(n.get("p99_ms"), 2), fmt(ratio(i["ops_per_s"], n.get("ops_per_s")), 2),
                     fmt(d.get("ops_per_s"))))
    widths = [max(len(h), *(len(r[k]) for r in rows)) if rows else len(h) for k, h in enumerate(header)]
    print("| " + " | ".join(h.rjust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(v.rjust(w) for v, w in zip(r, widths)) + " |")
    print("(latencies in ms)")
    top = max(cluster) if cluster else None
    if top is not None:
        i = cluster[top]
        checks = [
            (f"{top} clients: iris/etcd >= 10", ratio(i["ops_per_s"], etcd3.get(top, {}).get("ops_per_s")), lambda v: v >= 10),
            (f"{top} clients: iris/NATS >= 3", ratio(i["ops_per_s"], always.get(top, {}).get("ops_per_s")), lambda v: v >= 3),
            (f"{top} clients: iris p99 < 10 ms", i.get("p99_ms"), lambda v: v < 10),
        ]
        if 1 in cluster and 1 in single:
            checks.append(("1 client: cluster p50 <= 2x single node p50 "
                           f"({fmt(cluster[1].get('p50_ms'), 3)} vs {fmt(single[1].get('p50_ms'), 3)} ms)",
                           ratio(cluster[1].get("p50_ms"), single[1].get("p50_ms")), lambda v: v <= 2))
        for name, value, meets in checks:
            met = None if value is None else meets(value)
            print(f"goal {name}: {fmt(value, 2)} -> {'-' if met is None else ('met' if met else 'MISSED')}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
