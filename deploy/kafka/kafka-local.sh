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
#   kafka-local.sh start-secure [key=value]...
#                                         the same with SASL/SCRAM-SHA-512
#                                         over TLS on KAFKA_PORT, the
#                                         StandardAuthorizer (no ACL: no
#                                         access), a test CA and the users
#                                         admin (super user), processor,
#                                         analytics and custodian; prints
#                                         what a client needs
#   kafka-local.sh client-config [USER] [java]
#                                         path of USER's client properties
#                                         (secure broker; USER admin by
#                                         default): librdkafka's, or with
#                                         "java" those of Kafka's tools
#                                         (--command-config)
#   kafka-local.sh ca-file                path of the secure broker's CA
#                                         certificate (PEM)
#   kafka-local.sh stop                   stop it and delete its data
#   kafka-local.sh kill                   SIGKILL the broker, keep its data,
#                                         ports and state (a crash)
#   kafka-local.sh resume                 start a killed broker again on its
#                                         data, with the same ports and mode
#   kafka-local.sh restart [key=value]... stop, then start
#   kafka-local.sh status                 exit 0 when running, 3 when not
#   kafka-local.sh bootstrap              print host:port for clients
#   kafka-local.sh create-topic NAME PARTITIONS [key=value]...
#                                         (on a secure broker, this and the
#                                         next two act as admin)
#   kafka-local.sh delete-topic NAME
#   kafka-local.sh topics                 list topics and partition counts
#   kafka-local.sh logs [LINES]           tail the broker's log
#   kafka-local.sh java CLASS [ARG]...    run a class from the Kafka jars,
#                                         e.g. org.apache.kafka.tools.consumer.
#                                         group.ConsumerGroupCommand
#   kafka-local.sh cluster start [key=value]...
#                                         a cluster of three KRaft nodes
#                                         (broker and controller each),
#                                         replication factor 3 and two
#                                         in-sync replicas for data, offsets
#                                         and transaction state
#   kafka-local.sh cluster stop|status|bootstrap
#   kafka-local.sh cluster kill N         SIGKILL node N (1-3), data kept
#   kafka-local.sh cluster stop-node N    SIGTERM node N (controlled
#                                         shutdown), data kept
#   kafka-local.sh cluster resume N       start node N again on its data
#   kafka-local.sh cluster wait-replicated [SECONDS]
#                                         until every partition is led and
#                                         has all replicas in sync
#   kafka-local.sh cluster describe [TOPIC]...
#                                         leader, replicas and in-sync
#                                         replicas of each partition
#   kafka-local.sh cluster leader TOPIC PARTITION
#   kafka-local.sh cluster coordinator transaction|group ID
#                                         node ids, from the metadata
#   kafka-local.sh cluster create-topic|delete-topic|topics ...
#   kafka-local.sh cluster pid|log-file N, cluster logs N [LINES]
#   kafka-local.sh help                   this text
#
# Environment: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (KAFKA_PORT + 1),
# KAFKA_HEAP_OPTS (-Xms128m -Xmx512m), KAFKA_START_TIMEOUT (90 s),
# KAFKA_STOP_TIMEOUT (30 s), KAFKA_KEEP_DATA=1 (stop keeps the data folder),
# CDRANON_CACHE_DIR (${XDG_CACHE_HOME:-$HOME/.cache}/cdranon), JAVA (java),
# CC (cc), OPENSSL (openssl).  One broker per KAFKA_PORT; its state file
# is ${TMPDIR:-/tmp}/cdranon-kafka-PORT.state.
#
# The cluster: node K on client port KAFKA_PORT + 2(K-1) and controller
# port one above; KAFKA_CLUSTER_HOSTS ("H1 H2 H3", 127.0.0.1 each by
# default) and KAFKA_CLUSTER_NETNS ("NS1 NS2 NS3": each node run in
# that network namespace, nsenter --net) at start;
# KAFKA_CLUSTER_HEAP_OPTS (-Xms128m -Xmx384m);
# KAFKA_START_TIMEOUT 180 s and KAFKA_STOP_TIMEOUT 10 s for the whole
# cluster (stop-node: 30 s).  State file
# ${TMPDIR:-/tmp}/cdranon-kafka-cluster-PORT.state.
#
# A secure broker's data folder holds tls/ca.crt (the test CA, to trust),
# tls/broker.p12 (the broker's key and certificate, for 127.0.0.1 and
# localhost) and clients/USER.properties (librdkafka: security.protocol=
# SASL_SSL, sasl.mechanisms=SCRAM-SHA-512, sasl.username, sasl.password,
# ssl.ca.location; a random password per user and start) and
# clients/admin.java.properties.  The controller listener (KAFKA_PORT + 1)
# stays on loopback, SASL/PLAIN without TLS, admin only.

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
SECURE=0

