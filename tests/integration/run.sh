#!/usr/bin/env bash
# Integration tests on a real Kafka broker (`make integration`).
#
#   tests/integration/run.sh CDRANON EOS_CHECK [TEST]...
#
# Starts a local broker (deploy/kafka/kafka-local.sh) on a free port,
# runs each tests/integration/test_*.sh (or the TESTs named) under its
# own time limit, and stops the broker and removes its data whatever
# happens: a failing test, a timeout, Ctrl-C.  Exit status 0 when every
# test passed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
K=$TOP/deploy/kafka/kafka-local.sh

[ $# -ge 2 ] || {
        echo "usage: $0 CDRANON EOS_CHECK [TEST]..." >&2
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
        [test_stall]=200)

port_free() {
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port pair of our own, so that a run never shares a broker with
# another one on the same machine.
if [ -z "${KAFKA_PORT:-}" ]; then
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
trap stop_broker EXIT
trap 'exit 130' INT TERM

"$K" fetch >/dev/null
# Short consumer sessions let the tests restart processors quickly.
"$K" start group.min.session.timeout.ms=1000

if [ $# -gt 0 ]; then
        tests=("$@")
else
        tests=()
        for t in "$HERE"/test_*.sh; do
                tests+=("$(basename "$t" .sh)")
        done
fi

failed=()
total_start=$SECONDS
for t in "${tests[@]}"; do
        t=$(basename "$t" .sh)
        limit=${LIMIT[$t]:-180}
        echo "== integration: $t (limit ${limit}s)"
        start=$SECONDS
        status=0
        timeout --kill-after=10 "$limit" bash "$HERE/$t.sh" || status=$?
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
