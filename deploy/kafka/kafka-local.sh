#!/usr/bin/env bash
# kafka-local.sh: a single-node Apache Kafka (KRaft, combined broker and
# controller) on loopback, for cdranon's tests, demo and benchmarks.
#
#   kafka-local.sh fetch                  download the jars (the only step
#                                         that uses the network)
#   kafka-local.sh start [key=value]...   start a broker with fresh data and
#                                         return once it serves metadata,
#                                         transactions and consumer groups;
#                                         key=value lines are added to its
#                                         server.properties
#   kafka-local.sh stop                   stop it and delete its data
#   kafka-local.sh restart [key=value]... stop, then start
#   kafka-local.sh status                 exit 0 when running, 3 when not
#   kafka-local.sh bootstrap              print host:port for clients
#   kafka-local.sh create-topic NAME PARTITIONS [key=value]...
#   kafka-local.sh delete-topic NAME
#   kafka-local.sh topics                 list topics and partition counts
#   kafka-local.sh logs [LINES]           tail the broker's log
#   kafka-local.sh java CLASS [ARG]...    run a class from the Kafka jars,
#                                         e.g. org.apache.kafka.tools.consumer.
#                                         group.ConsumerGroupCommand
#   kafka-local.sh help                   this text
#
# Environment: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (KAFKA_PORT + 1),
# KAFKA_HEAP_OPTS (-Xms128m -Xmx512m), KAFKA_START_TIMEOUT (90 s),
# KAFKA_STOP_TIMEOUT (30 s), KAFKA_KEEP_DATA=1 (stop keeps the data folder),
# CDRANON_CACHE_DIR (${XDG_CACHE_HOME:-$HOME/.cache}/cdranon), JAVA (java),
# CC (cc).  One broker per KAFKA_PORT; its state file is
# ${TMPDIR:-/tmp}/cdranon-kafka-PORT.state.

set -euo pipefail

KAFKA_VERSION=3.9.1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${CDRANON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdranon}
KAFKA_HOME=$CACHE_ROOT/kafka-$KAFKA_VERSION
LIBS=$KAFKA_HOME/libs
JAVA=${JAVA:-java}
TMP_ROOT=${TMPDIR:-/tmp}
TMP_ROOT=${TMP_ROOT%/}

PORT=${KAFKA_PORT:-19092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-}
STATE=$TMP_ROOT/cdranon-kafka-$PORT.state
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
# -XX:-UsePerfData: no /tmp/hsperfdata_* file is left behind by a kill.
JVM_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
          -XX:MaxDirectMemorySize=256m -XX:-UsePerfData
          -Djava.awt.headless=true"
# Short-lived tool JVMs: start fast, stay small.
TOOL_JVM_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
               -XX:-UsePerfData -Djava.awt.headless=true"

# Filled by read_state.
PID=
DATA_DIR=

die() {
        echo "kafka-local: $*" >&2
        exit 1
}

check_port_var() {
        case $1 in
        '' | *[!0-9]*) die "$2 must be a port number, not '$1'" ;;
        esac
        if [ "$1" -lt 1 ] || [ "$1" -gt 65535 ]; then
                die "$2 out of range: $1"
        fi
}

check_seconds_var() {
        case $1 in
        '' | *[!0-9]*) die "$2 must be a whole number of seconds, not '$1'" ;;
        esac
}

check_port_var "$PORT" KAFKA_PORT
CONTROLLER_PORT=${CONTROLLER_PORT:-$((PORT + 1))}
check_port_var "$CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
check_seconds_var "$START_TIMEOUT" KAFKA_START_TIMEOUT
check_seconds_var "$STOP_TIMEOUT" KAFKA_STOP_TIMEOUT
[ "$PORT" != "$CONTROLLER_PORT" ] ||
        die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

libs_present() {
        [ -f "$LIBS/.complete" ] && [ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]
}

# True when something accepts connections on 127.0.0.1:$1.
port_answers() {
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

read_state() {
        local key value
        PID=
        DATA_DIR=
        [ -f "$STATE" ] || return 1
        while IFS='=' read -r key value; do
                case $key in
                pid) PID=$value ;;
                data_dir) DATA_DIR=$value ;;
                esac
        done <"$STATE"
        [ -n "$PID" ] && [ -n "$DATA_DIR" ]
}

