#!/usr/bin/env bash
# Purposes in stream mode: three purposes (config_purposes.yaml.in: one
# without a key, one keyed and rotating daily, one keyed and rotating
# weekly) over 60,000 generated records and the leak scan's canary
# records.  The processor is killed with SIGKILL four times at random
# moments and restarted (the same transactional.id); a last instance
# finishes.  Then:
#   - eos_check verify: every published record exactly once on each
#     purpose's topic with that purpose's value and key, dead letters and
#     sealed copies exactly once, nothing lost, read committed;
#   - each purpose's topic holds the same lines, as a multiset, as
#     `cdranon anonymise --out PURPOSE=PATH` writes for the input topic's
#     records;
#   - no canary identifier in any spelling or digest in any purpose's
#     topic (values, keys, headers, aborted transactions included), the
#     dead letters, the logs or the metrics;
#   - the metrics count each purpose's messages under its name;
#   - SIGHUP with a purpose's topic changed in the file is refused and
#     says why; with the file restored it reloads;
#   - control: a message produced twice on one purpose's topic fails
#     the verification.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=60000
KILLS=4
PURPOSES=(network behaviour devices)
GEN=(-n "$RECORDS" --seed 23 --subscribers 500 --malformed-share 0.02)
RUN_ARGS=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=500
        -X transactional.id=it-purposes)
SCAN=$HERE/leakscan.py

CONFIG_IN=$HERE/config_purposes.yaml.in setup purposes exactly-once 1000
for p in "${PURPOSES[@]}"; do
        create_topic "$PREFIX.$p"
done
METRICS_PORT=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'metrics:\n  listen: "127.0.0.1:%s"\n' "$METRICS_PORT" \
        >>"$T/config.yaml"
"$CDRANON" check-config -c "$T/config.yaml" >"$T/check.txt" ||
        die "check-config: $(cat "$T/check.txt")"
for p in "${PURPOSES[@]}"; do
        grep -q "^purposes\.$p: topic $PREFIX\.$p," "$T/check.txt" ||
                die "check-config does not name purpose $p's topic"
done
grep -q '^output.anonymised.topic: (none' "$T/check.txt" ||
        die "check-config names an anonymised topic beside the purposes"

suppress_top 5 "${GEN[@]}"
python3 "$SCAN" needles "$T/needles.txt" >/dev/null
python3 "$SCAN" records 900001 >"$T/canaries.csv"
produce "${GEN[@]}"
"$EOS_CHECK" produce -b "$BOOT" -t "$PREFIX.raw" -f "$T/canaries.csv" \
        >/dev/null
TOTAL=$((RECORDS + $(wc -l <"$T/canaries.csv")))

RANDOM=$$
for k in $(seq 1 "$KILLS"); do
        start_run "run$k" "${RUN_ARGS[@]}"
        wait_log "$T/run$k.err" ', 6 in all" event=assigned' 60
        before=$(lag)
        [ "$before" -gt 0 ] ||
                die "input consumed before kill $k: corpus too small"
        goal=$((TOTAL - TOTAL * k / (KILLS + 2) - RANDOM % 2000))
        [ "$goal" -lt "$before" ] || goal=$((before - 500 - RANDOM % 1000))
        wait_lag_below "$goal" 30
        sleep "0.$((RANDOM % 4))"
        l=$(lag)
        [ "$l" -gt 0 ] || die "input consumed before kill $k: corpus too small"
        kill -KILL "$RUN_PID"
        wait "$RUN_PID" 2>/dev/null || true
        log "kill $k: lag $before -> $l"
done

start_run final "${RUN_ARGS[@]}"
wait_log "$T/final.err" 'event=start' 60
wait_lag_zero 240

scrape() {
        python3 -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=10).read())' \
                "http://127.0.0.1:$METRICS_PORT/metrics"
}
# One snapshot: the purposes' counters and the records published in it.
scrape >"$T/metrics.txt" || die "/metrics does not answer"
pub=$(sed -n 's/^cdranon_records_published_total \([0-9]*\)$/\1/p' \
        "$T/metrics.txt")
[ "${pub:-0}" -gt 0 ] || die "no record published by the last instance"
for p in "${PURPOSES[@]}"; do
        v=$(sed -n "s/^cdranon_purpose_records_published_total{purpose=\"$p\"} \([0-9]*\)$/\1/p" \
                "$T/metrics.txt")
        [ "$v" = "$pub" ] ||
                die "metrics: purpose $p counts ${v:-nothing}, published $pub"
