#!/usr/bin/env bash
# The cdranon demo, file mode: keys, a generated day of CDRs, the
# anonymised output, a dead-letter record, the sealed copies and a subject
# access request through the custodian's tool.  Run by
# `scripts/setup.sh demo` after the build; work files go to build/demo/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
top=$(pwd)
bin=$top/cdranon
demo=$top/build/demo
rm -rf "$demo"
mkdir -p "$demo/keys"
cd "$demo"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Keys: a pseudonymisation key ring and the custodian's key pair"
cp "$top/config/generic.yaml" config.yaml
cp "$top/config/suppression.txt" .
show "$bin" keygen hmac --out keys/hmac.key --id demo1
show "$bin" keygen custodian --private custodian.pem \
        --public keys/custodian.pub
ls -l keys custodian.pem

step "Configuration: the effective policy (config/generic.yaml)"
show "$bin" check-config -c config.yaml | sed -n '/^# policy/,$p'

step "100,000 synthetic CDRs, 1% malformed"
show "$bin" gen --records 100000 --malformed-share 0.01 --seed 42 \
        --out cdr.csv
head -3 cdr.csv

step "Anonymise, with sealed copies for the custodian"
show "$bin" anonymise -c config.yaml --in cdr.csv --out anonymised.jsonl \
        --dead-letter dead-letter.jsonl --sealed sealed.b64
echo "-- three anonymised records:"
head -3 anonymised.jsonl
echo "-- a dead-letter record (the reason, never the content):"
head -1 dead-letter.jsonl
echo "-- a sealed record (base64, first 76 characters):"
head -1 sealed.b64 | cut -c1-76
wc -l anonymised.jsonl dead-letter.jsonl sealed.b64

step "Subject access: one subscriber's pseudonym and sealed records"
subscriber=$(sed -n 2p cdr.csv | cut -d, -f6)
show "$bin" pseudonym -c config.yaml "$subscriber"
pseudonym=$("$bin" pseudonym -c config.yaml "$subscriber" | cut -f3)
echo "-- anonymised records with that pseudonym: $(grep -c -F "$pseudonym" \
        anonymised.jsonl)"
show "$bin" unseal --key custodian.pem --in sealed.b64 -c config.yaml \
        --subscriber "$subscriber" \
        --out subject-access.csv --audit audit.log
head -3 subject-access.csv
echo "-- the audit line:"
tail -1 audit.log

printf '\nDemo files are in %s\n' "$demo"
