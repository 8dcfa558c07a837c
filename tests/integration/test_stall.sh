#!/usr/bin/env bash
# A stalled processor: SIGSTOP in the middle of the input, with a
# transaction open, for longer than its transaction timeout
# (transaction.timeout.ms=10000); the broker's transaction coordinator
# aborts the transaction and bumps the producer's epoch (the test waits
# until the broker's log says it rolled the transaction back).  Then
# SIGCONT.  The processor's next request with the old epoch is refused,
# so it cannot commit the work it held: it must either abort, rewind to
# the committed offsets and go on, or exit 1 (and then it is started
# again, as a supervisor would).  Either way nothing may be lost or
# doubled: eos_check verify at the end.  The test prints which of the two
# happened.
#
# What happens with librdkafka 2.0.2 and Kafka 3.9: the processor exits 1.
# The coordinator's abort bumped the producer epoch; librdkafka reports
# the refusal of the old epoch as fencing ("This instance has been fenced
# by a newer instance", a fatal error: a fenced producer may never send
# again), and cdranon ends on a fatal producer error rather than guess.
# The restarted instance's init_transactions takes a new epoch, its
# consumer starts from the committed offsets, and the aborted records are
# never seen by a read_committed reader.
#
# The broker is this test's own: the coordinator looks for timed-out
# transactions every 10 s by default; here every second
# (transaction.abort.timed.out.transaction.cleanup.interval.ms), so that
# the stall need not be long.  The consumer's session timeout (45 s)
# stays longer than the stall, so that the test sees the transaction
# timeout and not an eviction from the group.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=100000
RUN_ARGS=(-X transaction.timeout.ms=10000 -X transactional.id=it-stall)

own_broker group.min.session.timeout.ms=1000 \
        transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
BROKER_LOG=$(sed -n 's/.*(pid [0-9]*, data \([^,]*\),.*/\1/p' \
        "$T/broker.out")/logs/server.log
[ -f "$BROKER_LOG" ] || die "no broker log"
# The transaction coordinator's line (INFO) for a timed-out transaction.
ROLLBACK='Completed rollback of ongoing transaction for transactionalId'
ROLLBACK="$ROLLBACK it-stall due to timeout"

# Transactions of a second (or 20,000 records): a stop then nearly always
# falls while one is open at the coordinator.
setup stall exactly-once 20000
sed -i 's/commit_interval_ms: 100$/commit_interval_ms: 1000/' "$T/config.yaml"
grep -q 'commit_interval_ms: 1000$' "$T/config.yaml" ||
        die "could not set commit_interval_ms"
produce -n "$RECORDS" --seed 51 --subscribers 20000 --malformed-share 0.02

start_run run "${RUN_ARGS[@]}"
wait_lag_below $((RECORDS - 10000)) 60
[ "$LAG" -le $((RECORDS - 10000)) ] || die "no progress in 60 s (lag $LAG)"
# A stall that falls between two transactions (before the next one has
# reached the coordinator) or while a commit is under way (EndTxn sent)
# leaves no open transaction at the coordinator, and nothing to time out.
# Then the processor is let go and stopped again a moment later, at most
# three times.
# A processor that ends after such a SIGCONT was stalled past its
# timeout all the same (its transaction, if any, was aborted under it):
# the restart below takes it from there.
stalled=0
for attempt in 1 2 3; do
        if ! kill -0 "$RUN_PID" 2>/dev/null; then
                log "the processor ended after a stall with no rollback" \
                        "line: $(grep -v '^ *$' "$T/run.err" | tail -n 1 |
                                cut -c1-200)"
                stalled=2
                break
        fi
        rollbacks=$(grep -c "$ROLLBACK" "$BROKER_LOG" || true)
        kill -STOP "$RUN_PID"
        stopped=$(lag)
        [ "$stopped" -gt 0 ] || die "input consumed before the stall"
        log "SIGSTOP at lag $stopped"
        t_stop=$SECONDS
        deadline=$((SECONDS + 25))
        seen=0
        while [ "$SECONDS" -lt "$deadline" ]; do
                if [ "$(grep -c "$ROLLBACK" "$BROKER_LOG" || true)" != \
                        "$rollbacks" ]; then
                        seen=1
                        break
                fi
                sleep 0.5
        done
        if [ "$seen" = 1 ]; then
                stalled=1
                break
        fi
        [ "$attempt" -lt 3 ] ||
                die "the broker aborted no stalled transaction in 3 tries"
        log "no transaction of it-stall timed out in 25 s (none was" \
                "open at the coordinator); SIGCONT and again"
        kill -CONT "$RUN_PID" 2>/dev/null || true
        sleep "1.$((RANDOM % 10))"
done
if [ "$stalled" = 1 ]; then
        log "the broker rolled the transaction back after" \
                "$((SECONDS - t_stop)) s"
        sleep 2
        kill -CONT "$RUN_PID"
        log "SIGCONT after $((SECONDS - t_stop)) s"
fi

outcome="recovered in place"
deadline=$((SECONDS + 120))
while [ "$(lag)" != 0 ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "input not consumed in 120 s"
        if ! kill -0 "$RUN_PID" 2>/dev/null; then
                status=0
                wait "$RUN_PID" || status=$?
                [ "$status" = 1 ] ||
                        die "the processor exited $status after SIGCONT"
                [ "$outcome" = "recovered in place" ] ||
                        die "the restarted processor exited too"
                outcome="exited 1 ($(grep -v '^ *$' "$T/run.err" |
                        tail -n 1 | cut -c1-200)), restarted"
                start_run run2 "${RUN_ARGS[@]}"
        fi
        sleep 0.5
done
stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "the processor exited $RUN_STATUS at the end"
log "the processor $outcome"
verify >"$T/verify.out" || die "$(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"
grep -q "input $RECORDS = " "$T/verify.out" || die "not $RECORDS records"
log "ok"
