#!/usr/bin/env bash
# A rolling restart of the three-node cluster under load: node 1, 2, then
# 3 is stopped with SIGTERM (a controlled shutdown: the node hands its
# leaderships to the other in-sync replicas before it exits), started
# again on its data, and the next node is stopped only once every
# partition has all three replicas in sync again, as an operator rolls a
# cluster.  The processor works through a backlog in exactly-once mode
# the whole time; while each node is down it is also killed with SIGKILL
# and its supervisor starts it again.
#
# Each restart reports how long the node took to stop and to be back in
# sync, the lag at the stop, the time from the SIGTERM until the group
# commits again after the node has gone, the longest time the group's
# committed offsets stood still meanwhile (sampled every 0.2 s), and
# whether the processor recovered in place or was restarted.  Then eos_check verify:
# anonymised + suppressed + dead letter = input, sealed = input, no
# duplicate, order per partition.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$HERE/lib_cluster.sh"

PORTION=30000
TXN_ID=it-rolling-restart
RUN_ARGS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
        -X transactional.id="$TXN_ID")

setup rolling-restart exactly-once 1000
RANDOM=$$
SEED=80
supervise_start "${RUN_ARGS[@]}"

for node in 1 2 3; do
        produce_portion "$PORTION"
        wait_progress $((IN_TOTAL - PORTION + 2000 + RANDOM % 4000)) 120
        log "node $node: $(roles "$node")"
        fault_begin "controlled shutdown of node $node"
        watch_start
        t_term=$(now_ms)
        kc stop-node "$node" >/dev/null
        t_gone=$(now_ms)
        # The first commit after the node has gone, counted from SIGTERM.
        fault_made
        FAULT_MS=$t_term
        wait_resume 150
        watch_stop
        log "node $node stopped $(secs $((t_gone - t_term))) s after" \
                "SIGTERM; commits stood still for at most" \
                "$(secs "$LONGEST_STALL_MS") s meanwhile"
        report_fault
        figure "node=$node longest_stall_s=$(secs "$LONGEST_STALL_MS")"
        ensure_backlog 5000
        kill_processor_and_measure "node $node down"
        t0=$(now_ms)
        kc resume "$node" >"$T/resume.out" 2>&1 ||
                die "resume: $(tail -n 5 "$T/resume.out")"
        kc wait-replicated 180 >/dev/null ||
                die "node $node not back in sync in 180 s"
        log "node $node back, every partition in sync, after" \
                "$(secs $(($(now_ms) - t0))) s"
        figure "node=$node stop_s=$(secs $((t_gone - t_term)))" \
                "back_in_sync_s=$(secs $(($(now_ms) - t0)))"
done

finish 180
log "ok"
