# Helpers for the failover tests (tests/integration/failover_*.sh), sourced
# after lib.sh.  run.sh --cluster has started the three-node cluster
# (deploy/kafka/kafka-local.sh cluster start), each node in a network
# namespace of its own (netns.sh), and runs the test in the hub namespace,
# where cdranon and the tools run too.
#
# The processor runs under a supervisor (supervise_start), as systemd's
# Restart=on-failure would run it: whenever it exits other than with
# status 0 it is started again, with the same configuration and
# transactional.id.  Every exit is recorded with its status and, for a
# fatal error, the message of the processor's event=fatal log line; an
# exit the test did not cause and that is not a fatal error the processor
# reported (a crash, a signal) fails the test.
#
# A fault is measured from the moment it is made to the moment the
# consumer group's committed offsets next advance (the processor has
# committed a transaction again): fault_begin, then wait_resume.  The
# test prints one "figure:" line per fault and one per test, for
# docs/reliability.md.  With FAILOVER_KEEP_LOGS=DIR the processor's logs
# of each test are kept in DIR/NAME/.

. "$HERE/netns.sh"

[ "${KAFKA_CLUSTER:-0}" = 1 ] && [ -n "${NETNS_PREFIX:-}" ] ||
        die "run through tests/integration/run.sh --cluster"

NODES=3
kc() { "$K" cluster "$@"; }

