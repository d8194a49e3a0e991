"""The chaos run's checker: pure functions from evidence (what clients were told, what the
replicas hold, what a follower saw) to a list of violations.

Nothing here touches a process or a file, so test_checker.py can feed it synthetic evidence.
Violation kinds:
  verify_failed     `iris-log verify` did not exit 0 on a replica's partition directory
  missing_replica   a replica's partition directory could not be read at all
  lost_ack          an acknowledged value is not at its acknowledged offset on a majority
  duplicate         a client value appears more than once in one replica's log
  phantom           a client value that no producer sent (or sent under another name)
  divergent         two replicas hold different records at one offset of the committed prefix
  straggler         a replica's log ends inside the committed prefix the others agree on
  changed_committed the follower saw (offset, value) that the final logs do not hold
"""

import base64
from dataclasses import dataclass, field

# Reports of one kind in one partition beyond this count are summarised, not listed.
REPORTS_PER_KIND_MAX = 20


@dataclass(frozen=True)
class Record:
    """One record of a replica's log as `iris-log dump --json` prints it."""
    offset: int
    value: bytes
    key: bytes | None = None
    headers: tuple = ()          # ((name, value bytes), ...)
    timestamp_us: int = 0

    @property
    def is_system(self) -> bool:
        """Records the system writes for itself carry a header named iris.*."""
        return any(name.startswith("iris.") for name, _ in self.headers)

    def identity(self) -> tuple:
        """What must be equal on every replica for a committed offset."""
        return (self.offset, self.value, self.key, self.headers, self.timestamp_us)


def record_from_json(obj: dict) -> Record:
    """Parses one line of `iris-log dump --json` (already decoded from JSON)."""
    key = base64.b64decode(obj["key_base64"]) if "key_base64" in obj else None
    headers = tuple((h["name"], base64.b64decode(h.get("value_base64", ""))) for h in obj.get("headers", []))
    return Record(offset=int(obj["offset"]), value=base64.b64decode(obj["value_base64"]), key=key,
                  headers=headers, timestamp_us=int(obj.get("timestamp_us", 0)))


@dataclass
class PartitionEvidence:
    """Everything gathered about one partition."""
    replicas: list                                  # node ids that own the partition
    logs: dict = field(default_factory=dict)        # node id -> [Record] (offline dump), or missing
    dump_errors: dict = field(default_factory=dict) # node id -> message (dump could not read the directory)
    verify: dict = field(default_factory=dict)      # node id -> (exit code, output)
    acks: dict = field(default_factory=dict)        # value bytes -> acknowledged offset
    unknown: set = field(default_factory=set)       # value bytes whose outcome is unknown
    observed: list = field(default_factory=list)    # [(offset, value bytes)] seen by the committed-tail follower
    committed_end: int | None = None                # first offset not known committed (exclusive), if known


def _violation(kind, partition, detail, node=None, offset=None, value=None):
    entry = {"kind": kind, "partition": partition, "detail": detail}
    if node is not None:
        entry["node"] = node
    if offset is not None:
        entry["offset"] = offset
    if value is not None:
        entry["value"] = value.decode("utf-8", "backslashreplace")
    return entry


def _capped(entries, kind, partition):
    """Keeps the first REPORTS_PER_KIND_MAX entries and summarises the rest in one."""
    if len(entries) <= REPORTS_PER_KIND_MAX:
        return entries
    rest = len(entries) - REPORTS_PER_KIND_MAX
    return entries[:REPORTS_PER_KIND_MAX] + [_violation(kind, partition, f"... and {rest} more of this kind")]


def _by_offset(records):
    return {record.offset: record for record in records}


def check_partition(partition: int, evidence: PartitionEvidence) -> list:
    """Every violation found in one partition's evidence, ordered by kind."""
    found = []
    found += _check_readable(partition, evidence)
    logs = {node: evidence.logs[node] for node in evidence.replicas if node in evidence.logs}
    indexed = {node: _by_offset(records) for node, records in logs.items()}
    majority = len(evidence.replicas) // 2 + 1
    found += _capped(_check_acks(partition, evidence, indexed, majority), "lost_ack", partition)
    duplicates, phantoms = _check_duplicates_and_phantoms(partition, evidence, logs)
    found += _capped(duplicates, "duplicate", partition) + _capped(phantoms, "phantom", partition)
    found += _check_prefix(partition, evidence, indexed)
    found += _capped(_check_observed(partition, evidence, indexed, majority), "changed_committed", partition)
    return found


def check(evidence_by_partition: dict) -> list:
    """Every violation over all partitions, partitions in order."""
    found = []
    for partition in sorted(evidence_by_partition):
        found += check_partition(partition, evidence_by_partition[partition])
    return found


def unknown_landed(evidence: PartitionEvidence) -> int:
    """How many values whose outcome was unknown are in some replica's log (each at most
    once, which the duplicate check enforces)."""
    present = {record.value for records in evidence.logs.values() for record in records if not record.is_system}
    return len(evidence.unknown & present)


