#!/usr/bin/env python3
"""Plot `iris-bench append` results against producer count, as a hand-written SVG.

Usage: plot-bench.py RESULTS.jsonl [-o OUT.svg] [--title TEXT]

RESULTS.jsonl holds JSON objects, one per line, as printed by `iris-bench ... --json` (other
lines are ignored). Append results are grouped by engine (plus batch, record size,
compression and io when they vary, and the number of logs when above one) and drawn as records/s and p99 latency against producers
(log scales). A `disk` result adds the raw disk's serial 4 KiB fdatasync rate and p99 as
dashed reference lines. Several results for one point: the median is drawn.
Python 3 standard library only.
"""
import argparse
import json
import math
import statistics
import sys
from xml.sax.saxutils import escape

COLORS = {"iris": "#d62728", "sqlite": "#1f77b4", "rocksdb": "#2ca02c"}
EXTRA_COLORS = ["#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"]
DISK_COLOR = "#444444"


def load(path):
    appends, disks = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if obj.get("subcommand") == "append":
                appends.append(obj)
            elif obj.get("subcommand") == "disk":
                disks.append(obj)
    return appends, disks


def series_key(obj, varying):
    parts = [obj["engine"]]
    for field, label in (("batch", "batch"), ("record_size", "B"), ("compression", ""), ("io_backend", "")):
        if field in varying:
            value = obj.get(field, "-")
            parts.append(f"{label}={value}" if label == "batch" else (f"{value}{label}" if label else str(value)))
    if obj.get("logs", 1) != 1:  # iris over several logs (`append --logs N`): a series of its own
        parts.append(f"{obj['logs']} logs")
    return " ".join(parts)


def build_series(appends):
    varying = {f for f in ("batch", "record_size", "compression", "io_backend")
               if len({str(a.get(f)) for a in appends if a.get(f) is not None}) > 1}
    series = {}
    for a in appends:
        key = series_key(a, varying)
        point = series.setdefault(key, {"engine": a["engine"], "points": {}})
        point["points"].setdefault(int(a["producers"]), []).append(a)
    for s in series.values():
        s["xs"] = sorted(s["points"])
        s["rate"] = [statistics.median(r["records_per_sec"] for r in s["points"][x]) for x in s["xs"]]
        s["p99"] = [statistics.median(r["p99_us"] for r in s["points"][x] if r.get("p99_us") is not None)
                    for x in s["xs"]]
    return series


def log_range(values):
    values = [v for v in values if v and v > 0]
    if not values:
        return 1, 10
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    if lo == hi:
        hi = lo * 10
    return lo, hi


class Panel:
    def __init__(self, x0, y0, width, height, xlim, ylim, title, ylabel):
        self.x0, self.y0, self.w, self.h = x0, y0, width, height
        self.xlim, self.ylim = xlim, ylim
        self.title, self.ylabel = title, ylabel

    def px(self, x):
        lo, hi = self.xlim
        return self.x0 + (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo)) * self.w

    def py(self, y):
        lo, hi = self.ylim
        y = min(max(y, lo), hi)
        return self.y0 + self.h - (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * self.h

    def frame(self, xticks):
        out = [f'<rect x="{self.x0}" y="{self.y0}" width="{self.w}" height="{self.h}" fill="white" stroke="#333"/>']
        for x in xticks:
            X = self.px(x)
            out.append(f'<line x1="{X:.1f}" y1="{self.y0}" x2="{X:.1f}" y2="{self.y0 + self.h}" stroke="#e4e4e4"/>')
            out.append(f'<text x="{X:.1f}" y="{self.y0 + self.h + 16}" text-anchor="middle" font-size="11">{x}</text>')
        lo, hi = self.ylim
        e = round(math.log10(lo))
        while 10 ** e <= hi * 1.0001:
            Y = self.py(10 ** e)
            out.append(f'<line x1="{self.x0}" y1="{Y:.1f}" x2="{self.x0 + self.w}" y2="{Y:.1f}" stroke="#e4e4e4"/>')
            out.append(f'<text x="{self.x0 - 6}" y="{Y + 4:.1f}" text-anchor="end" font-size="11">{fmt(10 ** e)}</text>')
            e += 1
        out.append(f'<text x="{self.x0 + self.w / 2}" y="{self.y0 - 10}" text-anchor="middle" font-size="14" font-weight="bold">{escape(self.title)}</text>')
        out.append(f'<text x="{self.x0 + self.w / 2}" y="{self.y0 + self.h + 34}" text-anchor="middle" font-size="12">producers (log scale)</text>')
        cx, cy = self.x0 - 56, self.y0 + self.h / 2
        out.append(f'<text x="{cx}" y="{cy}" text-anchor="middle" font-size="12" transform="rotate(-90 {cx} {cy})">{escape(self.ylabel)}</text>')
        return out

    def line(self, xs, ys, color, label_points=True):
        pts = [(self.px(x), self.py(y)) for x, y in zip(xs, ys) if y and y > 0]
        if not pts:
            return []
        out = []
        if len(pts) > 1:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (X, Y), y in zip(pts, [y for y in ys if y and y > 0]):
            out.append(f'<circle cx="{X:.1f}" cy="{Y:.1f}" r="3.5" fill="{color}"/>')
            if label_points:
                out.append(f'<text x="{X + 5:.1f}" y="{Y - 6:.1f}" font-size="9" fill="{color}">{fmt(y)}</text>')
        return out

    def hline(self, y, color, label):
        if not y or y <= 0:
            return []
        Y = self.py(y)
        return [f'<line x1="{self.x0}" y1="{Y:.1f}" x2="{self.x0 + self.w}" y2="{Y:.1f}" stroke="{color}" stroke-dasharray="6,4" stroke-width="1.5"/>',
                f'<text x="{self.x0 + self.w - 4}" y="{Y + 13:.1f}" text-anchor="end" font-size="10" fill="{color}">{escape(label)}</text>']


def fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:.3g}M"
    if v >= 1e3:
        return f"{v / 1e3:.3g}k"
    if v >= 1:
        return f"{v:.0f}"
    return f"{v:.3g}"