secs() { # secs MILLISECONDS: seconds with one decimal
        printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# figure KEY=VALUE...: a line of figures for the record.
figure() { printf '  figure: test=%s %s\n' "$NAME" "$*" >&2; }

# The test's own tools use TOOL_BOOT: every node but one cut off (cut),
# so that they do not wait on a node that cannot answer.  The processor
# keeps the whole list, as a deployed one would.
TOOL_BOOT=$BOOT

node_addr() { echo "$(netns_host "$1"):$((KAFKA_PORT + 2 * ($1 - 1)))"; }

boot_without() {
        local k list=
        for k in $(seq 1 "$NODES"); do
                [ "$k" = "$1" ] || list=$list${list:+,}$(node_addr "$k")
        done
        echo "$list"
}

# committed_now: the sum of the group's committed offsets on the input,
# or "-" while the cluster cannot say (no group coordinator).
committed_now() {
        "$EOS_CHECK" committed -b "$TOOL_BOOT" -g "$GROUP" -t "$PREFIX.raw" \
                2>/dev/null || echo -
}

# produce_seed N SEED: N generated records to the input from SEED (each
# portion of the test from a seed of its own); in_total counts them.
echo 0 >"$T/in_total"
produce_seed() {
        local n
        produce -n "$1" --seed "$2" --subscribers 10000 \
                --malformed-share 0.02 \
                --start $((1795000000 + $2 * 86400)) \
                2>>"$T/produce.err" ||
                die "producing: $(tail -n 3 "$T/produce.err")"
        (
                flock 9
                read -r n <"$T/in_total"
                echo $((n + $1)) >"$T/in_total"
        ) 9>"$T/in_total.lock"
}

in_total() { cat "$T/in_total"; }

# produce_portion N: N more records, from the next seed (SEED + 1, ...).
SEED=${SEED:-100}
produce_portion() {
        SEED=$((SEED + 1))
        produce_seed "$1" "$SEED"
}

# feed_start N: input arriving while the test runs: N records every
# second or so (from seeds 1000 and up), until feed_stop.  A producer
# that fails ends the feed; feed_stop then fails the test.
feed_start() {
        rm -f -- "$T/feed.stop" "$T/feed.failed"
        (
                seed=1000
                while [ ! -e "$T/feed.stop" ]; do
                        seed=$((seed + 1))
                        if ! (produce_seed "$1" "$seed"); then
                                touch "$T/feed.failed"
                                break
                        fi
                        sleep 1
                done
        ) 2>>"$T/produce.err" &
        FEED_PID=$!
        PIDS+=("$FEED_PID")
}

feed_stop() {
        touch "$T/feed.stop"
        wait "$FEED_PID" 2>/dev/null || true
        [ ! -e "$T/feed.failed" ] ||
                die "the input producer failed: $(tail -n 3 "$T/produce.err")"
}

# ensure_backlog N: another portion of 2N records when fewer than N are
# left to commit (or the cluster cannot say), so that the next fault
# meets work in progress.
ensure_backlog() {
        local c
        c=$(committed_now)
        if [ "$c" = - ] || [ $(($(in_total) - c)) -lt "$1" ]; then
                produce_portion $(($1 * 2))
        fi
}

# roles K: what node K leads and coordinates now, from the metadata.
roles() {
        local k=$1 d out= t
        d=$(kc describe 2>/dev/null) || {
                echo "(no metadata)"
                return 0
        }
        for t in raw anon sealed dead; do
                out="$out $t [$(awk -F'\t' -v t="$PREFIX.$t" -v k="$k" '
                        $1 == t && $3 == k { printf "%s%s", s, $2; s = "," }' \
                        <<<"$d")]"
        done
        [ "$(kc coordinator transaction "$TXN_ID" 2>/dev/null)" != "$k" ] ||
                out="$out, transaction coordinator"
        [ "$(kc coordinator group "$GROUP" 2>/dev/null)" != "$k" ] ||
                out="$out, group coordinator"
        echo "leads$out"
}

# ---- the supervised processor ----

SUP_PID=
PROCESSOR_KILLS=0

supervise_kill() {
        local n pid
        [ -n "$SUP_PID" ] || return 0
        kill -KILL "$SUP_PID" 2>/dev/null || true
        if [ -s "$T/sup.pid" ]; then
                read -r n pid <"$T/sup.pid"
                kill -KILL "$pid" 2>/dev/null || true
        fi
}
# The processor's logs, for reading after the run (passed or failed).
keep_logs() {
        [ -n "${FAILOVER_KEEP_LOGS:-}" ] && [ -n "${NAME:-}" ] || return 0
        mkdir -p "$FAILOVER_KEEP_LOGS/$NAME"
        cp -- "$T"/run.*.err "$FAILOVER_KEEP_LOGS/$NAME/" 2>/dev/null || true
}
trap 'supervise_kill; keep_logs; cleanup' EXIT

# supervise_start [ARGS]...: cdranon run -c config.yaml ARGS under the
# supervisor; instance N logs to $T/run.N.err.
supervise_start() {
        SUP_ARGS=("$@")
        : >"$T/exits"
        : >"$T/killed"
        rm -f -- "$T/sup.stop" "$T/sup.pid"
        (
                n=0
                while [ ! -e "$T/sup.stop" ]; do
                        n=$((n + 1))
                        "$CDRANON" run -c "$T/config.yaml" "${SUP_ARGS[@]}" \
                                2>"$T/run.$n.err" &
                        pid=$!
                        echo "$n $pid" >"$T/sup.pid.tmp"
                        mv -f -- "$T/sup.pid.tmp" "$T/sup.pid"
                        status=0
                        wait "$pid" || status=$?
                        echo "$n $(now_ms) $status" >>"$T/exits"
                        [ "$status" != 0 ] || break
                        # systemd's RestartSec.
                        sleep 0.5
                done
        ) 2>>"$T/supervisor.err" &
        SUP_PID=$!
        PIDS+=("$SUP_PID")
        until [ -s "$T/sup.pid" ]; do
                sleep 0.05
        done
}

instance_now() { cut -d' ' -f1 "$T/sup.pid"; }

# fatal_msg LOGFILE: the message of the processor's event=fatal line.
fatal_msg() {
        grep 'event=fatal' "$1" 2>/dev/null | tail -n 1 |
                sed -E 's/.* msg="(([^"\\]|\\.)*)".*/\1/' | cut -c1-300
}

# exit_why N STATUS: why instance N ended.
exit_why() {
        local why
        case $2 in
        0) echo "stopped (SIGTERM)" ;;
        137)
                if grep -qx "$1" "$T/killed"; then
                        echo "kill -9 by the test"
                else
                        echo "SIGKILL, not by the test"
                fi
                ;;
        1)
                why=$(fatal_msg "$T/run.$1.err")
                echo "exit 1: ${why:-no event=fatal line}"
                ;;
        *) echo "exit $2: $(grep -v '^ *$' "$T/run.$1.err" | tail -n 1 |
                cut -c1-200)" ;;
        esac
}

