"""Parsing `iris-log info --cluster ... --json`: each partition's leader, term, commit offset
and replicas. The parser accepts the field spellings a JSON encoder of the STATUS answer is
likely to use, so the harness does not break on a renamed key; a partition missing what the
harness needs (its number) is skipped."""

import json
from dataclasses import dataclass

_PARTITION_KEYS = ("partition", "id", "index")
_LEADER_KEYS = ("leader", "leader_id", "leaderID", "leader_node")
_TERM_KEYS = ("term",)
_COMMIT_KEYS = ("commit_offset", "commitOffset", "commit", "committed", "commit_end")
_REPLICA_KEYS = ("replicas", "replica_ids", "members")


@dataclass(frozen=True)
class PartitionStatus:
    """One partition as `info --cluster` reports it; leader None when there is none."""
    partition: int
    leader: int | None
    term: int
    commit_offset: int | None
    replicas: tuple


def _first(obj, keys):
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def _node_id(value):
    """A node named as an int, a numeric string or an object with an id; 0 and None mean none."""
    if isinstance(value, dict):
        value = _first(value, ("id", "node", "node_id"))
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _partition_objects(document):
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        partitions = document.get("partitions")
        if isinstance(partitions, list):
            return partitions
        if isinstance(partitions, dict):
            return [dict(value, partition=int(key)) for key, value in partitions.items() if isinstance(value, dict)]
    return []


def parse_info(text: str) -> dict:
    """partition number -> PartitionStatus. Accepts one JSON document, or one object per line."""
    text = text.strip()
    try:
        documents = [json.loads(text)]
    except ValueError:
        documents = [json.loads(line) for line in text.splitlines() if line.strip().startswith(("{", "["))]
    statuses = {}
    for document in documents:
        objects = _partition_objects(document)
        if not objects and isinstance(document, dict) and _first(document, _PARTITION_KEYS) is not None:
            objects = [document]
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            number = _first(obj, _PARTITION_KEYS)
            if isinstance(number, bool) or not isinstance(number, int):
                continue
            replicas = _first(obj, _REPLICA_KEYS) or []
            commit = _first(obj, _COMMIT_KEYS)
            term = _first(obj, _TERM_KEYS)
            statuses[number] = PartitionStatus(
                partition=number,
                leader=_node_id(_first(obj, _LEADER_KEYS)),
                term=term if isinstance(term, int) else 0,
                commit_offset=commit if isinstance(commit, int) and not isinstance(commit, bool) else None,
                replicas=tuple(node for node in (_node_id(entry) for entry in replicas) if node is not None),
            )
    return statuses
