#!/usr/bin/env bash
# bench/broker.sh: capacity-planning benchmarks through a real Kafka broker
# (deploy/kafka/kafka-local.sh), every processor measured by the same
# harness (build/bench/kbench) in one run:
#
#   passthrough  build/bench/passthrough: two unchanged copies of every
#                record, same librdkafka settings as cdranon (the ceiling)
#   cdranon      ./cdranon run
#   python       bench/peers/python/cdrpeer.py (confluent-kafka)
#   streams      bench/peers/java (Kafka Streams, exactly_once_v2)
#
# Throughput points consume a topic preloaded with BROKER_RECORDS records;
# each point is run BROKER_REPS times, the repetitions interleaved (every
# point once, then every point again) so that the machine's noise spreads
# over all of them, and the report takes medians.  Latency points produce
# at LAT_RATE records/s while the processor runs.  The memory point runs
# cdranon with the default configuration over MEM_RECORDS records.
#
# Writes bench/results/broker-runs.csv (every run), latency.csv,
# latency-cdf.csv, memory.csv and meta.txt; bench/report.py turns them
# into report.md and the plots.
#
# Environment (defaults in brackets; QUICK=1 picks a few-minute run):
#   BROKER_RECORDS [300000]  records per throughput run
#   BROKER_REPS    [3]       repetitions per point
#   PY_RECORDS     [40000]   records per run of the Python peer (slower)
#   LONG_RECORDS   [2 x BROKER_RECORDS] records per run of the Kafka Streams
#                            peer (whose first half is JIT warm-up and not
#                            measured; the others: the first 20%) and of the
#                            1000 ms commit points
#   PARTITIONS     ["1 6 12"] partition counts of the grid
#   LAT_RATE [2000] LAT_SECONDS [20] LAT_WARMUP [8]
#   MEM_RECORDS    [10000000] records of the memory run (0: skip)
#   PEERS          [1]       0: leave the peers out
#   PROFILE        [1]       profile cdranon run during the memory run (perf;
#                            without perf, callgrind over file mode instead)
#   KAFKA_PORT     [19192]   the benchmark's own broker port
#   BENCH_OUT      [bench/results]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

QUICK=${QUICK:-0}
if ((QUICK)); then
        : "${BROKER_RECORDS:=200000}" "${BROKER_REPS:=1}" "${PY_RECORDS:=15000}"
        : "${PARTITIONS:=6}" "${LAT_SECONDS:=12}" "${LAT_WARMUP:=5}"
        : "${MEM_RECORDS:=1000000}"
fi
BROKER_RECORDS=${BROKER_RECORDS:-300000}
BROKER_REPS=${BROKER_REPS:-3}
PY_RECORDS=${PY_RECORDS:-40000}
LONG_RECORDS=${LONG_RECORDS:-$((2 * BROKER_RECORDS))}
PARTITIONS=${PARTITIONS:-1 6 12}
LAT_RATE=${LAT_RATE:-2000}
LAT_SECONDS=${LAT_SECONDS:-20}
LAT_WARMUP=${LAT_WARMUP:-8}
MEM_RECORDS=${MEM_RECORDS:-10000000}
PEERS=${PEERS:-1}
PROFILE=${PROFILE:-1}
export KAFKA_PORT=${KAFKA_PORT:-19192}
out=${BENCH_OUT:-bench/results}

K=deploy/kafka/kafka-local.sh
KB=build/bench/kbench
PT=build/bench/passthrough
BIN=./cdranon
PY=build/peers/venv/bin/python
JCP="build/peers/java/classes:build/peers/java/dependency/*"
BOOT=127.0.0.1:$KAFKA_PORT
BASE_P=6        # partitions of the points off the grid
BASE_T=2        # cdranon threads off the grid (both cores)

log() { printf '== %s %s\n' "$(date +%T)" "$*" >&2; }
die() {
        echo "broker.sh: $*" >&2
        exit 1
}

for f in "$KB" "$PT" "$BIN"; do
        [[ -x $f ]] || die "$f missing: run make bench"
done
have_run=1
"$BIN" run --help >/dev/null 2>&1 || have_run=0
((have_run)) || log "cdranon run is not available: its points are skipped"

have_py=0
have_java=0
if ((PEERS)); then
        if bash bench/peers/setup.sh >&2; then
                [[ -x $PY ]] && have_py=1
                [[ -d build/peers/java/classes ]] && have_java=1
        else
                log "the peers could not be set up: their points are skipped"
        fi