# check_exits: fails on an exit that is neither a fatal error the
# processor reported (exit 1 with its event=fatal line), nor a kill by the
# test, nor the clean stop at the end; also on a crash loop.
check_exits() {
        local n t status fatal=0
        while read -r n t status; do
                case $status in
                0) ;;
                1)
                        [ -n "$(fatal_msg "$T/run.$n.err")" ] ||
                                die "instance $n exited 1 without an" \
                                        "event=fatal line: $(tail -n 3 \
                                                "$T/run.$n.err")"
                        fatal=$((fatal + 1))
                        ;;
                137)
                        grep -qx "$n" "$T/killed" ||
                                die "instance $n was killed, not by the test"
                        ;;
                *) die "instance $n: $(exit_why "$n" "$status")" ;;
                esac
        done <"$T/exits"
        [ "$fatal" -le 20 ] || die "$fatal fatal exits: a crash loop"
}

# exits_since MS: the exits after MS, one "instance N: why" a line.
exits_since() {
        local n t status
        while read -r n t status; do
                [ "$t" -ge "$1" ] || continue
                echo "instance $n: $(exit_why "$n" "$status")"
        done <"$T/exits"
}

# processor_kill: SIGKILL to the running instance; returns once the
# supervisor has started the next one.
processor_kill() {
        local n pid
        read -r n pid <"$T/sup.pid"
        echo "$n" >>"$T/killed"
        kill -KILL "$pid" 2>/dev/null || true
        PROCESSOR_KILLS=$((PROCESSOR_KILLS + 1))
        while [ "$(instance_now)" = "$n" ]; do
                sleep 0.05
        done
}

# supervise_stop: SIGTERM to the processor, which must then exit 0.
supervise_stop() {
        local n pid status=0
        touch "$T/sup.stop"
        read -r n pid <"$T/sup.pid"
        kill -TERM "$pid" 2>/dev/null || true
        wait "$SUP_PID" || status=$?
        SUP_PID=
        check_exits
        read -r n _ status <<<"$(tail -n 1 "$T/exits")"
        [ "$status" = 0 ] ||
                die "the last instance ($n) ended with" \
                        "'$(exit_why "$n" "$status")' at SIGTERM"
}

# ---- faults ----

# wait_progress GOAL SECONDS: until the group has committed GOAL input
# records (or more), while the processor runs under its supervisor.
wait_progress() {
        local deadline=$((SECONDS + $2)) c
        while c=$(committed_now) && { [ "$c" = - ] || [ "$c" -lt "$1" ]; }; do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "no progress to $1 committed in $2 s (at $c)"
                check_exits
                sleep 0.2
        done
}

# fault_begin WHAT: just before a fault: the lag at the fault
# (FAULT_LAG), which must leave work in progress.  The caller makes the
# fault right after this and then calls fault_made.
fault_begin() {
        local c
        FAULT_WHAT=$1
        c=$(committed_now)
        [ "$c" != - ] || die "$FAULT_WHAT: no committed offsets"
        FAULT_LAG=$(($(in_total) - c))
        [ "$FAULT_LAG" -gt 0 ] ||
                die "$FAULT_WHAT: the input was consumed before the fault"
}

# fault_made: the fault has been made: its time (FAULT_MS), and the
# group's committed offsets as first seen after it (FAULT_REF): a commit
# counts as the processor's resumption only when it comes after the
# fault.  (While the group coordinator itself is down there is no answer
# and no commit; the first answer then may already include the commit
# that was in flight, and the next one is counted.)
fault_made() {
        FAULT_MS=$(now_ms)
        fault_ref
}

# fault_ref: FAULT_REF, the committed offsets as first seen from now.
fault_ref() {
        local deadline=$((SECONDS + 60))
        while FAULT_REF=$(committed_now) && [ "$FAULT_REF" = - ]; do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "$FAULT_WHAT: no committed offsets in 60 s"
                sleep 0.2
        done
}

# wait_resume SECONDS: until the group's committed offsets have moved
# past FAULT_REF; RESUME_MS is the time from the fault, OUTCOME says
# whether the processor recovered in place or was restarted (and why).
wait_resume() {
        local deadline=$((SECONDS + $1)) c exits
        while c=$(committed_now) && { [ "$c" = - ] || [ "$c" -le "$FAULT_REF" ]; }; do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "$FAULT_WHAT: no commit in $1 s after the fault" \
                                "(committed $c, $FAULT_REF at the fault)"
                check_exits
                sleep 0.2
        done
        RESUME_MS=$(($(now_ms) - FAULT_MS))
        check_exits
        exits=$(exits_since "$FAULT_MS" | grep -v 'kill -9 by the test' |
                paste -sd ';' || true)
        if [ -z "$exits" ]; then
                OUTCOME="recovered in place$(recreated_since "$FAULT_MS")"
        else
                OUTCOME="restarted ($exits)$(recreated_since "$FAULT_MS")"
        fi
}