def _check_readable(partition, evidence):
    found = []
    for node in evidence.replicas:
        code, output = evidence.verify.get(node, (None, "verify was not run"))
        if code != 0:
            found.append(_violation("verify_failed", partition, f"iris-log verify exit {code}: {output.strip()[:400]}", node=node))
        if node not in evidence.logs:
            reason = evidence.dump_errors.get(node, "no dump")
            found.append(_violation("missing_replica", partition, f"could not read the replica: {reason}", node=node))
    return found


def _check_acks(partition, evidence, indexed, majority):
    """An acknowledged value must sit at its offset on a majority of replicas."""
    found = []
    for value, offset in sorted(evidence.acks.items(), key=lambda item: item[1]):
        holders = [node for node, records in indexed.items()
                   if offset in records and records[offset].value == value and not records[offset].is_system]
        if len(holders) < majority:
            seen_at = sorted({f"node {node}@{record.offset}" for node, records in indexed.items()
                              for record in records.values() if record.value == value and not record.is_system})
            where = ", ".join(seen_at) if seen_at else "nowhere"
            found.append(_violation("lost_ack", partition,
                                    f"acknowledged at offset {offset} but held there by {len(holders)} of "
                                    f"{len(evidence.replicas)} replicas (need {majority}); found {where}",
                                    offset=offset, value=value))
    return found


def _check_duplicates_and_phantoms(partition, evidence, logs):
    """Client values seen twice in one log, and client values nobody sent."""
    duplicates = {}   # value -> {node: [offsets]}
    phantoms = {}     # value -> {node: [offsets]}
    for node, records in logs.items():
        offsets_by_value = {}
        for record in records:
            if not record.is_system:
                offsets_by_value.setdefault(record.value, []).append(record.offset)
        for value, offsets in offsets_by_value.items():
            if len(offsets) > 1:
                duplicates.setdefault(value, {})[node] = offsets
            if value not in evidence.acks and value not in evidence.unknown:
                phantoms.setdefault(value, {})[node] = offsets
    def places(where):
        return "; ".join(f"node {node} at {offsets}" for node, offsets in sorted(where.items()))
    return ([_violation("duplicate", partition, f"appears more than once: {places(where)}", value=value)
             for value, where in sorted(duplicates.items())],
            [_violation("phantom", partition, f"no producer sent this value: {places(where)}", value=value)
             for value, where in sorted(phantoms.items())])


def prefix_end(evidence: PartitionEvidence) -> int:
    """The end (exclusive) of the prefix that must be identical: past every acknowledged
    offset and every offset the follower saw, and at least the reported commit end."""
    end = evidence.committed_end or 0
    if evidence.acks:
        end = max(end, max(evidence.acks.values()) + 1)
    if evidence.observed:
        end = max(end, max(offset for offset, _ in evidence.observed) + 1)
    return end


def _check_prefix(partition, evidence, indexed):
    """Records below prefix_end must be equal on every replica that has them, and every
    replica must have them all."""
    end = prefix_end(evidence)
    if not indexed or end == 0:
        return []
    start = min((min(records) for records in indexed.values() if records), default=0)
    divergent = []
    short = {}   # node -> first offset it lacks
    for offset in range(start, end):
        present = {node: records[offset] for node, records in indexed.items() if offset in records}
        if len({record.identity() for record in present.values()}) > 1:
            described = "; ".join(f"node {node}: {_describe(record)}" for node, record in sorted(present.items()))
            divergent.append(_violation("divergent", partition, f"replicas differ at committed offset {offset}: {described}",
                                        offset=offset))
        if present:
            for node in indexed:
                if node not in present and node not in short:
                    short[node] = offset
    found = _capped(divergent, "divergent", partition)
    for node, offset in sorted(short.items()):
        found.append(_violation("straggler", partition,
                                f"lacks committed offset {offset} (committed prefix ends at {end}) that other replicas hold",
                                node=node, offset=offset))
    return found


def _describe(record):
    value = record.value.decode("utf-8", "backslashreplace")[:60]
    headers = ",".join(name for name, _ in record.headers)
    return f"value={value!r} key={record.key!r} headers=[{headers}] ts={record.timestamp_us}"


def _check_observed(partition, evidence, indexed, majority):
    """What the committed-tail follower saw must be what the final logs hold."""
    found = []
    seen = {}
    for offset, value in evidence.observed:
        if offset in seen and seen[offset] != value:
            found.append(_violation("changed_committed", partition,
                                    f"the follower saw offset {offset} as {seen[offset]!r} and later as {value!r}",
                                    offset=offset, value=value))
            continue
        seen[offset] = value
        holders = [node for node, records in indexed.items() if offset in records and records[offset].value == value
                   and not records[offset].is_system]
        if len(holders) < majority:
            finals = "; ".join(f"node {node}: {_describe(records[offset])}" if offset in records else f"node {node}: none"
                               for node, records in sorted(indexed.items()))
            found.append(_violation("changed_committed", partition,
                                    f"the follower saw this value committed at offset {offset}; final logs hold {finals}",
                                    offset=offset, value=value))
    return found
