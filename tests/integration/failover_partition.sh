#!/usr/bin/env bash
# A network partition: the node that is the transaction coordinator of the
# processor's transactional.id (and leads partitions of the input and
# output topics) is cut off the network (netns.sh: its link to the hub
# goes down, so that packets to and from it are dropped without an
# answer) in the middle of the processor's input, and healed 25 s later,
# longer than the brokers' session with the controllers (9 s, after which
# the controllers fence the node and move its leaderships) and the
# processor's consumer session (6 s).  The node keeps running on its own
# side of the partition.  The processor itself is killed with SIGKILL
# twice during the partition and once after it, and its supervisor starts
# it again each time.
#
# The test reports the lag at the cut, the time until the group commits
# again, whether the processor recovered in place or was restarted (and
# why), the time the healed node took to be back in sync; then
# eos_check verify: anonymised + suppressed + dead letter = input, sealed
# = input, no duplicate, order per partition.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$HERE/lib_cluster.sh"

PORTION=30000
CUT_SECONDS=25
TXN_ID=it-partition
RUN_ARGS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
        -X transactional.id="$TXN_ID")

setup partition exactly-once 1000
RANDOM=$$
SEED=90
produce_portion "$PORTION"
supervise_start "${RUN_ARGS[@]}"
wait_progress $((3000 + RANDOM % 6000)) 120

node=$(kc coordinator transaction "$TXN_ID") ||
        die "no transaction coordinator for $TXN_ID"
log "node $node: $(roles "$node")"
fault_begin "node $node cut off the network"
netns_cut "$node"
t_cut=$SECONDS
TOOL_BOOT=$(boot_without "$node")
fault_made
wait_resume 180
report_fault

ensure_backlog 5000
kill_processor_and_measure "during the partition"
# The second kill at a random moment before the heal.
while [ $((SECONDS - t_cut)) -lt $((CUT_SECONDS - 8 + RANDOM % 5)) ]; do
        check_exits
        sleep 0.5
done
ensure_backlog 5000
kill_processor_and_measure "during the partition"

while [ $((SECONDS - t_cut)) -lt "$CUT_SECONDS" ]; do
        check_exits
        sleep 0.5
done
netns_heal "$node"
log "healed after $((SECONDS - t_cut)) s"
t0=$(now_ms)
kc wait-replicated 180 >/dev/null ||
        die "node $node not back in sync in 180 s after the heal"
TOOL_BOOT=$BOOT
log "node $node back, every partition in sync, $(secs $(($(now_ms) - t0)))" \
        "s after the heal"
figure "cut_s=$CUT_SECONDS back_in_sync_s=$(secs $(($(now_ms) - t0)))"

ensure_backlog 5000
kill_processor_and_measure "after the heal"

finish 180
log "ok"
