#!/usr/bin/env bash
# Subject access from the sealed index against the full scan: seals
# RECORDS generated records (default 1000000) with `cdranon anonymise
# --sealed` (which writes the index), answers SARS subject access
# requests (default 20, random subscribers of the corpus, fixed seed)
# with `cdranon request sar`, and SCANS of them (default 5) with the full
# scan `cdranon unseal --subscriber`, checking that both return the same
# records.  Writes bench/results/requests.md; prints it too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RECORDS=${RECORDS:-1000000}
SARS=${SARS:-20}
SCANS=${SCANS:-5}
BIN=$(pwd)/cdranon
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

now() { date +%s.%N; }
"$BIN" gen --records "$RECORDS" --subscribers 100000 --seed 3 \
        --out "$tmp/input.csv" 2>/dev/null
t0=$(now)
(cd "$tmp" && "$BIN" anonymise -c config.yaml --in input.csv \
        --out /dev/null --dead-letter /dev/null --sealed sealed.b64 2>/dev/null)
t1=$(now)
(cd "$tmp" && "$BIN" anonymise -c config.yaml --in input.csv \
        --out /dev/null --dead-letter /dev/null --sealed sealed2.b64 \
        --index /dev/null 2>/dev/null)
t2=$(now)
rm -f "$tmp/sealed2.b64"
sealed_lines=$(wc -l <"$tmp/sealed.b64")
sealed_bytes=$(stat -c %s "$tmp/sealed.b64")
idx_bytes=$(stat -c %s "$tmp/sealed.b64.idx")

python3 - "$tmp/input.csv" "$SARS" >"$tmp/subjects" <<'PY'
import csv, random, sys
nums = sorted({r["calling_number"] for r in
               csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8",
                                   errors="replace"))
               if r.get("calling_number", "").lstrip("+").startswith("44")
               and r["calling_number"].isdigit()})
random.seed(14)
for n in random.sample(nums, int(sys.argv[2])):
    print(n)
PY

echo "subject,records,index_hits,opened,false_matches,sealed_bytes_read,seconds" \
        >"$tmp/sar.csv"
i=0
while read -r num; do
        i=$((i + 1))
        s0=$(now)
        (cd "$tmp" && "$BIN" request sar -c config.yaml --key custodian.pem \
                --in sealed.b64 --subscriber "$num" --request-id "B-$i" \
                --out "p$i" --audit audit.log 2>/dev/null)
        s1=$(now)
        python3 - "$tmp/p$i/manifest.json" "$i" "$(echo "$s1 - $s0" | bc)" \
                >>"$tmp/sar.csv" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
print(",".join(str(x) for x in (sys.argv[2], c["matched"], c["index_hits"],
      c["opened"], c["false_matches"], c["sealed_bytes_read"], sys.argv[3])))
PY
done <"$tmp/subjects"

echo "subject,records,seconds,same" >"$tmp/scan.csv"
i=0
while read -r num && ((i < SCANS)); do
        i=$((i + 1))
        s0=$(now)
        (cd "$tmp" && "$BIN" unseal --key custodian.pem --in sealed.b64 \
                -c config.yaml --subscriber "$num" --out "full$i.csv" \
                --audit audit.log 2>/dev/null)
        s1=$(now)
        same=no
        cmp -s <(tail -n +2 "$tmp/p$i/records.csv") "$tmp/full$i.csv" &&
                same=yes
        echo "$i,$(grep -c '' "$tmp/full$i.csv"),$(echo "$s1 - $s0" | bc),$same" \
                >>"$tmp/scan.csv"
done <"$tmp/subjects"

python3 - "$tmp/sar.csv" "$tmp/scan.csv" "$sealed_lines" "$sealed_bytes" \
        "$idx_bytes" "$RECORDS" "$(echo "$t1 - $t0" | bc)" \
        "$(echo "$t2 - $t1" | bc)" >"$out/requests.md" <<'PY'
import csv, statistics as st, sys, platform, os
sar = list(csv.DictReader(open(sys.argv[1])))
scan = list(csv.DictReader(open(sys.argv[2])))
lines, sbytes, ibytes, records = (int(x) for x in sys.argv[3:7])
t_idx, t_noidx = float(sys.argv[7]), float(sys.argv[8])
med = lambda k: st.median(float(r[k]) for r in sar)
scan_t = st.median(float(r["seconds"]) for r in scan)
print("# Subject access from the sealed index (bench/bench_request.sh)\n")
print(f"{records} generated records (100000 subscribers), sealed to "
      f"{lines} lines ({sbytes} bytes) by `cdranon anonymise --sealed`, "
      f"which wrote the index: {ibytes} bytes, "
      f"{ibytes * 1e6 / records / 1e6:.1f} MB per million records "
      f"({ibytes / lines:.1f} bytes per sealed line).\n")
print(f"anonymise --sealed with the index: {t_idx:.1f} s; with the index "
      f"to /dev/null: {t_noidx:.1f} s (one run each, on a shared machine: "
      "the difference is noise, not the cost of the index).\n")
print(f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared).\n")
print(f"## {len(sar)} subject access requests (random subscribers)\n")
print("| subject | records | index hits | opened | false matches | "
      "sealed bytes read | seconds |")
print("|---|---|---|---|---|---|---|")
for r in sar:
    print(f"| {r['subject']} | {r['records']} | {r['index_hits']} | "
          f"{r['opened']} | {r['false_matches']} | {r['sealed_bytes_read']} | "
          f"{float(r['seconds']):.3f} |")
print()
print(f"Median per request: {med('opened'):.0f} sealed lines opened of "
      f"{lines} ({100 * med('opened') / lines:.3f} %), "
      f"{med('sealed_bytes_read'):.0f} sealed bytes read of {sbytes} "
      f"({100 * med('sealed_bytes_read') / sbytes:.3f} %), "
      f"{med('seconds'):.3f} s wall (the index file, {ibytes} bytes, "
      f"is read whole each time).\n")
print(f"## Full scan (`cdranon unseal --subscriber`), the first {len(scan)} "
      f"subjects\n")
print("| subject | records | seconds | same records as request sar |")
print("|---|---|---|---|")
for r in scan:
    print(f"| {r['subject']} | {r['records']} lines | "
          f"{float(r['seconds']):.2f} | {r['same']} |")
print()
print(f"Median full scan: {scan_t:.2f} s, every sealed line opened, "
      f"{sbytes} bytes read.  Request over scan, medians of this run: "
      f"{100 * med('seconds') / scan_t:.2f} % of the time, "
      f"{100 * med('opened') / lines:.3f} % of the records opened.")
PY
cat "$out/requests.md"
