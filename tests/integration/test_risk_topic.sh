#!/usr/bin/env bash
# cdranon risk --topic: the anonymised topic that `cdranon run` wrote
# (exactly-once, 6 partitions), read once with read_committed, gives the
# same report as the same records anonymised in file mode.  Exhaustive
# unicity and k-anonymity do not depend on the order the partitions
# interleave in, so the two JSON reports must be equal byte for byte.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GEN=(--records 3000 --subscribers 300 --seed 61 --zipf 0
        --malformed-share 0)
RISK=(--exhaustive --point-fields cell_id,start_hour --k-subsets 2 --json)

setup risk
produce "${GEN[@]}" --no-header
start_run run
wait_lag_zero 120
stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "cdranon run exited $RUN_STATUS"

"$CDRANON" gen "${GEN[@]}" --out "$T/in.csv"
"$CDRANON" anonymise -c "$T/config.yaml" --in "$T/in.csv" \
        --out "$T/anon.jsonl" --dead-letter /dev/null 2>/dev/null
"$CDRANON" risk --in "$T/anon.jsonl" "${RISK[@]}" >"$T/file.json" ||
        die "risk over the file failed"
"$CDRANON" risk --topic "$PREFIX.anon" -b "$BOOT" "${RISK[@]}" \
        >"$T/topic.json" 2>"$T/topic.err" || die "risk --topic: $(cat "$T/topic.err")"
grep -q '"records":0,' "$T/topic.json" && die "no record read from the topic"
cmp -s "$T/file.json" "$T/topic.json" ||
        die "the topic's report differs from the file's"
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
