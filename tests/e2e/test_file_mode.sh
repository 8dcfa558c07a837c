#!/usr/bin/env bash
# File-mode end to end: `cdranon anonymise` and `cdranon unseal` over the
# example configurations and a generated corpus.
#
#   tests/e2e/test_file_mode.sh [path/to/cdranon]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# run_case NAME CONFIG INPUT FORMAT ID_FIELDS HEADER_LINES [COLUMNS]
run_case() {
        local name=$1 config=$2 input=$3 fmt=$4 idfields=$5 header=$6
        local columns=${7:-}
        local dir records published suppressed dead sealed
        echo "== $name"
        dir=$(setup_case "$name" "$config")
        cp "$input" "$dir/input"
        (cd "$dir" && "$BIN" anonymise -c config.yaml --in input \
                --out anon.jsonl --dead-letter dead.jsonl \
                --sealed sealed.b64 2>stderr.txt)
        check "$name: anonymise exits 0" test $? -eq 0
        records=$(summary_field "$dir/stderr.txt" "records read")
        published=$(summary_field "$dir/stderr.txt" published)
        suppressed=$(summary_field "$dir/stderr.txt" suppressed)
        dead=$(summary_field "$dir/stderr.txt" dead-lettered)
        sealed=$(summary_field "$dir/stderr.txt" sealed)
        check "$name: records read > 0 ($records)" test "${records:-0}" -gt 0
        check "$name: published + suppressed + dead-lettered = read" \
                test $((published + suppressed + dead)) -eq "$records"
        check "$name: one anonymised line per published record" \
                test "$(wc -l <"$dir/anon.jsonl")" -eq "$published"
        check "$name: one dead-letter line per dead-lettered record" \
                test "$(wc -l <"$dir/dead.jsonl")" -eq "$dead"
        check "$name: sealed = read" test "$sealed" -eq "$records"
        check "$name: one sealed line per record" \
                test "$(wc -l <"$dir/sealed.b64")" -eq "$records"
        check "$name: anonymised lines are JSON objects" python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    assert isinstance(json.loads(line), dict)' "$dir/anon.jsonl"
        check "$name: dead-letter lines carry reason and file/line only" \
                python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert set(d) == {"reason", "source"}, d.keys()
    assert set(d["source"]) == {"file", "line"}
    assert d["source"]["file"] == "input" and d["source"]["line"] >= 1
    assert d["reason"].startswith(("field ", "csv", "json", "record"))' \
                "$dir/dead.jsonl"
        if [[ -n $columns ]]; then
                python3 "$TOP/tests/e2e/canaries.py" "$dir/input" "$fmt" \
                        "$idfields" --columns "$columns" >"$dir/canaries"
        else
                python3 "$TOP/tests/e2e/canaries.py" "$dir/input" "$fmt" \
                        "$idfields" >"$dir/canaries"
        fi
        check "$name: no raw identifier in any output, error or summary" \
                no_canary_in "$dir/canaries" "$dir/anon.jsonl" \
                "$dir/dead.jsonl" "$dir/stderr.txt"
        (cd "$dir" && "$BIN" unseal --key custodian.pem --in sealed.b64 \
                --out unsealed --audit audit.log 2>unseal.err)
        check "$name: unseal exits 0" test $? -eq 0
        tail -n +$((header + 1)) "$dir/input" >"$dir/expected-unsealed"
        check "$name: unsealed records = input records, byte for byte" \
                cmp -s "$dir/unsealed" "$dir/expected-unsealed"
        check "$name: one audit line naming the records returned" \
                grep -q "\"returned\":$records," "$dir/audit.log"
        # Known answers for the sample files, made with the fixed key and
        # checked by hand (pseudonyms recomputed with `openssl dgst`).
        if [[ -f $(dirname "$input")/expected.jsonl ]]; then
                check "$name: anonymised output = known answer" \
                        cmp -s "$dir/anon.jsonl" \
                        "$(dirname "$input")/expected.jsonl"
                check "$name: dead-letter output = known answer" \
                        cmp -s "$dir/dead.jsonl" \
                        "$(dirname "$input")/expected-dead-letter.jsonl"
        fi
}

# The configured column list (a YAML block sequence) as C1,C2,...
asterisk_columns=$(awk '/^ *columns:/ { on = 1; next }
        on && /^ *- / { sub(/^ *- */, ""); printf "%s%s", sep, $0; sep = ","; next }
        on && !/^ *- / { on = 0 }' config/asterisk.yaml)
run_case asterisk config/asterisk.yaml tests/data/asterisk/Master.csv csv \
        src,dst,clid 0 "$asterisk_columns"
run_case cucm config/cucm.yaml tests/data/cucm/cdr.csv csv \
        callingPartyNumber,originalCalledPartyNumber,finalCalledPartyNumber 1
run_case json config/json.yaml tests/data/json/cdr.jsonl json \
        calling_number,called_number,imsi,imei 0

# A generated corpus with malformed records mixed in.
"$BIN" gen --format csv --records 20000 --malformed-share 0.03 --seed 7 \
        --out "$TMP/generated.csv" 2>/dev/null
run_case generated config/generic.yaml "$TMP/generated.csv" csv \
        calling_number,called_number,imsi,imei 1

# Subject access: every record of one subscriber, and only those.
echo "== subject access"
dir=$TMP/generated
number=$(python3 - "$dir/input" <<'PY'
import csv, sys, collections
rows = csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8",
                           errors="replace"))
c = collections.Counter(r["calling_number"] for r in rows
                        if r.get("calling_number", "").startswith("+44"))
print(c.most_common(1)[0][0])
PY
)
pseudonym=$(cd "$dir" && "$BIN" pseudonym -c config.yaml "$number" | cut -f3)
check "subject access: pseudonym lookup gives a pseudonym" \
        test "${pseudonym#e2e:}" != "$pseudonym"
(cd "$dir" && "$BIN" unseal --key custodian.pem --in sealed.b64 \
        -c config.yaml --subscriber "$number" --header-from input \
        --out subject.csv --audit audit.log 2>/dev/null)
check "subject access: unseal --subscriber exits 0" test $? -eq 0
expected=$(grep -c -F "\"$pseudonym\"" "$dir/anon.jsonl" || true)
got=$(wc -l <"$dir/subject.csv")
check "subject access: $got records, at least the $expected published ones" \
        test "$got" -ge "$expected" -a "$expected" -gt 0
check "subject access: every record returned names the subscriber" \
        python3 - "$dir/subject.csv" "${number: -9}" <<'PY'
import csv, re, sys
digits = sys.argv[2]
rows = csv.reader(open(sys.argv[1], newline="", encoding="utf-8",
                       errors="replace"))
for row in rows:
    assert any(digits in re.sub(r"[^0-9]", "", f) for f in row), \
        "record without subject"
PY
check "subject access: the audit line names the subscriber by pseudonym" \
        grep -q "\"subscriber\":\"$pseudonym\"" "$dir/audit.log"
check "subject access: the audit log holds no raw number" \
        no_canary_in "$dir/canaries" "$dir/audit.log"

finish
