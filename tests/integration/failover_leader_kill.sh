#!/usr/bin/env bash
# Partition leaders killed: on the three-node cluster, with the processor
# in exactly-once mode in the middle of its input (a transaction open,
# records in flight), kill -9 the node that leads a partition of the
# input topic, then, once it is back, the node that leads a partition of
# the anonymised output topic (a partition is picked at random; the node
# picked leads partitions of the other topics too, and the test says
# which).  While each node is down (two of three running: every write
# still has its two in-sync replicas) the processor itself is killed with
# SIGKILL and its supervisor starts it again.  The killed node is then
# started again on its data and the test waits until every partition has
# all three replicas in sync before the next fault.
#
# Each fault reports the lag at the fault, the time until the group
# commits again and whether the processor recovered in place or exited
# (a fatal error, named) and was restarted by its supervisor.  At the end
# eos_check verify reads every topic with read_committed: anonymised +
# suppressed + dead letter = input, sealed = input, no duplicate, order
# per partition.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$HERE/lib_cluster.sh"

PORTION=25000
TXN_ID=it-leader-kill
RUN_ARGS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
        -X transactional.id="$TXN_ID")

setup leader-kill exactly-once 1000
RANDOM=$$
supervise_start "${RUN_ARGS[@]}"

SEED=60
last=
for role in input output; do
        produce_portion "$PORTION"
        # Into this portion, at a random point of the commit cycle.
        wait_progress $(($(in_total) - PORTION + 3000 + RANDOM % 6000)) 120
        case $role in
        input) topic=$PREFIX.raw ;;
        output) topic=$PREFIX.anon ;;
        esac
        # A partition whose leader was not the last node killed, when
        # there is one.
        for _ in 1 2 3 4 5 6; do
                p=$((RANDOM % 6))
                node=$(kc leader "$topic" "$p")
                [ "$node" != "$last" ] && break
        done
        last=$node
        log "node $node: $(roles "$node")"
        fault_begin "kill -9 of node $node, leader of $topic [$p]"
        kc kill "$node" >/dev/null
        fault_made
        wait_resume 150
        report_fault
        # Now the processor, while the node is still down.
        ensure_backlog 5000
        kill_processor_and_measure "node $node down"
        resume_node "$node"
        log "node $node back, every partition in sync, after" \
                "$(secs "$BACK_MS") s"
done

finish 180
log "ok"
