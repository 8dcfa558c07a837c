#!/usr/bin/env bash
# Requests from the index of the sealed file: `cdranon anonymise
# --sealed` writes SEALED.idx, `cdranon request sar|lawful` opens only the
# sealed lines it names and returns exactly what `cdranon unseal
# --subscriber` returns from a full scan.
#
#   tests/e2e/test_request.sh [path/to/cdranon]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# subscribers INPUT FORMAT: five numbers of the corpus, most active
# first, one of the least active last.
subscribers() {
        python3 - "$1" "$2" <<'PY'
import collections, csv, json, sys
path, fmt = sys.argv[1], sys.argv[2]
if fmt == "csv":
    rows = list(csv.DictReader(open(path, newline="", encoding="utf-8",
                                    errors="replace")))
else:
    rows = []
    for line in open(path, encoding="utf-8", errors="replace"):
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass
c = collections.Counter(str(r.get("calling_number", "")) for r in rows
                        if isinstance(r, dict) and
                        str(r.get("calling_number", "")).lstrip("+")
                        .startswith("44"))
common = [n for n, _ in c.most_common()]
for n in common[:4] + common[-1:]:
    print(n)
PY
}

run_format() {
        local fmt=$1 config=$2 ext=$3 dir total n i num hits opened
        echo "== $fmt"
        dir=$(setup_case "req-$fmt" "$config")
        "$BIN" gen --format "$fmt" --records 4000 --subscribers 400 --seed 11 \
                --out "$dir/input" 2>/dev/null
        (cd "$dir" && "$BIN" anonymise -c config.yaml --in input \
                --out anon.jsonl --dead-letter dead.jsonl \
                --sealed sealed.b64 2>stderr.txt)
        check "$fmt: anonymise --sealed writes sealed.b64.idx" \
                test -s "$dir/sealed.b64.idx"
        check "$fmt: one index line per sealed line, after its first" \
                test "$(($(wc -l <"$dir/sealed.b64.idx") - 1))" -eq \
                "$(wc -l <"$dir/sealed.b64")"
        raw_digit_canaries "$dir/input" >"$dir/canaries"
        check "$fmt: no raw number of the input in the index" \
                no_canary_in "$dir/canaries" "$dir/sealed.b64.idx"
        total=$(wc -l <"$dir/sealed.b64")
        i=0
        while read -r num; do
                i=$((i + 1))
                (cd "$dir" && "$BIN" request sar -c config.yaml \
                        --key custodian.pem --in sealed.b64 \
                        --subscriber "$num" --request-id "SAR-$i" \
                        --out "sar$i" --audit audit.log 2>"sar$i.err") &&
                        status=0 || status=$?
                check "$fmt: subscriber $i: request sar exits 0 ($status)" \
                        test "$status" -eq 0
                (cd "$dir" && "$BIN" unseal --key custodian.pem \
                        --in sealed.b64 -c config.yaml --subscriber "$num" \
                        --out "full$i" --audit audit.log 2>/dev/null)
                if [[ $fmt == csv ]]; then
                        check "$fmt: subscriber $i: records.csv starts with the header line" \
                                cmp -s <(head -1 "$dir/sar$i/records.csv") \
                                <(head -1 "$dir/input")
                        tail -n +2 "$dir/sar$i/records.$ext" >"$dir/got$i"
                else
                        cp "$dir/sar$i/records.$ext" "$dir/got$i"
                fi
                check "$fmt: subscriber $i: the records equal unseal --subscriber's ($(wc -l <"$dir/full$i") lines)" \
                        cmp -s "$dir/got$i" "$dir/full$i"
                check "$fmt: subscriber $i: at least one record" \
                        test -s "$dir/full$i"
                check "$fmt: subscriber $i: the manifest's SHA-256 is the file's" \
                        python3 - "$dir/sar$i" "$ext" <<'PY'
import hashlib, json, sys
d, ext = sys.argv[1], sys.argv[2]
m = json.load(open(d + "/manifest.json"))
f = m["files"][0]
assert f["name"] == "records." + ext
assert f["sha256"] == hashlib.sha256(open(d + "/" + f["name"], "rb").read()).hexdigest()
assert m["request"]["request_id"].startswith("SAR-")
assert m["counts"]["matched"] == f["records"]
assert m["counts"]["opened"] == m["counts"]["matched"] + m["counts"]["false_matches"]
assert m["keys"] and all(len(k["id"]) == 16 for k in m["keys"])
PY
                opened=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["opened"])' "$dir/sar$i/manifest.json")
                check "$fmt: subscriber $i: opened $opened of $total sealed lines (< 1/5)" \
                        test $((opened * 5)) -lt "$total"
                check "$fmt: subscriber $i: no raw number in the manifest or audit log" \
                        no_canary_in "$dir/canaries" "$dir/sar$i/manifest.json" "$dir/audit.log"
        done < <(subscribers "$dir/input" "$fmt")
        check "$fmt: five subscribers asked" test "$i" -eq 5
}

run_format csv config/generic.yaml csv
run_format json config/json.yaml jsonl

echo "== time window, lawful, bad requests"
dir=$TMP/req-csv
num=$(subscribers "$dir/input" csv | head -1)
(cd "$dir" && "$BIN" request lawful -c config.yaml --key custodian.pem \
        --in sealed.b64 --subscriber "$num" --from 2026-11-27T06:00:00Z \
        --to 2026-11-27T18:00:00Z --request-id LEA-7 \
        --authority "Metropolitan Police" --legal-basis "IPA 2016 s.61" \
        --out lawful --audit audit.log 2>lawful.err) && status=0 || status=$?
