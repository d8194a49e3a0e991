#!/usr/bin/env python3
"""Partition placement written independently from SPEC.md §10 (hash, replica ranking,
preferred-leader balancing). Prints, for a few clusters, the values that
Tests/IrisNodeTests/PlacementTests.swift pins (`preferredLeadersMatchTheReferenceImplementation`):
the leader list of a small cluster and a digest (h = mix(h ^ leader) from 0) of larger ones.

Usage: python3 Tools/spec-reader/iris_placement.py   (Python 3 standard library only)
"""
from collections import Counter

M = (1 << 64) - 1


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def weight(p, n):
    return mix(mix((n + 0x9E3779B97F4A7C15) & M) ^ mix((p + 0xD1B54A32D192ED03) & M))


def placement(nodes, P, R):
    """(replicas per partition in rank order, preferred leader per partition), as node IDs."""
    nodes = sorted(nodes)
    N = len(nodes)
    reps = [sorted(range(N), key=lambda i: -weight(p, nodes[i]))[:R] for p in range(P)]
    leader = [r[0] for r in reps]
    led = [[] for _ in range(N)]
    for p in range(P):
        led[leader[p]].append(p)
    cap = -(-P // N)

    def chain(start):
        visited, queue, parent = {start}, [start], {}
        for x in queue:
            for p in led[x]:
                for y in reps[p]:
                    if y in visited:
                        continue
                    visited.add(y)
                    parent[y] = p
                    if len(led[y]) < cap:
                        moves, n = [], y
                        while n != start:
                            q = parent[n]
                            moves.append((q, n))
                            n = leader[q]
                        return moves[::-1]
                    queue.append(y)
        return None

    i = 0
    while i < N:
        if len(led[i]) <= cap:
            i += 1
            continue
        path = chain(i)
        if path is None:
            cap += 1
            continue
        for q, y in path:
            entries = led[leader[q]]
            k = entries.index(q)
            last = entries.pop()
            if k < len(entries):
                entries[k] = last
            leader[q] = y
            led[y].append(q)
    return [[nodes[i] for i in r] for r in reps], [nodes[i] for i in leader]


def digest(leaders):
    h = 0
    for node in leaders:
        h = mix(h ^ node)
    return h


if __name__ == "__main__":
    for nodes, P, R in [(list(range(1, 6)), 8, 3), (list(range(1, 8)), 100, 3),
                        ([10 * k for k in range(1, 13)], 1000, 5), (list(range(1, 51)), 4096, 3)]:
        replicas, leaders = placement(nodes, P, R)
        counts = Counter(leaders)
        shown = leaders if P <= 8 else ""
        print(f"N={len(nodes)} P={P} R={R} {shown} digest=0x{digest(leaders):016X} "
              f"leaders/node max {max(counts.values())} (ceil {-(-P // len(nodes))})")
