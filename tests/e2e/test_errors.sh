#!/usr/bin/env bash
# Fatal errors are one line naming the file, line and field; nothing
# echoes a raw identifier; every command has --help.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "== --help on every command"
for cmd in anonymise check-config keygen pseudonym unseal gen; do
        check "cdranon $cmd --help exits 0 and prints Usage" \
                bash -c "'$BIN' $cmd --help | grep -q '^Usage: cdranon $cmd'"
done
check "cdranon --help lists the commands" \
        bash -c "'$BIN' --help | grep -q anonymise"
check "an unknown command exits 2" \
        bash -c "'$BIN' frobnicate 2>/dev/null; test \$? -eq 2"

echo "== configuration errors"
dir=$(setup_case errors config/generic.yaml)
cd "$dir"
check "check-config accepts the generic configuration" \
        "$BIN" check-config -q -c config.yaml

sed 's/truncate hour/scramble/' config.yaml >bad-action.yaml
line=$(grep -n scramble bad-action.yaml | head -1 | cut -d: -f1)
"$BIN" check-config -c bad-action.yaml 2>err.txt && true
check "unknown action: exit 1" test $? -eq 1
check "unknown action: 'file:line: fields.x: unknown action' (line $line)" \
        grep -qE "^cdranon check-config: bad-action.yaml:$line: fields\.[a-z_]+(\.action)?: unknown action 'scramble'$" err.txt
check "unknown action: exactly one line on stderr" \
        test "$(wc -l <err.txt)" -eq 1

printf 'bogus_key: 1\n' | cat - config.yaml >unknown-key.yaml
"$BIN" check-config -c unknown-key.yaml 2>err.txt && true
check "unknown key: 'file:1: bogus_key: ...'" \
        grep -q "unknown-key.yaml:1: bogus_key" err.txt

chmod 644 keys/hmac.key
"$BIN" check-config -c config.yaml 2>err.txt && true
check "group/other-readable key file: refused" \
        grep -q "keys/hmac.key" err.txt
check "group/other-readable key file: no key material in the message" \
        bash -c "! grep -q '$FIXED_KEY_HEX' err.txt"
chmod 600 keys/hmac.key

"$BIN" anonymise -c config.yaml --in does-not-exist.csv 2>err.txt && true
check "missing input: names the file" \
        grep -q "does-not-exist.csv: No such file or directory" err.txt

echo "== no raw identifier on stderr"
"$BIN" pseudonym -c config.yaml "07700 9001x3" >/dev/null 2>err.txt && true
check "pseudonym: a malformed value is reported by position" \
        grep -q "value 1: not a valid msisdn" err.txt
check "pseudonym: the value is not echoed" bash -c "! grep -q 9001 err.txt"

echo "== CRLF line ends and a byte-order mark"
"$BIN" gen --format csv --records 200 --seed 3 --malformed-share 0 \
        --out lf.csv 2>/dev/null
{ printf '\xef\xbb\xbf'; sed 's/$/\r/' lf.csv; } >crlf.csv
"$BIN" anonymise -c config.yaml --in lf.csv --out lf.jsonl 2>/dev/null
"$BIN" anonymise -c config.yaml --in crlf.csv --out crlf.jsonl 2>/dev/null
check "CRLF + BOM input gives the same records as LF input" \
        cmp -s lf.jsonl crlf.jsonl
check "... and they are not empty" test -s lf.jsonl

echo "== keygen"
"$BIN" keygen hmac --out ring.key --id first 2>/dev/null
"$BIN" keygen hmac --out ring.key --id second 2>/dev/null
check "keygen hmac appends: two keys" test "$(grep -c . ring.key)" -eq 2
check "keygen hmac: mode 0600" test "$(stat -c %a ring.key)" = 600
chmod 644 ring.key
"$BIN" keygen hmac --out ring.key --id third 2>err.txt && true
check "keygen hmac refuses a group/world-readable file" \
        test "$(grep -c . ring.key)" -eq 2
"$BIN" keygen custodian --private c2.pem --public c2.pub 2>/dev/null
check "keygen custodian: private key mode 0600" \
        test "$(stat -c %a c2.pem)" = 600
check "keygen custodian: openssl reads the private key as X25519" \
        bash -c "openssl pkey -in c2.pem -noout -text | grep -q X25519"
check "keygen custodian: the public key matches the private key" \
        bash -c "cmp -s <(openssl pkey -in c2.pem -pubout) c2.pub"

