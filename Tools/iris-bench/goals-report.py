#!/usr/bin/env python3
"""Issue 4's six goals (and issue 13's many-logs goal) as a Markdown table, from one `goals.sh` run.

Usage: goals-report.py GOALS.jsonl
Reads the JSON lines `goals.sh` wrote (disk first) and prints each goal's target, the
measured figures and ratios, and whether it is met. Python 3 standard library only.
"""
import json
import sys


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                run = json.loads(line)
                if run.get("subcommand") == "append" and run.get("engine") == "iris":
                    run.setdefault("iris_api", "async")  # runs from before `--iris-api`
                runs.append(run)
    return runs


def find(runs, subcommand, **fields):
    """The first run of `subcommand` whose fields match; iris appends default to POSIX (the log's default)
    and to producers as tasks (`--iris-api async`)."""
    if subcommand == "append" and fields.get("engine") == "iris":
        fields.setdefault("io_backend", "posix")
        fields.setdefault("iris_api", "async")
    for run in runs:
        if run.get("subcommand") == subcommand and all(run.get(k) == v for k, v in fields.items()):
            return run
    sys.exit(f"no {subcommand} run with {fields}")


def yes(ok):
    return "**met**" if ok else "not met"


def many_logs_rows(runs, disk, rows):
    """Issue 13 goal 1: 256 producers over 64 logs against one log, with the disk's many-file bound
    (`disk --files 64`): a log's sync carries at most producers / logs records."""
    if "files_fdatasync_per_sec" not in disk:
        return
    for io in ("posix", "io_uring"):
        pick = lambda logs: next((r for r in runs if r.get("subcommand") == "append" and r.get("engine") == "iris"
                                  and r.get("record_size") == 1024 and r.get("producers") == 256 and r.get("batch") == 1
                                  and r.get("logs", 1) == logs and r.get("io_backend", "posix") == io
                                  and r.get("iris_api") == "async"), None)
        one, many = pick(1), pick(64)
        if not one or not many:
            continue
        per_log = many["producers"] / many["logs"]
        bound = per_log * disk["files_fdatasync_per_sec"]
        shared = many["producers"] * disk["files_syncfs_rounds_per_sec"]
        ratio = many["records_per_sec"] / one["records_per_sec"]
        rows.append((f"13.1 64 logs x 256 producers ({io})", "≥ 0.9x one log",
                     f"{many['records_per_sec']:,.0f} vs {one['records_per_sec']:,.0f} rec/s = {ratio:.2f}x; "
                     f"disk bound {per_log:.0f} rec/sync x {disk['files_fdatasync_per_sec']:,.0f} file syncs/s = {bound:,.0f} "
                     f"({many['records_per_sec'] / bound:.0%} of it); with one syncfs per round {shared:,.0f} = "
                     f"{shared / one['records_per_sec']:.2f}x one log", yes(ratio >= 0.9)))


def in_flight_bound(disk, run):
    """'; disk bound …' for an append run whose producers each have one record in flight, from
    `disk --in-flight` (the best any engine could do with that many records outstanding), or ''."""
    key = f"inflight_{run['producers'] * run.get('batch', 1)}"
    if f"{key}_records_per_sec" not in disk or disk.get("inflight_record_bytes") != run["record_size"]:
        return ""
    bound = disk[f"{key}_records_per_sec"]
    return (f"; disk bound {bound:,.0f} rec/s at p99 {disk[f'{key}_p99_us'] / 1000:.2f} ms "
            f"({disk[f'{key}_syncers']} syncer(s)), {run['records_per_sec'] / bound:.0%} of it")


