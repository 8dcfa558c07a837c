#!/usr/bin/env bash
# Replaying dead letters through the custodian (docs/operations.md):
# `unseal --sources` opens exactly the sealed copies of the records that
# were dead-lettered, named by the dead letters' source coordinates, and
# nothing else; those records, fed again under the same configuration,
# are dead-lettered again for the same reasons, in the same order.
# Sources that are not in the sealed records are reported, and a file
# that lists none, or a malformed line, is refused.
#
#   tests/e2e/test_replay.sh [path/to/cdranon]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=$(setup_case replay config/generic.yaml)
cd "$dir"
"$BIN" gen --records 3000 --seed 21 --malformed-share 0.05 --out in.csv \
        2>/dev/null
"$BIN" anonymise -c config.yaml --in in.csv --out out.jsonl \
        --sealed sealed.b64 --dead-letter dl.jsonl 2>anon.err
dead=$(summary_field anon.err dead-lettered)
check "the corpus has dead letters ($dead)" test "$dead" -gt 50

echo "== unseal --sources with the dead letters"
"$BIN" unseal -k custodian.pem --in sealed.b64 --sources dl.jsonl \
        -o replay.csv -a audit.log 2>unseal.err && status=0 || status=$?
check "exit 0 ($status)" test "$status" -eq 0
check "returns as many records as were dead-lettered" \
        grep -q "^cdranon unseal: $dead records returned, 0 did not open$" \
        unseal.err
(head -n 1 in.csv && cat replay.csv) >replay-with-header.csv
"$BIN" anonymise -c config.yaml --in replay-with-header.csv --out again.jsonl \
        --dead-letter dl-again.jsonl 2>again.err || true
check "fed again, every one is dead-lettered again" \
        grep -q "$dead records read: 0 published, 0 suppressed, $dead dead-lettered" \
        again.err
check "... for the same reasons, in the same order" \
        cmp -s <(sed 's/,"source".*//' dl.jsonl) \
        <(sed 's/,"source".*//' dl-again.jsonl)
check "the audit line names the sources file and its count" \
        grep -q "\"sources\":\"dl.jsonl\",\"sources_listed\":$dead}" audit.log

echo "== plain coordinates, and sources that are not there"
# The second dead letter's line, twice (counted once), a line past the
# end and a Kafka coordinate that a file never has.
line=$(sed -n '2s/.*"line":\([0-9]*\).*/\1/p' dl.jsonl)
printf '# coordinates\nin.csv %s\nin.csv %s\n\nin.csv 999999\ncdr.raw 0 5\n' \
        "$line" "$line" >sources.txt
"$BIN" unseal -k custodian.pem --in sealed.b64 --sources sources.txt \
        -o one.csv -a audit.log 2>one.err && status=0 || status=$?
check "exit 1 when a source is missing ($status)" test "$status" -eq 1
check "... the one present is returned" \
        grep -q "^cdranon unseal: 1 records returned" one.err
check "... it is the input's line $line" \
        cmp -s one.csv <(sed -n "${line}p" in.csv)
check "... each missing source is named" \
        bash -c "grep -q 'source not found: file in.csv line 999999' one.err &&
                grep -q 'source not found: topic cdr.raw \[0\] offset 5' one.err"
check "... and counted" \
        grep -q "sources.txt: 2 of 3 sources not found" one.err

echo "== refused lists"
echo '{"reason":"csv: 3 columns, expected 16"}' >nosource.jsonl
"$BIN" unseal -k custodian.pem --in sealed.b64 --sources nosource.jsonl \
        -o none.csv -a audit.log 2>bad.err && status=0 || status=$?
check "a dead letter without source: exit 1 ($status), naming file and line" \
        bash -c "test $status -eq 1 && grep -q 'nosource.jsonl:1: not a dead letter with a source' bad.err"
check "... and nothing opened" test ! -s none.csv
printf '# nothing\n\n' >empty.txt
"$BIN" unseal -k custodian.pem --in sealed.b64 --sources empty.txt \
        -o none.csv -a audit.log 2>bad.err && status=0 || status=$?
check "a list of no source: exit 1 ($status)" \
        bash -c "test $status -eq 1 && grep -q 'empty.txt: no source listed' bad.err"

finish
