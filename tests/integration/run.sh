#!/usr/bin/env bash
# Integration tests on a real Kafka broker (`make integration`), and the
# failover tests on a three-node cluster (`make failover`).
#
#   tests/integration/run.sh CDRANON EOS_CHECK [TEST]...
#   tests/integration/run.sh --cluster CDRANON EOS_CHECK [TEST]...
#
# Starts a local broker (deploy/kafka/kafka-local.sh) on a free port,
# runs each tests/integration/test_*.sh (or the TESTs named) under its
# own time limit, and stops the broker and removes its data whatever
# happens: a failing test, a timeout, Ctrl-C.  Exit status 0 when every
# test passed.
#
# --cluster: the same for each tests/integration/failover_*.sh, on a
# cluster of three nodes (kafka-local.sh cluster start), each node in a
# network namespace of its own wired to a hub namespace in which the
# tests run (netns.sh), so that a test can cut a node off the network.
# Needs root (ip netns).  Before each test every node is running again,
# on the network, and every partition fully replicated.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
K=$TOP/deploy/kafka/kafka-local.sh

CLUSTER=0
if [ "${1:-}" = --cluster ]; then
        CLUSTER=1
        shift
fi
[ $# -ge 2 ] || {
        echo "usage: $0 [--cluster] CDRANON EOS_CHECK [TEST]..." >&2
        exit 2
}
CDRANON=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
EOS_CHECK=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
shift 2
export CDRANON EOS_CHECK

# Seconds each test may take before it counts as failed.
declare -A LIMIT=([test_e2e]=240 [test_crash]=300 [test_scaleout]=180
        [test_fencing]=180 [test_at_least_once]=120 [test_metrics]=120
        [test_leak]=90 [test_secured]=240 [test_broker_kill]=300
        [test_stall]=200 [test_purposes]=420
        [failover_leader_kill]=360 [failover_coordinator_kill]=360
        [failover_rolling_restart]=480 [failover_partition]=360)

port_free() {
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port pair of our own, so that a run never shares a broker with
# another one on the same machine.  (The cluster's nodes each have a
# network of their own: any port is free there.)
if [ "$CLUSTER" = 1 ]; then
        KAFKA_PORT=19092
elif [ -z "${KAFKA_PORT:-}" ]; then
        for _ in $(seq 1 50); do
                p=$((20000 + RANDOM % 9000 * 2))
                if port_free "$p" && port_free "$((p + 1))"; then
                        KAFKA_PORT=$p
                        break
                fi
        done
        [ -n "${KAFKA_PORT:-}" ] || {
                echo "integration: no free port" >&2
                exit 1
        }
fi
export KAFKA_PORT

# Everything the run leaves on disk (the broker's data, the tests'
# folders) lives under one folder, removed at the end.
IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-integration.XXXXXX")
export TMPDIR=$IT_TMP

stop_broker() {
        "$K" stop >/dev/null 2>&1 || "$K" stop || true
        rm -rf -- "$IT_TMP"
}

# The cluster's network: namespaces named after this run's pid.  Those of
# an earlier run that died without cleaning up (its pid gone) go first.
if [ "$CLUSTER" = 1 ]; then
        [ "$(id -u)" = 0 ] || {
                echo "integration: --cluster needs root (ip netns)" >&2
                exit 1
        }
        command -v ip >/dev/null || {
                echo "integration: --cluster needs ip (iproute2)" >&2
                exit 1
        }
        # shellcheck source=netns.sh
        . "$HERE/netns.sh"
        for ns in $(ip netns list 2>/dev/null | sed -n \
                's/^\(cdranon-it-[0-9]*\)-hub.*/\1/p'); do
                pid=${ns#cdranon-it-}
                [ -d "/proc/$pid" ] && continue
                NETNS_PREFIX=$ns netns_down
        done
        NETNS_PREFIX=cdranon-it-$$
        export NETNS_PREFIX KAFKA_CLUSTER=1
        HUB=$(netns_hub)
        KAFKA_CLUSTER_HOSTS=
        KAFKA_CLUSTER_NETNS=
        for k in $(seq 1 "$NETNS_NODES"); do
                KAFKA_CLUSTER_HOSTS="$KAFKA_CLUSTER_HOSTS $(netns_host "$k")"
                KAFKA_CLUSTER_NETNS="$KAFKA_CLUSTER_NETNS $(netns_node "$k")"
        done
        export KAFKA_CLUSTER_HOSTS KAFKA_CLUSTER_NETNS
        stop_cluster() {
                netns_exec "$HUB" "$K" cluster stop >/dev/null 2>&1 || true
                netns_down
                rm -rf -- "$IT_TMP"
        }
        trap stop_cluster EXIT
        trap 'exit 130' INT TERM
        netns_up
        IN_HUB=(nsenter --net="/run/netns/$HUB" --)
        pattern=failover_
else
        trap stop_broker EXIT
        trap 'exit 130' INT TERM
        IN_HUB=()
        pattern=test_
fi

"$K" fetch >/dev/null
# Short consumer sessions let the tests restart processors quickly.
if [ "$CLUSTER" = 1 ]; then
        "${IN_HUB[@]}" "$K" cluster start group.min.session.timeout.ms=1000
else
        "$K" start group.min.session.timeout.ms=1000
fi

if [ $# -gt 0 ]; then
        tests=("$@")
else
        tests=()
        for t in "$HERE"/"$pattern"*.sh; do
                tests+=("$(basename "$t" .sh)")
        done
fi

# --cluster: every node running, on the network and in sync before a test.
restore_cluster() {
        local k
        [ "$CLUSTER" = 1 ] || return 0
        for k in $(seq 1 "$NETNS_NODES"); do
                netns_heal "$k" &&
                        "${IN_HUB[@]}" "$K" cluster resume "$k" >/dev/null ||
                        return 1
        done
        "${IN_HUB[@]}" "$K" cluster wait-replicated 180 >/dev/null
}

failed=()
total_start=$SECONDS
for t in "${tests[@]}"; do
        t=$(basename "$t" .sh)
        limit=${LIMIT[$t]:-180}
        echo "== integration: $t (limit ${limit}s)"
        start=$SECONDS
        status=0
        if ! restore_cluster; then
                echo "== integration: $t FAILED: the cluster is not" \
                        "healthy before it"
                failed+=("$t")
                continue
        fi
        timeout --kill-after=10 "$limit" "${IN_HUB[@]}" bash "$HERE/$t.sh" ||
                status=$?
        if [ "$status" = 0 ]; then
                echo "== integration: $t passed in $((SECONDS - start)) s"
        else
                [ "$status" = 124 ] && echo "== integration: $t timed out"
                echo "== integration: $t FAILED (exit $status) after" \
                        "$((SECONDS - start)) s"
                failed+=("$t")
        fi
done
echo "== integration: ${#tests[@]} tests in $((SECONDS - total_start)) s," \
        "${#failed[@]} failed${failed:+: ${failed[*]}}"
# The line tests/check.sh adds up.
echo "$((${#tests[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#failed[@]} = 0 ]
