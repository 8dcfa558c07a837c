#!/usr/bin/env bash
# `make bench`: the file-mode benchmarks, side by side in one run, then
# the benchmarks through a real broker (bench/broker.sh) and the report.
# Writes bench/results/file-mode.md and .csv; prints the same to stdout;
# then bench/results/report.md, the broker CSVs and the plots.
# Environment: RECORDS (default 200000), RUNS (default 7, median taken);
# BROKER=0 skips the broker part; QUICK=1 makes it a few-minute run (see
# bench/broker.sh for its own settings).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RECORDS=${RECORDS:-200000}
RUNS=${RUNS:-7}
BIN=./cdranon
out=bench/results
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/keys"
cp config/generic.yaml "$tmp/config.yaml"
cp config/suppression.txt "$tmp/"
"$BIN" keygen hmac --out "$tmp/keys/hmac.key" --id bench 2>/dev/null
"$BIN" keygen custodian --private "$tmp/custodian.pem" \
        --public "$tmp/keys/custodian.pub" 2>/dev/null

machine="$(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo |
        cut -d: -f2 | sed 's/^ *//'), $(. /etc/os-release && echo "$PRETTY_NAME")"
{
        echo "# cdranon file-mode benchmarks"
        echo
        echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "- machine: $machine"
        echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "- records: $RECORDS per pass, median of $RUNS passes"
        echo
        echo "## Transform stages (bench_transform)"
        echo
        echo '```'
        build/bench/bench_transform "$tmp/config.yaml" "$RECORDS" "$RUNS" |
                tee "$out/file-mode.csv"
        echo '```'
        for b in build/bench/bench_pseudonym build/bench/bench_seal; do
                [[ -x $b ]] || continue
                echo
                echo "## $(basename "$b")"
                echo
                echo '```'
                "$b"
                echo '```'
        done
        echo
        echo "## Generator (cdranon gen to a file)"
        echo
        start=$(date +%s.%N)
        "$BIN" gen --records 2000000 --seed 1 --out "$tmp/gen.csv" 2>/dev/null
        end=$(date +%s.%N)
        echo "2000000 records in $(echo "$end - $start" | bc) s:" \
                "$(echo "2000000 / ($end - $start)" | bc) records/s"
        echo
        echo "## Whole command (cdranon anonymise --sealed, 2M records)"
        echo
        start=$(date +%s.%N)
        (cd "$tmp" && "$OLDPWD/$BIN" anonymise -c config.yaml --in gen.csv \
                --out /dev/null --dead-letter /dev/null \
                --sealed /dev/null 2>/dev/null)
        end=$(date +%s.%N)
        echo "2000000 records in $(echo "$end - $start" | bc) s:" \
                "$(echo "2000000 / ($end - $start)" | bc) records/s"
        echo
        echo "## File mode against the primitives' floor (bench_floor, one core)"
        echo
        echo '```'
        build/bench/bench_floor "$PWD/$BIN" "$tmp/config.yaml" "$tmp/gen.csv" \
                "$RUNS"
        echo '```'
        echo
        echo "## Risk meter (bench_risk over that output, median of $RUNS)"
        echo
        (cd "$tmp" && "$OLDPWD/$BIN" anonymise -c config.yaml --in gen.csv \
                --out anon.jsonl --dead-letter /dev/null 2>/dev/null)
        echo '```'
        build/bench/bench_risk "$tmp/anon.jsonl" "$RUNS"
        build/bench/bench_risk "$tmp/anon.jsonl" "$RUNS" -- \
                --point-fields cell_id,start_hour | tail -4
        echo '```'
} | tee "$out/file-mode.md"

# Where file mode's time goes: a flat profile of the same command
# (bench/results/file-profile.txt, included in report.md), when perf can
# sample this process.
# check-commands: optional perf (the callgrind profile does without)
if command -v perf >/dev/null 2>&1 &&
        perf record -q -o "$tmp/perf.data" -F 999 -- true 2>/dev/null; then
        (cd "$tmp" && perf record -q -o perf.data -F 999 -- \
                "$OLDPWD/$BIN" anonymise -c config.yaml --in gen.csv \
                --out /dev/null --dead-letter /dev/null \
                --sealed /dev/null 2>/dev/null)
        {
                echo "perf record -F 999 of cdranon anonymise --sealed over"
                echo "the 2M generated records (config/generic.yaml);"
                echo "flat profile, share of the process's samples."
                echo
                echo "## by library"
                perf report -i "$tmp/perf.data" --no-children --sort dso \
                        --stdio 2>/dev/null | grep '%' | head -8
                echo
                echo "## top functions"
                perf report -i "$tmp/perf.data" --no-children \
                        --sort dso,sym --stdio 2>/dev/null | grep '%' |
                        head -40
        } >"$out/file-profile.txt"
fi

# Through the broker: passthrough, cdranon run and the peers, then the
# report (bench/results/report.md) and its plots.
if [[ ${BROKER:-1} != 0 ]]; then
        bash bench/broker.sh
fi
python3 bench/report.py "$out"