# The secure broker's SCRAM users; admin is its super user.
SECURE_USERS="admin processor analytics custodian"

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
        SECURE=0
        [ -f "$STATE" ] || return 1
        while IFS='=' read -r key value; do
                case $key in
                pid) PID=$value ;;
                data_dir) DATA_DIR=$value ;;
                secure) SECURE=$value ;;
                esac
        done <"$STATE"
        [ -n "$PID" ] && [ -n "$DATA_DIR" ]
}

write_state() {
        printf 'pid=%s\ndata_dir=%s\nport=%s\ncontroller_port=%s\nsecure=%s\n' \
                "$PID" "$DATA_DIR" "$PORT" "$CONTROLLER_PORT" "$SECURE" \
                >"$STATE"
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

# The admin helper with the credentials the broker asks for: none on a
# plain broker, the admin's on a secure one.
admin() {
        local bin
        bin=$(admin_bin)
        if [ "$SECURE" = 1 ]; then
                "$bin" -b "127.0.0.1:$PORT" \
                        -F "$DATA_DIR/clients/admin.properties" "$@"
        else
                "$bin" -b "127.0.0.1:$PORT" "$@"
        fi
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

# A test certificate authority and a broker certificate signed by it, for
# 127.0.0.1 and localhost (clients check the name), valid for 30 days.
make_tls() {
        local dir=$DATA_DIR/tls ssl=${OPENSSL:-openssl}
        command -v "$ssl" >/dev/null || die "openssl not found"
        (
                umask 077
                cd "$dir"
                "$ssl" req -x509 -new -newkey ec \
                        -pkeyopt ec_paramgen_curve:P-256 -nodes \
                        -keyout ca.key -out ca.crt -days 30 \
                        -subj "/CN=cdranon kafka-local test CA" \
                        -addext "basicConstraints=critical,CA:TRUE" \
                        -addext "keyUsage=critical,keyCertSign,cRLSign"
                "$ssl" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
                        -nodes -keyout broker.key -out broker.csr \
                        -subj "/CN=localhost"
                printf '%s\n' "basicConstraints=CA:FALSE" \
                        "keyUsage=critical,digitalSignature" \
                        "extendedKeyUsage=serverAuth,clientAuth" \
                        "subjectAltName=IP:127.0.0.1,DNS:localhost" >broker.ext
                "$ssl" x509 -req -in broker.csr -CA ca.crt -CAkey ca.key \
                        -CAcreateserial -days 30 -extfile broker.ext \
                        -out broker.crt
                "$ssl" pkcs12 -export -in broker.crt -inkey broker.key \
                        -certfile ca.crt -name broker -out broker.p12 \
                        -passout "pass:$KEYSTORE_PASSWORD"
                rm -f broker.csr broker.ext ca.srl
                chmod 0644 ca.crt
        ) >"$DATA_DIR/logs/tls.log" 2>&1 || {
                cat "$DATA_DIR/logs/tls.log" >&2
                return 1
        }
}

# Client properties for each user (librdkafka's), and for admin also
# those of Kafka's Java tools.
write_client_configs() {
        local user pass jaas dir=$DATA_DIR/clients
        mkdir -p "$dir"
        chmod 0700 "$dir"
        for user in $SECURE_USERS; do
                pass=$(cat "$DATA_DIR/tls/$user.password")
                (
                        umask 077
                        printf '%s\n' "security.protocol=SASL_SSL" \
                                "sasl.mechanisms=SCRAM-SHA-512" \
                                "sasl.username=$user" \
                                "sasl.password=$pass" \
                                "ssl.ca.location=$DATA_DIR/tls/ca.crt" \
                                >"$dir/$user.properties"
                )
        done
        pass=$(cat "$DATA_DIR/tls/admin.password")
        jaas="org.apache.kafka.common.security.scram.ScramLoginModule"
        jaas="$jaas required username=\"admin\" password=\"$pass\";"
        (
                umask 077
                printf '%s\n' "security.protocol=SASL_SSL" \
                        "sasl.mechanism=SCRAM-SHA-512" \
                        "sasl.jaas.config=$jaas" \
                        "ssl.truststore.type=PEM" \
                        "ssl.truststore.location=$DATA_DIR/tls/ca.crt" \
                        >"$dir/admin.java.properties"
        )
}

# Starts the JVM on DATA_DIR's server.properties, in its own session (a
# terminal's Ctrl-C must not reach the broker; only stop ends it).
launch_broker() {
        local log4j=$HERE/log4j.properties
        [ "$SECURE" = 1 ] && log4j=$HERE/log4j-secure.properties
        # shellcheck disable=SC2086
        setsid "$JAVA" $HEAP_OPTS $JVM_OPTS \
                -Dlog4j.configuration="file:$log4j" \
                -Dkafka.logs.dir="$DATA_DIR/logs" \
                -cp "$LIBS/*" kafka.Kafka "$DATA_DIR/server.properties" \
                </dev/null >>"$DATA_DIR/logs/kafka.out" 2>&1 &
        PID=$!
        write_state
}

# Waits until the broker serves metadata, then has it load the transaction
# and group coordinators (tests start right after this and should not wait
# for them).  Returns 1 with a message on failure; the caller cleans up.
wait_ready() {
        local deadline=$((SECONDS + START_TIMEOUT))
        while :; do
                if ! process_exists; then
                        print_log_tail
                        echo "kafka-local: broker exited during start" >&2
                        return 1
                fi
                if [ "$SECONDS" -ge "$deadline" ]; then
                        print_log_tail
                        echo "kafka-local: broker not ready in" \
                                "${START_TIMEOUT}s" >&2
                        return 1
                fi
                if port_answers "$PORT" &&
                        admin -t $(((deadline - SECONDS) * 1000 + 1)) \
                                ready 2>/dev/null; then
                        break
                fi
                sleep 0.2
        done
        if ! admin -t $(((deadline - SECONDS) * 1000 + 1)) warm; then
                print_log_tail
                echo "kafka-local: broker's coordinators not ready in" \
                        "${START_TIMEOUT}s" >&2
                return 1
        fi
}

check_ports_free() {
        if port_answers "$PORT"; then
                die "port $PORT is taken by another program (set KAFKA_PORT)"
        fi
        if port_answers "$CONTROLLER_PORT"; then
                die "port $CONTROLLER_PORT is taken by another program" \
                        "(set KAFKA_CONTROLLER_PORT)"
        fi
}

# Random test passwords, hex: nothing to quote in any file they go to.
make_passwords() {
        local user
        mkdir -p "$DATA_DIR/tls"
        chmod 0700 "$DATA_DIR/tls"
        for user in $SECURE_USERS keystore; do
                (
                        umask 077
                        od -An -N16 -tx1 /dev/urandom | tr -d ' \n' \
                                >"$DATA_DIR/tls/$user.password"
                )
        done
}

cmd_start() { # cmd_start SECURE [key=value]...
        local secure=$1 arg cluster_id started user pass admin_pass
        local scram=() seds=()
        shift
        for arg in "$@"; do
                case $arg in
                [a-z]*=*) ;;
                *) die "start takes key=value broker properties, not '$arg'" ;;
                esac
        done
        if running; then
                echo "kafka-local: already running (pid $PID," \
                        "bootstrap 127.0.0.1:$PORT)"
                [ "$SECURE" = "$secure" ] ||
                        die "the running broker is of the other mode" \
                                "(secure=$SECURE): stop it first"
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
        check_ports_free
        admin_bin >/dev/null
        started=$SECONDS

        DATA_DIR=$(mktemp -d "$TMP_ROOT/cdranon-kafka.XXXXXX")
        PID=
        SECURE=$secure
        trap 'stop_broker; exit 130' INT TERM
        mkdir -p "$DATA_DIR/logs"
        write_state
        seds=(-e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g"
                -e "s|@DATA_DIR@|$DATA_DIR|g")
        if [ "$SECURE" = 1 ]; then
                make_passwords
                KEYSTORE_PASSWORD=$(cat "$DATA_DIR/tls/keystore.password")
                if ! make_tls; then
                        stop_broker
                        die "making the test certificates failed"
                fi
                write_client_configs
                admin_pass=$(cat "$DATA_DIR/tls/admin.password")
                seds+=(-e "s|@ADMIN_PASSWORD@|$admin_pass|g"
                        -e "s|@KEYSTORE_PASSWORD@|$KEYSTORE_PASSWORD|g")
                for user in $SECURE_USERS; do
                        pass=$(cat "$DATA_DIR/tls/$user.password")
                        scram+=(--add-scram
                                "SCRAM-SHA-512=[name=$user,password=$pass]")
                done
        fi
        (
                umask 077
                sed "${seds[@]}" "$HERE/server.properties.in"
                if [ "$SECURE" = 1 ]; then
                        echo
                        sed "${seds[@]}" "$HERE/server-secure.properties.in"
                fi
                for arg in "$@"; do
                        printf '%s\n' "$arg"
                done
        ) >"$DATA_DIR/server.properties"

        cluster_id=$(new_cluster_id)
        if ! tool_java kafka.tools.StorageTool format -t "$cluster_id" \
                -c "$DATA_DIR/server.properties" ${scram[@]+"${scram[@]}"} \
                >"$DATA_DIR/logs/format.log" 2>&1; then
                cat "$DATA_DIR/logs/format.log" >&2
                stop_broker
                die "formatting the broker's storage failed"
        fi

        launch_broker
        if ! wait_ready; then
                stop_broker
                die "start failed"
        fi
        trap - INT TERM
        if [ "$SECURE" = 1 ]; then
                echo "kafka-local: Kafka $KAFKA_VERSION ready on" \
                        "127.0.0.1:$PORT, SASL_SSL with SCRAM-SHA-512" \
                        "(pid $PID, data $DATA_DIR, $((SECONDS - started)) s)"
                print_secure_info
        else
                echo "kafka-local: Kafka $KAFKA_VERSION ready on" \
                        "127.0.0.1:$PORT (pid $PID, data $DATA_DIR," \
                        "$((SECONDS - started)) s)"
        fi
}