# recreated_since MS: ", producer re-created N times (reasons)" when the
# processor made a new producer in process since MS (event=
# producer_recreated), else nothing.
recreated_since() {
        cat "$T"/run.*.err 2>/dev/null | awk -v from="ts=$(iso_ms "$1")" '
                $1 >= from && / event=producer_recreated/ {
                        n++
                        r = $0
                        sub(/^.* re-created after /, "", r)
                        split(r, a, ": ")
                        r = a[1] ": " a[2]
                        if (a[2] == "fatal error")
                                r = r ": " a[3]
                        why[r]++
                }
                END {
                        if (n == 0) exit
                        printf ", producer re-created %d time%s (", n, (n > 1 ? "s" : "")
                        for (r in why) printf "%s%s x%d", (c++ ? "; " : ""), r, why[r]
                        printf ")"
                }'
}

# iso_ms MS: the log's time stamp format for a wall-clock millisecond.
iso_ms() {
        date -u -d "@$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))" \
                +%Y-%m-%dT%H:%M:%S.%3NZ
}

# seen_since MS: what an operator saw in the processor's log since MS:
# its warning and error lines, counted by kind, event=NAME for the
# daemon's own lines and kafka:FACILITY for librdkafka's.
seen_since() {
        cat "$T"/run.*.err 2>/dev/null | awk -v from="ts=$(iso_ms "$1")" '
                $1 >= from && ($2 == "level=warning" || $2 == "level=error") {
                        k = ""
                        if (match($0, / event=[a-z_]+/))
                                k = substr($0, RSTART + 1, RLENGTH - 1)
                        else if (match($0, / facility=[A-Za-z_]+/))
                                k = "kafka:" substr($0, RSTART + 10, RLENGTH - 10)
                        if (k != "") n[k]++
                }
                END {
                        for (k in n) printf "%s%s:%d", (c++ ? " " : ""), k, n[k]
                        print ""
                }'
}

# report_fault: the figure line of the last fault, with what the
# processor logged from the fault until it committed again.
report_fault() {
        local seen
        seen=$(seen_since "$FAULT_MS")
        log "$FAULT_WHAT: lag $FAULT_LAG at the fault; committing again" \
                "after $(secs "$RESUME_MS") s; $OUTCOME; logged: ${seen:-nothing}"
        figure "fault=\"$FAULT_WHAT\" lag=$FAULT_LAG" \
                "resume_s=$(secs "$RESUME_MS") outcome=\"$OUTCOME\"" \
                "logged=\"$seen\""
}

# kill_processor_and_measure: kill -9 of the processor in the middle of
# the input, and the time until the next instance commits.  The killed
# instance's last commit may still land after the kill (its EndTxn was
# sent); the next instance's init_transactions settles it before the
# instance joins the group, so the first advance of the committed offsets
# sampled (watch_start) after the next instance's "assigned" line is its
# own commit.  (On an idle machine it may commit all that is left within
# a sample or two of that line.)
kill_processor_and_measure() {
        local n line t_asg before deadline=$((SECONDS + 120)) t c
        fault_begin "kill -9 of the processor (${1:-})"
        FAULT_MS=$(now_ms)
        watch_start
        processor_kill
        n=$(instance_now)
        wait_log "$T/run.$n.err" ' [1-9][0-9]* in all" event=assigned' 120
        line=$(grep -m 1 ' [1-9][0-9]* in all" event=assigned' \
                "$T/run.$n.err")
        t_asg=$(ms_of "$(sed -E 's/^ts=([^ ]+) .*/\1/' <<<"$line")")
        # The committed offsets as last sampled before the assignment.
        until before=$(awk -v t="$t_asg" '$1 <= t && $2 != "-" { c = $2 }
                        $1 > t { seen = 1 }
                        END { if (seen && c != "") print c; else exit 1 }' \
                "$T/watch"); do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "$FAULT_WHAT: no sample of the committed offsets"
                sleep 0.2
        done
        # The killed instance's last transaction, landing after the kill,
        # may have covered all the input (an idle machine commits
        # thousands of records in one window): then more input, so that
        # the next instance has something of its own to commit.
        [ "$before" -lt "$(in_total)" ] || produce_portion 5000
        until read -r t c < <(awk -v t="$t_asg" -v b="$before" '
                        $1 > t && $2 != "-" && $2 > b { print $1, $2; exit }
                        ' "$T/watch"); do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "$FAULT_WHAT: no commit in 120 s after the fault" \
                                "(committed $before of $(in_total) input" \
                                "before the assignment)"
                check_exits
                sleep 0.2
        done
        watch_stop
        RESUME_MS=$((t - FAULT_MS))
        check_exits
        OUTCOME="recovered in place"
        if exits_since "$FAULT_MS" | grep -qv 'kill -9 by the test'; then
                OUTCOME="restarted ($(exits_since "$FAULT_MS" |
                        grep -v 'kill -9 by the test' | paste -sd ';'))"
        fi
        OUTCOME+=$(recreated_since "$FAULT_MS")
        report_fault
}