check "lawful with a window exits 0 ($status)" test "$status" -eq 0
(cd "$dir" && "$BIN" unseal --key custodian.pem --in sealed.b64 \
        -c config.yaml --subscriber "$num" --from 2026-11-27T06:00:00Z \
        --to 2026-11-27T18:00:00Z --out window.csv --audit audit.log \
        2>/dev/null)
check "lawful window: records equal unseal --from/--to's" \
        cmp -s <(tail -n +2 "$dir/lawful/records.csv") "$dir/window.csv"
check "lawful window: fewer records than without the window" \
        test "$(wc -c <"$dir/window.csv")" -lt "$(wc -c <"$dir/full1")"
check "lawful: the manifest names the authority and legal basis" \
        python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
assert m["request"] == {"type": "lawful", "request_id": "LEA-7",
    "legal_basis": "IPA 2016 s.61", "authority": "Metropolitan Police"}, m
assert m["query"]["from"] == "2026-11-27T06:00:00Z"' "$dir/lawful/manifest.json"

(cd "$dir" && "$BIN" request lawful -c config.yaml --key custodian.pem \
        --in sealed.b64 --subscriber "$num" --request-id LEA-8 \
        --legal-basis x --out lawful2 2>noauth.err) && status=0 || status=$?
check "lawful without --authority: exit 2 ($status)" test "$status" -eq 2

lines_before=$(wc -l <"$dir/audit.log")
(cd "$dir" && "$BIN" request sar -c config.yaml --key custodian.pem \
        --in sealed.b64 --subscriber "44770090012x" --request-id SAR-X \
        --out bad --audit audit.log 2>bad.err) && status=0 || status=$?
check "malformed number: exit 2 ($status)" test "$status" -eq 2
check "malformed number: one line naming --subscriber" \
        bash -c '[[ $(wc -l <"$1") -eq 1 ]] && grep -q -- "--subscriber" "$1" &&
                ! grep -q 44770090012 "$1"' _ "$dir/bad.err"
check "malformed number: no package" test ! -e "$dir/bad"

unknown=+447400123987
grep -q 7400123987 "$dir/input" && fail "unknown number is in the corpus"
(cd "$dir" && "$BIN" request sar -c config.yaml --key custodian.pem \
        --in sealed.b64 --subscriber "$unknown" --request-id SAR-U \
        --out unknown --audit audit.log 2>unknown.err) && status=0 ||
        status=$?
check "unknown subscriber: exit 0 ($status)" test "$status" -eq 0
check "unknown subscriber: an empty records file, 0 records in the manifest" \
        python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
assert m["counts"]["matched"] == 0 and m["files"][0]["records"] == 0, m
assert open(sys.argv[1] + "/records.csv").read() == ""' "$dir/unknown"
check "unknown subscriber: an audit line is appended, naming the request" \
        bash -c '[[ $(wc -l <"$1") -eq $(($2 + 1)) ]] &&
                tail -1 "$1" | grep -q "\"request_id\":\"SAR-U\""' _ \
        "$dir/audit.log" "$lines_before"

# The subscriber's tag, from Python's hmac: the index lines that hold it.
canon=$(cd "$dir" && "$BIN" pseudonym -c config.yaml "$num" | cut -f2)
python3 - "$dir" "$canon" "$FIXED_KEY_HEX" <<'PY' >"$dir/hits"
import hmac, hashlib, sys
d, canon, key = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
ik = hmac.new(key, b"cdranon.index.v1", hashlib.sha256).digest()
tag = hmac.new(ik, b"number\0" + canon.encode(), hashlib.sha256).hexdigest()[:16]
for l in open(d + "/sealed.b64.idx").read().splitlines()[1:]:
    if "number:" + tag in l.split()[1:]:
        print(l.split()[0])
PY
count() { # count MANIFEST NAME
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"][sys.argv[2]])' "$1" "$2"
}
hits=$(count "$dir/sar1/manifest.json" index_hits)
check "the index hits are the lines holding the tag Python's hmac computes ($hits)" \
        test "$(wc -l <"$dir/hits")" -eq "$hits"

# An index line naming an altered sealed line: reported, the rest written.
cp "$dir/sealed.b64" "$dir/altered.b64"
cp "$dir/sealed.b64.idx" "$dir/altered.b64.idx"
last=$(tail -1 "$dir/hits")
python3 - "$dir/altered.b64" "$last" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
data = bytearray(open(p, "rb").read())
data[off + 60] = ord("A") if data[off + 60] != ord("A") else ord("B")
open(p, "wb").write(data)
PY
(cd "$dir" && "$BIN" request sar -c config.yaml --key custodian.pem \
        --in altered.b64 --subscriber "$num" --request-id SAR-A \
        --out altered --audit audit.log 2>altered.err) && status=0 ||
        status=$?
check "altered sealed line: exit 1 ($status)" test "$status" -eq 1
check "altered sealed line: reported by its offset" \
        grep -q "offset $last .*did not open" "$dir/altered.err"
size=$(wc -c <"$dir/altered/records.csv")
check "altered sealed line: the others are written, as before" \
        cmp -s "$dir/altered/records.csv" <(head -c "$size" "$dir/sar1/records.csv")
check "altered sealed line: matched one fewer" \
        test "$(count "$dir/altered/manifest.json" matched)" -eq \
        $(($(count "$dir/sar1/manifest.json" matched) - 1))

finish