print_secure_info() {
        local d=$DATA_DIR
        echo "kafka-local: bootstrap 127.0.0.1:$PORT:" \
                "security.protocol=SASL_SSL, sasl.mechanisms=SCRAM-SHA-512"
        echo "kafka-local: CA certificate (ssl.ca.location): $d/tls/ca.crt"
        echo "kafka-local: admin (super user) client properties:" \
                "$d/clients/admin.properties (librdkafka: -X each line)," \
                "$d/clients/admin.java.properties (Kafka tools:" \
                "--command-config)"
        echo "kafka-local: users processor, analytics, custodian:" \
                "$d/clients/USER.properties ('$0 client-config USER')"
        echo "kafka-local: no ACL yet, so only admin may do anything" \
                "(deploy/topics/provision.sh --local grants them)"
}

# SIGKILL, as a crash would: the data folder, ports and state stay, for
# resume.
cmd_kill() {
        local waited=0
        require_running
        kill -KILL "$PID" 2>/dev/null || true
        while process_exists && [ "$waited" -lt 100 ]; do
                sleep 0.1
                waited=$((waited + 1))
        done
        process_exists && die "broker pid $PID survived SIGKILL"
        echo "kafka-local: killed pid $PID (data kept in $DATA_DIR;" \
                "'$0 resume' starts it again)"
}

