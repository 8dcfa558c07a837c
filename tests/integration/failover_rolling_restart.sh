#!/usr/bin/env bash
# A rolling restart of the three-node cluster under load: node 1, 2, then
# 3 is stopped with SIGTERM (a controlled shutdown: the node hands its
# leaderships to the other in-sync replicas before it exits), started
# again on its data, and the next node is stopped only once every
# partition has all three replicas in sync again, as an operator rolls a
# cluster.  Input keeps arriving the whole time (1,000 records about
# every second, by a producer of its own, on top of a backlog), and the
# processor works through it in exactly-once mode; while each node is
# down the processor is also killed with SIGKILL and its supervisor
# starts it again.
#
# Each restart reports how long the node took to stop and to be back in
# sync, the longest time the group's committed offsets stood still while
# input was waiting (sampled every 0.2 s), from the SIGTERM to 3 s after
# the node has gone and from its start to its being back in sync, and
# whether the processor recovered in place or was restarted; the kill of
# the processor is reported as in the other tests.  Then eos_check
# verify: anonymised + suppressed + dead letter = input, sealed = input,
# no duplicate, order per partition.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$HERE/lib_cluster.sh"

PORTION=20000
FEED=1000
TXN_ID=it-rolling-restart
RUN_ARGS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
        -X transactional.id="$TXN_ID")

setup rolling-restart exactly-once 1000
RANDOM=$$
SEED=80
produce_portion "$PORTION"
supervise_start "${RUN_ARGS[@]}"
wait_progress $((2000 + RANDOM % 4000)) 120
feed_start "$FEED"

for node in 1 2 3; do
        log "node $node: $(roles "$node")"
        t_term=$(now_ms)
        watch_start
        kc stop-node "$node" >/dev/null
        t_gone=$(now_ms)
        sleep 3
        watch_stop
        stall_stop=$LONGEST_STALL_MS
        seen_stop=$(seen_since "$t_term")
        exits=$(exits_since "$t_term" | paste -sd ';' || true)
        check_exits
        log "node $node stopped $(secs $((t_gone - t_term))) s after SIGTERM;" \
                "commits stood still for at most $(secs "$stall_stop") s" \
                "until 3 s after; ${exits:-the processor recovered in place}"
        ensure_backlog 5000
        kill_processor_and_measure "node $node down"
        watch_start
        resume_node "$node"
        watch_stop
        check_exits
        exits=$(exits_since "$t_term" | grep -v 'kill -9 by the test' |
                paste -sd ';' || true)
        log "node $node back, every partition in sync, after" \
                "$(secs "$BACK_MS") s; commits stood still for at most" \
                "$(secs "$LONGEST_STALL_MS") s meanwhile"
        figure "fault=\"controlled shutdown of node $node\"" \
                "stop_s=$(secs $((t_gone - t_term)))" \
                "longest_stall_at_stop_s=$(secs "$stall_stop")" \
                "back_in_sync_s=$(secs "$BACK_MS")" \
                "longest_stall_at_start_s=$(secs "$LONGEST_STALL_MS")" \
                "outcome=\"${exits:-recovered in place}$(recreated_since "$t_term")\"" \
                "logged_at_stop=\"$seen_stop\""
done

feed_stop
finish 180
log "ok"