def issue13_rows(runs, disk):
    """Issue 13's goals 1-5 from the runs of one `goals.sh` session (those present)."""
    rows = []
    many_logs_rows(runs, disk, rows)
    def pick(**k):
        if k.get("engine") == "iris":
            k.setdefault("iris_api", "async")
        return next((r for r in runs if r.get("subcommand") == "append" and r.get("logs", 1) == 1
                     and all(r.get(f, "posix" if f == "io_backend" else None) == v for f, v in k.items())), None)
    for io in ("posix", "io_uring"):
        run = pick(engine="iris", record_size=1024, producers=256, batch=1, io_backend=io)
        if run:
            ok = run["records_per_sec"] >= 500_000 and run["p99_us"] < 2000
            rows.append((f"13.2 1 KiB x 256 ({io})", "≥ 500k rec/s, p99 < 2 ms",
                         f"{run['records_per_sec']:,.0f} rec/s, p99 {run['p99_us'] / 1000:.2f} ms{in_flight_bound(disk, run)}",
                         yes(ok)))
    for producers in (1, 4):
        sqlite = pick(engine="sqlite", record_size=1024, producers=producers, batch=1)
        rocks = pick(engine="rocksdb", record_size=1024, producers=producers, batch=1)
        for api, how in (("async", "tasks"), ("blocking", "threads, appendBlocking")):
            iris = pick(engine="iris", record_size=1024, producers=producers, batch=1, io_backend="posix", iris_api=api)
            if iris and sqlite and rocks:
                r = iris["records_per_sec"]
                rows.append((f"13.3 {producers} producer(s), {how}", "≥ SQLite and ≥ RocksDB",
                             f"{r:,.0f} rec/s = {r / sqlite['records_per_sec']:.2f}x SQLite ({sqlite['records_per_sec']:,.0f}), "
                             f"{r / rocks['records_per_sec']:.2f}x RocksDB ({rocks['records_per_sec']:,.0f})"
                             f"{in_flight_bound(disk, iris)}",
                             yes(r >= sqlite["records_per_sec"] and r >= rocks["records_per_sec"])))
    large = pick(engine="iris", record_size=65536, producers=64, batch=1, io_backend="posix")
    if large:
        ratio = large["mb_per_sec"] / disk["seq_write_fdatasync_1m_mb_per_sec"]
        rows.append(("13.4 64 KiB x 64", "≥ 70% of seq_write_fdatasync_1m",
                     f"{large['mb_per_sec']:,.0f} MB/s vs {disk['seq_write_fdatasync_1m_mb_per_sec']:,.0f} MB/s = {ratio:.0%}",
                     yes(ratio >= 0.7)))
    read = next((r for r in runs if r.get("subcommand") == "read" and "log_vs_raw" in r), None)
    if read:
        rows.append(("13.5 scan, page cache dropped", "≥ 80% of a raw read of the same files",
                     f"{read['log_mb_per_sec']:,.0f} MB/s of log vs {read['raw_read_mb_per_sec']:,.0f} MB/s raw = "
                     f"{read['log_vs_raw']:.0%}", yes(read["log_vs_raw"] >= 0.8)))
    return rows


