#!/usr/bin/env bash
# Scale-out: two instances in one consumer group (each with its own
# transactional.id) share a 6-partition topic; one is stopped mid-run and
# the other takes its partitions over.  eos_check then proves the same
# equalities: nothing lost, nothing twice, order kept.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=100000
COMMON=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=500)

setup scaleout exactly-once 1000
produce -n "$RECORDS" --seed 31 --subscribers 20000 --malformed-share 0.02

start_run a "${COMMON[@]}" -X transactional.id=it-scaleout-a
A=$RUN_PID
wait_log "$T/a.err" ', 6 in all" event=assigned' 60
start_run b "${COMMON[@]}" -X transactional.id=it-scaleout-b
B=$RUN_PID
# The group splits the partitions between the two.
wait_log "$T/b.err" 'msg="assigned [1-5] partition.* event=assigned' 60
wait_log "$T/a.err" 'event=revoked' 60
start_lag=$(lag)
[ "$start_lag" -gt 0 ] || die "input consumed before the second instance joined"
# Both work for a while, then the first one stops.
wait_lag_below $((start_lag * 2 / 3)) 60
stop_run "$A"
[ "$RUN_STATUS" = 0 ] || die "instance a exited $RUN_STATUS after SIGTERM"
l=$(lag)
log "a stopped at lag $l of $RECORDS"
[ "$l" -gt 0 ] || die "input consumed before instance a stopped"
wait_log "$T/b.err" ', 6 in all" event=assigned' 60
wait_lag_zero 120
stop_run "$B"
[ "$RUN_STATUS" = 0 ] || die "instance b exited $RUN_STATUS after SIGTERM"

ra=$(records_of "$T/a.err")
rb=$(records_of "$T/b.err")
log "a: $(grep -h 'event=stopped' "$T/a.err" | sed 's/.* event=stopped //')"
log "b: $(grep -h 'event=stopped' "$T/b.err" | sed 's/.* event=stopped //')"
grep -h 'aborted (' "$T/a.err" "$T/b.err" >&2 || true
[ "${ra:-0}" -gt 0 ] && [ "${rb:-0}" -gt 0 ] ||
        die "both instances should have processed records (a $ra, b $rb)"
verify >"$T/verify.out" || die "$(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"
log "ok"
