#!/usr/bin/env bash
# bench/purposes.sh: the daemon's throughput with purposes, through a real
# broker, measured by build/bench/kbench as bench/broker.sh measures it:
#
#   none    no purposes: one anonymised topic, the behaviour allow-list
#           below with v1 pseudonyms
#   one     one purpose: behaviour (key caller, rotate day)
#   three   three purposes: network (no key), behaviour, devices (key
#           device, rotate week), as tests/integration/config_purposes.yaml.in
#
# Every point consumes the same preloaded topic (PARTITIONS partitions)
# under a fresh group, exactly once, commit_interval_ms 100, THREADS
# worker threads; the repetitions are interleaved (none, one, three, then
# again) so that the machine's noise spreads over all of them, and the
# report takes medians.  The first repetition of each point checks its
# output: one sealed copy per input record, and on every anonymised or
# purpose topic the same number of messages and no record_id twice.
#
# Writes bench/results/purposes.md (and purposes-runs.csv): the medians
# and the ratios three/one, one/none and three/none.
#
# Environment (defaults in brackets):
#   RECORDS    [300000] records per run
#   REPS       [3]      repetitions per point
#   PARTITIONS [6]      partitions of every topic
#   THREADS    [2]      pipeline.threads
#   KAFKA_PORT [19194]  the benchmark's own broker port
#   BENCH_OUT  [bench/results]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RECORDS=${RECORDS:-300000}
REPS=${REPS:-3}
PARTITIONS=${PARTITIONS:-6}
THREADS=${THREADS:-2}
export KAFKA_PORT=${KAFKA_PORT:-19194}
out=${BENCH_OUT:-bench/results}
K=deploy/kafka/kafka-local.sh
BOOT=127.0.0.1:$KAFKA_PORT
POINTS=(none one three)

log() { printf '== %s %s\n' "$(date +%T)" "$*" >&2; }
die() {
        echo "purposes.sh: $*" >&2
        exit 1
}

for f in build/bench/kbench ./cdranon; do
        [[ -x $f ]] || die "$f missing: run make -j2 build/bench/kbench"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-bench-purposes.XXXXXX")
# The binaries of the whole run, copied now: a rebuild during the run
# must not change what is measured.
mkdir -p "$tmp/bin" "$tmp/keys" "$tmp/logs"
cp build/bench/kbench ./cdranon "$tmp/bin/"
KB=$tmp/bin/kbench
BIN=$tmp/bin/cdranon
started_broker=0
proc=
cleanup() {
        [[ -z $proc ]] || kill -KILL "$proc" 2>/dev/null || true
        if ((started_broker)); then
                "$K" stop >/dev/null 2>&1 || true
        else
                "$K" delete-topic bench-purposes-in >/dev/null 2>&1 || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$K" fetch >&2
if "$K" status >/dev/null 2>&1; then
        log "using the broker already running on port $KAFKA_PORT"
else
        "$K" start >&2
        started_broker=1
fi
state=${TMPDIR:-/tmp}/cdranon-kafka-$KAFKA_PORT.state
broker_pid=$(sed -n 's/^pid=//p' "$state")
[[ -n $broker_pid ]] || die "no broker pid"

"$BIN" keygen hmac --out "$tmp/keys/hmac.key" --id bench 2>/dev/null
"$BIN" keygen custodian --private "$tmp/custodian.pem" \
        --public "$tmp/keys/custodian.pub" 2>/dev/null
cp config/suppression.txt "$tmp/suppression.txt"
"$BIN" gen --records "$RECORDS" --seed 1 --no-header --out "$tmp/corpus.csv" \
        2>/dev/null
in=bench-purposes-in
"$K" delete-topic "$in" >/dev/null 2>&1 || true
"$K" create-topic "$in" "$PARTITIONS" >/dev/null
res=$("$KB" load -b "$BOOT" -t "$in" -i "$tmp/corpus.csv" -n "$RECORDS")
log "loaded $in: $res"

# The allow-lists, shared by the points.
network='      record_id: keep number
      record_type: keep
      start_hour: {from: start_time, action: truncate hour}
      cell_id: keep
      duration: bucket 1,30,60,180,600,1800,3600
      bytes_up: keep number
      bytes_down: keep number'
behaviour='      record_id: keep number
      record_type: keep
      start_day: {from: start_time, action: truncate day}
      caller: {from: calling_number, action: pseudonymise msisdn}
      callee: {from: called_number, action: pseudonymise msisdn}
      called_country: {from: called_number, action: country}
      subscriber: {from: imsi, action: pseudonymise imsi}'
devices='      record_id: keep number
      device: {from: imei, action: pseudonymise imei}
      device_model: {from: imei, action: tac}
      start_day: {from: start_time, action: truncate day}'

# topics_of POINT: the anonymised or purpose topics' suffixes.
topics_of() {
        case $1 in
        none) echo anon ;;
        one) echo behaviour ;;
        three) echo network behaviour devices ;;
        esac
}