echo "== wrong custodian key"
"$BIN" anonymise -c config.yaml --in lf.csv --out /dev/null \
        --sealed s.b64 2>/dev/null
"$BIN" unseal --key c2.pem --in s.b64 --out opened --audit a.log 2>err.txt &&
        true
check "unseal with a wrong key exits non-zero" test $? -ne 0
check "unseal with a wrong key releases nothing" test ! -s opened
check "unseal with a wrong key says how many failed (200 and the header)" \
        grep -q "0 records returned, 201 did not open" err.txt

echo "== a corrupted sealed line does not stop the others"
"$BIN" unseal --key custodian.pem --in s.b64 --out /dev/null --audit a.log \
        2>/dev/null
check "the intact file opens completely" test $? -eq 0
awk 'NR == 7 { $0 = substr($0, 1, 60) (substr($0, 61, 1) == "A" ? "B" : "A") \
        substr($0, 62) } { print }' s.b64 >s-bad.b64
"$BIN" unseal --key custodian.pem --in s-bad.b64 --out opened \
        --audit a.log 2>err.txt && true
check "a corrupted line: exit non-zero" test $? -ne 0
check "a corrupted line: named by its line number" \
        grep -q "s-bad.b64:7: record did not open" err.txt
check "a corrupted line: the other 199 records and the header are written" \
        test "$(python3 -c 'import csv, sys
print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' opened)" \
        -eq 200
check "a corrupted line: the summary says how many failed" \
        grep -q "200 records returned, 1 did not open" err.txt

echo "== crypto-shredding: one key per month"
"$BIN" keygen custodian --private nov.pem --public keys/nov.pub 2>/dev/null
"$BIN" keygen custodian --private dec.pem --public keys/dec.pub 2>/dev/null
python3 - config.yaml >monthly.yaml <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"custodian_public: .*", """custodian_public:
    - {file: keys/nov.pub, from: 2026-11-01, until: 2026-12-01}
    - {file: keys/dec.pub, from: 2026-12-01, until: 2027-01-01}""", text)
print(text, end="")
PY
"$BIN" gen --records 100 --seed 5 --malformed-share 0 --start 1795737600 \
        --out nov.csv 2>/dev/null
"$BIN" gen --records 60 --seed 6 --malformed-share 0 --start 1796601600 \
        --no-header --out dec.csv 2>/dev/null
cat nov.csv dec.csv >both.csv
"$BIN" anonymise -c monthly.yaml --in both.csv --out /dev/null \
        --sealed monthly.b64 2>/dev/null
check "monthly keys: 160 sealed records and the header line" \
        test "$(grep -c . monthly.b64)" -eq 161
"$BIN" unseal --key nov.pem --key dec.pem --in monthly.b64 --out all.csv \
        --audit a.log 2>/dev/null
check "monthly keys: both keys open everything" cmp -s all.csv both.csv
# The header line is sealed to the key of the processing time; the key
# id is bytes 6..13 of a sealed record (docs/sealed-format.md).
key_id() {
        openssl pkey -pubin -in "$1" -outform DER | tail -c 32 |
                sha256sum | cut -c1-16
}
header_key=$(head -1 monthly.b64 | base64 -d | od -An -tx1 -j6 -N8 | tr -d ' \n')
if [[ $(date -u +%Y-%m) == 2026-11 ]]; then now_key=keys/nov.pub; else now_key=keys/dec.pub; fi
check "monthly keys: the header line is sealed to the processing time's key" \
        test "$header_key" = "$(key_id $now_key)"
rm dec.pem
"$BIN" unseal --key nov.pem --in monthly.b64 --out shredded.csv \
        --audit a.log 2>err.txt && true
check "December's key destroyed: exit non-zero" test $? -ne 0
if [[ $header_key == "$(key_id keys/nov.pub)" ]]; then
        check "December's key destroyed: November's 100 records still open" \
                cmp -s shredded.csv nov.csv
        lost=60
else
        check "December's key destroyed: November's 100 records still open" \
                cmp -s shredded.csv <(tail -n +2 nov.csv)
        lost=61
fi
check "December's key destroyed: its 60 records (and header) never open" \
        grep -q " records returned, $lost did not open" err.txt
check "the audit log has one line per unseal run" \
        test "$(grep -c . a.log)" -eq 5

finish