# True when $PID is our broker: the pid alone could have been reused.
broker_alive() {
        [ -n "$PID" ] && [ -r "/proc/$PID/cmdline" ] &&
                tr '\0' '\n' <"/proc/$PID/cmdline" 2>/dev/null |
                grep -qxF "$DATA_DIR/server.properties"
}

# True while the process started as $PID exists, also before it has become
# java (between fork and exec) and not once it is a zombie.
process_exists() {
        [ -n "$PID" ] && [ -r "/proc/$PID/status" ] &&
                ! grep -q '^State:[[:space:]]*Z' "/proc/$PID/status" 2>/dev/null
}

running() {
        read_state && broker_alive
}

# Removes a data folder that start made, and nothing else.
remove_data_dir() {
        case $DATA_DIR in
        "$TMP_ROOT"/cdranon-kafka.*) ;;
        *) return 0 ;;
        esac
        [ -d "$DATA_DIR" ] || return 0
        if [ "${KAFKA_KEEP_DATA:-0}" = 1 ]; then
                echo "kafka-local: data kept in $DATA_DIR"
        else
                rm -rf -- "$DATA_DIR"
        fi
}

# Stops the broker named by PID and DATA_DIR: SIGTERM (a controlled
# shutdown), then SIGKILL after STOP_TIMEOUT seconds.
stop_broker() {
        local waited=0 limit=$((STOP_TIMEOUT * 10))
        if broker_alive; then
                kill -TERM "$PID" 2>/dev/null || true
                while broker_alive && [ "$waited" -lt "$limit" ]; do
                        sleep 0.1
                        waited=$((waited + 1))
                done
                if broker_alive; then
                        echo "kafka-local: broker did not stop in" \
                                "${STOP_TIMEOUT}s, killing it" >&2
                        kill -KILL "$PID" 2>/dev/null || true
                        waited=0
                        while broker_alive && [ "$waited" -lt 100 ]; do
                                sleep 0.1
                                waited=$((waited + 1))
                        done
                fi
        fi
        broker_alive && die "broker pid $PID survived SIGKILL"
        remove_data_dir
        rm -f -- "$STATE"
}

# The admin helper, built from kafka-admin.c on first use; the file name
# carries the source's hash so that an edited source is rebuilt.
admin_bin() {
        local src=$HERE/kafka-admin.c sum bin tmp flags
        sum=$(sha256sum "$src" | cut -c1-12)
        bin=$KAFKA_HOME/bin/kafka-admin-$sum
        if [ ! -x "$bin" ]; then
                mkdir -p "$KAFKA_HOME/bin"
                tmp=$(mktemp "$KAFKA_HOME/bin/.kafka-admin.XXXXXX")
                flags=$(pkg-config --cflags --libs rdkafka 2>/dev/null ||
                        echo -lrdkafka)
                # shellcheck disable=SC2086
                if ! ${CC:-cc} -std=c17 -D_GNU_SOURCE -O2 -o "$tmp" "$src" \
                        $flags >&2; then
                        rm -f -- "$tmp"
                        die "cannot build $src (needs a C compiler and" \
                                "librdkafka-dev)"
                fi
                mv -f -- "$tmp" "$bin"
                find "$KAFKA_HOME/bin" -maxdepth 1 -name 'kafka-admin-*' \
                        ! -path "$bin" -delete
        fi
        echo "$bin"
}

tool_java() {
        # shellcheck disable=SC2086
        "$JAVA" $TOOL_JVM_OPTS \
                -Dlog4j.configuration="file:$HERE/tools-log4j.properties" \
                -cp "$LIBS/*" "$@"
}

# A KRaft cluster id: 16 random bytes in URL-safe base64 without padding,
# as Kafka's Uuid.randomUuid() makes them (never starting with '-').
new_cluster_id() {
        local id
        while :; do
                id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' |
                        tr -d '=\n')
                case $id in
                -*) continue ;;
                esac
                [ "${#id}" -eq 22 ] && break
        done
        echo "$id"
}