done
log "metrics: $pub records published on each purpose's topic by the last" \
        "instance"

log "SIGHUP with purpose devices moved to another topic: refused"
cp "$T/config.yaml" "$T/config.yaml.orig"
sed -i "s|topic: $PREFIX.devices|topic: $PREFIX.devices2|" "$T/config.yaml"
kill -HUP "$RUN_PID"
wait_log "$T/final.err" 'event=reload_failed' 30
grep 'event=reload_failed' "$T/final.err" | grep -q \
        "SIGHUP does not change the outputs.*purposes.devices: topic $PREFIX.devices2, $PREFIX.devices in use" ||
        die "reload_failed does not say why: $(grep reload_failed "$T/final.err")"
cp "$T/config.yaml.orig" "$T/config.yaml"
kill -HUP "$RUN_PID"
wait_log "$T/final.err" 'event=reload ' 30

stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "the last instance exited $RUN_STATUS"

logs=()
for f in "$T"/run*.err "$T/final.err"; do
        logs+=(--scan-file "$f")
done
verify "${logs[@]}" >"$T/verify.out" || die "$(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"
grep -q "input $TOTAL = " "$T/verify.out" || die "not $TOTAL records"
grep -q "; purposes network [0-9]*, behaviour [0-9]*, devices [0-9]*;" \
        "$T/verify.out" || die "verify did not read the three purposes"

log "file mode over the input topic's records: the same lines"
# A malformed record that ends inside a quoted field is one message in
# stream mode (dead-lettered) but would take the next lines with it in a
# file: such records are left out of the file (none of them is published).
"$EOS_CHECK" values -b "$BOOT" -t "$PREFIX.raw" -o "$T/input.csv" --csv \
        >"$T/values.out"
log "input topic to a file: $(cat "$T/values.out")"
outs=()
for p in "${PURPOSES[@]}"; do
        outs+=(--out "$p=$T/file.$p.jsonl")
done
"$CDRANON" anonymise -c "$T/config.yaml" --in "$T/input.csv" "${outs[@]}" \
        --dead-letter "$T/file.dead.jsonl" 2>"$T/anonymise.err" ||
        die "anonymise: $(cat "$T/anonymise.err")"
for p in "${PURPOSES[@]}"; do
        "$EOS_CHECK" values -b "$BOOT" -t "$PREFIX.$p" -o "$T/topic.$p.jsonl" \
                >/dev/null
        [ -s "$T/file.$p.jsonl" ] || die "file mode wrote nothing for $p"
        sort "$T/file.$p.jsonl" >"$T/file.$p.sorted"
        sort "$T/topic.$p.jsonl" >"$T/topic.$p.sorted"
        cmp -s "$T/file.$p.sorted" "$T/topic.$p.sorted" ||
                die "purpose $p: the topic's records differ from file mode's" \
                        "($(wc -l <"$T/topic.$p.jsonl") against" \
                        "$(wc -l <"$T/file.$p.jsonl") lines)"
        log "purpose $p: $(wc -l <"$T/topic.$p.jsonl") records, the same" \
                "multiset as file mode's"
done

log "leak scan of every purpose's topic (read_uncommitted), logs, metrics"
files=("$T/metrics.txt" "$T/final.err" "$T"/run*.err)
for t in "${PURPOSES[@]}" dead raw; do
        "$EOS_CHECK" dump -b "$BOOT" -t "$PREFIX.$t" -o "$T/$t.dump" \
                >/dev/null
        [ "$t" = raw ] || files+=("$T/$t.dump")
done
python3 "$SCAN" scan "$T/needles.txt" --expect-all "$T/raw.dump" >&2 ||
        die "control: canaries missing from the raw topic"
python3 "$SCAN" scan "$T/needles.txt" "${files[@]}" >&2 ||
        die "a canary leaked"

log "control: a record twice on one purpose's topic is caught"
"$EOS_CHECK" dup -b "$BOOT" -t "$PREFIX.devices" >/dev/null
if verify >"$T/verify2.out" 2>"$T/verify2.err"; then
        die "verify passed with a duplicate on $PREFIX.devices"
fi
grep -q "more than once on $PREFIX.devices" "$T/verify2.err" ||
        die "verify failed without naming the duplicate: $(head -3 \
                "$T/verify2.err")"
log "ok"
