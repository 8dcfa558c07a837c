#!/usr/bin/env bash
# `make bench-peers-check`: the benchmark peers apply the same policy as
# cdranon.  Same key, same suppression list, same input; no broker (the
# peers' file modes run the very transform their Kafka loops run).
#
#   1. every pseudonym (caller, callee, subscriber, device) of a record
#      that cdranon and a peer both publish is the same;
#   2. the whole anonymised records are byte for byte the same, and the
#      same records are published, suppressed and dead-lettered (the
#      Python peer reads CSV with the csv module, which accepts some
#      broken quoting that cdranon dead-letters: for it, only the records
#      both publish are compared, and the extra ones are counted);
#   3. the peers' sealed records open with `cdranon unseal` and give back
#      the same records as cdranon's own.
#
# The corpus holds malformed records (2%) and subscribers on the
# suppression list, so that all three verdicts occur.  Runs in well under
# a minute.  Exit status 0 when everything agrees.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

BIN=./cdranon
RECORDS=${RECORDS:-20000}
[[ -x $BIN ]] || {
        echo "bench-peers-check: $BIN missing: run make" >&2
        exit 1
}
bash bench/peers/setup.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-peers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/keys"
"$BIN" keygen hmac --out "$tmp/keys/hmac.key" --id peers 2>/dev/null
"$BIN" keygen custodian --private "$tmp/custodian.pem" \
        --public "$tmp/keys/custodian.pub" 2>/dev/null
"$BIN" gen --records "$RECORDS" --seed 11 --subscribers 2000 \
        --malformed-share 0.02 --no-header --out "$tmp/in.csv" 2>/dev/null

# Opt-outs: the calling numbers of two records, in other spellings, so
# that suppression depends on canonicalisation too.
python3 - "$tmp/in.csv" >"$tmp/suppression.txt" <<'EOF'
import csv, re, sys
picked = []
with open(sys.argv[1], newline="", encoding="utf-8", errors="replace") as f:
    for row in csv.reader(f):
        if len(row) == 16 and re.fullmatch(r"\+44[0-9]{10}", row[5]) \
                and row[5] not in picked:
            picked.append(row[5])
        if len(picked) == 2:
            break
print("# opted out (test)")
print("00" + picked[0][1:])            # international prefix
print("0" + picked[1][3:])             # national form
EOF

# A file without a header line, as the peers read it: columns named.
cols="[record_id, record_type, start_time, end_time, duration,
      calling_number, called_number, imsi, imei, cell_id, bytes_up,
      bytes_down, cause_for_term, subscriber_name, subscriber_address,
      payment_ref]"
awk -v cols="$cols" '
        /^    header: true/ {
                print "    header: false"
                print "    columns: " cols
                next
        }
        { print }' config/generic.yaml >"$tmp/config.yaml"

peer_args=(--input in.csv --hmac-key keys/hmac.key
        --custodian-public keys/custodian.pub --suppression suppression.txt)
(
        cd "$tmp"
        "$OLDPWD/$BIN" anonymise -c config.yaml --in in.csv --out c.anon \
                --sealed c.sealed --dead-letter c.dl
        "$OLDPWD/build/peers/venv/bin/python" \
                "$OLDPWD/bench/peers/python/cdrpeer.py" file "${peer_args[@]}" \
                --anonymised p.anon --sealed p.sealed --dead-letter p.dl
        jcp="$OLDPWD/build/peers/java/classes"
        jcp+=":$OLDPWD/build/peers/java/dependency/*"
        java -cp "$jcp" \
                cdranon.peer.Peer file "${peer_args[@]}" \
                --anonymised j.anon --sealed j.sealed --dead-letter j.dl
        for x in c p j; do
                "$OLDPWD/$BIN" unseal --key custodian.pem --in "$x.sealed" \
                        --out "$x.unsealed" --audit audit.log 2>/dev/null
        done
)

python3 - "$tmp" <<'EOF'
import json, os, sys

d = sys.argv[1]
PSEUDONYMS = ("caller", "callee", "subscriber", "device")


def load(name):
    recs = {}
    with open(os.path.join(d, name), encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            recs[obj["record_id"]] = line
    return recs


def count(name):
    with open(os.path.join(d, name), "rb") as f:
        return sum(1 for _ in f)


c = load("c.anon")
failures = 0
for peer, name, strict in (("Python", "p", False),
                           ("Kafka Streams", "j", True)):
    p = load(name + ".anon")
    common = sorted(set(c) & set(p), key=int)
    compared = differ_ps = differ_rec = 0
    for rid in common:
        a, b = json.loads(c[rid]), json.loads(p[rid])
        for field in PSEUDONYMS:
            compared += 1
            if a.get(field) != b.get(field):
                differ_ps += 1
        if c[rid] != p[rid]:
            differ_rec += 1
    only_c, only_p = len(set(c) - set(p)), len(set(p) - set(c))
    dead_c, dead_p = count("c.dl"), count(name + ".dl")
    print(f"{peer} peer: {len(common)} records published by both, "
          f"{compared} pseudonyms compared, {differ_ps} differ; "
          f"{differ_rec} whole records differ; published only by cdranon "
          f"{only_c}, only by the peer {only_p}; dead-lettered "
          f"{dead_c} / {dead_p}")
    ok = differ_ps == 0 and differ_rec == 0 and compared > 0 and only_c == 0
    if strict:
        ok = ok and only_p == 0 and dead_c == dead_p
    if not ok:
        failures += 1
    with open(os.path.join(d, "c.unsealed"), "rb") as f1, \
            open(os.path.join(d, name + ".unsealed"), "rb") as f2:
        same = f1.read() == f2.read()
    print(f"{peer} peer: sealed records open with cdranon unseal and "
          f"{'equal' if same else 'DIFFER FROM'} cdranon's")
    if not same:
        failures += 1

suppressed = count("c.sealed") - count("c.anon") - count("c.dl")
print(f"cdranon: {count('c.sealed')} records: {count('c.anon')} published, "
      f"{suppressed} suppressed, {count('c.dl')} dead-lettered")
if suppressed == 0 or count("c.dl") == 0:
    print("bench-peers-check: the corpus must hold suppressed and "
          "malformed records")
    failures += 1
print("bench-peers-check: " + ("FAILED" if failures else "ok"))
sys.exit(1 if failures else 0)
EOF
