#!/usr/bin/env bash
# cdranon risk --topic: the anonymised topic that `cdranon run` wrote
# (exactly-once, 6 partitions), read once with read_committed, gives the
# same report as the same records anonymised in file mode.  Exhaustive
# unicity and k-anonymity do not depend on the order the partitions
# interleave in, so the two JSON reports must be equal.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GEN=(--records 3000 --subscribers 300 --seed 61 --zipf 0
        --malformed-share 0)
RISK=(--exhaustive --point-fields cell_id,start_time --k-subsets 2 --json)

setup risk
produce "${GEN[@]}" --no-header
start_run run
wait_lag_zero 120
stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "cdranon run exited $RUN_STATUS"

"$CDRANON" gen "${GEN[@]}" --no-header --out "$T/in.csv"
"$CDRANON" anonymise -c "$T/config.yaml" --in "$T/in.csv" \
        --out "$T/anon.jsonl" --dead-letter /dev/null 2>/dev/null
"$CDRANON" risk --in "$T/anon.jsonl" "${RISK[@]}" >"$T/file.json" ||
        die "risk over the file failed"
"$CDRANON" risk --topic "$PREFIX.anon" -b "$BOOT" "${RISK[@]}" \
        >"$T/topic.json" 2>"$T/topic.err" || die "risk --topic: $(cat "$T/topic.err")"
grep -q '"records":0,' "$T/topic.json" && die "no record read from the topic"
# Equal but for the last bits of the exhaustive means, which are sums
# over traces in the order the records came.
python3 - "$T/file.json" "$T/topic.json" <<'PY' || die "the topic's report differs from the file's"
import json, sys

def same(a, b, path="report"):
    if isinstance(a, float) or isinstance(b, float):
        ok = abs(a - b) <= 1e-12
    elif isinstance(a, dict):
        ok = a.keys() == b.keys() and all(same(a[k], b[k], f"{path}.{k}") for k in a)
    elif isinstance(a, list):
        ok = len(a) == len(b) and all(same(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    else:
        ok = a == b
    if not ok and not isinstance(a, (dict, list)):
        print(f"{path}: file {a!r}, topic {b!r}")
    return ok

a, b = (json.load(open(f)) for f in sys.argv[1:])
sys.exit(0 if same(a, b) else 1)
PY
log "$(grep -o '"records":[0-9]*' "$T/topic.json" | head -1) from" \
        "$PREFIX.anon: the same report as file mode"

# A window that holds nothing: every record is outside it.
"$CDRANON" risk --topic "$PREFIX.anon" -b "$BOOT" --from 2030-01-01 --json \
        >"$T/window.json" || die "risk --from failed"
grep -q '"records":0,' "$T/window.json" || die "the window let records in"

"$CDRANON" risk --topic "$PREFIX.missing" -b "$BOOT" 2>"$T/missing.err" &&
        die "a missing topic was not an error"
grep -q "$PREFIX.missing" "$T/missing.err" ||
        die "the missing topic is not named: $(cat "$T/missing.err")"
log "ok"
