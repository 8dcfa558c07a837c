#!/usr/bin/env bash
# msisdn canonical forms end to end: the numbering-plan table against its
# generator, `cdranon pseudonym` against libphonenumber over every country
# code (tests/e2e/numbers_vs_libphonenumber.py), and file mode over the
# shapes of the defects this comparison guards (a tel: URI's
# phone-context, a trunk prefix after the country code).
#
#   tests/e2e/test_numbers.sh [path/to/cdranon]
#
# Needs the tests' venv (scripts/pyenv.sh: phonenumbers from PyPI).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=$(bash "$TOP/scripts/pyenv.sh")

echo "== numbering-plan table"
"$PY" "$TOP/scripts/number-plans.py" >"$TMP/number_plans.h"
check "src/number_plans.h is scripts/number-plans.py's output" \
        cmp -s "$TMP/number_plans.h" "$TOP/src/number_plans.h"

echo "== against libphonenumber"
dir=$(setup_case numbers config/generic.yaml)
set +e
(cd "$dir" && "$PY" "$TOP/tests/e2e/numbers_vs_libphonenumber.py" --strict \
        "$BIN" config.yaml >compare.txt 2>&1)
rc=$?
set -e
sed 's/^/   /' "$dir/compare.txt"
check "every disagreement with libphonenumber is a listed difference" \
        test "$rc" -eq 0

echo "== file mode"
# pseudonym VALUE: the pseudonym `cdranon pseudonym` gives VALUE.
pseudonym() {
        (cd "$dir" && "$BIN" pseudonym -c config.yaml "$1" | cut -f3)
}
tail='234150999999999,353490069873319,234-15-1-2,0,0,16,Ann Example,'
tail+='1 Test Street,card ****0000'
{
        echo 'record_id,record_type,start_time,end_time,duration,calling_number,called_number,imsi,imei,cell_id,bytes_up,bytes_down,cause_for_term,subscriber_name,subscriber_address,payment_ref'
        t='voice,2026-11-27T10:00:00Z,2026-11-27T10:01:00Z,60'
        echo "1,$t,tel:62889;phone-context=+247,+44 0121 234 5678,$tail"
        echo "2,$t,+44 (0)121 234 5678,0044 0121 234 5678,$tail"
        echo "3,$t,tel:62889;phone-context=ims.example.net,999,$tail"
        echo "4,$t,tel:112;phone-context=+44,tel:112;phone-context=+33,$tail"
        echo "5,$t,999,tel:142685300;phone-context=+33,$tail"
        echo "6,$t,+98 9601,sip:01-42-68-53-00;phone-context=+33@example.net;user=phone,$tail"
} >"$dir/input.csv"
(cd "$dir" && "$BIN" anonymise -c config.yaml --in input.csv --out anon.jsonl \
        --dead-letter dead.jsonl --sealed sealed.b64 2>stderr.txt)
check "anonymise exits 0" test $? -eq 0
field() { # field RECORD_ID NAME: the published value, or "-"
        python3 - "$dir/anon.jsonl" "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if str(r.get("record_id")) == sys.argv[2]:
        print(r.get(sys.argv[3], "-"))
        break
else:
    print("-")
PY
}
ascension=$(pseudonym '+24762889')
birmingham=$(pseudonym '+441212345678')
paris=$(pseudonym '+33142685300')
check "tel:62889;phone-context=+247 is +24762889, pseudonymised" \
        test "$(field 1 caller)" = "$ascension"
check "the Ascension number is nowhere in clear" \
        bash -c "! grep -q 62889 '$dir/anon.jsonl' '$dir/dead.jsonl'"
check "+44 0121, +44 (0)121 and 0044 0121 give one pseudonym" \
        test "$(field 1 callee)" = "$birmingham" -a \
        "$(field 2 caller)" = "$birmingham" -a \
        "$(field 2 callee)" = "$birmingham"
check "a domain-name phone-context is a dead letter" \
        test "$(field 3 caller)" = "-"
check "a short code under a foreign phone-context is a dead letter" \
        test "$(field 4 caller)" = "-"
check "tel:142685300;phone-context=+33 is +33142685300" \
        test "$(field 5 callee)" = "$paris" -a "$(field 5 called_country)" = 33
check "a short E.164 number and a sip: user part in national format" \
        test "$(field 6 caller)" = "$(pseudonym '+989601')" -a \
        "$(field 6 callee)" = "$paris"
check "two dead letters, reasons without digits" python3 -c '
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(lines) == 2, lines
assert all(not re.search(r"[0-9]{3}", l["reason"]) for l in lines), lines' \
        "$dir/dead.jsonl"
finish
