#!/usr/bin/env bash
# The cdranon demo, stream mode: a local Kafka broker, the raw topic
# filled with generated CDRs, `cdranon run` until every record is
# consumed, with its Prometheus metrics scraped on the way, then a few
# anonymised records, a dead-letter record, a subject access request and
# a replay of the dead letters answered from the sealed topic, and the
# counts per topic.  The broker is stopped (and its data deleted) at the end,
# also on failure or Ctrl-C.  Work files go to build/demo-kafka/.
#
#   scripts/demo-kafka.sh [RECORDS]       (default 100000)
#
# Needs the build (`make`), the Kafka jars (deploy/kafka/kafka-local.sh
# fetch, done here when missing) and Java 17.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
top=$(pwd)
bin=$top/cdranon
k=$top/deploy/kafka/kafka-local.sh
check=$top/build/tests/integration/eos_check
records=${1:-100000}
demo=$top/build/demo-kafka

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
        printf '$ %s\n' "$*"
        "$@"
}

[ -x "$bin" ] || make -s cdranon
# The small Kafka reader of the integration tests: lag, head, count.
make -s build/tests/integration/eos_check

# A port of the demo's own, so that it never stops someone else's broker.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -z "${KAFKA_PORT:-}" ]; then
        for p in 19092 19192 19292 19392 19492; do
                if port_free "$p" && port_free "$((p + 1))"; then
                        KAFKA_PORT=$p
                        break
                fi
        done
fi
export KAFKA_PORT=${KAFKA_PORT:?no free port for the demo broker}
metrics_port=
for p in 9464 19464 29464; do
        if port_free "$p"; then
                metrics_port=$p
                break
        fi
done
[ -n "$metrics_port" ] || {
        echo "demo: no free port for metrics.listen" >&2
        exit 1
}

# http_get PATH: the body of http://127.0.0.1:$metrics_port/PATH, with
# bash alone (no curl needed).
http_get() {
        local line
        exec 3<>"/dev/tcp/127.0.0.1/$metrics_port"
        printf 'GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
        while IFS= read -r line <&3 && [ "${line%$'\r'}" != "" ]; do :; done
        cat <&3
        exec 3<&-
}

run_pid=
finish() {
        if [ -n "$run_pid" ]; then
                kill -TERM "$run_pid" 2>/dev/null || true
                wait "$run_pid" 2>/dev/null || true
        fi
        "$k" stop >/dev/null 2>&1 || true
}
trap finish EXIT
trap 'exit 130' INT TERM

step "A local Kafka broker (KRaft, single node) on 127.0.0.1:$KAFKA_PORT"
"$k" fetch
show "$k" start
boot=$("$k" bootstrap)

step "Keys and configuration (config/generic.yaml, for a topic)"
rm -rf "$demo"
mkdir -p "$demo/keys"
cd "$demo"
show "$bin" keygen hmac --out keys/hmac.key --id demo1
show "$bin" keygen custodian --private custodian.pem \
        --public keys/custodian.pub
cp "$top/config/suppression.txt" .
# A topic has no header line: the columns are named in the
# configuration, in the order the generator writes them.
columns=$("$bin" gen --records 0 --header | head -n 1 | sed 's/,/, /g')
sed -e "s/^\( *\)header: true\$/\1header: false\n\1columns: [$columns]/" \
        "$top/config/generic.yaml" >config.yaml
if ! grep -q '^ *columns: \[record_id' config.yaml; then
        echo "demo: could not name the CSV columns in config.yaml" >&2
        exit 1
fi
printf 'metrics:\n  listen: "127.0.0.1:%s"\n' "$metrics_port" >>config.yaml
show "$bin" check-config -c config.yaml |
        sed -n '/^input\./p;/^output\./p;/^delivery/p;/^metrics\./p'

step "Topics: raw input, anonymised, sealed and dead-letter, 6 partitions"
for t in cdr.raw cdr.anonymised cdr.sealed cdr.dead-letter; do
        show "$k" create-topic "$t" 6
done

step "$records synthetic CDRs, 1% malformed, to cdr.raw"
show "$bin" gen --records "$records" --malformed-share 0.01 --seed 42 \
        --topic cdr.raw -b "$boot" --stats

step "cdranon run, until every record is consumed"
printf '$ %s\n' "$bin run -c config.yaml -X bootstrap.servers=$boot &"
"$bin" run -c config.yaml -X "bootstrap.servers=$boot" 2>run.log &
run_pid=$!
while :; do
        lag=$("$check" lag -b "$boot" -g cdranon -t cdr.raw)
        printf '   records not yet committed: %s\n' "$lag"
        [ "$lag" = 0 ] && break
        kill -0 "$run_pid" 2>/dev/null || {
                cat run.log
                exit 1
        }
        sleep 2
done

step "Its metrics (metrics.listen): /readyz, then a few series of /metrics"
printf '$ GET http://127.0.0.1:%s/readyz\n' "$metrics_port"
http_get readyz
echo
printf '$ GET http://127.0.0.1:%s/metrics\n' "$metrics_port"
# The dead-letter series of the rules that were not broken (0) are left
# out here.
http_get metrics |
        grep -E '^cdranon_(records_(in|published|sealed|dead_lettered)_total|transactions_committed_total)' |
        grep -v '^cdranon_records_dead_lettered_total{.*} 0$' | head -n 14
kill -TERM "$run_pid"
wait "$run_pid"
run_pid=
echo "-- its log (counters only, never a record):"
cat run.log

step "Three anonymised records (key = the caller's pseudonym)"
show "$check" head -b "$boot" -t cdr.anonymised -n 3

step "A dead-letter record: the reason and the source, never the content"
show "$check" head -b "$boot" -t cdr.dead-letter -n 1

step "Subject access from the sealed topic (the custodian's key)"
subscriber=$("$bin" gen --records 100 --seed 42 --no-header |
        awk -F, '$6 ~ /^\+44[0-9]+$/ && !n++ { print $6 }')
show "$bin" unseal --key custodian.pem --topic cdr.sealed -b "$boot" \
        -c config.yaml --subscriber "$subscriber" \
        --out subject-access.csv --audit audit.log
head -n 3 subject-access.csv
echo "-- the audit line:"
tail -n 1 audit.log

step "Replaying the dead letters: the custodian opens exactly their sealed copies"
"$check" head -b "$boot" -t cdr.dead-letter -n "$records" | cut -f 2- \
        >dead.jsonl
printf '(%s dead letters read from cdr.dead-letter into dead.jsonl)\n' \
        "$(wc -l <dead.jsonl)"
show "$bin" unseal --key custodian.pem --topic cdr.sealed -b "$boot" \
        --sources dead.jsonl --out replay.csv --audit audit.log
echo "-- fed again under the same configuration, each is dead-lettered again:"
show "$bin" anonymise -c config.yaml --in replay.csv --out /dev/null \
        --dead-letter replay-dead.jsonl
cmp -s <(sed 's/,"source".*//' dead.jsonl | sort) \
        <(sed 's/,"source".*//' replay-dead.jsonl | sort) &&
        echo "(the same reasons as on cdr.dead-letter)"

step "Counts per topic (read_committed)"
for t in cdr.raw cdr.anonymised cdr.sealed cdr.dead-letter; do
        printf '%-18s %s\n' "$t" "$("$check" count -b "$boot" -t "$t")"
done
echo "(raw = anonymised + suppressed + dead-letter; sealed = raw)"

printf '\nDemo files are in %s; the broker is stopped now.\n' "$demo"