def render(series, disks, title):
    xs_all = sorted({x for s in series.values() for x in s["xs"]}) or [1]
    xlim = (min(xs_all) / 1.5, max(xs_all) * 1.5)
    disk_rate = statistics.median(d["fdatasync_4k_per_sec"] for d in disks) if disks else None
    disk_p99 = statistics.median(d["fdatasync_4k_p99_us"] for d in disks) if disks else None
    rates = [v for s in series.values() for v in s["rate"]] + ([disk_rate] if disk_rate else [])
    p99s = [v for s in series.values() for v in s["p99"]] + ([disk_p99] if disk_p99 else [])
    width, height = 1100, 540
    left = Panel(90, 60, 400, 340, xlim, log_range(rates), "Durable appends: records/s", "records per second (log scale)")
    right = Panel(620, 60, 400, 340, xlim, log_range(p99s), "Append latency: p99", "p99 per call, µs (log scale)")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="#fafafa"/>',
           f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16">{escape(title)}</text>']
    out += left.frame(xs_all) + right.frame(xs_all)
    if disk_rate:
        out += left.hline(disk_rate, DISK_COLOR, f"disk: serial 4 KiB pwrite+fdatasync {fmt(disk_rate)}/s")
    if disk_p99:
        out += right.hline(disk_p99, DISK_COLOR, f"disk: 4 KiB fdatasync p99 {fmt(disk_p99)} µs")
    legend_y = 462
    extra = iter(EXTRA_COLORS)
    for i, (name, s) in enumerate(sorted(series.items())):
        color = COLORS.get(name, None) or next(extra, "#000")
        out += left.line(s["xs"], s["rate"], color)
        out += right.line(s["xs"], s["p99"], color)
        lx = 90 + (i % 4) * 240
        ly = legend_y + (i // 4) * 18
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{color}" stroke-width="3"/>')
        out.append(f'<text x="{lx + 30}" y="{ly + 4}" font-size="12">{escape(name)}</text>')
    if disks:
        ly = legend_y + ((len(series) + 3) // 4) * 18
        out.append(f'<line x1="90" y1="{ly}" x2="114" y2="{ly}" stroke="{DISK_COLOR}" stroke-dasharray="6,4" stroke-width="1.5"/>')
        out.append(f'<text x="120" y="{ly + 4}" font-size="12">raw disk (iris-bench disk)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("-o", "--output", default=None, help="SVG file (default: RESULTS with .svg)")
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    appends, disks = load(args.results)
    if not appends:
        sys.exit(f"{args.results}: no append results")
    series = build_series(appends)
    first = appends[0]
    title = args.title or (f"iris-bench append: {first.get('record_size')} B records, "
                           f"host {first.get('host')}, {first.get('nproc')} cores")
    output = args.output or (args.results.rsplit(".", 1)[0] + ".svg")
    with open(output, "w") as f:
        f.write(render(series, disks, title))
    print(output)


if __name__ == "__main__":
    main()