fi

mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-broker.XXXXXX")
# Every run uses the same binaries, copied now: a rebuild of the tree
# during the run must not change what is measured.
mkdir -p "$tmp/bin"
cp "$KB" "$PT" "$BIN" "$tmp/bin/"
KB=$tmp/bin/kbench
PT=$tmp/bin/passthrough
BIN=$tmp/bin/cdranon
started_broker=0
procs=()
input_topics=()
cleanup() {
        local p
        for p in "${procs[@]}"; do
                kill -KILL "$p" 2>/dev/null || true
        done
        if ((started_broker)); then
                "$K" stop >/dev/null 2>&1 || true
        else
                for p in "${input_topics[@]}"; do
                        "$K" delete-topic "$p" >/dev/null 2>&1 || true
                done
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- broker --------------------------------------------------------------

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

create_topic() { "$K" create-topic "$1" "$2" >/dev/null; }
delete_topic() { "$K" delete-topic "$1" >/dev/null 2>&1 || true; }

# --- keys, configuration, corpus -----------------------------------------

mkdir -p "$tmp/keys" "$tmp/logs"
"$BIN" keygen hmac --out "$tmp/keys/hmac.key" --id bench 2>/dev/null
"$BIN" keygen custodian --private "$tmp/custodian.pem" \
        --public "$tmp/keys/custodian.pub" 2>/dev/null
cp config/suppression.txt "$tmp/suppression.txt"

corpus=$tmp/corpus.csv
corpus_records=$BROKER_RECORDS
((LONG_RECORDS <= corpus_records)) || corpus_records=$LONG_RECORDS
"$BIN" gen --records "$corpus_records" --seed 1 --no-header \
        --out "$corpus" 2>/dev/null

# The generic configuration for a Kafka input: no header line in a
# topic, so the columns are named; the rest as config/generic.yaml.
columns="[record_id, record_type, start_time, end_time, duration,
              calling_number, called_number, imsi, imei, cell_id, bytes_up,
              bytes_down, cause_for_term, subscriber_name,
              subscriber_address, payment_ref]"
# write_config FILE GROUP IN PREFIX DELIVERY COMMIT_MS THREADS [RECORDS]
# PREFIX.anon, PREFIX.sealed and PREFIX.dl are the output topics.  Without
# RECORDS, pipeline.commit_records is left at its default.
write_config() {
        local f=$1 group=$2 in=$3 prefix=$4 delivery=$5 commit=$6 threads=$7
        local recs=${8:-}
        awk -v boot="$BOOT" -v group="$group" -v intopic="$in" \
                -v pfx="$prefix" -v delivery="$delivery" -v cols="$columns" '
                /bootstrap.servers:/ { sub(/localhost:9092/, boot) }
                /^    header: true/ { print "    header: false"
                        print "    columns: " cols; next }
                /topic: cdr.raw/ { sub(/cdr.raw/, intopic) }
                /group: cdranon/ { sub(/cdranon/, group) }
                /topic: cdr.anonymised/ { sub(/cdr.anonymised/, pfx ".anon") }
                /topic: cdr.sealed/ { sub(/cdr.sealed/, pfx ".sealed") }
                /topic: cdr.dead-letter/ { sub(/cdr.dead-letter/, pfx ".dl") }
                /^delivery:/ { print "delivery: " delivery; next }
                { print }' config/generic.yaml >"$f"
        {
                echo "pipeline:"
                echo "  threads: $threads"
                echo "  commit_interval_ms: $commit"
                [[ -z $recs ]] || echo "  commit_records: $recs"
        } >>"$f"
        "$BIN" check-config -c "$f" >/dev/null ||
                die "generated configuration $f is not valid"
}

# --- processors ------------------------------------------------------------