cmd_fetch() {
        local tmp start
        if libs_present; then
                echo "kafka-local: Kafka $KAFKA_VERSION jars present in $LIBS"
                return 0
        fi
        command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
        mkdir -p "$KAFKA_HOME"
        exec 9>"$KAFKA_HOME/.fetch.lock"
        flock 9
        if libs_present; then
                echo "kafka-local: Kafka $KAFKA_VERSION jars present in $LIBS"
                return 0
        fi
        echo "kafka-local: fetching Kafka $KAFKA_VERSION jars with Maven"
        start=$SECONDS
        tmp=$(mktemp -d "$KAFKA_HOME/.libs.XXXXXX")
        if ! mvn -B -Dstyle.color=never -f "$HERE/pom.xml" \
                -Dkafka.version="$KAFKA_VERSION" \
                dependency:copy-dependencies -DincludeScope=runtime \
                -DoutputDirectory="$tmp" >"$KAFKA_HOME/fetch.log" 2>&1; then
                grep -E '^\[(ERROR|WARNING)\]' "$KAFKA_HOME/fetch.log" |
                        head -n 30 >&2 || true
                rm -rf -- "$tmp"
                die "mvn failed to fetch Kafka $KAFKA_VERSION (full output" \
                        "in $KAFKA_HOME/fetch.log)"
        fi
        [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || {
                rm -rf -- "$tmp"
                die "mvn did not deliver kafka_2.13-$KAFKA_VERSION.jar"
        }
        touch "$tmp/.complete"
        rm -rf -- "$LIBS"
        mv -- "$tmp" "$LIBS"
        echo "kafka-local: $(find "$LIBS" -name '*.jar' | wc -l) jars in" \
                "$LIBS ($((SECONDS - start)) s)"
}

print_log_tail() {
        local f
        for f in "$DATA_DIR/logs/kafka.out" "$DATA_DIR/logs/server.log"; do
                [ -s "$f" ] || continue
                echo "---- last lines of $f" >&2
                tail -n 40 "$f" >&2
        done
}

cmd_start() {
        local arg admin cluster_id deadline started
        for arg in "$@"; do
                case $arg in
                [a-z]*=*) ;;
                *) die "start takes key=value broker properties, not '$arg'" ;;
                esac
        done
        if running; then
                echo "kafka-local: already running (pid $PID," \
                        "bootstrap 127.0.0.1:$PORT)"
                [ $# -eq 0 ] || echo "kafka-local: properties not applied" \
                        "to the running broker: $*" >&2
                return 0
        fi
        if read_state; then
                # A broker that died: clear what it left.
                stop_broker
        fi
        libs_present ||
                die "Kafka $KAFKA_VERSION jars missing: run '$0 fetch' first"
        if port_answers "$PORT"; then
                die "port $PORT is taken by another program (set KAFKA_PORT)"
        fi
        if port_answers "$CONTROLLER_PORT"; then
                die "port $CONTROLLER_PORT is taken by another program" \
                        "(set KAFKA_CONTROLLER_PORT)"
        fi
        admin=$(admin_bin)
        started=$SECONDS

        DATA_DIR=$(mktemp -d "$TMP_ROOT/cdranon-kafka.XXXXXX")
        PID=
        trap 'stop_broker; exit 130' INT TERM
        mkdir -p "$DATA_DIR/logs"
        sed -e "s|@PORT@|$PORT|g" \
                -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
                -e "s|@DATA_DIR@|$DATA_DIR|g" \
                "$HERE/server.properties.in" >"$DATA_DIR/server.properties"
        for arg in "$@"; do
                printf '%s\n' "$arg" >>"$DATA_DIR/server.properties"
        done
        printf 'pid=\ndata_dir=%s\nport=%s\ncontroller_port=%s\n' \
                "$DATA_DIR" "$PORT" "$CONTROLLER_PORT" >"$STATE"

        cluster_id=$(new_cluster_id)
        if ! tool_java kafka.tools.StorageTool format -t "$cluster_id" \
                -c "$DATA_DIR/server.properties" \
                >"$DATA_DIR/logs/format.log" 2>&1; then
                cat "$DATA_DIR/logs/format.log" >&2
                stop_broker
                die "formatting the broker's storage failed"
        fi

        # setsid: a terminal's Ctrl-C must not reach the broker; only stop
        # ends it.
        # shellcheck disable=SC2086
        setsid "$JAVA" $HEAP_OPTS $JVM_OPTS \
                -Dlog4j.configuration="file:$HERE/log4j.properties" \
                -Dkafka.logs.dir="$DATA_DIR/logs" \
                -cp "$LIBS/*" kafka.Kafka "$DATA_DIR/server.properties" \
                </dev/null >"$DATA_DIR/logs/kafka.out" 2>&1 &
        PID=$!
        printf 'pid=%s\ndata_dir=%s\nport=%s\ncontroller_port=%s\n' \
                "$PID" "$DATA_DIR" "$PORT" "$CONTROLLER_PORT" >"$STATE"

        deadline=$((SECONDS + START_TIMEOUT))
        while :; do
                if ! process_exists; then
                        print_log_tail
                        stop_broker
                        die "broker exited during start"
                fi
                if [ "$SECONDS" -ge "$deadline" ]; then
                        print_log_tail
                        stop_broker
                        die "broker not ready in ${START_TIMEOUT}s"
                fi
                if port_answers "$PORT" &&
                        "$admin" -b "127.0.0.1:$PORT" \
                                -t $(((deadline - SECONDS) * 1000 + 1)) \
                                ready 2>/dev/null; then
                        break
                fi
                sleep 0.2
        done
        # Tests start right after this: have the transaction and group
        # coordinators loaded before they ask.
        if ! "$admin" -b "127.0.0.1:$PORT" \
                -t $(((deadline - SECONDS) * 1000 + 1)) warm; then
                print_log_tail
                stop_broker
                die "broker's coordinators not ready in ${START_TIMEOUT}s"
        fi
        trap - INT TERM
        echo "kafka-local: Kafka $KAFKA_VERSION ready on 127.0.0.1:$PORT" \
                "(pid $PID, data $DATA_DIR, $((SECONDS - started)) s)"
}

