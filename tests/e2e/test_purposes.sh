#!/usr/bin/env bash
# Purposes in file mode: config/purposes.yaml over `cdranon gen` data.
# Two outputs with their own allow-lists and pseudonym domains: no
# pseudonym value in common, deterministic, v2 pseudonyms as Python's
# hmac computes them from PRODUCT.md's construction, rotated daily, and
# no raw number anywhere.
#
#   tests/e2e/test_purposes.sh [path/to/cdranon]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "== purposes"
dir=$(setup_case purposes config/purposes.yaml)
"$BIN" gen -n 3000 --days 3 --seed 7 -o "$dir/input.csv" 2>/dev/null
run() { # run SUFFIX: anonymise into network.jsonl, behaviour.jsonl
        (cd "$dir" && "$BIN" anonymise -c config.yaml --in input.csv \
                --out behaviour="behaviour$1.jsonl" \
                --dead-letter "dead$1.jsonl" 2>"stderr$1.txt")
}
rc=0
run "" || rc=$?
check "anonymise exits 0" test "$rc" -eq 0
published=$(summary_field "$dir/stderr.txt" published)
check "published > 0 ($published)" test "${published:-0}" -gt 0
check "network.jsonl (output.file): one line per published record" \
        test "$(wc -l <"$dir/network.jsonl")" -eq "$published"
check "behaviour.jsonl (--out): one line per published record" \
        test "$(wc -l <"$dir/behaviour.jsonl")" -eq "$published"
check "summary per purpose" grep -q "purpose behaviour: $published published" \
        "$dir/stderr.txt"

mv "$dir/network.jsonl" "$dir/network1.jsonl"
mv "$dir/behaviour.jsonl" "$dir/behaviour1.jsonl"
run 2
check "a re-run gives identical outputs" cmp -s "$dir/network1.jsonl" \
        "$dir/network.jsonl"
check "a re-run gives identical behaviour output" cmp -s \
        "$dir/behaviour1.jsonl" "$dir/behaviour2.jsonl"

check "network carries no pseudonym; behaviour has some, none in network" \
        python3 - "$dir/network.jsonl" "$dir/behaviour1.jsonl" <<'PY'
import re, sys
pat = re.compile(r'e2e:[a-z2-7]{26}')
net = set(pat.findall(open(sys.argv[1]).read()))
beh = set(pat.findall(open(sys.argv[2]).read()))
assert not net, len(net)
assert len(beh) > 100, len(beh)
PY

python3 "$TOP/tests/e2e/canaries.py" "$dir/input.csv" csv \
        calling_number,called_number,imsi,imei >"$dir/canaries"
check "no raw identifier in any output, dead letter or summary" \
        no_canary_in "$dir/canaries" "$dir/network.jsonl" \
        "$dir/behaviour1.jsonl" "$dir/dead.jsonl" "$dir/stderr.txt"

# The published rows of the input, in output order, with their day.
python3 - "$dir/input.csv" "$dir/dead.jsonl" >"$dir/rows.tsv" <<'PY'
import csv, json, sys
dead = {json.loads(l)["source"]["line"] for l in open(sys.argv[2])}
f = open(sys.argv[1], newline="", encoding="utf-8", errors="replace")
r = csv.reader(f)
head = next(r)
c, t = head.index("calling_number"), head.index("start_time")
while True:
    line = r.line_num + 1  # where the record starts
    try:
        row = next(r)
    except StopIteration:
        break
    if line in dead:
        continue
    print(f"{row[t][:10]}\t{row[c]}")
PY
check "one published row per behaviour line" \
        test "$(wc -l <"$dir/rows.tsv")" -eq "$published"
day=$(cut -f1 "$dir/rows.tsv" | sort | uniq -c | sort -rn |
        awk 'NR == 1 { print $2 }')
# Every published row of that day through `cdranon pseudonym`: its
# canonical form (cdranon's) and its pseudonym (checked by Python).
awk -F'\t' -v d="$day" '$1 == d { print NR "\t" $2 }' "$dir/rows.tsv" \
        >"$dir/day.tsv"
cut -f2 "$dir/day.tsv" | "$BIN" pseudonym -c "$dir/config.yaml" \
        --purpose behaviour --period "$day" >"$dir/day.pseudonyms"
check "pseudonym --purpose --period: a line per value of $day" \
        test "$(wc -l <"$dir/day.pseudonyms")" -eq "$(wc -l <"$dir/day.tsv")"
check "v2 pseudonyms are HMAC-SHA256(key, cdranon.v2. kind 0 domain 0 canon)" \
        python3 - "$dir/day.pseudonyms" "$day" "$FIXED_KEY_HEX" \
        "$FIXED_KEY_ID" <<'PY'
import base64, hashlib, hmac, sys
key = bytes.fromhex(sys.argv[3])
n = 0
for line in open(sys.argv[1]):
    kind, canon, ps = line.rstrip("\n").split("\t")
    if ps == canon:
        continue
    m = b"cdranon.v2." + kind.encode() + b"\0" + \
        f"behaviour/{sys.argv[2]}".encode() + b"\0" + canon.encode()
    d = hmac.new(key, m, hashlib.sha256).digest()[:16]
    want = sys.argv[4] + ":" + base64.b32encode(d).decode().lower().rstrip("=")
    assert ps == want, (ps, want)
    n += 1
assert n > 10, n
PY
check "the day's pseudonym of a number finds exactly its records of the day" \
        python3 - "$dir/day.tsv" "$dir/day.pseudonyms" \
        "$dir/behaviour1.jsonl" "$day" <<'PY'
import collections, json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
ps = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
out = [json.loads(l) for l in open(sys.argv[3])]
canon_of = {int(r[0]): p[1] for r, p in zip(rows, ps)}
pseud_of = {int(r[0]): p[2] for r, p in zip(rows, ps)}
# the busiest personal number of the day
counts = collections.Counter(c for n, c in canon_of.items()
                             if pseud_of[n] != c)
canon, _ = counts.most_common(1)[0]
pseudonym = next(pseud_of[n] for n in canon_of if canon_of[n] == canon)
want = {n for n in canon_of if canon_of[n] == canon}
got = {i + 1 for i, o in enumerate(out) if o.get("caller") == pseudonym}
assert want == got and len(want) >= 2, (len(want), len(got))
# every record of the day carries its number's pseudonym of the day
for n, p in pseud_of.items():
    assert out[n - 1]["caller"] == p, n
    assert out[n - 1]["start_day"].startswith(sys.argv[4])
# and on another day the same number has another pseudonym
others = {o["caller"] for o in out if not o["start_day"].startswith(sys.argv[4])}
assert pseudonym not in others
PY

# Errors: plain --out with purposes; an unknown purpose.
(cd "$dir" && "$BIN" anonymise -c config.yaml --in input.csv --out x.jsonl \
        >/dev/null 2>err.txt) || true
check "plain --out with purposes is an error" grep -q "PURPOSE=PATH" \
        "$dir/err.txt"
(cd "$dir" && "$BIN" anonymise -c config.yaml --in input.csv \
        --out nosuch=x.jsonl >/dev/null 2>err.txt) || true
check "--out of an unknown purpose is an error" grep -q "no such purpose" \
        "$dir/err.txt"
"$BIN" check-config -c "$dir/config.yaml" >"$dir/check.txt" 2>&1
check "check-config lists the purposes" grep -q \
        "^purposes.behaviour: topic cdr.behaviour, key caller.*rotate day" \
        "$dir/check.txt"
finish
