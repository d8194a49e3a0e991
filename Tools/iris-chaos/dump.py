"""Parsing what `iris-log dump --json` and `iris-log tail --json` print: one JSON object per line."""

import json

from checker import record_from_json


def parse_dump(text: str):
    """The records of a dump and a list of lines that were not records (each a message)."""
    records, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(record_from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as error:
            problems.append(f"line {number}: {error}: {line[:120]!r}")
    return records, problems