cmd_stop() {
        if ! read_state; then
                echo "kafka-local: not running on port $PORT"
                return 0
        fi
        stop_broker
        echo "kafka-local: stopped"
}

cmd_status() {
        if running; then
                echo "kafka-local: running (pid $PID, bootstrap" \
                        "127.0.0.1:$PORT, data $DATA_DIR)"
                return 0
        fi
        if read_state; then
                echo "kafka-local: not running (stale state $STATE:" \
                        "'$0 stop' clears it)"
        else
                echo "kafka-local: not running on port $PORT"
        fi
        return 3
}

require_running() {
        running || die "no broker running on port $PORT ('$0 start')"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case $cmd in
fetch)
        [ $# -eq 0 ] || die "usage: $0 fetch"
        cmd_fetch
        ;;
start)
        cmd_start "$@"
        ;;
stop)
        [ $# -eq 0 ] || die "usage: $0 stop"
        cmd_stop
        ;;
restart)
        cmd_stop
        cmd_start "$@"
        ;;
status)
        [ $# -eq 0 ] || die "usage: $0 status"
        cmd_status
        ;;
bootstrap)
        echo "127.0.0.1:$PORT"
        ;;
create-topic)
        [ $# -ge 2 ] ||
                die "usage: $0 create-topic NAME PARTITIONS [key=value]..."
        require_running
        admin=$(admin_bin)
        "$admin" -b "127.0.0.1:$PORT" create "$@"
        ;;
delete-topic)
        [ $# -eq 1 ] || die "usage: $0 delete-topic NAME"
        require_running
        admin=$(admin_bin)
        "$admin" -b "127.0.0.1:$PORT" delete "$1"
        ;;
topics)
        [ $# -eq 0 ] || die "usage: $0 topics"
        require_running
        admin=$(admin_bin)
        "$admin" -b "127.0.0.1:$PORT" list
        ;;
logs)
        read_state || die "no broker state for port $PORT"
        tail -n "${1:-50}" "$DATA_DIR/logs/server.log"
        ;;
java)
        [ $# -ge 1 ] || die "usage: $0 java CLASS [ARG]..."
        libs_present || die "Kafka jars missing: run '$0 fetch' first"
        tool_java "$@"
        ;;
help | -h | --help)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
        ;;
*)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
        exit 2
        ;;
esac
