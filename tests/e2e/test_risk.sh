#!/usr/bin/env bash
# cdranon risk over anonymised output of generated records: exhaustive
# unicity equal to an independent brute force (tests/e2e/risk_reference.py),
# sampled 95% intervals that hold the exact figure, minimum k equal to
# pycanon's, the gate's exit codes, malformed lines named by file:line,
# the time window, the plot, and no raw identifier in any output.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=$(cd "$TOP" && bash scripts/pyenv.sh)
REF=$TOP/tests/e2e/risk_reference.py

dir=$(setup_case risk config/generic.yaml)
cd "$dir"
# Few records a subscriber and even activity, so that every p-subset of
# every trace can be enumerated by the reference.
"$BIN" gen --records 1500 --subscribers 150 --seed 5 --zipf 0 \
        --malformed-share 0 --out small.csv 2>/dev/null
"$BIN" anonymise -c config.yaml --in small.csv --out small.jsonl \
        --dead-letter /dev/null 2>/dev/null
"$BIN" gen --records 20000 --subscribers 2000 --seed 6 --out big.csv \
        2>/dev/null
"$BIN" anonymise -c config.yaml --in big.csv --out big.jsonl \
        --dead-letter /dev/null 2>/dev/null
check "the inputs are not empty" test -s small.jsonl -a -s big.jsonl

echo "== --help"
check "cdranon risk --help exits 0 and prints Usage" \
        bash -c "'$BIN' risk --help | grep -q '^Usage: cdranon risk'"
check "cdranon --help lists risk" bash -c "'$BIN' --help | grep -q '^  risk '"

echo "== exhaustive unicity equals the brute-force reference"
"$BIN" risk --in small.jsonl --exhaustive --json >ex-default.json 2>err.txt
check "default point fields: exit 0" test $? -eq 0
check "default point fields: equal to the reference" \
        "$PY" "$REF" exhaustive small.jsonl ex-default.json --default-points
for points in cell_id,start_hour record_type,start_hour \
        device_model,record_type; do
        "$BIN" risk --in small.jsonl --exhaustive --point-fields "$points" \
                --json >"ex-$points.json" 2>err.txt
        check "points $points: equal to the reference" \
                "$PY" "$REF" exhaustive small.jsonl "ex-$points.json"
done

echo "== sampled unicity: 95% intervals hold the exact figure"
reports=()
for seed in $(seq 1 20); do
        "$BIN" risk --in small.jsonl --point-fields record_type,start_hour \
                --samples 60 --seed "$seed" --k-subsets 0 --json \
                >"sampled-$seed.json"
        reports+=("sampled-$seed.json")
done
check "20 seeds, 60 targets each: at least 90% of the intervals hold it" \
        "$PY" "$REF" coverage small.jsonl "${reports[@]}"
check "the same seed gives the same figures" \
        bash -c "'$BIN' risk --in small.jsonl --point-fields \
                record_type,start_hour --samples 60 --seed 3 --k-subsets 0 \
                --json | cmp -s - sampled-3.json"
check "another seed gives other figures" \
        bash -c "! cmp -s sampled-1.json sampled-2.json"

echo "== k-anonymity equals pycanon's"
"$BIN" risk --in big.jsonl --k-subsets 2 --k-fields cell_id,start_hour,duration \
        --json >k.json
check "every single field, every pair, the full set and a named set: min k" \
        "$PY" "$REF" kanon big.jsonl k.json

echo "== the gate"
"$BIN" risk --in small.jsonl --point-fields cell_id,start_hour \
        --max-unicity 0.05 --points 4 >out.txt 2>err.txt && status=0 ||
        status=$?
check "unicity above 5% at 4 points: exit 4 (status $status)" \
        test "$status" -eq 4
check "... naming the field and the figures" \
        grep -qE "^cdranon risk: gate failed: field '[a-z]+': unicity at 4 points [0-9.]+% \(95% interval up to [0-9.]+%\) is above 5\.00%$" err.txt