# write_config FILE POINT GROUP PREFIX
write_config() {
        local f=$1 point=$2 group=$3 pfx=$4
        cat >"$f" <<EOF
kafka:
  bootstrap.servers: $BOOT
input:
  topic: $in
  group: $group
  format: csv
  csv:
    header: false
    columns: [record_id, record_type, start_time, end_time, duration,
              calling_number, called_number, imsi, imei, cell_id, bytes_up,
              bytes_down, cause_for_term, subscriber_name,
              subscriber_address, payment_ref]
  event_time: start_time
keys:
  hmac: keys/hmac.key
  custodian_public: keys/custodian.pub
output:
  sealed: {topic: $pfx.sealed}
  dead_letter: {topic: $pfx.dl}
delivery: exactly-once
pipeline:
  threads: $THREADS
  commit_interval_ms: 100
  commit_records: 1000000
suppression:
  file: suppression.txt
  fields: [calling_number, called_number]
EOF
        case $point in
        none)
                # The anonymised output goes beside sealed and dead_letter.
                sed -i "s|^  sealed: |  anonymised: {topic: $pfx.anon, key: caller}\n  sealed: |" "$f"
                printf 'fields:\n%s\n' "$(sed 's/^    //' <<<"$behaviour")" \
                        >>"$f"
                ;;
        one)
                printf 'purposes:\n  behaviour:\n    output: {topic: %s.behaviour, key: caller}\n    rotate: day\n    fields:\n%s\n' \
                        "$pfx" "$behaviour" >>"$f"
                ;;
        three)
                printf 'purposes:\n  network:\n    output: {topic: %s.network}\n    fields:\n%s\n' \
                        "$pfx" "$network" >>"$f"
                printf '  behaviour:\n    output: {topic: %s.behaviour, key: caller}\n    rotate: day\n    fields:\n%s\n' \
                        "$pfx" "$behaviour" >>"$f"
                printf '  devices:\n    output: {topic: %s.devices, key: device}\n    rotate: week\n    fields:\n%s\n' \
                        "$pfx" "$devices" >>"$f"
                ;;
        esac
        "$BIN" check-config -c "$f" >"$tmp/check.txt" 2>&1 ||
                die "configuration $point is not valid: $(tail -1 "$tmp/check.txt")"
}

kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

runs=$out/purposes-runs.csv
mkdir -p "$out"
echo "point,rep,records,window_records,window_s,records_per_s,cpu_s_per_M,verified" \
        >"$runs"
seq_no=0
run_point() {
        local rep=$1 point=$2 group pfx cfg t verified=- n0= m
        seq_no=$((seq_no + 1))
        group=bench-purposes-$seq_no-$point
        pfx=bp$seq_no
        cfg=$tmp/$pfx.yaml
        for t in sealed dl $(topics_of "$point"); do
                "$K" create-topic "$pfx.$t" "$PARTITIONS" >/dev/null
        done
        write_config "$cfg" "$point" "$group" "$pfx"
        "$BIN" run -c "$cfg" 2>"$tmp/logs/$pfx-$point.log" &
        proc=$!
        if ! res=$("$KB" progress -b "$BOOT" -t "$in" -g "$group" -p "$proc" \
                --broker-pid "$broker_pid" --skip 0.2 --timeout-s 900); then
                verified=failed
                res="window_records=0 window_s=0 rate=0 cpu_s_per_M=0"
                tail -3 "$tmp/logs/$pfx-$point.log" >&2 || true
        fi
        kill -TERM "$proc" 2>/dev/null || true
        wait "$proc" 2>/dev/null || true
        proc=
        if ((rep == 1)) && [[ $verified == - ]]; then
                verified=ok
                m=$("$KB" count -b "$BOOT" -t "$pfx.sealed")
                [[ $(kv messages "$m") == "$RECORDS" ]] ||
                        verified="FAIL sealed $(kv messages "$m")/$RECORDS"
                for t in $(topics_of "$point"); do
                        m=$("$KB" count -b "$BOOT" -t "$pfx.$t" --ids)
                        [[ -n $n0 ]] || n0=$(kv messages "$m")
                        [[ $(kv messages "$m") == "$n0" &&
                                $(kv repeats "$m") == 0 ]] ||
                                verified="FAIL $t: $m"
                done
                [[ $verified == ok ]] || log "$point: $verified"
        fi
        for t in sealed dl $(topics_of "$point"); do
                "$K" delete-topic "$pfx.$t" >/dev/null 2>&1 || true
        done
        echo "$point,$rep,$RECORDS,$(kv window_records "$res"),$(kv window_s \
                "$res"),$(kv rate "$res"),$(kv cpu_s_per_M "$res"),$verified" \
                >>"$runs"
        log "$point rep $rep: $(kv rate "$res") records/s," \
                "$(kv cpu_s_per_M "$res") CPU-s per M, $verified"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
cmdline="RECORDS=$RECORDS REPS=$REPS PARTITIONS=$PARTITIONS THREADS=$THREADS bash bench/purposes.sh"
for ((rep = 1; rep <= REPS; rep++)); do
        for point in "${POINTS[@]}"; do
                run_point "$rep" "$point"
        done
done

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
ram=$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)
os_name=$(. /etc/os-release && echo "$PRETTY_NAME")
python3 - "$runs" "$out/purposes.md" <<EOF
import csv, statistics, sys
runs, md = sys.argv[1:]
rows = list(csv.DictReader(open(runs)))
pts = ["none", "one", "three"]
what = {"none": "no purposes (one anonymised topic, v1 pseudonyms)",
        "one": "1 purpose (behaviour)",
        "three": "3 purposes (network, behaviour, devices)"}