cmd_resume() {
        local started=$SECONDS
        read_state || die "no broker state for port $PORT ('$0 start')"
        if broker_alive; then
                echo "kafka-local: already running (pid $PID)"
                return 0
        fi
        [ -f "$DATA_DIR/server.properties" ] ||
                die "no data folder to resume from ($DATA_DIR)"
        libs_present || die "Kafka jars missing: run '$0 fetch' first"
        check_ports_free
        launch_broker
        if ! wait_ready; then
                if broker_alive; then
                        kill -KILL "$PID" 2>/dev/null || true
                fi
                die "resume failed (data kept in $DATA_DIR)"
        fi
        echo "kafka-local: resumed on 127.0.0.1:$PORT (pid $PID, data" \
                "$DATA_DIR, $((SECONDS - started)) s)"
}

cmd_client_config() { # cmd_client_config [USER] [java]
        local user=${1:-admin} file
        read_state || die "no broker state for port $PORT"
        [ "$SECURE" = 1 ] || die "the broker on port $PORT is not secure"
        case $user in
        '' | *[!a-z]*) die "no user '$user' (users: $SECURE_USERS)" ;;
        esac
        if [ "${2:-}" = java ]; then
                [ "$user" = admin ] ||
                        die "Kafka tool properties are made for admin only"
                file=$DATA_DIR/clients/admin.java.properties
        else
                [ -z "${2:-}" ] || die "usage: $0 client-config [USER] [java]"
                file=$DATA_DIR/clients/$user.properties
        fi
        [ -f "$file" ] || die "no user '$user' (users: $SECURE_USERS)"
        echo "$file"
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
                        "127.0.0.1:$PORT$([ "$SECURE" = 1 ] &&
                                echo ", SASL_SSL"), data $DATA_DIR)"
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

# ---- The three-node cluster ("cluster" commands) ----
#
# Node K (1..3) listens on CLUSTER_HOST[K], client port PORT + 2(K-1) and
# controller port one above; it runs in network namespace
# CLUSTER_NETNS[K] when one is given.  One state file per cluster, named
# by its base port; each node's data under DATA_DIR/nodeK.

CLUSTER_NODES=3
CLUSTER_STATE=$TMP_ROOT/cdranon-kafka-cluster-$PORT.state
CLUSTER_HEAP_OPTS=${KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx384m}
CLUSTER_START_TIMEOUT=${KAFKA_START_TIMEOUT:-180}
CLUSTER_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-10}
# Filled by cluster_read_state (or, at start, from the environment).
CLUSTER_HOST=()
CLUSTER_NETNS=()
CLUSTER_PID=()

node_port() { echo $((PORT + 2 * ($1 - 1))); }
node_controller_port() { echo $((PORT + 2 * ($1 - 1) + 1)); }
node_dir() { echo "$DATA_DIR/node$1"; }

