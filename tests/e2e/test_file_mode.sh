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
        check "$name: one sealed line per record, and the header line's" \
                test "$(wc -l <"$dir/sealed.b64")" -eq $((records + header))
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
        check "$name: unsealed = the input, header line included, byte for byte" \
                cmp -s "$dir/unsealed" "$dir/input"
        check "$name: one audit line naming the records returned" \
                grep -q "\"returned\":$((records + header))," "$dir/audit.log"
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
# As PRODUCT.md writes it: -c CONFIG --subscriber NUMBER, nothing else,
# although the configuration takes its columns from a header line.
(cd "$dir" && "$BIN" unseal --key custodian.pem --in sealed.b64 \
        -c config.yaml --subscriber "$number" \
        --out subject.csv --audit audit.log 2>subject.err) && status=0 ||
        status=$?
check "subject access: unseal -c CONFIG --subscriber exits 0 ($status)" \
        test "$status" -eq 0
expected=$(grep -c -F "\"$pseudonym\"" "$dir/anon.jsonl" || true)
got=0
[[ ! -f $dir/subject.csv ]] || got=$(wc -l <"$dir/subject.csv")
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

# unseal_subject NAME SEALED [ARGS...]: the subscriber's records of
# SEALED into $dir/NAME.csv, stderr into $dir/NAME.err, the exit status
# into $status.
unseal_subject() {
        local name=$1 sealed=$2
        shift 2
        (cd "$dir" && "$BIN" unseal --key custodian.pem --in "$sealed" \
                --subscriber "$number" --out "$name.csv" --audit audit.log \
                "$@" 2>"$name.err") && status=0 || status=$?
}
# The columns named in the configuration, or the header given with
# --header-from, find the same records as the sealed header line.
sed "s/^    header: true$/    header: true\n    columns: [$(head -1 "$dir/input" |
        sed 's/,/, /g')]/" "$dir/config.yaml" >"$dir/columns.yaml"
unseal_subject from-columns sealed.b64 -c columns.yaml
check "subject access: configured columns give the same records" \
        cmp -s "$dir/subject.csv" "$dir/from-columns.csv"
unseal_subject from-header sealed.b64 -c config.yaml --header-from input
check "subject access: --header-from gives the same records" \
        cmp -s "$dir/subject.csv" "$dir/from-header.csv"

# A second file, its columns in another order, sealed by another run:
# one unseal over both sealed files reads each with its own header.
python3 - "$dir/input" "$dir/reordered" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8",
                            errors="surrogateescape")))
order = list(range(len(rows[0])))[::-1]
with open(sys.argv[2], "w", newline="", encoding="utf-8",
          errors="surrogateescape") as f:
    w = csv.writer(f, lineterminator="\n")
    for row in rows:
        w.writerow([row[i] for i in order] if len(row) == len(order) else row)
PY
(cd "$dir" && "$BIN" anonymise -c config.yaml --in reordered \
        --out /dev/null --dead-letter /dev/null --sealed reordered.b64 \
        2>/dev/null)
cat "$dir/sealed.b64" "$dir/reordered.b64" >"$dir/two-files.b64"
unseal_subject reordered reordered.b64 -c config.yaml
unseal_subject two-files two-files.b64 -c config.yaml
check "subject access: the reordered file alone finds the subscriber" \
        test -s "$dir/reordered.csv"
check "subject access: two files, two headers: the records of both" \
        cmp -s "$dir/two-files.csv" <(cat "$dir/subject.csv" \
                "$dir/reordered.csv")
# Two runs over standard input: one file name, lines starting again.
for f in input reordered; do
        (cd "$dir" && "$BIN" anonymise -c config.yaml --out /dev/null \
                --dead-letter /dev/null --sealed "stdin-$f.b64" \
                <"$f" 2>/dev/null)
done
cat "$dir/stdin-input.b64" "$dir/stdin-reordered.b64" >"$dir/two-stdin.b64"
unseal_subject two-stdin two-stdin.b64 -c config.yaml
check "subject access: two runs over standard input: the records of both" \
        cmp -s "$dir/two-stdin.csv" "$dir/two-files.csv"

# An event-time window (start_time, the third column), from the columns
# of the sealed header line: exactly the subscriber's records in it, the
# middle third of the subscriber's times.
cat >"$dir/when.py" <<'PY'
import csv, datetime, sys
def when(text):
    try:
        if text.isdigit():
            return datetime.datetime.fromtimestamp(int(text),
                                                   datetime.timezone.utc)
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
def rows(path):
    return list(csv.reader(open(path, newline="", errors="replace")))
times = sorted(t for t in (when(r[2]) for r in rows(sys.argv[1])) if t)
if len(sys.argv) == 2:  # the window: the middle third of the times
    lo, hi = times[len(times) // 3], times[2 * len(times) // 3]
    print(lo.strftime("%Y-%m-%dT%H:%M:%SZ"), hi.strftime("%Y-%m-%dT%H:%M:%SZ"))
    sys.exit(0)
lo, hi = (datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
          for t in sys.argv[3:5])
want = [r for r in rows(sys.argv[1]) if when(r[2]) and lo <= when(r[2]) < hi]
got = rows(sys.argv[2])
assert want and got == want and len(want) < len(rows(sys.argv[1])), \
    (len(got), len(want))
PY
read -r from to < <(python3 "$dir/when.py" "$dir/subject.csv") || true
unseal_subject window sealed.b64 -c config.yaml --from "$from" --to "$to"
check "subject access: --from/--to with the header's columns: exit 0" \
        test "$status" -eq 0
check "subject access: --from/--to: exactly the subscriber's records then" \
        python3 "$dir/when.py" "$dir/subject.csv" "$dir/window.csv" "$from" "$to"

# A sealed file that lacks its header line: refused with a message that
# names the file and line and how to go on, never a record's content.
tail -n +2 "$dir/sealed.b64" >"$dir/headless.b64"
unseal_subject headless headless.b64 -c config.yaml
check "subject access: no sealed header line: exit 1 ($status)" \
        test "$status" -eq 1
check "subject access: ... the message names the file, line and --header-from" \
        grep -q "^cdranon unseal: input:[0-9]*: the first record of this file that opened is not a CSV header line .*--header-from FILE)$" \
        "$dir/headless.err"
check "subject access: ... and no raw number" \
        no_canary_in "$dir/canaries" "$dir/headless.err" "$dir/headless.csv"
unseal_subject headless-hf headless.b64 -c config.yaml --header-from input
check "subject access: ... with --header-from, the same records" \
        cmp -s "$dir/headless-hf.csv" "$dir/subject.csv"

finish
