#!/usr/bin/env bash
# Fencing: a second instance with the same transactional.id fences the
# first, which exits non-zero with a one-line error; the second finishes
# the input; eos_check proves that nothing was duplicated or lost.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=100000
COMMON=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=500
        -X transactional.id=it-fencing)

setup fencing exactly-once 1000
produce -n "$RECORDS" --seed 41 --subscribers 20000 --malformed-share 0.02

start_run first "${COMMON[@]}"
FIRST=$RUN_PID
wait_log "$T/first.err" ', 6 in all" event=assigned' 60
wait_lag_below $((RECORDS * 9 / 10)) 60
[ "$LAG" -gt 0 ] || die "input consumed before the second instance started"

start_run second "${COMMON[@]}"
SECOND=$RUN_PID
status=0
timeout 60 tail --pid="$FIRST" -f /dev/null ||
        die "the first instance was not fenced in 60 s"
wait "$FIRST" || status=$?
log "first instance: exit $status: $(tail -n 1 "$T/first.err")"
[ "$status" != 0 ] || die "the fenced instance exited 0"
grep -q 'level=error msg="cdranon run: .*fenced.*" event=fatal$' \
        "$T/first.err" ||
        die "no fencing error: $(tail -n 3 "$T/first.err")"

wait_lag_zero 120
stop_run "$SECOND"
[ "$RUN_STATUS" = 0 ] || die "the second instance exited $RUN_STATUS"
verify >"$T/verify.out" || die "$(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"
log "ok"