med, cpu, reps, ver = {}, {}, {}, {}
for p in pts:
    r = [x for x in rows if x["point"] == p]
    rates = [float(x["records_per_s"] or 0) for x in r]
    med[p] = statistics.median(rates)
    cpu[p] = statistics.median(float(x["cpu_s_per_M"] or 0) for x in r)
    reps[p] = ", ".join("%.0f" % v for v in rates)
    ver[p] = [x["verified"] for x in r if x["verified"] != "-"]
with open(md, "w") as f:
    f.write("# Daemon throughput with purposes\n\n")
    f.write("Measured by \`$cmdline\`, all points in one run, "
            "repetitions interleaved; medians.\n\n")
    f.write("- load at the end: $(cut -d' ' -f1-3 /proc/loadavg)\n")
    f.write("- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)\n")
    f.write("- machine: $(uname -m), $(nproc) cores, $cpu_model, $ram, "
            "$os_name; load at start $load_start (the machine is shared: "
            "read the ratios, not the absolute rates)\n")
    f.write("- kafka: Apache Kafka 3.9.1 (KRaft, one node, "
            "deploy/kafka/kafka-local.sh); librdkafka "
            "$(pkg-config --modversion rdkafka)\n")
    f.write("- each point: \`cdranon run\`, exactly once, commit every "
            "100 ms, $PARTITIONS partitions on every topic, the generic "
            "corpus of \`cdranon gen --records $RECORDS --seed 1\`; rate "
            "over kbench's steady-state window (first 20% of the input "
            "and the final drain left out)\n\n")
    f.write("| point | records/s (median) | each repetition | CPU-s per M "
            "records (median) | output check |\n|---|---|---|---|---|\n")
    for p in pts:
        f.write("| %s | %.0f | %s | %.1f | %s |\n" % (
            what[p], med[p], reps[p], cpu[p], ", ".join(ver[p]) or "-"))
    def ratio(a, b):
        return med[a] / med[b] if med[b] else float("nan")
    f.write("\n| ratio of the medians | value |\n|---|---|\n")
    f.write("| 3 purposes / 1 purpose | %.2f |\n" % ratio("three", "one"))
    f.write("| 1 purpose / no purposes | %.2f |\n" % ratio("one", "none"))
    f.write("| 3 purposes / no purposes | %.2f |\n" % ratio("three", "none"))
    def cratio(a, b):
        return cpu[a] / cpu[b] if cpu[b] else float("nan")
    f.write("\nThe processor's CPU time per record (utime + stime of all its "
            "threads over the same window) depends less on what else the "
            "machine runs than the rate does:\n\n")
    f.write("| ratio of the CPU-s per M medians | value |\n|---|---|\n")
    f.write("| 3 purposes / 1 purpose | %.2f |\n" % cratio("three", "one"))
    f.write("| 1 purpose / no purposes | %.2f |\n" % cratio("one", "none"))
    f.write("| 3 purposes / no purposes | %.2f |\n" % cratio("three", "none"))
    f.write("\nWith 3 purposes every published record is encoded three "
            "times (three allow-lists, three pseudonym domains) and "
            "produced as three messages, beside its sealed copy, in one "
            "transaction.\n")
EOF
log "wrote $out/purposes.md"
cat "$out/purposes.md"