# start_processor KIND CONFIG LOG: starts it in the background; PROC_PID.
# The peers take the same topics, group, delivery and commit interval from
# the configuration's values, passed as arguments.
start_processor() {
        local kind=$1 cfg=$2 logf=$3 group in pfx delivery commit threads
        group=$(sed -n 's/^  group: //p' "$cfg")
        in=$(sed -n 's/^  topic: //p' "$cfg" | head -1)
        pfx=$(sed -n 's/^    topic: \(.*\)\.anon$/\1/p' "$cfg")
        delivery=$(sed -n 's/^delivery: //p' "$cfg")
        commit=$(sed -n 's/^  commit_interval_ms: //p' "$cfg")
        threads=$(sed -n 's/^  threads: //p' "$cfg")
        local peer_args=(--bootstrap "$BOOT" --input "$in" --group "$group"
                --anonymised "$pfx.anon" --sealed "$pfx.sealed"
                --dead-letter "$pfx.dl" --hmac-key "$tmp/keys/hmac.key"
                --custodian-public "$tmp/keys/custodian.pub"
                --suppression "$tmp/suppression.txt" --delivery "$delivery"
                --commit-interval-ms "$commit")
        case $kind in
        passthrough) "$PT" -c "$cfg" 2>"$logf" & ;;
        cdranon) "$BIN" run -c "$cfg" 2>"$logf" & ;;
        python) "$PY" bench/peers/python/cdrpeer.py kafka "${peer_args[@]}" \
                2>"$logf" & ;;
        streams) java -Xms256m -Xmx1g -cp "$JCP" \
                -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
                cdranon.peer.Peer kafka "${peer_args[@]}" --threads "$threads" \
                --state-dir "$tmp/streams-state" 2>"$logf" & ;;
        *) die "unknown processor $kind" ;;
        esac
        PROC_PID=$!
        procs+=("$PROC_PID")
}

# Takes a process off the list that the exit trap kills: once it has been
# waited for, its pid may belong to someone else.
forget_pid() {
        local i q=()
        for i in "${procs[@]}"; do
                [[ $i == "$1" ]] || q+=("$i")
        done
        procs=("${q[@]}")
}

stop_processor() {
        local pid=$1 i
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        forget_pid "$pid"
}

# kv KEY LINE: the value of KEY=VALUE in a line of key=value pairs.
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

# fields LINE KEY...: the values of the KEYs in LINE, comma-separated.
fields() {
        local line=$1 k out=
        shift
        for k; do out+=",$(kv "$k" "$line")"; done
        echo "${out#,}"
}

# --- throughput points -------------------------------------------------------

# A point: NAME PROCESSOR DELIVERY COMMIT_MS THREADS PARTITIONS.
points=()
add_point() { points+=("$*"); }
eos=exactly-once
for p in $PARTITIONS; do
        add_point "passthrough-eos100-p$p" passthrough $eos 100 1 "$p"
        if ((have_run)); then
                add_point "cdranon-eos100-t1-p$p" cdranon $eos 100 1 "$p"
                add_point "cdranon-eos100-t2-p$p" cdranon $eos 100 2 "$p"
        fi
done
P=$BASE_P
T=$BASE_T
# Off the grid, each cdranon point right after its passthrough point, so
# that each repetition gives a ratio of two neighbouring runs.
for pt in "alo at-least-once 100" "eos10 exactly-once 10" \
        "eos1000 exactly-once 1000"; do
        read -r tag delivery commit <<<"$pt"
        add_point "passthrough-$tag-p$P" passthrough "$delivery" "$commit" \
                1 "$P"
        if ((have_run)); then
                add_point "cdranon-$tag-t$T-p$P" cdranon "$delivery" "$commit" \
                        "$T" "$P"
        fi
done
if ((have_py)); then
        add_point "python-eos100-p$P" python $eos 100 1 "$P"
fi
if ((have_java)); then
        add_point "streams-eos100-t$T-p$P" streams $eos 100 "$T" "$P"
fi

# Input topics, loaded once and read by every run under a fresh group.
declare -A in_bytes
load_input() {
        local topic=$1 parts=$2 n=$3 res
        delete_topic "$topic"
        create_topic "$topic" "$parts"
        input_topics+=("$topic")
        res=$("$KB" load -b "$BOOT" -t "$topic" -i "$corpus" -n "$n")
        in_bytes[$topic]=$(kv bytes "$res")
        log "loaded $topic: $res"
}
needed_parts=$(for pt in "${points[@]}"; do
        read -r _ _ _ _ _ p <<<"$pt"
        echo "$p"
done | sort -un)
for p in $needed_parts; do
        load_input "in-p$p" "$p" "$BROKER_RECORDS"
done
((have_py)) && load_input "in-py-p$P" "$P" "$PY_RECORDS"
# Twice the records, for the points that need a longer window: the JVM
# peer (JIT warm-up) and 1000 ms commits (enough commits to measure).
load_input "in-long-p$P" "$P" "$LONG_RECORDS"

