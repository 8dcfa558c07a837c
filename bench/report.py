#!/usr/bin/env python3
"""Writes bench/results/report.md, broker.csv and the PNG plots from the
results of bench/run.sh (file-mode.csv) and bench/broker.sh
(broker-runs.csv, latency.csv, latency-cdf.csv, memory.csv, meta.txt).

    bench/report.py [RESULTS_DIR]

Every figure is a median over the repetitions of a point; every
comparison is a ratio of two medians measured in the same run.  Plots are
drawn with gnuplot (pngcairo); without gnuplot the report is still
written and says so.  Standard library only.
"""

import csv
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "bench/results"


def path(name):
    return os.path.join(OUT, name)


def read_csv(name):
    try:
        with open(path(name), newline="") as f:
            return list(csv.DictReader(f))
    except FileNotFoundError:
        return []


def read_meta():
    meta = {}
    try:
        with open(path("meta.txt")) as f:
            for line in f:
                k, _, v = line.partition(": ")
                meta[k.strip()] = v.strip()
    except FileNotFoundError:
        pass
    return meta


def fnum(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def fmt(x, digits=0):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


# --- broker throughput: medians per point ------------------------------------

runs = read_csv("broker-runs.csv")
points = {}
for r in runs:
    points.setdefault(r["point"], []).append(r)

summary = {}
for name, rs in points.items():
    ok = [r for r in rs if fnum(r["records_per_s"]) > 0]
    first = rs[0]

    def med(col):
        vals = [fnum(r[col]) for r in ok]
        return statistics.median(vals) if vals else float("nan")

    def spread(col):
        vals = [fnum(r[col]) for r in ok]
        return (min(vals), max(vals)) if vals else (float("nan"),) * 2

    summary[name] = {
        "point": name,
        "processor": first["processor"],
        "delivery": first["delivery"],
        "commit_ms": first["commit_ms"],
        "threads": first["threads"],
        "partitions": first["partitions"],
        "reps": len(ok),
        "failed": len(rs) - len(ok),
        "records_per_s": med("records_per_s"),
        "rate_min": spread("records_per_s")[0],
        "rate_max": spread("records_per_s")[1],
        "input_mb_per_s": med("input_mb_per_s"),
        "cpu_s_per_M": med("cpu_s_per_M"),
        "broker_cpu_s_per_M": med("broker_cpu_s_per_M"),
        "rss_max_mb": med("rss_max_kb") / 1024,
        "startup_s": med("startup_s"),
        "verified": next((r["verified"] for r in rs if r["verified"] != "-"),
                         "-"),
    }

if summary:
    cols = ["point", "processor", "delivery", "commit_ms", "threads",
            "partitions", "reps", "failed", "records_per_s", "rate_min",
            "rate_max", "input_mb_per_s", "cpu_s_per_M",
            "broker_cpu_s_per_M", "rss_max_mb", "startup_s", "verified"]
    with open(path("broker.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for s in summary.values():
            w.writerow([f"{s[c]:.3f}" if isinstance(s[c], float) else s[c]
                        for c in cols])


def paired(a, b, col="records_per_s"):
    """The median over repetitions of a[rep] / b[rep]: two neighbouring
    runs, so that the machine's load changes cancel out as far as they
    can.  NaN when no repetition has both."""
    ra = {r["rep"]: fnum(r[col]) for r in points.get(a, [])
          if fnum(r["records_per_s"]) > 0}
    rb = {r["rep"]: fnum(r[col]) for r in points.get(b, [])
          if fnum(r["records_per_s"]) > 0}
    vals = [ra[k] / rb[k] for k in ra if k in rb and rb[k] > 0]
    return statistics.median(vals) if vals else float("nan")


def get(name, col="records_per_s"):
    s = summary.get(name)
    return s[col] if s else float("nan")


def ratio(a, b):
    if a is None or b is None or math.isnan(a) or math.isnan(b) or b == 0:
        return float("nan")
    return a / b


# --- file mode -----------------------------------------------------------------

file_mode = {}
file_notes = {}
try:
    with open(path("file-mode.csv")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                m = re.match(r"#\s*(.*?):\s*([0-9.]+)", line)
                if m:
                    file_notes[m.group(1)] = float(m.group(2))
                continue
            k, _, v = line.rpartition(",")
            if k and k != "stage":
                file_mode[k] = fnum(v)
except FileNotFoundError:
    pass

# bench_floor's lines in file-mode.md: the primitives' floor per record,
# file mode's CPU per record and their ratio, measured in one run.
floor_run = {}
try:
    with open(path("file-mode.md")) as f:
        text = f.read()
    for key, pat in (("date", r"^- date: (\S+)"),
                     ("sha", r"SHA-256 compression \(raw\)\s+([0-9.]+) ns"),
                     ("gcm", r"AES-256-GCM bulk.*?\s([0-9.]+) ns/byte"),
                     ("floor", r"floor per record\s+([0-9.]+) ns"),
                     ("file", r"file mode, sealing\s+([0-9.]+) ns"),
                     ("ratio", r"ratio file mode / floor\s+([0-9.]+)")):
        m = re.search(pat, text, re.M)
        if m:
            floor_run[key] = m.group(1) if key == "date" else float(m.group(1))
except FileNotFoundError:
    pass

# --- latency, memory ---------------------------------------------------------

latency = read_csv("latency.csv")
cdf = read_csv("latency-cdf.csv")
memory = read_csv("memory.csv")
meta = read_meta()
mem_summary = {}
try:
    with open(path("memory-summary.txt")) as f:
        for kvp in f.read().split():
            k, _, v = kvp.partition("=")
            mem_summary[k] = v
except FileNotFoundError:
    pass

mem = {}
if memory:
    pts = [(fnum(r["committed"]), fnum(r["rss_kb"]) / 1024) for r in memory
           if fnum(r["rss_kb"]) > 0]
    total = max(c for c, _ in pts) if pts else 0

    def rss_between(lo, hi):
        vals = [rss for c, rss in pts if lo * total <= c <= hi * total]
        return statistics.median(vals) if vals else float("nan")

    if total > 0:
        # Warm-up is the first half of the run: caches of a fixed size
        # (the pseudonym cache, librdkafka's queues) are touched page by
        # page as new subscribers and partitions appear, and the resident
        # size follows until they are full.  Flat: no growth over 5%
        # across the second half.
        mem = {
            "records": total,
            "rss_max": max(rss for _, rss in pts),
            "rss_early": rss_between(0.1, 0.2),
            "rss_half": rss_between(0.5, 0.6),
            "rss_end": rss_between(0.9, 1.0),
            "samples": len(pts),
        }
        final = mem["rss_end"]
        settle = next((c for c, rss in pts
                       if all(abs(r2 - final) <= 0.02 * final
                              for c2, r2 in pts if c2 >= c)), total)
        mem["settled_at"] = settle
        mem["growth"] = mem["rss_end"] - mem["rss_half"]
        mem["growth_pct"] = 100 * mem["growth"] / mem["rss_half"]

# --- plots ----------------------------------------------------------------------

GNUPLOT = shutil.which("gnuplot")
plots = []


def gnuplot(name, script, data):
    """Writes the data files and runs one gnuplot script; returns the PNG
    name, or None."""
    if not GNUPLOT:
        return None
    for fname, rows in data.items():
        with open(path(fname), "w") as f:
            for row in rows:
                f.write(" ".join(str(x) for x in row) + "\n")
    head = ("set terminal pngcairo size 900,560 font 'DejaVu Sans,10'\n"
            f"set output '{path(name)}'\n"
            "set grid\nset key top left\n")
    try:
        subprocess.run([GNUPLOT], input=head + script, text=True, check=True,
                       capture_output=True)
    except subprocess.CalledProcessError as e:
        print(f"report.py: gnuplot {name}: {e.stderr.strip()}", file=sys.stderr)
        return None
    finally:
        for fname in data:
            os.unlink(path(fname))
    return name


def series(prefix, suffix_fmt, values):
    rows = []
    for v in values:
        s = summary.get(suffix_fmt.format(prefix=prefix, v=v))
        if s:
            rows.append((v, s["records_per_s"], s["rate_min"], s["rate_max"]))
    return rows


parts = sorted({int(s["partitions"]) for s in summary.values()
                if s["point"].startswith("cdranon-eos100-t")
                or s["point"].startswith("passthrough-eos100")})
if parts:
    data = {
        "plot-pt.dat": series("passthrough-eos100", "{prefix}-p{v}", parts),
        "plot-t1.dat": series("cdranon-eos100-t1", "{prefix}-p{v}", parts),
        "plot-t2.dat": series("cdranon-eos100-t2", "{prefix}-p{v}", parts),
    }
    lines = []
    for fname, title in (("plot-pt.dat", "passthrough, 2 copies (ceiling)"),
                         ("plot-t1.dat", "cdranon, 1 thread"),
                         ("plot-t2.dat", "cdranon, 2 threads")):
        if data[fname]:
            lines.append(f"'{path(fname)}' using 1:2:3:4 with yerrorlines "
                         f"lw 2 pointsize 1.3 title '{title}'")
    if lines:
        plots.append(("Throughput against partitions and threads "
                      "(exactly-once, 100 ms commits; bars: min-max of the "
                      "repetitions)", gnuplot(
            "throughput.png",
            "set title 'Throughput through the broker, exactly-once, "
            "100 ms commits'\n"
            "set xlabel 'partitions'\nset ylabel 'records/s'\n"
            "set logscale x 2\nset xtics (" +
            ", ".join(str(p) for p in parts) + ")\n"
            f"set xrange [{min(parts) * 0.8}:{max(parts) * 1.25}]\n"
            "set yrange [0:*]\n"
            "plot " + ", ".join(lines) + "\n", data)))

commit_rows = {}
for proc, fmtname in (("passthrough", "passthrough-eos{v}-p6"),
                      ("cdranon", "cdranon-eos{v}-t2-p6")):
    rows = []
    for v in (10, 100, 1000):
        s = summary.get(fmtname.format(v=v))
        if s:
            rows.append((v, s["records_per_s"], s["rate_min"], s["rate_max"]))
    commit_rows[proc] = rows
if commit_rows.get("passthrough") or commit_rows.get("cdranon"):
    data = {"plot-cpt.dat": commit_rows["passthrough"],
            "plot-ccd.dat": commit_rows["cdranon"]}
    lines = [f"'{path(f)}' using 1:2:3:4 with yerrorlines lw 2 title '{t}'"
             for f, t in (("plot-cpt.dat", "passthrough"),
                          ("plot-ccd.dat", "cdranon, 2 threads"))
             if data[f]]
    plots.append(("Throughput against the commit interval (exactly-once, "
                  "6 partitions)", gnuplot(
        "commit-interval.png",
        "set title 'Throughput against the commit interval, 6 partitions'\n"
        "set xlabel 'commit interval (ms)'\nset ylabel 'records/s'\n"
        "set logscale x 10\nset xrange [7:1500]\nset yrange [0:*]\n"
        "plot " + ", ".join(lines) + "\n", data)))

if cdf:
    by_point = {}
    for r in cdf:
        by_point.setdefault(r["point"], []).append(
            (fnum(r["latency_ms"]), fnum(r["quantile"])))
    data = {}
    lines = []
    for i, (name, rows) in enumerate(by_point.items()):
        fname = f"plot-lat{i}.dat"
        # x: latency; y: the quantile as "nines", so that the tail shows.
        data[fname] = [(max(lat, 0.01), -math.log10(max(1 - q, 1e-5)))
                       for lat, q in rows]
        lines.append(f"'{path(fname)}' using 1:2 with lines lw 2 "
                     f"title '{name}'")
    plots.append(("Latency distribution from the input record's timestamp "
                  "to its committed output (y: quantile on a nines scale)",
                  gnuplot(
        "latency.png",
        "set title 'End-to-end latency (input timestamp to read\\_committed "
        "receive)'\n"
        "set xlabel 'latency (ms)'\nset ylabel 'quantile'\n"
        "set logscale x 10\n"
        "set ytics ('p0' 0, 'p90' 1, 'p99' 2, 'p99.9' 3, 'p99.99' 4)\n"
        "set yrange [0:4.2]\nset key bottom right\n"
        "plot " + ", ".join(lines) + "\n", data)))

cpu_points = [("passthrough (2 copies)", "passthrough-eos100-p6"),
              ("cdranon, 1 thread", "cdranon-eos100-t1-p6"),
              ("cdranon, 2 threads", "cdranon-eos100-t2-p6"),
              ("Kafka Streams peer", "streams-eos100-t2-p6"),
              ("Python peer", "python-eos100-p6")]
cpu_rows = [(i, f'"{label}"', get(p, "cpu_s_per_M"),
             get(p, "broker_cpu_s_per_M"))
            for i, (label, p) in enumerate(cpu_points) if p in summary]
if cpu_rows:
    plots.append(("CPU-seconds per million records, processor and broker "
                  "(exactly-once, 100 ms, 6 partitions)", gnuplot(
        "cpu.png",
        "set title 'CPU-seconds per million records (exactly-once, 100 ms, "
        "6 partitions)'\n"
        "set style data histograms\nset style histogram clustered gap 1\n"
        "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
        "set logscale y 10\nset yrange [0.5:*]\n"
        "set ylabel 'CPU-s per 10^6 records (log scale)'\n"
        "set xtics rotate by -15\nset key top left\n"
        f"plot '{path('plot-cpu.dat')}' using 3:xtic(2) title 'processor', "
        "'' using 4 title 'broker'\n",
        {"plot-cpu.dat": cpu_rows})))

if memory:
    rows = [(fnum(r["committed"]) / 1e6, fnum(r["rss_kb"]) / 1024)
            for r in memory if fnum(r["rss_kb"]) > 0]
    plots.append(("Resident size of cdranon run (default configuration) "
                  "over the memory run", gnuplot(
        "memory.png",
        "set title 'cdranon run: resident size (VmRSS, sampled every "
        "second)'\n"
        "set xlabel 'records committed (millions)'\n"
        "set ylabel 'RSS (MiB)'\nset yrange [0:*]\n"
        "plot 256 with lines dt 2 lw 2 title '256 MiB target', "
        f"'{path('plot-mem.dat')}' using 1:2 with lines lw 2 "
        "title 'VmRSS'\n", {"plot-mem.dat": rows})))

# --- report ---------------------------------------------------------------------

out = []
w = out.append
w("# cdranon capacity-planning benchmarks\n")
w("Written by `make bench` (bench/run.sh, bench/broker.sh, "
  "bench/report.py).  Every figure is the median of the repetitions of a "
  "point; every comparison is a ratio of two medians measured in the same "
  "run, on the same broker, partitions and settings.\n")
for k in ("date", "machine", "kafka", "librdkafka", "python_peer",
          "streams_peer", "records", "latency", "load_start", "load_end"):
    if k in meta:
        w(f"- {k.replace('_', ' ')}: {meta[k]}")
w("")
w("The broker, the processor under test, the load generator and the "
  "measuring client share the machine's cores; the load average above "
  "includes other users of the machine.  Figures from a shared or loaded "
  "machine are lower than on a dedicated one; the ratios are the robust "
  "part.\n")

# Targets.
w("## Targets\n")
w("Ratio to target: above 1 is better than the target.  Throughput "
  "ratios are medians of per-repetition ratios: each cdranon run divided "
  "by the passthrough run just before it, which cancels most of the "
  "machine's changing load.\n")
if floor_run.get("date") and meta.get("date") and \
        floor_run["date"][:10] != meta["date"][:10]:
    w(f"The file-mode rows are from bench/run.sh of {floor_run['date']}; the "
      f"rows through the broker are from bench/broker.sh of {meta['date']} "
      f"and were not rerun with them.\n")
w("| target | measured | ratio to target | verdict |")
w("|---|---|---|---|")


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**missed**"


if "ratio" in floor_run:
    r = floor_run["ratio"]
    w(f"| file mode with sealing: <= 1.5x the primitives' floor "
      f"(bench_floor, one core) | {r:.2f}x ({floor_run['file']:.0f} / "
      f"{floor_run['floor']:.0f} ns CPU per record: "
      f"{fmt(1e9 / floor_run['file'])} records per CPU-second) | "
      f"{1.5 / r:.2f} | {verdict(r <= 1.5)} |")
miss = next((v for k, v in file_mode.items()
             if k.startswith("pseudonymise miss")), None)
comp = next((v for k, v in file_mode.items()
             if k.startswith("floor: 2 SHA-256")), None)
if miss and comp:
    r = miss / comp
    w(f"| pseudonymise (miss) <= 1.5x two SHA-256 compressions per id | "
      f"{r:.2f}x | {1.5 / r:.2f} | {verdict(r <= 1.5)} |")

for p in parts:
    pt = f"passthrough-eos100-p{p}"
    for t in (1, 2):
        cd = f"cdranon-eos100-t{t}-p{p}"
        r = paired(cd, pt)
        if not math.isnan(r):
            w(f"| exactly-once, 100 ms, {p} partition(s), {t} thread(s): "
              f">= 90% of the passthrough | {100 * r:.0f}% (medians "
              f"{fmt(get(cd))} / {fmt(get(pt))} records/s) | "
              f"{r / 0.9:.2f} | {verdict(r >= 0.9)} |")
for tag, target in (("alo", 0.95), ("eos10", None), ("eos1000", None)):
    cd, pt = f"cdranon-{tag}-t2-p6", f"passthrough-{tag}-p6"
    r = paired(cd, pt)
    if math.isnan(r):
        continue
    what = {"alo": "at-least-once", "eos10": "exactly-once, 10 ms",
            "eos1000": "exactly-once, 1000 ms"}[tag]
    if target:
        w(f"| {what}, 6 partitions, 2 threads: >= 95% of the passthrough | "
          f"{100 * r:.0f}% (medians {fmt(get(cd))} / {fmt(get(pt))} "
          f"records/s) | {r / target:.2f} | {verdict(r >= target)} |")
    else:
        w(f"| {what}, 6 partitions, 2 threads, against the passthrough "
          f"(no target) | {100 * r:.0f}% (medians {fmt(get(cd))} / "
          f"{fmt(get(pt))} records/s) | | |")
ref = "cdranon-eos100-t2-p6"
r = ratio(get("python-eos100-p6", "cpu_s_per_M"), get(ref, "cpu_s_per_M"))
if not math.isnan(r):
    w(f"| CPU per record: >= 20x less than the Python peer | {r:.1f}x "
      f"({get('python-eos100-p6', 'cpu_s_per_M'):.1f} / "
      f"{get(ref, 'cpu_s_per_M'):.2f} CPU-s per 10^6 records) | "
      f"{r / 20:.2f} | {verdict(r >= 20)} |")
r = ratio(get("streams-eos100-t2-p6", "cpu_s_per_M"), get(ref, "cpu_s_per_M"))
if not math.isnan(r):
    w(f"| CPU per record: >= 3x less than the Kafka Streams peer | {r:.1f}x "
      f"({get('streams-eos100-t2-p6', 'cpu_s_per_M'):.1f} / "
      f"{get(ref, 'cpu_s_per_M'):.2f} CPU-s per 10^6 records) | "
      f"{r / 3:.2f} | {verdict(r >= 3)} |")
if mem:
    w(f"| memory: RSS under 256 MiB, default configuration | "
      f"max {mem['rss_max']:.0f} MiB over {fmt(mem['records'])} records | "
      f"{256 / mem['rss_max']:.2f} | {verdict(mem['rss_max'] < 256)} |")
    flat = mem["growth_pct"] <= 5
    w(f"| memory: RSS flat after warm-up (the first half of the run) | "
      f"{mem['rss_half']:.0f} MiB at 50-60% of the records, "
      f"{mem['rss_end']:.0f} MiB over the last 10% ({mem['growth']:+.1f} "
      f"MiB, {mem['growth_pct']:+.1f}%); settled within 2% after "
      f"{fmt(mem['settled_at'])} records | criterion: no growth over 5% | "
      f"{verdict(flat)} |")
w("")

# CPU per record of the whole system, processor and broker.
pt_cost = get("passthrough-eos100-p6", "cpu_s_per_M") + \
    get("passthrough-eos100-p6", "broker_cpu_s_per_M")
cd_cost = get(ref, "cpu_s_per_M") + get(ref, "broker_cpu_s_per_M")
if not math.isnan(pt_cost) and not math.isnan(cd_cost) and pt_cost > 0:
    w("Processor and broker together (exactly-once, 100 ms, 6 partitions) "
      f"spend {cd_cost:.2f} CPU-seconds per million records with cdranon "
      f"(2 threads) and {pt_cost:.2f} with the passthrough: "
      f"{cd_cost / pt_cost:.1f}x.  On this machine the two share the same "
      "two cores (and with other users of the machine), so the throughput "
      "ratios also measure how well each processor uses the CPU that the "
      "broker leaves it.\n")

# Throughput table.
if summary:
    w("## Through the broker: throughput and CPU\n")
    w("Each run consumes a topic preloaded with the same generated CDRs "
      "(generic CSV layout) and writes the anonymised, sealed and "
      "dead-letter topics (the passthrough: two unchanged copies).  "
      "Throughput is taken from the group's committed offsets, polled "
      "every 25 ms, over a steady-state window between two commits: from "
      "the first commit that covers 20% of the records (the Kafka Streams "
      "peer: half of twice as many records, for its JIT; process start, "
      "group join, JVM start-up and JIT warm-up stay before it) to the last "
      "commit before the one that covers them all (the drain at the end "
      "stays after it).  CPU is the processor's utime + stime "
      "(/proc/PID/stat, all threads) over the same window, and the "
      "broker's the same way.  MB/s counts input record bytes.  "
      "`pipeline.commit_records` is set to 1,000,000 so that the commit "
      "interval decides when a transaction commits.\n")
    w("| point | delivery | commit ms | threads | partitions | records/s "
      "(min-max) | MB/s in | CPU-s per 10^6 records | broker CPU-s per "
      "10^6 | max RSS MiB | runs | output check |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in summary.values():
        w(f"| {s['point']} | {s['delivery']} | {s['commit_ms']} | "
          f"{s['threads']} | {s['partitions']} | {fmt(s['records_per_s'])} "
          f"({fmt(s['rate_min'])}-{fmt(s['rate_max'])}) | "
          f"{fmt(s['input_mb_per_s'], 1)} | {fmt(s['cpu_s_per_M'], 2)} | "
          f"{fmt(s['broker_cpu_s_per_M'], 2)} | {fmt(s['rss_max_mb'])} | "
          f"{s['reps']}{' (' + str(s['failed']) + ' failed)' if s['failed'] else ''} | "
          f"{s['verified']} |")
    w("")
    w("Output check (first repetition): the sealed topic read with "
      "`isolation.level=read_committed` holds exactly one record per input "
      "record, and no record_id appears twice on the anonymised topic.\n")

    cd = get(ref, "cpu_s_per_M")
    if not math.isnan(cd):
        per_core = 1e6 / cd
        w("## Sizing\n")
        w(f"- cdranon (exactly-once, 100 ms, 6 partitions, 2 threads) "
          f"spends {cd:.2f} CPU-seconds per million records of this shape "
          f"(about {fmt(get('cdranon-eos100-t2-p6', 'input_mb_per_s') / max(get('cdranon-eos100-t2-p6'), 1) * 1e6)} bytes each, "
          f"4 identifiers pseudonymised, every record sealed): one core "
          f"of the processor handles about {fmt(per_core)} records/s.")
        bc = get(ref, "broker_cpu_s_per_M")
        if not math.isnan(bc):
            w(f"- The broker spent {bc:.2f} CPU-seconds per million records "
              f"for the same run (one input and two output topics, "
              f"transactions): size the Kafka cluster for it separately.")
        w(f"- Measured end to end on this machine, broker included: "
          f"{fmt(get(ref))} records/s.  Instances for a load of Y "
          f"records/s: N = ceil(Y / ({fmt(per_core)} x cores per "
          f"instance)), with headroom for peaks and rebalances, and at "
          f"least as many input partitions as instances x threads.")
        w("")

# Latency.
if latency:
    w("## End-to-end latency\n")
    w(f"{meta.get('latency', '')}.  The load generator stamps each input "
      "record with its Kafka timestamp (CreateTime) when it hands it to "
      "librdkafka; a reader in the same process consumes the anonymised "
      "topic (the passthrough: its first copy) with "
      "`isolation.level=read_committed` and `fetch.wait.max.ms=5`, and a "
      "record's latency is the wall-clock time at which the reader "
      "receives it minus that input timestamp.  It therefore includes the "
      "processor, the commit interval, the transaction commit and one "
      "fetch of the reader; outputs are matched to inputs by record_id.  "
      "Dead-lettered and suppressed records have no anonymised output and "
      "are not counted.\n")
    w("| point | delivery | commit ms | rate/s | received | duplicates | "
      "p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in latency:
        w(f"| {r['point']} | {r['delivery']} | {r['commit_ms']} | "
          f"{r['rate']} | {r['received']} / {r['counted']} | "
          f"{r['duplicates']} | {r['p50_ms']} | {r['p90_ms']} | "
          f"{r['p99_ms']} | {r['p999_ms']} | {r['max_ms']} |")
    w("")

# Memory.
if mem:
    w("## Memory\n")
    try:
        with open(path("memory-config.txt")) as f:
            mem_config = ", ".join(f.read().split())
    except FileNotFoundError:
        mem_config = "see config/generic.yaml"
    w(f"cdranon run with the default configuration (config/generic.yaml; "
      f"effective: {mem_config}) over {fmt(mem['records'])} records, fed "
      f"while it "
      f"runs; VmRSS from /proc/PID/status once a second "
      f"({mem['samples']} samples).  Maximum {mem['rss_max']:.0f} MiB; "
      f"{mem['rss_early']:.0f} MiB at 10-20% of the records, "
      f"{mem['rss_half']:.0f} MiB at 50-60% and {mem['rss_end']:.0f} MiB "
      f"over the last 10%; the resident size stays within 2% of its final "
      f"value from {fmt(mem['settled_at'])} records on.")
    if mem_summary.get("rate"):
        w(f"Throughput during the memory run: {fmt(fnum(mem_summary['rate']))} "
          f"records/s, {fnum(mem_summary.get('cpu_s_per_M')):.2f} CPU-s per "
          f"10^6 records (the load generator ran at the same time).")
    w("")

# Profile.
try:
    with open(path("profile.txt")) as f:
        profile = f.read().rstrip()
except FileNotFoundError:
    profile = ""
if profile:
    w("## Profile of cdranon run\n")
    w("```")
    w(profile)
    w("```\n")

# File mode against its floor: the profile (bench/run.sh) and the
# reading of it (file-mode-notes.md, written after each profile).
if floor_run:
    w("## File mode against the primitives' floor\n")
    w(f"bench_floor ({floor_run.get('date', 'n/a')}), one core, CPU time: one "
      f"raw SHA-256 compression {floor_run.get('sha', float('nan')):.1f} ns, "
      f"AES-256-GCM at its bulk rate {floor_run.get('gcm', float('nan')):.3f}"
      f" ns/byte; floor per record (4 identifiers x 2 compressions + GCM "
      f"over record and header) {floor_run.get('floor', float('nan')):.0f} "
      f"ns; file mode {floor_run.get('file', float('nan')):.0f} ns CPU per "
      f"record; ratio {floor_run.get('ratio', float('nan')):.2f}.\n")
for name, title in (("file-mode-notes.md", None),
                    ("file-profile.txt", "Profile of cdranon anonymise")):
    try:
        with open(path(name)) as f:
            body = f.read().rstrip()
    except FileNotFoundError:
        continue
    if title:
        w(f"### {title}\n")
        w("```")
        w(body)
        w("```\n")
    else:
        w(body + "\n")

# File mode.
if file_mode:
    w("## File mode (no Kafka): transform stages\n")
    w("From bench/results/file-mode.csv (bench_transform, one core, "
      "median of its passes).\n")
    w("| stage | ns per record |")
    w("|---|---|")
    for k, v in file_mode.items():
        w(f"| {k} | {v:.1f} |")
    w("")

# Plots.
if plots:
    w("## Plots\n")
    for title, png in plots:
        if png:
            w(f"![{title}]({png})\n")
            w(f"*{title}.*\n")
    if not GNUPLOT:
        w("gnuplot is not installed: no plots were drawn.\n")

with open(path("report.md"), "w") as f:
    f.write("\n".join(out) + "\n")
print(f"report.py: wrote {path('report.md')}", file=sys.stderr)