# ms_of ISO: the wall-clock millisecond of a log time stamp.
ms_of() { date -u -d "$1" +%s%3N; }

# watch_start / watch_stop: samples of the group's committed offsets and
# of the input produced so far, "MS COMMITTED PRODUCED" every 0.2 s, in
# $T/watch; LONGEST_STALL_MS is then the longest time the committed
# offsets stood still while input was waiting to be committed.
watch_start() {
        (
                while :; do
                        echo "$(now_ms) $(committed_now) $(in_total)"
                        sleep 0.2
                done
        ) >"$T/watch" 2>/dev/null &
        WATCH_PID=$!
        PIDS+=("$WATCH_PID")
}

watch_stop() {
        kill "$WATCH_PID" 2>/dev/null || true
        wait "$WATCH_PID" 2>/dev/null || true
        # A stall runs from the last advance (or from the moment input
        # arrived when everything before it was committed) to the next
        # advance, or to the end with input still waiting; a sample
        # without an answer counts as no advance.
        LONGEST_STALL_MS=$(awk '
                $2 == "-" { end = $1; next }
                !started {
                        started = 1; last = $2; since = $1
                        waiting = $3 > $2; end = $1; next
                }
                $2 > last {
                        if (waiting && $1 - since > max) max = $1 - since
                        last = $2; since = $1
                }
                $2 <= last && !waiting && $3 > $2 { since = $1 }
                { waiting = $3 > $2; end = $1 }
                END {
                        if (waiting && end - since > max) max = end - since
                        print max + 0
                }' "$T/watch")
}

# resume_node K: node K started again on its data; returns once every
# partition has all its replicas in sync again, BACK_MS after the start.
resume_node() {
        local t0
        t0=$(now_ms)
        kc resume "$1" >"$T/resume.out" 2>&1 ||
                die "resume of node $1: $(tail -n 5 "$T/resume.out")"
        kc wait-replicated 180 >/dev/null ||
                die "node $1 not back in sync in 180 s"
        BACK_MS=$(($(now_ms) - t0))
}

# restore_cluster: every node running and every partition fully
# replicated, within SECONDS.
restore_cluster() {
        local k
        for k in $(seq 1 "$NODES"); do
                netns_heal "$k" 2>/dev/null || true
        done
        TOOL_BOOT=$BOOT
        kc wait-replicated "${1:-180}" >/dev/null ||
                die "the cluster is not fully replicated again in ${1:-180} s"
}

# finish SECONDS: waits until every input record is committed, stops the
# processor, verifies exactly once, and prints the test's figures.
finish() {
        local deadline=$((SECONDS + $1)) l
        while l=$(lag) && [ "$l" != 0 ]; do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "input not consumed in $1 s (lag $l)"
                check_exits
                sleep 0.5
        done
        supervise_stop
        verify >"$T/verify.out" || die "$(cat "$T/verify.out")"
        log "$(cat "$T/verify.out")"
        grep -q "input $(in_total) = " "$T/verify.out" ||
                die "not $(in_total) records"
        log "processor exits:"
        exits_since 0 | sed 's/^/    /' >&2

        figure "records=$(in_total) processor_kills=$PROCESSOR_KILLS" \
                "instances=$(instance_now)" \
                "fatal_exits=$(awk '$3 == 1' "$T/exits" | wc -l)" \
                "verify=\"$(cut -c1-200 "$T/verify.out")\""
}