runs=$out/broker-runs.csv
{
        printf 'point,processor,delivery,commit_ms,threads,partitions,rep,'
        printf 'records,window_records,window_s,records_per_s,input_mb_per_s,'
        printf 'cpu_s_per_M,broker_cpu_s_per_M,rss_max_kb,startup_s,verified\n'
} >"$runs"

run_seq=0
run_point() {
        local rep=$1 name=$2 kind=$3 delivery=$4 commit=$5 threads=$6 parts=$7
        local in="in-p$parts" n=$BROKER_RECORDS group pfx cfg res verified=-
        local skip=0.2
        if [[ $kind == python ]]; then
                in="in-py-p$parts"
                n=$PY_RECORDS
        elif [[ $kind == streams ]]; then
                in="in-long-p$parts"
                n=$LONG_RECORDS
                skip=0.5
        elif ((commit >= 1000)); then
                in="in-long-p$parts"
                n=$LONG_RECORDS
        fi
        run_seq=$((run_seq + 1))
        group="bench-$run_seq-$name"
        pfx="out$run_seq"
        cfg=$tmp/$pfx.yaml
        for t in anon sealed dl; do create_topic "$pfx.$t" "$parts"; done
        write_config "$cfg" "$group" "$in" "$pfx" "$delivery" "$commit" \
                "$threads" 1000000
        start_processor "$kind" "$cfg" "$tmp/logs/$pfx-$name.log"
        if ! res=$("$KB" progress -b "$BOOT" -t "$in" -g "$group" \
                -p "$PROC_PID" --broker-pid "$broker_pid" --skip "$skip" \
                --timeout-s 900); then
                stop_processor "$PROC_PID"
                log "$name rep $rep FAILED; processor log:"
                tail -5 "$tmp/logs/$pfx-$name.log" >&2 || true
                res="window_records=0 window_s=0 rate=0 cpu_s_per_M=0"
                verified=failed
        else
                stop_processor "$PROC_PID"
        fi
        # The first repetition of each point also checks the output: one
        # sealed record per input record, no anonymised record twice.
        if ((rep == 1)) && [[ $verified == - ]]; then
                local sealed anon
                sealed=$("$KB" count -b "$BOOT" -t "$pfx.sealed" || true)
                anon=$("$KB" count -b "$BOOT" -t "$pfx.anon" --ids || true)
                if [[ $(kv messages "$sealed") == "$n" &&
                        $(kv repeats "$anon") == 0 ]]; then
                        verified=ok
                else
                        verified="FAIL sealed:$(kv messages "$sealed")/$n"
                        verified+=" anon-repeats:$(kv repeats "$anon")"
                        log "$name: output check failed: $verified"
                fi
        fi
        for t in anon sealed dl; do delete_topic "$pfx.$t"; done
        local rate mbs
        rate=$(kv rate "$res")
        mbs=$(awk -v r="$rate" -v b="${in_bytes[$in]}" -v n="$n" \
                'BEGIN { printf "%.2f", r * b / n / 1e6 }')
        local cpu
        cpu=$(fields "$res" cpu_s_per_M broker_cpu_s_per_M rss_max_kb startup_s)
        echo "$name,$kind,$delivery,$commit,$threads,$parts,$rep,$n,$(fields \
                "$res" window_records window_s),$rate,$mbs,$cpu,$verified" \
                >>"$runs"
        log "$name rep $rep: $rate records/s," \
                "$(kv cpu_s_per_M "$res") CPU-s per M, $verified"
}

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
ram=$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)
os_name=$(. /etc/os-release && echo "$PRETTY_NAME")
java_version=$(java -version 2>&1 | head -1)
avg_bytes=$(awk -v b="${in_bytes[in-p$P]}" -v n="$BROKER_RECORDS" \
        'BEGIN { printf "%.0f", b / n }')
{
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "machine: $(uname -m), $(nproc) cores, $cpu_model, $ram, $os_name"
        echo "load_start: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "kafka: Apache Kafka 3.9.1 (KRaft, one node," \
                "deploy/kafka/kafka-local.sh, $java_version)"
        echo "librdkafka: $(pkg-config --modversion rdkafka)" \
                "(cdranon, passthrough, kbench)"
        if ((have_py)); then
                echo "python_peer: $("$PY" -c '
import sys, confluent_kafka, cryptography
print("Python %s, confluent-kafka %s (librdkafka %s), cryptography %s" % (
    sys.version.split()[0], confluent_kafka.__version__,
    confluent_kafka.libversion()[0], cryptography.__version__))')"
        fi
        if ((have_java)); then
                streams=$(find build/peers/java/dependency -name \
                        'kafka-streams-*.jar' -printf '%f\n' |
                        sed -n 's/^kafka-streams-\(.*\)\.jar$/\1/p')
                echo "streams_peer: Kafka Streams $streams, $java_version"
        fi
        echo "records: $BROKER_RECORDS per throughput run ($PY_RECORDS for" \
                "the Python peer, $LONG_RECORDS for the Kafka Streams peer" \
                "and the 1000 ms points), $avg_bytes bytes per record on" \
                "average, $BROKER_REPS repetitions"
        echo "latency: $LAT_RATE records/s for $LAT_SECONDS s, first" \
                "$LAT_WARMUP s not counted"
        echo "memory_records: $MEM_RECORDS"
} >"$out/meta.txt"

