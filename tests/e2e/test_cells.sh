#!/usr/bin/env bash
# The cell table: over generated mobility with its own cell table, every
# published area and district is the table's for the record's cell; no
# cell id reaches any output; an unknown cell is a dead letter
# (cell_unknown) or null as cells.unknown says; check-config names a
# missing column; a broken table is named by file, line and column.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=$(setup_case cells tests/data/config/cells.yaml)
cd "$dir"
"$BIN" gen --records 20000 --subscribers 2000 --days 3 --seed 9 \
        --malformed-share 0 --cells-out cells.csv --out in.csv 2>/dev/null
"$BIN" anonymise -c config.yaml --in in.csv --out out.jsonl \
        --dead-letter dead.jsonl 2>/dev/null
check "anonymise: every record published" \
        test "$(wc -l <out.jsonl)" -eq 20000 -a ! -s dead.jsonl

python3 - in.csv cells.csv out.jsonl <<'PY' >check.txt
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
cells = {r["cell_id"]: r for r in csv.DictReader(open(sys.argv[2], newline=""))}
out = [json.loads(l) for l in open(sys.argv[3])]
bad = sum(1 for r, o in zip(rows, out)
          if o["area"] != cells[r["cell_id"]]["area"]
          or o["district"] != cells[r["cell_id"]]["district"])
print("records", len(rows), len(out), "mismatches", bad,
      "areas", len({o["area"] for o in out}), "cells", len(cells))
PY
check "every area and district is the table's for the record's cell" \
        grep -q '^records 20000 20000 mismatches 0 ' check.txt
check "more than one area published" \
        bash -c "awk '{ exit !(\$8 > 1) }' check.txt"
cut -d, -f1 cells.csv | tail -n +2 | sort -u >ids.txt
check "no cell id in the output" \
        bash -c "test -s ids.txt && ! grep -F -q -f ids.txt out.jsonl"
check "no cell_id field in the output" bash -c "! grep -q cell_id out.jsonl"

echo "== unknown cells"
head -2 in.csv | awk -F, -v OFS=, 'NR == 2 { $10 = "999-99-9999-77777" } 1' \
        >unknown.csv
"$BIN" anonymise -c config.yaml --in unknown.csv --out u.jsonl \
        --dead-letter u-dead.jsonl 2>/dev/null
check "default: an unknown cell is a dead letter" \
        grep -q '"reason":"field .cell_id.: cell area: cell not in the cell table"' u-dead.jsonl
check "the dead letter does not hold the cell" \
        bash -c "! grep -q 77777 u-dead.jsonl u.jsonl"
sed 's/^  file: cells.csv$/  file: cells.csv\n  unknown: null/' config.yaml \
        >null.yaml
"$BIN" anonymise -c null.yaml --in unknown.csv --out n.jsonl \
        --dead-letter n-dead.jsonl 2>/dev/null
check "unknown: null publishes null" \
        bash -c "grep -q '\"area\":null,\"district\":null' n.jsonl && ! grep -q 77777 n.jsonl && ! test -s n-dead.jsonl"

echo "== check-config"
check "check-config accepts the table" \
        bash -c "'$BIN' check-config -c config.yaml >/dev/null"
sed 's/cell district/cell distric/' config.yaml >typo.yaml
"$BIN" check-config -c typo.yaml >/dev/null 2>err.txt && fail "typo accepted"
check "a missing column is named with the field's line" \
        grep -q "typo.yaml:13: fields.district.action: cell: no column 'distric' in the cell table" err.txt
printf 'cell_id,area,district\nc1,A,D\nc2,"B\n' >broken.csv
sed 's/file: cells.csv/file: broken.csv/' config.yaml >broken.yaml
"$BIN" check-config -c broken.yaml >/dev/null 2>err.txt && fail "broken table accepted"
check "a broken table is named by file, line and column" \
        grep -q "broken.csv:3: column 2: quoted field not closed" err.txt

echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
