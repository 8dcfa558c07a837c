#!/usr/bin/env bash
# delivery: at-least-once: an idempotent producer and offsets committed
# after delivery.  After a SIGKILL and a restart, records may come twice
# but none is lost.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=40000
COMMON=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=500)

setup alo at-least-once 1000
produce -n "$RECORDS" --seed 51 --subscribers 5000 --malformed-share 0.02

start_run first "${COMMON[@]}"
wait_log "$T/first.err" ', 6 in all" event=assigned' 60
wait_lag_below $((RECORDS / 2)) 60
[ "$LAG" -gt 0 ] || die "input consumed before the kill"
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null || true
log "killed at lag $LAG"

start_run second "${COMMON[@]}"
wait_lag_zero 120
stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "cdranon run exited $RUN_STATUS"
grep -q 'event=start .*delivery=at-least-once' "$T/second.err" ||
        die "not in at-least-once mode"
verify --at-least-once >"$T/verify.out" || die "$(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"
log "ok"
