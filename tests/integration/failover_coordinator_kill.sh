#!/usr/bin/env bash
# The transaction coordinator killed in the middle of a commit: on the
# three-node cluster, the node that is the transaction coordinator of the
# processor's transactional.id (the leader of the __transaction_state
# partition the id maps to) is killed with SIGKILL the moment the
# processor sends EndTxn to commit a transaction (its log, with
# librdkafka's eos debug lines, says "BeginCommit -> CommittingTransaction").
# The other nodes elect a new leader for that partition, whose
# coordinator loads the transaction's state from the replicated log and
# completes (or aborts) it; the processor finds the new coordinator and
# goes on.  Twice: the second time the new coordinator is killed.  While
# each coordinator is down, the processor itself is killed with SIGKILL
# and its supervisor starts it again.
#
# The test first checks that the coordinator it computes (kafka-local.sh
# cluster coordinator) is the one Kafka's own TransactionsCommand names.
# It reports, per kill, where the commit was when the node died: EndTxn
# still in flight, or answered while the coordinator was still writing
# the commit markers (it answered the next transaction's requests with
# CONCURRENT_TRANSACTIONS), from the processor's log; the lag, the time
# until the group commits again and whether the processor recovered in
# place or was restarted.  Then
# eos_check verify: anonymised + suppressed + dead letter = input, sealed
# = input, no duplicate, order per partition.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$HERE/lib_cluster.sh"

PORTION=25000
TXN_ID=it-coordinator-kill
RUN_ARGS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
        -X transactional.id="$TXN_ID" -X debug=eos)
# The moment EndTxn (commit) is sent.
END_TXN='Transaction state change BeginCommit -> CommittingTransaction'

setup coordinator-kill exactly-once 1000
# librdkafka's debug lines reach the log only at level debug.
printf 'log:\n  level: debug\n' >>"$T/config.yaml"
RANDOM=$$
SEED=70
produce_portion "$PORTION"
supervise_start "${RUN_ARGS[@]}"
wait_progress 2000 120

node=$(kc coordinator transaction "$TXN_ID") ||
        die "no transaction coordinator for $TXN_ID"
"$K" java org.apache.kafka.tools.TransactionsCommand --bootstrap-server \
        "$BOOT" describe --transactional-id "$TXN_ID" >"$T/txn.out" 2>&1 ||
        die "TransactionsCommand: $(tail -n 3 "$T/txn.out")"
tool=$(awk 'NR == 2 { print $1 }' "$T/txn.out")
[ "$tool" = "$node" ] ||
        die "coordinator of $TXN_ID: node $node computed, node $tool" \
                "according to TransactionsCommand"
log "transaction coordinator of $TXN_ID: node $node (TransactionsCommand" \
        "agrees: $(awk 'NR == 2 { print "state " $5 }' "$T/txn.out"))"

# wait_line FILE PATTERN SECONDS: until a line matching PATTERN is
# appended to FILE (lines already there do not count).
wait_line() {
        { timeout "$3" tail -n 0 -F "$1" 2>/dev/null || true; } |
                grep -m 1 -q -- "$2"
}

for round in 1 2; do
        [ "$round" = 1 ] || produce_portion "$PORTION"
        wait_progress $(($(in_total) - PORTION + 3000 + RANDOM % 6000)) 120
        node=$(kc coordinator transaction "$TXN_ID") ||
                die "no transaction coordinator for $TXN_ID"
        pid=$(kc pid "$node")
        log "node $node: $(roles "$node")"
        fault_begin "kill -9 of node $node, transaction coordinator, at EndTxn"
        wait_line "$T/run.$(instance_now).err" "$END_TXN" 30 ||
                die "the processor sent no EndTxn in 30 s"
        kill -KILL "$pid"
        fault_made
        while kill -0 "$pid" 2>/dev/null; do
                sleep 0.05
        done
        # Where the commit was when the node died.
        log_file=$T/run.$(instance_now).err
        at=$(iso_ms "$FAULT_MS")
        sent=$(grep -F "$END_TXN" "$log_file" |
                awk -v at="ts=$at" '$1 <= at { t = $1 } END { print t }')
        answered=$(grep -F 'EndTxn returned' "$log_file" |
                awk -v s="$sent" -v at="ts=$at" \
                        '$1 >= s && $1 <= at { print $1; exit }')
        # After EndTxn has been answered the coordinator still writes the
        # commit markers; until it is done it answers the next
        # transaction's requests with CONCURRENT_TRANSACTIONS.
        busy=$(grep -F 'CONCURRENT_TRANSACTIONS' "$log_file" |
                awk -v s="$sent" -v at="ts=$at" \
                        '$1 >= s && $1 <= at { t = $1 } END { print t }')
        if [ -z "$answered" ]; then
                state="mid-commit: EndTxn in flight at the kill (sent"
                state="$state ${sent#ts=}, killed $at)"
        elif [ -n "$busy" ]; then
                state="mid-commit: EndTxn answered ${answered#ts=}, the"
                state="$state coordinator still writing the markers"
                state="$state (CONCURRENT_TRANSACTIONS ${busy#ts=}), killed $at"
        else
                state="EndTxn answered ${answered#ts=},"
                state="$state $((FAULT_MS - $(ms_of "${answered#ts=}"))) ms"
                state="$state before the kill at $at (the markers then"
                state="$state being written or written)"
        fi
        log "$state"
        wait_resume 150
        report_fault
        figure "commit=\"$state\""
        ensure_backlog 5000
        kill_processor_and_measure "node $node down"
        resume_node "$node"
        log "node $node back, every partition in sync, after" \
                "$(secs "$BACK_MS") s; transaction coordinator" \
                "now node $(kc coordinator transaction "$TXN_ID")"
done

finish 180
log "ok"