for ((rep = 1; rep <= BROKER_REPS; rep++)); do
        for pt in "${points[@]}"; do
                # shellcheck disable=SC2086
                run_point "$rep" $pt
        done
done

# --- latency ---------------------------------------------------------------

lat_points=("passthrough-eos100 passthrough exactly-once 100 1"
        "passthrough-alo passthrough at-least-once 100 1")
if ((have_run)); then
        lat_points+=("cdranon-alo cdranon at-least-once 100 $BASE_T"
                "cdranon-eos10 cdranon exactly-once 10 $BASE_T"
                "cdranon-eos100 cdranon exactly-once 100 $BASE_T"
                "cdranon-eos1000 cdranon exactly-once 1000 $BASE_T")
fi
((have_py)) && lat_points+=("python-eos100 python exactly-once 100 1")
((have_java)) && lat_points+=("streams-eos100 streams exactly-once 100 $BASE_T")

{
        printf 'point,processor,delivery,commit_ms,threads,partitions,rate,'
        printf 'sent,counted,received,duplicates,p50_ms,p90_ms,p99_ms,'
        printf 'p999_ms,max_ms\n'
} >"$out/latency.csv"
echo "point,quantile,latency_ms" >"$out/latency-cdf.csv"
lat_needed=$(awk -v r="$LAT_RATE" -v s="$LAT_SECONDS" \
        'BEGIN { printf "%d", r * s }')
((lat_needed <= BROKER_RECORDS)) ||
        die "LAT_RATE x LAT_SECONDS ($lat_needed) exceeds BROKER_RECORDS"
for pt in "${lat_points[@]}"; do
        read -r name kind delivery commit threads <<<"$pt"
        run_seq=$((run_seq + 1))
        pfx="lat$run_seq"
        group="bench-$run_seq-$name"
        create_topic "$pfx.in" "$P"
        for t in anon sealed dl; do create_topic "$pfx.$t" "$P"; done
        write_config "$tmp/$pfx.yaml" "$group" "$pfx.in" "$pfx" "$delivery" \
                "$commit" "$threads" 1000000
        start_processor "$kind" "$tmp/$pfx.yaml" "$tmp/logs/$pfx-$name.log"
        if "$KB" wait-group -b "$BOOT" -g "$group" --timeout-s 120 >/dev/null &&
                res=$("$KB" latency -b "$BOOT" -t "$pfx.in" -o "$pfx.anon" \
                        -i "$corpus" -r "$LAT_RATE" -d "$LAT_SECONDS" \
                        --warmup-s "$LAT_WARMUP" --timeout-s 5 \
                        --cdf "$tmp/$pfx.cdf"); then
                echo "$name,$kind,$delivery,$commit,$threads,$P,$(fields \
                        "$res" rate sent counted received duplicates p50_ms \
                        p90_ms p99_ms p999_ms max_ms)" >>"$out/latency.csv"
                tail -n +2 "$tmp/$pfx.cdf" | sed "s/^/$name,/" \
                        >>"$out/latency-cdf.csv"
                log "latency $name: $res"
        else
                log "latency $name FAILED"
                tail -5 "$tmp/logs/$pfx-$name.log" >&2 || true
        fi
        stop_processor "$PROC_PID"
        for t in in anon sealed dl; do delete_topic "$pfx.$t"; done
done

# --- memory ------------------------------------------------------------------