check "... and the table is still printed" grep -q "k-anonymity" out.txt
"$BIN" risk --in small.jsonl --point-fields cell_id,start_hour \
        --max-unicity 100% --points 2 >/dev/null 2>&1 && status=0 ||
        status=$?
check "a gate at 100%: exit 0 (status $status)" test "$status" -eq 0
"$BIN" risk --in small.jsonl --max-unicity 2 >/dev/null 2>&1 && status=0 ||
        status=$?
check "--max-unicity 2: a usage error, exit 2" test "$status" -eq 2
"$BIN" risk --in small.jsonl --points 6 >/dev/null 2>&1 && status=0 ||
        status=$?
check "--points 6: a usage error, exit 2" test "$status" -eq 2

echo "== malformed lines"
{
        head -5 small.jsonl
        printf '{"record_id":"x",\n'
        printf 'not json\n'
        tail -n +6 small.jsonl
} >bad.jsonl
"$BIN" risk --in bad.jsonl --json >bad.json 2>err.txt && status=0 ||
        status=$?
check "malformed lines skipped: exit 3 (status $status)" test "$status" -eq 3
check "... each named by file:line" \
        bash -c "grep -q '^cdranon risk: bad.jsonl:6: skipped: json: unexpected end of input$' err.txt &&
                grep -q '^cdranon risk: bad.jsonl:7: skipped: json: record is not an object$' err.txt"
check "... and counted in the report" \
        grep -q '"malformed":2,' bad.json
"$BIN" risk --in bad.jsonl --point-fields cell_id,start_hour \
        --max-unicity 0.05 >/dev/null 2>&1 && status=0 || status=$?
check "malformed lines and a failed gate: the gate's exit 4" \
        test "$status" -eq 4
"$BIN" risk --in does-not-exist.jsonl 2>err.txt && status=0 || status=$?
check "a missing input: exit 1 naming it" \
        bash -c "test $status -eq 1 && grep -q 'does-not-exist.jsonl: No such file' err.txt"
"$BIN" risk --in small.jsonl --point-fields nowhere 2>err.txt && status=0 ||
        status=$?
check "an unknown point field: exit 1 naming it" \
        bash -c "test $status -eq 1 && grep -q \"point field 'nowhere' is not in the input\" err.txt"

echo "== standard input, the window, the plot"
check "standard input gives the same report as --in" \
        bash -c "'$BIN' risk --json <small.jsonl | cmp -s - <('$BIN' risk --in small.jsonl --json)"
"$BIN" risk --in small.jsonl --from 2026-11-27T06:00:00Z --to 2026-11-28 \
        --json >window.json
check "the window reads start_hour and leaves records out" \
        bash -c "grep -q '\"time_field\":\"start_hour\"' window.json &&
                ! grep -q '\"outside_window\":0,' window.json"
check "... exactly the records before 06:00 and from the 28th" \
        "$PY" -c "
import json, sys
r = json.load(open('window.json'))
rows = [json.loads(l) for l in open('small.jsonl')]
inside = sum('2026-11-27T06:00:00Z' <= x['start_hour'] < '2026-11-28T00:00:00Z' for x in rows)
sys.exit(0 if r['records'] == inside and r['outside_window'] == len(rows) - inside else 1)"
"$BIN" risk --in small.jsonl --from 27/11/2026 >/dev/null 2>&1 && status=0 ||
        status=$?
check "--from in another form: a usage error, exit 2" test "$status" -eq 2
"$BIN" risk --in small.jsonl --point-fields cell_id,start_hour \
        --plot plot.png >/dev/null
check "--plot writes a PNG" \
        bash -c "head -c 8 plot.png | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"

echo "== no raw identifier in any output"
raw_digit_canaries small.csv >canaries.txt
"$BIN" risk --in small.jsonl >table.txt 2>stderr.txt
check "the table, the JSON reports and stderr hold none of the input's numbers" \
        no_canary_in canaries.txt table.txt stderr.txt ex-default.json \
        sampled-1.json err.txt

finish
