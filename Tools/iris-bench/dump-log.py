#!/usr/bin/env python3
"""Writes the lines of a realistic operator's log to stdout, for `iris-log append`.

Usage: dump-log.py RECORDS SEED [META_FILE]

Deterministic for a given RECORDS and SEED. About three records in four are text (JSON-like
telemetry with quotes, backslashes, tabs, a control character now and then and non-ASCII
characters, 0.5 to 6 KB), the others binary (random bytes, some of them invalid UTF-8, 0.5 to
6 KB): a mix that exercises both the escaped-text and the base64 paths of `iris-log dump`.
A line holds no newline byte (each line is one record). When META_FILE is given, it receives
one JSON object: records, value_bytes, text_records, binary_records.
"""
import json
import random
import sys


def main() -> None:
    records, seed = int(sys.argv[1]), int(sys.argv[2])
    meta_path = sys.argv[3] if len(sys.argv) > 3 else None
    rng = random.Random(seed)
    words = ["temperature", "humidity", "sensor", "gateway", "état", "Größe", "温度", "数据", "🚀", "ok",
             "quoted \"value\"", "C:\\path\\to", "tab\there", "bell\x07", "null", "true", "42.5", "-17"]
    # A pool of text to slice records from: slicing is fast, and the text compresses like logs do.
    pieces = []
    for number in range(40_000):
        pieces.append('{"device":"dev-%05d","field":"%s","reading":%d.%02d,"note":"%s %s"}'
                      % (rng.randrange(100_000), rng.choice(words), rng.randrange(1000), rng.randrange(100),
                         rng.choice(words), rng.choice(words)))
    pool = " ".join(pieces)
    out = sys.stdout.buffer
    value_bytes = text_records = 0
    for _ in range(records):
        size = rng.randrange(500, 6000)
        if rng.random() < 0.75:
            start = rng.randrange(len(pool) - size)
            value = pool[start:start + size].encode()
            text_records += 1
        else:
            value = rng.randbytes(size).replace(b"\n", b"\x00")
        value_bytes += len(value)
        out.write(value)
        out.write(b"\n")
    out.flush()
    if meta_path:
        with open(meta_path, "w") as meta:
            json.dump({"records": records, "value_bytes": value_bytes, "text_records": text_records,
                       "binary_records": records - text_records}, meta)


if __name__ == "__main__":
    main()