def main():
    runs = load(sys.argv[1])
    disk = find(runs, "disk")
    rows = []
    a = lambda **k: find(runs, "append", **k)
    iris = a(engine="iris", record_size=1024, producers=256, batch=1, io_backend="io_uring")
    posix = a(engine="iris", record_size=1024, producers=256, batch=1, io_backend="posix")
    sqlite = a(engine="sqlite", record_size=1024, producers=256, batch=1)
    rocks = a(engine="rocksdb", record_size=1024, producers=256, batch=1)
    for name, run in (("iris (io_uring)", iris), ("iris (posix)", posix)):
        r = run["records_per_sec"]
        ok = r >= 500_000 and r >= 20 * sqlite["records_per_sec"] and r >= 3 * rocks["records_per_sec"] and run["p99_us"] < 2000
        rows.append(("1. 1 KiB x 256, " + name, "≥ 500k rec/s, ≥ 20x SQLite, ≥ 3x RocksDB, p99 < 2 ms",
                     f"{r:,.0f} rec/s; {r / sqlite['records_per_sec']:.1f}x SQLite ({sqlite['records_per_sec']:,.0f}); "
                     f"{r / rocks['records_per_sec']:.1f}x RocksDB ({rocks['records_per_sec']:,.0f}); p99 {run['p99_us'] / 1000:.2f} ms", yes(ok)))
    for io in ("io_uring", "posix"):
        run = a(engine="iris", record_size=1024, producers=16, batch=1, io_backend=io)
        ratio = run["p99_us"] / disk["fdatasync_4k_p99_us"]
        rows.append((f"2. 16 producers p99 ({io})", "≤ 3x disk 4 KiB fdatasync p99",
                     f"p99 {run['p99_us']:,.0f} µs vs disk {disk['fdatasync_4k_p99_us']:,.0f} µs = {ratio:.2f}x "
                     f"({run['records_per_sec']:,.0f} rec/s)", yes(ratio <= 3)))
    run = a(engine="iris", record_size=65536, producers=64, batch=1)
    ratio = run["mb_per_sec"] / disk["seq_write_fdatasync_1m_mb_per_sec"]
    rows.append(("3. 64 KiB x 64 producers", "≥ 70% of seq_write_fdatasync_1m",
                 f"{run['mb_per_sec']:,.0f} MB/s vs {disk['seq_write_fdatasync_1m_mb_per_sec']:,.0f} MB/s = {ratio:.0%}", yes(ratio >= 0.7)))
    for producers in (16, 64):
        run = a(engine="iris", record_size=128, producers=producers, batch=100)
        rows.append((f"4. 128 B, batches of 100, {producers} producers", "≥ 3M rec/s",
                     f"{run['records_per_sec']:,.0f} rec/s ({run['mb_per_sec']:,.0f} MB/s)", yes(run["records_per_sec"] >= 3e6)))
    read = find(runs, "read")
    ratio = read["mb_per_sec"] / disk["seq_read_mb_per_sec"]
    log_ratio = read["log_mb_per_sec"] / disk["seq_read_mb_per_sec"]
    rows.append(("5. sequential read", "≥ 80% of seq_read",
                 f"{read['mb_per_sec']:,.0f} MB/s of values ({read['log_mb_per_sec']:,.0f} MB/s of log) vs "
                 f"{disk['seq_read_mb_per_sec']:,.0f} MB/s = {ratio:.0%} ({log_ratio:.0%} of log bytes)", yes(ratio >= 0.8)))
    rec = find(runs, "recover")
    rebuild = rec["rebuild_mb_per_sec"] / disk["seq_read_mb_per_sec"]
    rows.append(("6a. open after SIGKILL", "< 250 ms", f"{rec['open_ms']:,.0f} ms ({rec['log_bytes'] / 2**30:.2f} GiB log, "
                 f"{rec['segments']} segments)", yes(rec["open_ms"] < 250)))
    rows.append(("6b. index rebuild", "≥ 70% of seq_read", f"{rec['rebuild_mb_per_sec']:,.0f} MB/s = {rebuild:.0%}", yes(rebuild >= 0.7)))
    resident = rec.get("index_resident_bytes_per_kib_record", rec["index_bytes_per_kib_record"])
    rows.append(("6c. index memory", "≤ 2 bytes per 1 KiB record",
                 f"{resident:.4f} resident (index files on disk: {rec['index_bytes_per_kib_record']:.4f})",
                 yes(resident <= 2.0)))
    print("| goal | target | measured | |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"Disk in the same session: 4 KiB pwrite+fdatasync p50 {disk['fdatasync_4k_p50_us']:,.0f} µs, "
          f"p99 {disk['fdatasync_4k_p99_us']:,.0f} µs; 1 MiB write+fdatasync {disk['seq_write_fdatasync_1m_mb_per_sec']:,.0f} MB/s; "
          f"sequential read {disk['seq_read_mb_per_sec']:,.0f} MB/s (cold: {disk['seq_read_cold']}).")
    issue13 = issue13_rows(runs, disk)
    if issue13:
        print()
        print("Issue 13 (engine speed, round two), same session; goals 6 (dumps) and 7 (no regression) are")
        print("measured by `dump-speed.sh` and alternating runs, not here:")
        print()
        print("| goal | target | measured | |")
        print("|---|---|---|---|")
        for row in issue13:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