cluster_read_state() {
        local key value k
        DATA_DIR=
        CLUSTER_HOST=()
        CLUSTER_NETNS=()
        CLUSTER_PID=()
        [ -f "$CLUSTER_STATE" ] || return 1
        while IFS='=' read -r key value; do
                case $key in
                data_dir) DATA_DIR=$value ;;
                host[1-9]) CLUSTER_HOST[${key#host}]=$value ;;
                netns[1-9]) CLUSTER_NETNS[${key#netns}]=$value ;;
                pid[1-9]) CLUSTER_PID[${key#pid}]=$value ;;
                esac
        done <"$CLUSTER_STATE"
        [ -n "$DATA_DIR" ] || return 1
        for k in $(seq 1 "$CLUSTER_NODES"); do
                [ -n "${CLUSTER_HOST[$k]:-}" ] || return 1
        done
}

cluster_write_state() {
        local k
        {
                printf 'data_dir=%s\nport=%s\n' "$DATA_DIR" "$PORT"
                for k in $(seq 1 "$CLUSTER_NODES"); do
                        printf 'host%s=%s\nnetns%s=%s\npid%s=%s\n' \
                                "$k" "${CLUSTER_HOST[$k]}" \
                                "$k" "${CLUSTER_NETNS[$k]:-}" \
                                "$k" "${CLUSTER_PID[$k]:-}"
                done
        } >"$CLUSTER_STATE.tmp"
        mv -f -- "$CLUSTER_STATE.tmp" "$CLUSTER_STATE"
}

# True when node K's recorded pid is that node's broker.
node_alive() {
        local pid=${CLUSTER_PID[$1]:-}
        [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
                tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
                grep -qxF "$(node_dir "$1")/server.properties"
}

# As process_exists, for node K.
node_process_exists() {
        local pid=${CLUSTER_PID[$1]:-}
        [ -n "$pid" ] && [ -r "/proc/$pid/status" ] &&
                ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

cluster_bootstrap() {
        local k list=
        for k in $(seq 1 "$CLUSTER_NODES"); do
                list=$list${list:+,}${CLUSTER_HOST[$k]}:$(node_port "$k")
        done
        echo "$list"
}

cluster_admin() {
        local bin
        bin=$(admin_bin)
        "$bin" -b "$(cluster_bootstrap)" "$@"
}

# Runs "$@" in node K's network namespace, if it has one.
in_node_netns() {
        local k=$1 ns
        shift
        ns=${CLUSTER_NETNS[$k]:-}
        if [ -n "$ns" ]; then
                nsenter --net="/run/netns/$ns" -- "$@"
        else
                "$@"
        fi
}

# True when something accepts connections on HOST:PORT, seen from node
# K's network namespace.
node_port_answers() { # node_port_answers K HOST PORT
        in_node_netns "$1" bash -c '(exec 3<>"/dev/tcp/$0/$1") 2>/dev/null' \
                "$2" "$3"
}

launch_node() {
        local k=$1 dir prefix=()
        dir=$(node_dir "$k")
        [ -z "${CLUSTER_NETNS[$k]:-}" ] ||
                prefix=(nsenter --net="/run/netns/${CLUSTER_NETNS[$k]}" --)
        # nsenter (the network namespace alone: not `ip netns exec`,
        # whose mount namespace fails in a chroot) and setsid both exec
        # (no fork here), so $! is the
        # JVM's pid.
        # shellcheck disable=SC2086
        "${prefix[@]}" setsid "$JAVA" $CLUSTER_HEAP_OPTS $JVM_OPTS \
                -Dlog4j.configuration="file:$HERE/log4j.properties" \
                -Dkafka.logs.dir="$dir/logs" \
                -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
                </dev/null >>"$dir/logs/kafka.out" 2>&1 &
        CLUSTER_PID[$k]=$!
        cluster_write_state
}

print_node_log_tail() {
        local f
        for f in "$(node_dir "$1")/logs/kafka.out" \
                "$(node_dir "$1")/logs/server.log"; do
                [ -s "$f" ] || continue
                echo "---- node $1: last lines of $f" >&2
                tail -n 20 "$f" >&2
        done
}

# Waits until the metadata names every node and the nodes given are
# running; with "warm", also until the coordinators answer and every
# partition of every topic (the internal ones included) has all its
# replicas in sync.  Returns 1 with a message; the caller cleans up.
cluster_wait_ready() { # cluster_wait_ready TIMEOUT warm|nowarm NODE...
        local timeout=$1 warm=$2 deadline k
        shift 2
        deadline=$((SECONDS + timeout))
        while :; do
                for k in "$@"; do
                        if ! node_process_exists "$k"; then
                                print_node_log_tail "$k"
                                echo "kafka-local: node $k exited during" \
                                        "start" >&2
                                return 1
                        fi
                done
                if [ "$SECONDS" -ge "$deadline" ]; then
                        for k in "$@"; do
                                print_node_log_tail "$k"
                        done
                        echo "kafka-local: cluster not ready in" \
                                "${timeout}s" >&2
                        return 1
                fi
                if cluster_admin -t $(((deadline - SECONDS) * 1000 + 1)) \
                        ready "$CLUSTER_NODES" 2>/dev/null; then
                        break
                fi
                sleep 0.5
        done
        [ "$warm" = warm ] || return 0
        if ! cluster_admin -t $(((deadline - SECONDS) * 1000 + 1)) warm; then
                echo "kafka-local: the cluster's coordinators not ready in" \
                        "${timeout}s" >&2
                return 1
        fi
        if ! cluster_admin -t $(((deadline - SECONDS) * 1000 + 1)) \
                replicated "$CLUSTER_NODES"; then
                echo "kafka-local: internal topics not replicated in" \
                        "${timeout}s" >&2
                return 1
        fi
}

# Stops node K: SIGTERM (a controlled shutdown: its leaderships move to
# the other nodes first), SIGKILL after STOP_TIMEOUT seconds.
stop_node() {
        local k=$1 waited=0 limit=$((STOP_TIMEOUT * 10))
        node_alive "$k" || return 0
        kill -TERM "${CLUSTER_PID[$k]}" 2>/dev/null || true
        while node_alive "$k" && [ "$waited" -lt "$limit" ]; do
                sleep 0.1
                waited=$((waited + 1))
        done
        if node_alive "$k"; then
                echo "kafka-local: node $k did not stop in ${STOP_TIMEOUT}s," \
                        "killing it" >&2
                kill_node "$k"
        fi
}

kill_node() {
        local k=$1 waited=0
        node_alive "$k" || return 0
        kill -KILL "${CLUSTER_PID[$k]}" 2>/dev/null || true
        while node_process_exists "$k" && [ "$waited" -lt 100 ]; do
                sleep 0.1
                waited=$((waited + 1))
        done
        node_process_exists "$k" &&
                die "node $k (pid ${CLUSTER_PID[$k]}) survived SIGKILL"
        return 0
}

# Stops every node and deletes the data.  All nodes at once: the last
# ones would otherwise wait for a quorum that has gone.  SIGKILL after
# CLUSTER_STOP_TIMEOUT: whatever a node still does then, its data is
# about to go.
cluster_stop_all() {
        local k waited=0 limit=$((CLUSTER_STOP_TIMEOUT * 10)) any
        for k in $(seq 1 "$CLUSTER_NODES"); do
                if node_alive "$k"; then
                        kill -TERM "${CLUSTER_PID[$k]}" 2>/dev/null || true
                fi
        done
        while :; do
                any=0
                for k in $(seq 1 "$CLUSTER_NODES"); do
                        node_alive "$k" && any=1
                done
                [ "$any" = 1 ] && [ "$waited" -lt "$limit" ] || break
                sleep 0.1
                waited=$((waited + 1))
        done
        for k in $(seq 1 "$CLUSTER_NODES"); do
                kill_node "$k"
        done
        remove_data_dir
        rm -f -- "$CLUSTER_STATE"
}

cluster_node_arg() { # cluster_node_arg VALUE: checks a node number
        case $1 in
        [1-9]) [ "$1" -le "$CLUSTER_NODES" ] && return 0 ;;
        esac
        die "no node '$1' (nodes 1 to $CLUSTER_NODES)"
}

cluster_require_state() {
        cluster_read_state ||
                die "no cluster on base port $PORT ('$0 cluster start')"
}

cmd_cluster_start() {
        local arg k started cluster_id voters= hosts netns p cp
        local -a host_list=() netns_list=()
        for arg in "$@"; do
                case $arg in
                [a-z]*=*) ;;
                *) die "cluster start takes key=value broker properties," \
                        "not '$arg'" ;;
                esac
        done
        if cluster_read_state; then
                for k in $(seq 1 "$CLUSTER_NODES"); do
                        node_alive "$k" ||
                                die "a cluster on base port $PORT has node" \
                                        "$k down ('$0 cluster resume $k'" \
                                        "or '$0 cluster stop')"
                done
                echo "kafka-local: cluster already running (bootstrap" \
                        "$(cluster_bootstrap))"
                return 0
        fi
        libs_present ||
                die "Kafka $KAFKA_VERSION jars missing: run '$0 fetch' first"
        hosts=${KAFKA_CLUSTER_HOSTS:-}
        netns=${KAFKA_CLUSTER_NETNS:-}
        read -r -a host_list <<<"$hosts"
        read -r -a netns_list <<<"$netns"
        [ ${#host_list[@]} = 0 ] || [ ${#host_list[@]} = "$CLUSTER_NODES" ] ||
                die "KAFKA_CLUSTER_HOSTS names ${#host_list[@]} hosts," \
                        "not $CLUSTER_NODES"
        [ ${#netns_list[@]} = 0 ] ||
                [ ${#netns_list[@]} = "$CLUSTER_NODES" ] ||
                die "KAFKA_CLUSTER_NETNS names ${#netns_list[@]}" \
                        "namespaces, not $CLUSTER_NODES"
        check_port_var $((PORT + 2 * CLUSTER_NODES - 1)) \
                "KAFKA_PORT + $((2 * CLUSTER_NODES - 1))"
        for k in $(seq 1 "$CLUSTER_NODES"); do
                CLUSTER_HOST[$k]=${host_list[$((k - 1))]:-127.0.0.1}
                CLUSTER_NETNS[$k]=${netns_list[$((k - 1))]:-}
                if [ -n "${CLUSTER_NETNS[$k]}" ]; then
                        [ -e "/run/netns/${CLUSTER_NETNS[$k]}" ] ||
                                die "no network namespace" \
                                        "'${CLUSTER_NETNS[$k]}'"
                fi
                p=$(node_port "$k")
                cp=$(node_controller_port "$k")
                if node_port_answers "$k" "${CLUSTER_HOST[$k]}" "$p" ||
                        node_port_answers "$k" "${CLUSTER_HOST[$k]}" "$cp"; then
                        die "port $p or $cp on ${CLUSTER_HOST[$k]} is taken" \
                                "by another program (set KAFKA_PORT)"
                fi
                voters=$voters${voters:+,}$k@${CLUSTER_HOST[$k]}:$cp
        done
        admin_bin >/dev/null
        started=$SECONDS

        DATA_DIR=$(mktemp -d "$TMP_ROOT/cdranon-kafka.XXXXXX")
        CLUSTER_PID=()
        trap 'cluster_stop_all; exit 130' INT TERM
        cluster_write_state
        cluster_id=$(new_cluster_id)
        for k in $(seq 1 "$CLUSTER_NODES"); do
                mkdir -p "$(node_dir "$k")/logs"
                (
                        umask 077
                        sed -e "s|@PORT@|$(node_port "$k")|g" \
                                -e "s|@CONTROLLER_PORT@|$(node_controller_port "$k")|g" \
                                -e "s|@DATA_DIR@|$(node_dir "$k")|g" \
                                "$HERE/server.properties.in"
                        echo
                        sed -e "s|@NODE_ID@|$k|g" -e "s|@VOTERS@|$voters|g" \
                                -e "s|@HOST@|${CLUSTER_HOST[$k]}|g" \
                                -e "s|@PORT@|$(node_port "$k")|g" \
                                -e "s|@CONTROLLER_PORT@|$(node_controller_port "$k")|g" \
                                "$HERE/server-cluster.properties.in"
                        for arg in "$@"; do
                                printf '%s\n' "$arg"
                        done
                ) >"$(node_dir "$k")/server.properties"
                if ! tool_java kafka.tools.StorageTool format \
                        -t "$cluster_id" \
                        -c "$(node_dir "$k")/server.properties" \
                        >"$(node_dir "$k")/logs/format.log" 2>&1; then
                        cat "$(node_dir "$k")/logs/format.log" >&2
                        cluster_stop_all
                        die "formatting node $k's storage failed"
                fi
        done
        for k in $(seq 1 "$CLUSTER_NODES"); do
                launch_node "$k"
        done
        if ! cluster_wait_ready "$CLUSTER_START_TIMEOUT" warm \
                $(seq 1 "$CLUSTER_NODES"); then
                cluster_stop_all
                die "cluster start failed"
        fi
        trap - INT TERM
        echo "kafka-local: Kafka $KAFKA_VERSION cluster of $CLUSTER_NODES" \
                "nodes ready, bootstrap $(cluster_bootstrap) (data" \
                "$DATA_DIR, $((SECONDS - started)) s)"
}

cmd_cluster_resume() {
        local k=$1 started=$SECONDS
        cluster_require_state
        if node_alive "$k"; then
                echo "kafka-local: node $k already running (pid" \
                        "${CLUSTER_PID[$k]})"
                return 0
        fi
        libs_present || die "Kafka jars missing: run '$0 fetch' first"
        if node_port_answers "$k" "${CLUSTER_HOST[$k]}" "$(node_port "$k")"; then
                die "port $(node_port "$k") on ${CLUSTER_HOST[$k]} is taken"
        fi
        launch_node "$k"
        if ! cluster_wait_ready "$CLUSTER_START_TIMEOUT" nowarm "$k"; then
                kill_node "$k"
                die "resume of node $k failed (data kept in $(node_dir "$k"))"
        fi
        echo "kafka-local: node $k resumed on" \
                "${CLUSTER_HOST[$k]}:$(node_port "$k") (pid" \
                "${CLUSTER_PID[$k]}, $((SECONDS - started)) s)"
}

cmd_cluster_status() {
        local k up=0
        if ! cluster_read_state; then
                echo "kafka-local: no cluster on base port $PORT"
                return 3
        fi
        for k in $(seq 1 "$CLUSTER_NODES"); do
                if node_alive "$k"; then
                        up=$((up + 1))
                        echo "node $k: running (pid ${CLUSTER_PID[$k]}," \
                                "${CLUSTER_HOST[$k]}:$(node_port "$k")${CLUSTER_NETNS[$k]:+, netns ${CLUSTER_NETNS[$k]}})"
                else
                        echo "node $k: down" \
                                "(${CLUSTER_HOST[$k]}:$(node_port "$k"))"
                fi
        done
        echo "kafka-local: $up of $CLUSTER_NODES nodes running, bootstrap" \
                "$(cluster_bootstrap), data $DATA_DIR"
        [ "$up" = "$CLUSTER_NODES" ] || return 3
}

cmd_cluster() {
        local sub=${1:-} k
        [ $# -gt 0 ] && shift
        case $sub in
        start)
                cmd_cluster_start "$@"
                ;;
        stop)
                [ $# -eq 0 ] || die "usage: $0 cluster stop"
                if ! cluster_read_state; then
                        echo "kafka-local: no cluster on base port $PORT"
                        return 0
                fi
                cluster_stop_all
                echo "kafka-local: cluster stopped"
                ;;
        status)
                [ $# -eq 0 ] || die "usage: $0 cluster status"
                cmd_cluster_status
                ;;
        bootstrap)
                [ $# -eq 0 ] || die "usage: $0 cluster bootstrap"
                cluster_require_state
                cluster_bootstrap
                ;;
        kill | stop-node | resume)
                [ $# -eq 1 ] || die "usage: $0 cluster $sub NODE"
                cluster_node_arg "$1"
                k=$1
                case $sub in
                kill)
                        cluster_require_state
                        node_alive "$k" || die "node $k is not running"
                        kill_node "$k"
                        echo "kafka-local: killed node $k (pid" \
                                "${CLUSTER_PID[$k]}; data kept;" \
                                "'$0 cluster resume $k' starts it again)"
                        ;;
                stop-node)
                        cluster_require_state
                        node_alive "$k" || die "node $k is not running"
                        stop_node "$k"
                        echo "kafka-local: stopped node $k (data kept;" \
                                "'$0 cluster resume $k' starts it again)"
                        ;;
                resume)
                        cmd_cluster_resume "$k"
                        ;;
                esac
                ;;
        pid)
                [ $# -eq 1 ] || die "usage: $0 cluster pid NODE"
                cluster_node_arg "$1"
                cluster_require_state
                node_alive "$1" || die "node $1 is not running"
                echo "${CLUSTER_PID[$1]}"
                ;;
        log-file)
                [ $# -eq 1 ] || die "usage: $0 cluster log-file NODE"
                cluster_node_arg "$1"
                cluster_require_state
                echo "$(node_dir "$1")/logs/server.log"
                ;;
        logs)
                [ $# -ge 1 ] && [ $# -le 2 ] ||
                        die "usage: $0 cluster logs NODE [LINES]"
                cluster_node_arg "$1"
                cluster_require_state
                tail -n "${2:-50}" "$(node_dir "$1")/logs/server.log"
                ;;
        wait-replicated)
                [ $# -le 1 ] || die "usage: $0 cluster wait-replicated [SECONDS]"
                check_seconds_var "${1:-120}" SECONDS
                cluster_require_state
                cluster_admin -t $((${1:-120} * 1000)) replicated \
                        "$CLUSTER_NODES"
                ;;
        create-topic)
                [ $# -ge 2 ] || die "usage: $0 cluster create-topic NAME" \
                        "PARTITIONS [key=value]..."
                cluster_require_state
                cluster_admin -r "$CLUSTER_NODES" create "$@"
                ;;
        delete-topic)
                [ $# -eq 1 ] || die "usage: $0 cluster delete-topic NAME"
                cluster_require_state
                cluster_admin delete "$1"
                ;;
        topics)
                [ $# -eq 0 ] || die "usage: $0 cluster topics"
                cluster_require_state
                cluster_admin list
                ;;
        describe | leader | coordinator)
                cluster_require_state
                cluster_admin "$sub" "$@"
                ;;
        *)
                die "usage: $0 cluster start|stop|status|bootstrap|kill|" \
                        "stop-node|resume|pid|log-file|logs|wait-replicated|" \
                        "create-topic|delete-topic|topics|describe|leader|" \
                        "coordinator ... ('$0 help')"
                ;;
        esac
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case $cmd in
fetch)
        [ $# -eq 0 ] || die "usage: $0 fetch"
        cmd_fetch
        ;;
start)
        cmd_start 0 "$@"
        ;;
start-secure)
        cmd_start 1 "$@"
        ;;
kill)
        [ $# -eq 0 ] || die "usage: $0 kill"
        cmd_kill
        ;;
resume)
        [ $# -eq 0 ] || die "usage: $0 resume"
        cmd_resume
        ;;
client-config)
        [ $# -le 2 ] || die "usage: $0 client-config [USER] [java]"
        cmd_client_config "$@"
        ;;
ca-file)
        [ $# -eq 0 ] || die "usage: $0 ca-file"
        if ! read_state || [ "$SECURE" != 1 ]; then
                die "no secure broker on port $PORT"
        fi
        echo "$DATA_DIR/tls/ca.crt"
        ;;
stop)
        [ $# -eq 0 ] || die "usage: $0 stop"
        cmd_stop
        ;;
restart)
        cmd_stop
        cmd_start 0 "$@"
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
        admin create "$@"
        ;;
delete-topic)
        [ $# -eq 1 ] || die "usage: $0 delete-topic NAME"
        require_running
        admin delete "$1"
        ;;
topics)
        [ $# -eq 0 ] || die "usage: $0 topics"
        require_running
        admin list
        ;;
logs)
        read_state || die "no broker state for port $PORT"
        tail -n "${1:-50}" "$DATA_DIR/logs/server.log"
        ;;
cluster)
        cmd_cluster "$@"
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