if ((have_run && MEM_RECORDS > 0)); then
        log "memory: cdranon run, default configuration, $MEM_RECORDS records"
        for t in in anon sealed dl; do create_topic "mem.$t" "$P"; done
        # The default configuration: config/generic.yaml as shipped
        # (threads 1, exactly-once, 100 ms, commit_records and the
        # pseudonym cache at their defaults), only topics and columns set.
        write_config "$tmp/mem.yaml" bench-mem mem.in mem exactly-once 100 1
        "$BIN" check-config -c "$tmp/mem.yaml" 2>/dev/null |
                sed -n 's/^\(delivery\|pipeline\.[a-z_]*\): /\1=/p' |
                tr '\n' ' ' >"$out/memory-config.txt" || true
        start_processor cdranon "$tmp/mem.yaml" "$tmp/logs/mem.log"
        mem_pid=$PROC_PID
        ("$BIN" gen --records "$MEM_RECORDS" --seed 3 --no-header 2>/dev/null |
                "$KB" load -b "$BOOT" -t mem.in -i - >/dev/null) &
        loader=$!
        procs+=("$loader")
        profiler=
        # check-commands: optional perf (else callgrind, below)
        if ((PROFILE)) && command -v perf >/dev/null 2>&1; then
                # Past start-up, in the steady state of the run.
                delay=$((MEM_RECORDS >= 5000000 ? 30 : 5))
                (sleep "$delay" && perf record -q -F 499 -p "$mem_pid" \
                        -o "$tmp/perf.data" -- sleep 15 >/dev/null 2>&1) &
                profiler=$!
                procs+=("$profiler")
        fi
        if res=$("$KB" progress -b "$BOOT" -t mem.in -g bench-mem \
                -p "$mem_pid" -n "$MEM_RECORDS" --interval-ms 200 \
                --timeout-s 3600 \
                --rss-log "$out/memory.csv"); then
                log "memory: $res"
                echo "$res" >"$out/memory-summary.txt"
        else
                log "memory run FAILED"
                tail -5 "$tmp/logs/mem.log" >&2 || true
        fi
        wait "$loader" || true
        forget_pid "$loader"
        if [[ -n $profiler ]]; then
                wait "$profiler" || true
                forget_pid "$profiler"
        fi
        stop_processor "$mem_pid"
        for t in in anon sealed dl; do delete_topic "mem.$t"; done
fi

# --- profile -----------------------------------------------------------------

prof=$out/profile.txt
rm -f "$prof"
if [[ -s $tmp/perf.data ]]; then
        {
                echo "perf record -F 499 -p PID for 15 s of the memory run"
                echo "(cdranon run, default configuration); flat profile,"
                echo "share of the process's samples."
                echo
                echo "## by thread"
                perf report -i "$tmp/perf.data" --no-children --sort comm \
                        --stdio 2>/dev/null | grep '%' | grep -v '^#' |
                        sed -n '1,8p' || true
                echo
                echo "## by library"
                perf report -i "$tmp/perf.data" --no-children --sort dso \
                        --stdio 2>/dev/null | grep '%' | grep -v '^#' |
                        sed -n '1,10p' || true
                echo
                echo "## top functions"
                perf report -i "$tmp/perf.data" --no-children \
                        --sort dso,symbol --stdio 2>/dev/null |
                        grep '%' | grep -v '^#' |
                        sed -n 's/ *- *- *$//; 1,30p' || true
        } >"$prof"
elif ((PROFILE)) && command -v valgrind >/dev/null 2>&1; then
        # No perf: the transform alone, under callgrind, in file mode.
        head -n 50000 "$corpus" >"$tmp/prof.csv"
        write_config "$tmp/prof.yaml" prof in prof exactly-once 100 1
        (cd "$tmp" && valgrind --tool=callgrind \
                --callgrind-out-file="$tmp/callgrind.out" \
                "$BIN" anonymise -c prof.yaml --in prof.csv \
                --out /dev/null --sealed /dev/null \
                --dead-letter /dev/null >/dev/null 2>&1) || true
        {
                echo "valgrind --tool=callgrind, cdranon anonymise over 50,000"
                echo "records (file mode: the transform without Kafka);"
                echo "instructions by function."
                echo
                callgrind_annotate "$tmp/callgrind.out" 2>/dev/null |
                        sed -n '/^Ir/,$p' | sed -n '1,40p' || true
        } >"$prof"
fi

echo "load_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.txt"
log "broker benchmarks done: $out"
