#!/usr/bin/env bash
# What the outputs may hold, read back by standard parsers: `keep number`
# publishes only numbers that Python's json module reads as the same
# finite value, from CSV and JSON input alike; `cdranon pseudonym` prints
# exactly three tab-separated columns whatever an id holds.
#
#   tests/e2e/test_outputs.sh [path/to/cdranon]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "== keep number: only finite numbers are published"
# Values a reader can hand to `keep number`: JSON numbers, JSON strings
# (escapes decoded), CSV fields.  Each record's id says whether the value
# must be published ("ok") or dead-lettered ("dead").
values=(
        ok:42 ok:-0 ok:0.25 ok:1e308 ok:-1.7976931348623157e308 ok:5e-324
        ok:0e999 ok:0.0000000001e10 ok:123456789012345678901234567890
        dead:1e999 dead:-1e999 dead:1E+400 dead:0.1e310 dead:1e-999
        dead:-2e-324 dead:1.7976931348623159e308 dead:1e99999999999999999999
        dead:NaN dead:Infinity dead:-Infinity dead:inf dead:nan
        dead:0x1p3 dead:+1 dead:1e
)
dir=$TMP/numbers
mkdir -p "$dir/keys"
printf '%s %s\n' "$FIXED_KEY_ID" "$FIXED_KEY_HEX" >"$dir/keys/hmac.key"
chmod 600 "$dir/keys/hmac.key"
for fmt in csv json; do
        cat >"$dir/$fmt.yaml" <<EOF
input:
  format: $fmt
  csv: {header: false, columns: [id, n]}
keys:
  hmac: keys/hmac.key
fields:
  id: keep
  n: keep number
EOF
        [[ $fmt == json ]] && sed -i '/csv:/d' "$dir/$fmt.yaml"
done
python3 - "$dir" "${values[@]}" <<'PY'
import json, re, sys
d, values = sys.argv[1], sys.argv[2:]
NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
with open(d + "/in.csv", "w") as csv, open(d + "/in.jsonl", "w") as js:
    for i, v in enumerate(values):
        want, text = v.split(":", 1)
        csv.write(f'{want}-{i},"{text}"\n')
        # a bare JSON number where the grammar allows one (RFC 8259
        # section 6), a string, and a string with the digits escaped
        if NUMBER.fullmatch(text):
            js.write(f'{{"id":"{want}-{i}-bare","n":{text}}}\n')
        js.write(f'{{"id":"{want}-{i}-string","n":{json.dumps(text)}}}\n')
        esc = "".join(f"\\u{ord(c):04x}" if c.isdigit() else c for c in text)
        js.write(f'{{"id":"{want}-{i}-escaped","n":"{esc}"}}\n')
PY
for fmt in csv json; do
        in=$dir/in.csv
        [[ $fmt == json ]] && in=$dir/in.jsonl
        (cd "$dir" && "$BIN" anonymise -c "$fmt.yaml" --in "$in" \
                --out "$fmt.out" --dead-letter "$fmt.dead" 2>"$fmt.err")
        check "$fmt: anonymise exits 0" test $? -eq 0
        check "$fmt: every 'ok' value published, every 'dead' one not" \
                python3 - "$in" "$dir/$fmt.out" <<'PY'
import csv, json, sys
src, out = sys.argv[1], sys.argv[2]
if src.endswith(".csv"):
    ids = [row[0] for row in csv.reader(open(src))]
else:
    ids = [json.loads(line)["id"] for line in open(src)]
published = [json.loads(line)["id"] for line in open(out)]
want = [i for i in ids if i.startswith("ok-")]
assert published == want, (sorted(set(published) ^ set(want)))
PY
        check "$fmt: each number published reads back as the same finite value" \
                python3 - "$dir/$fmt.out" <<'PY'
import decimal, json, math, sys
for line in open(sys.argv[1]):
    # the number's own text, as the parser sees it
    texts = []
    json.loads(line, parse_float=lambda t: texts.append(t) or float(t),
               parse_int=lambda t: texts.append(t) or int(t),
               parse_constant=lambda t: sys.exit(f"constant {t}"))
    for t in texts:
        x = float(t)
        assert math.isfinite(x), t
        assert (x == 0) == (decimal.Decimal(t) == 0), t
        assert json.loads(json.dumps(json.loads(t))) == json.loads(t), t
PY
        check "$fmt: each dead letter names the rule, never the value" \
                python3 - "$dir/$fmt.dead" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)["reason"]
    assert r in ("field 'n': keep number: not a number",
                 "field 'n': keep number: not a number within the range "
                 "of a double"), r
PY
done

echo "== cdranon pseudonym: three columns whatever an id holds"
# kind, canonical form, pseudonym; in the canonical form \ is \\, TAB \t,
# LF \n, CR \r, other control bytes \xHH (--help, cdranon(1)).
cat >"$dir/p.yaml" <<'EOF'
keys:
  hmac: keys/hmac.key
fields:
  x: pseudonymise id
EOF
ids=($'a\tb' $'two\t\ttabs' $'line\nfeed' $'carriage\rreturn' 'back\slash'
        'back\tnot-a-tab' $'all\t\n\r\\\x01\x7f' 'plain')
(cd "$dir" && "$BIN" pseudonym -c p.yaml --kind id "${ids[@]}" \
        >pseudonym.out 2>pseudonym.err)
check "pseudonym: exits 0" test $? -eq 0
check "pseudonym: one line per id, each of exactly three columns" \
        python3 - "$dir/pseudonym.out" "${#ids[@]}" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
assert lines[-1] == b"", "no final line feed"
lines = lines[:-1]
assert len(lines) == int(sys.argv[2]), len(lines)
for line in lines:
    cols = line.split(b"\t")
    assert len(cols) == 3, cols
    assert b"\r" not in line, line
    assert cols[0] == b"id"
PY
# The canonical column, unescaped, is the id (trimmed); and the
# pseudonym of each is the one a single-value call prints.
check "pseudonym: the canonical column unescapes to the id" \
        python3 - "$dir/pseudonym.out" "${ids[@]}" <<'PY'
import re, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
def unescape(s):
    return re.sub(rb"\\(x[0-9a-f]{2}|.)",
                  lambda m: {b"t": b"\t", b"n": b"\n", b"r": b"\r",
                             b"\\": b"\\"}.get(m.group(1)) or
                  bytes([int(m.group(1)[1:], 16)]), s)
for line, want in zip(lines, sys.argv[2:]):
    canon = line.split(b"\t")[1]
    assert unescape(canon) == want.encode().strip(b" \t\r\n"), (canon, want)
PY
same=1
for i in "${!ids[@]}"; do
        one=$(cd "$dir" && "$BIN" pseudonym -c p.yaml --kind id "${ids[$i]}" |
                cut -f3)
        all=$(sed -n "$((i + 1))p" "$dir/pseudonym.out" | cut -f3)
        [[ -n $one && $one == "$all" ]] || same=0
done
check "pseudonym: the third column is each id's pseudonym" test "$same" = 1
# Read from standard input, one value per line: a CR inside a line is
# part of the value and comes out escaped.
printf 'in\rside\r\nback\\slash\n' |
        (cd "$dir" && "$BIN" pseudonym -c p.yaml --kind id >stdin.out)
check "pseudonym: from standard input, CR and backslash escaped" \
        bash -c "cut -f2 '$dir/stdin.out' | cmp -s - <(printf '%s\n' 'in\rside' 'back\\\\slash')"

finish
