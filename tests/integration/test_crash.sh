#!/usr/bin/env bash
# Crash safety: 200,000 records; the processor is killed with SIGKILL at
# random moments ten times and restarted each time (the same
# transactional.id, so that the new instance aborts what the dead one
# left open).  Then one last instance finishes the input, and eos_check
# proves no record lost and none duplicated.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=200000
KILLS=10
# A dead member leaves the group when its session times out: keep that
# short (run.sh lets the broker accept 1 s).
RUN_ARGS=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=500
        -X transactional.id=it-crash)

setup crash exactly-once 1000
produce -n "$RECORDS" --seed 21 --subscribers 20000 --malformed-share 0.02

RANDOM=$$
for k in $(seq 1 "$KILLS"); do
        start_run "run$k" "${RUN_ARGS[@]}"
        wait_log "$T/run$k.err" ', 6 in all" event=assigned' 60
        before=$(lag)
        [ "$before" -gt 0 ] ||
                die "input consumed before kill $k: corpus too small"
        # Kill k comes once about k/(KILLS + 2) of the input is committed
        # (some more if this instance got there already), at a random
        # moment within the commit cycle.
        goal=$((RECORDS - RECORDS * k / (KILLS + 2) - RANDOM % 2000))
        [ "$goal" -lt "$before" ] || goal=$((before - 1000 - RANDOM % 2000))
        wait_lag_below "$goal" 20
        sleep "0.$((RANDOM % 4))"
        l=$(lag)
        [ "$l" -gt 0 ] || die "input consumed before kill $k: corpus too small"
        kill -KILL "$RUN_PID"
        wait "$RUN_PID" 2>/dev/null || true
        log "kill $k: lag $before -> $l"
done

start_run final "${RUN_ARGS[@]}"
wait_lag_zero 180
stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "the last instance exited $RUN_STATUS"
verify >"$T/verify.out" || die "$(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"
grep -q "input $RECORDS = " "$T/verify.out" || die "not $RECORDS records"
log "ok"
