# Helpers for the integration tests, sourced by each test_*.sh (and, with
# lib_cluster.sh, by each failover_*.sh).  run.sh has started the broker
# (with --cluster: the three-node cluster, KAFKA_CLUSTER=1) and exported
# CDRANON, EOS_CHECK and KAFKA_PORT.
#
# Each test gets its own topics (PREFIX.raw, .anon, .sealed, .dead), its
# own consumer group and a temporary folder T (keys, configuration,
# logs) that the EXIT trap removes together with every process the test
# started, whatever happens.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
K=$TOP/deploy/kafka/kafka-local.sh
CDRANON=${CDRANON:?run through tests/integration/run.sh}
EOS_CHECK=${EOS_CHECK:?run through tests/integration/run.sh}
# The broker's commands: those of the cluster in a --cluster run.
if [ "${KAFKA_CLUSTER:-0}" = 1 ]; then
        KB=("$K" cluster)
else
        KB=("$K")
fi
BOOT=$("${KB[@]}" bootstrap)

T=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-it.XXXXXX")
PIDS=()

cleanup() {
        local pid
        for pid in "${PIDS[@]}"; do
                kill -9 "$pid" 2>/dev/null || true
        done
        wait 2>/dev/null || true
        rm -rf -- "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

log() { printf '  %s\n' "$*" >&2; }

die() {
        printf 'FAIL: %s\n' "$*" >&2
        exit 1
}

# create_topic NAME: a topic of 6 partitions on the test's broker.
create_topic() {
        "${KB[@]}" create-topic "$1" 6 >/dev/null
}

# setup NAME [DELIVERY] [COMMIT_RECORDS]: keys, configuration and topics.
# The configuration comes from $CONFIG_IN (default config.yaml.in).
setup() {
        NAME=$1
        PREFIX=it.$1
        GROUP=it-$1
        mkdir -p "$T/keys"
        "$CDRANON" keygen hmac --out "$T/keys/hmac.key" 2>/dev/null
        "$CDRANON" keygen custodian --private "$T/custodian.pem" \
                --public "$T/keys/custodian.pub" 2>/dev/null
        sed -e "s|@BOOTSTRAP@|$BOOT|" -e "s|@PREFIX@|$PREFIX|g" \
                -e "s|@GROUP@|$GROUP|" -e "s|@DELIVERY@|${2:-exactly-once}|" \
                -e "s|@COMMIT_RECORDS@|${3:-2000}|" \
                "${CONFIG_IN:-$HERE/config.yaml.in}" >"$T/config.yaml"
        : >"$T/suppress.txt"
        local t
        for t in raw anon sealed dead; do
                create_topic "$PREFIX.$t"
        done
}

# suppress_top N GEN_ARGS...: puts the N most frequent UK calling numbers
# of the corpus that GEN_ARGS generate on the suppression list.
suppress_top() {
        local n=$1
        shift
        "$CDRANON" gen --no-header "$@" |
                awk -F, '$6 ~ /^\+44[0-9]+$/ { c[$6]++ }
                         END { for (k in c) print c[k], k }' |
                sort -rn | awk -v n="$n" 'NR <= n { print $2 }' \
                >"$T/suppress.txt"
}

# produce GEN_ARGS...: generated records to the raw topic.
produce() {
        "$CDRANON" gen --topic "$PREFIX.raw" -b "$BOOT" "$@"
}

# start_run LOGNAME [ARGS]...: a processor in the background; its pid in
# RUN_PID, its standard error in $T/LOGNAME.err.
start_run() {
        local name=$1
        shift
        "$CDRANON" run -c "$T/config.yaml" "$@" 2>"$T/$name.err" &
        RUN_PID=$!
        PIDS+=("$RUN_PID")
}

# stop_run PID: SIGTERM, then its exit status in RUN_STATUS.
stop_run() {
        kill -TERM "$1" 2>/dev/null || true
        RUN_STATUS=0
        wait "$1" || RUN_STATUS=$?
}

lag() {
        "$EOS_CHECK" lag -b "$BOOT" -g "$GROUP" -t "$PREFIX.raw"
}

# wait_lag_zero SECONDS: until the group has committed every input
# record.
wait_lag_zero() {
        local deadline=$((SECONDS + $1)) l
        while :; do
                l=$(lag)
                [ "$l" = 0 ] && return 0
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "input not consumed in $1 s (lag $l)"
                sleep 0.5
        done
}

# wait_lag_below GOAL SECONDS: until the lag is GOAL or less, or SECONDS
# have passed; the last lag seen in LAG.
wait_lag_below() {
        local deadline=$((SECONDS + $2))
        while LAG=$(lag) && [ "$LAG" -gt "$1" ] &&
                [ "$SECONDS" -lt "$deadline" ]; do
                sleep 0.1
        done
}

# wait_log FILE PATTERN SECONDS: until FILE holds a line matching PATTERN.
wait_log() {
        local deadline=$((SECONDS + $3))
        until grep -q -- "$2" "$1" 2>/dev/null; do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "no '$2' in $(basename "$1") in $3 s"
                sleep 0.2
        done
}

verify() {
        "$EOS_CHECK" verify -b "$BOOT" -c "$T/config.yaml" \
                -k "$T/custodian.pem" "$@"
}

# records_of LOGFILE: the record count of the processor's last summary
# line (event summary or stopped), logfmt or JSON.
records_of() {
        grep -E '(event=|"event":")(summary|stopped)[ "]' "$1" | tail -n 1 |
                sed -E -n 's/.*(records=|"records":)([0-9]+).*/\2/p'
}

# own_broker [key=value]...: a plain broker of this test's own on a free
# port pair, for a test that kills it or needs other broker settings;
# "$K", BOOT and every function above use it from now on, and the EXIT
# trap stops it and deletes its data.
own_broker() {
        local p
        OWN_PORT=
        for _ in $(seq 1 50); do
                p=$((30000 + RANDOM % 9000 * 2))
                if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
                        ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") \
                                2>/dev/null; then
                        OWN_PORT=$p
                        break
                fi
        done
        [ -n "$OWN_PORT" ] || die "no free port pair for a broker"
        export KAFKA_PORT=$OWN_PORT KAFKA_CONTROLLER_PORT=$((OWN_PORT + 1))
        trap 'cleanup; "$K" stop >/dev/null 2>&1 || true' EXIT
        "$K" start "$@" >"$T/broker.out" 2>&1 ||
                die "own broker: $(tail -n 5 "$T/broker.out")"
        BOOT=$("$K" bootstrap)
}

# now_ms: wall-clock milliseconds, for the figures a test reports.
now_ms() {
        local t=${EPOCHREALTIME/./}
        echo $((t / 1000))
}
