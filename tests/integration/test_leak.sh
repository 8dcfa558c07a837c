#!/usr/bin/env bash
# Leak scan: canary identifiers (three MSISDNs, an IMSI, an IMEI; see
# leakscan.py) in every spelling the number rules accept, in valid and in
# malformed records, mixed into a generated corpus.  One processor runs
# with librdkafka's debug=all and log.level debug.  Then every output
# topic (anonymised, dead-letter and the sealed copy; values, keys and
# headers, aborted transactions included), the processor's log and the
# /metrics scrape (when the configuration knows metrics.listen) must hold
# no canary in any spelling, canonical form or unkeyed MD5/SHA-1/SHA-256
# digest (hex, base64).  SIGABRT with `ulimit -c unlimited` must leave no
# core file (the process is not dumpable); a core that appears anyway is
# scanned.  Controls: the same scanner finds every spelling in the raw
# topic and in the sealed copy opened with the custodian's key, and a
# dumpable process in the same place does leave a core.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCAN=$HERE/leakscan.py
GEN=(-n 3000 --seed 61 --subscribers 500 --malformed-share 0.05)

setup leak exactly-once 500
printf 'log:\n  level: debug\n' >>"$T/config.yaml"

# The scrape, once the metrics server exists (metrics.listen).
METRICS_PORT=
if "$CDRANON" check-config -c "$T/config.yaml" 2>/dev/null |
        grep -q '^metrics\.listen:'; then
        METRICS_PORT=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        printf 'metrics:\n  listen: "127.0.0.1:%s"\n' "$METRICS_PORT" \
                >>"$T/config.yaml"
fi

python3 "$SCAN" needles "$T/needles.txt" >/dev/null
python3 "$SCAN" records 900001 >"$T/canaries.csv"
"$CDRANON" gen --no-header "${GEN[@]}" >"$T/corpus.csv"
python3 "$SCAN" scan "$T/needles.txt" "$T/corpus.csv" >/dev/null ||
        die "the generated corpus holds a canary: the canaries mean nothing"

log "corpus: 3000 generated records," \
        "$(wc -l <"$T/canaries.csv") canary records"
produce "${GEN[@]}"
"$EOS_CHECK" produce -b "$BOOT" -t "$PREFIX.raw" -f "$T/canaries.csv" \
        >/dev/null

mkdir -p "$T/cwd"
(
        cd "$T/cwd"
        ulimit -c unlimited
        exec "$CDRANON" run -c "$T/config.yaml" -X debug=all \
                2>"$T/run.err"
) &
RUN_PID=$!
PIDS+=("$RUN_PID")
wait_lag_zero 60
grep -q 'level=debug .*source=kafka facility=' "$T/run.err" ||
        die "no librdkafka debug line in the log"
if [ -n "$METRICS_PORT" ]; then
        python3 -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=10).read())' \
                "http://127.0.0.1:$METRICS_PORT/metrics" >"$T/metrics.txt" ||
                die "metrics.listen is set but /metrics does not answer"
fi

log "SIGABRT to the processor, with ulimit -c unlimited"
kill -ABRT "$RUN_PID"
status=0
wait "$RUN_PID" || status=$?
[ "$status" = 134 ] || die "the processor exited $status after SIGABRT"
log "core_pattern: $(cat /proc/sys/kernel/core_pattern)"
cores=$(find "$T/cwd" -name 'core*' -type f)
[ -z "$cores" ] || log "core files: $cores"
# Control: a dumpable process aborted in the same way leaves a core,
# unless core_pattern hands cores to a program (then that program's
# store must be checked by hand: say so).
mkdir -p "$T/cwd-control"
(
        cd "$T/cwd-control"
        ulimit -c unlimited
        exec sleep 60
) &
ctl=$!
PIDS+=("$ctl")
sleep 0.2
kill -ABRT "$ctl"
wait "$ctl" || true
if grep -q '^|' /proc/sys/kernel/core_pattern; then
        log "core_pattern pipes to a program: its cores are not checked here"
else
        [ -n "$(find "$T/cwd-control" -name 'core*' -type f)" ] ||
                die "control: no core from a dumpable process either"
        rm -rf -- "$T/cwd-control"
        [ -z "$cores" ] || die "the processor left a core file: $cores"
        log "no core file from the processor; the control left one"
fi

log "reading back every topic (read_uncommitted)"
for t in raw anon dead sealed; do
        "$EOS_CHECK" dump -b "$BOOT" -t "$PREFIX.$t" -o "$T/$t.dump" |
                sed "s/^/  $t: /" >&2
done
"$CDRANON" unseal -k "$T/custodian.pem" --topic "$PREFIX.sealed" \
        -b "$BOOT" -o "$T/unsealed.csv" -a "$T/audit.log" \
        2>"$T/unseal.err" || die "unseal: $(cat "$T/unseal.err")"

log "control: the scanner finds every spelling in the input"
python3 "$SCAN" scan "$T/needles.txt" --expect-all "$T/raw.dump" >&2 ||
        die "control: canaries missing from the raw topic"
python3 "$SCAN" scan "$T/needles.txt" --expect-all "$T/unsealed.csv" >&2 ||
        die "control: canaries missing from the unsealed copy"

log "control: digests computed by coreutils and openssl are found"
{
        printf '%s' '+447700900871' | sha256sum | cut -d' ' -f1
        printf '%s' '07700 900871' | md5sum | cut -d' ' -f1 |
                tr 'a-f' 'A-F'
        printf '%s' '001010987654321' | openssl dgst -sha1 -binary |
                base64 | tr '+/' '-_' | tr -d '='
} >"$T/digests.txt"
[ "$(python3 "$SCAN" scan "$T/needles.txt" "$T/digests.txt" |
        sed -n 's/.*: [0-9]* bytes, \([0-9]*\) matches.*/\1/p' |
        head -n 1)" = 3 ] || die "control: the scanner misses digests"

log "scan: outputs, log ($(wc -l <"$T/run.err") lines), metrics, cores"
files=("$T/anon.dump" "$T/dead.dump" "$T/sealed.dump" "$T/run.err")
[ -z "$METRICS_PORT" ] || files+=("$T/metrics.txt")
for c in $cores; do
        files+=("$c")
done
python3 "$SCAN" scan "$T/needles.txt" "${files[@]}" >&2 ||
        die "a canary leaked"
[ -n "$METRICS_PORT" ] ||
        log "metrics.listen unknown to this build: /metrics not scanned"
log "ok"
