#!/usr/bin/env bash
# End to end on the real broker: a corpus with malformed records over a
# 6-partition raw topic; `cdranon run` until every record is committed;
# every output topic read back with read_committed and checked by
# eos_check (anonymised + suppressed + dead-letter = input, sealed =
# input, no duplicate, per-partition order, no raw number on any output
# topic, key or header, nor in the processor's log).  Then SIGHUP with a
# new key mid-run, SIGTERM, `cdranon unseal --topic`, and the start-up
# errors.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GEN1=(-n 30000 --seed 11 --subscribers 5000 --malformed-share 0.03)
# A day later, so that its records differ from the first batch's.
GEN2=(-n 10000 --seed 12 --subscribers 5000 --malformed-share 0.03
        --start 1795824000)

setup e2e
suppress_top 2 "${GEN1[@]}"
produce "${GEN1[@]}"

log "processing 30000 records"
start_run run
wait_lag_zero 120
verify --scan-file "$T/run.err" >"$T/verify1.out" ||
        die "after the first batch: $(cat "$T/verify1.out")"
log "$(cat "$T/verify1.out")"
grep -q 'suppressed [1-9]' "$T/verify1.out" ||
        die "no record was suppressed: the suppression list was not used"

log "SIGHUP with a new key, then 10000 more records"
"$CDRANON" keygen hmac --out "$T/keys/hmac.key" --id k2 2>/dev/null
kill -HUP "$RUN_PID"
wait_log "$T/run.err" 'event=reload key_id=k2$' 30
produce "${GEN2[@]}"
wait_lag_zero 120
stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "cdranon run exited $RUN_STATUS after SIGTERM"
grep -q 'event=stopped state=stopped records=40000 ' "$T/run.err" ||
        die "no final summary of 40000 records: $(tail -n 3 "$T/run.err")"
verify --any-key --min-key-ids 2 --scan-file "$T/run.err" \
        >"$T/verify2.out" || die "after the reload: $(cat "$T/verify2.out")"
log "$(cat "$T/verify2.out")"

log "cdranon unseal --topic"
"$CDRANON" unseal -k "$T/custodian.pem" --topic "$PREFIX.sealed" -b "$BOOT" \
        -o "$T/unsealed.csv" -a "$T/audit.log" 2>"$T/unseal.err" ||
        die "unseal: $(cat "$T/unseal.err")"
grep -q '^cdranon unseal: 40000 records returned, 0 did not open$' \
        "$T/unseal.err" || die "unseal: $(cat "$T/unseal.err")"
{
        "$CDRANON" gen --no-header "${GEN1[@]}"
        "$CDRANON" gen --no-header "${GEN2[@]}"
} >"$T/input.csv"
# Records may span lines (quoted line breaks): compare the lines as sets
# with their counts.
cmp -s <(sort "$T/input.csv") <(sort "$T/unsealed.csv") ||
        die "the unsealed records differ from the input"
grep -q '"in":"kafka topic '"$PREFIX"'.sealed"' "$T/audit.log" ||
        die "no audit line for the topic"

log "cdranon unseal --topic -c CONFIG --subscriber NUMBER"
# The columns come from the configuration (a topic has no header line);
# the records found are those that file mode finds in the same input.
number=$(python3 - "$T/input.csv" <<'PY'
import collections, csv, sys
rows = csv.reader(open(sys.argv[1], newline="", errors="replace"))
c = collections.Counter(r[5] for r in rows
                        if len(r) > 5 and r[5].startswith("+44"))
print(c.most_common(1)[0][0])
PY
)
"$CDRANON" unseal -k "$T/custodian.pem" --topic "$PREFIX.sealed" -b "$BOOT" \
        -c "$T/config.yaml" --subscriber "$number" -o "$T/subject-topic.csv" \
        -a "$T/audit.log" 2>"$T/subject.err" ||
        die "unseal --subscriber: $(cat "$T/subject.err")"
"$CDRANON" anonymise -c "$T/config.yaml" --in "$T/input.csv" --out /dev/null \
        --dead-letter /dev/null --sealed "$T/file.b64" 2>/dev/null ||
        die "anonymise of the input in file mode failed"
"$CDRANON" unseal -k "$T/custodian.pem" --in "$T/file.b64" \
        -c "$T/config.yaml" --subscriber "$number" -o "$T/subject-file.csv" \
        -a "$T/audit.log" 2>/dev/null || die "unseal --subscriber of the file"
[ -s "$T/subject-topic.csv" ] || die "unseal --subscriber found nothing"
cmp -s <(sort "$T/subject-topic.csv") <(sort "$T/subject-file.csv") ||
        die "the subscriber's records from the topic differ from file mode's"
log "$(grep -c . "$T/subject-topic.csv") lines of the subscriber's records," \
        "as in file mode"

log "a duplicate on an output topic is noticed"
"$EOS_CHECK" dup -b "$BOOT" -t "$PREFIX.anon"
if verify --any-key >"$T/verify3.out" 2>&1; then
        die "a duplicate went unnoticed"
fi
grep -q 'more than once' "$T/verify3.out" ||
        die "verify failed for another reason: $(cat "$T/verify3.out")"

log "start-up errors are one clear line, the fatal event"
status=0
"$CDRANON" run -c "$T/config.yaml" -X bootstrap.servers=127.0.0.1:1 \
        2>"$T/unreachable.err" || status=$?
[ "$status" = 1 ] || die "unreachable cluster: exit $status"
unreachable='cdranon run: cannot reach the Kafka cluster at 127\.0\.0\.1:1'
[ "$(wc -l <"$T/unreachable.err")" = 1 ] &&
        grep -q " level=error msg=\"$unreachable.*\" event=fatal\$" \
                "$T/unreachable.err" ||
        die "unreachable cluster: $(cat "$T/unreachable.err")"
# The same line as JSON (log.format: json).
{
        cat "$T/config.yaml"
        printf 'log:\n  format: json\n'
} >"$T/json.yaml"
status=0
"$CDRANON" run -c "$T/json.yaml" -X bootstrap.servers=127.0.0.1:1 \
        2>"$T/unreachable.json" || status=$?
[ "$status" = 1 ] && python3 -c '
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert list(o)[:3] == ["ts", "level", "msg"], o
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["ts"]), o
assert o["level"] == "error" and o["event"] == "fatal", o
assert re.match(sys.argv[2], o["msg"]), o
' "$T/unreachable.json" "$unreachable" ||
        die "unreachable cluster, JSON: $(cat "$T/unreachable.json")"
sed -e "s|$PREFIX.dead|$PREFIX.missing|" "$T/config.yaml" >"$T/missing.yaml"
status=0
"$CDRANON" run -c "$T/missing.yaml" 2>"$T/missing.err" || status=$?
expected="level=error msg=\"cdranon run: output.dead_letter.topic: topic"
expected="$expected '$PREFIX.missing' does not exist on the cluster\""
expected="$expected event=fatal"
[ "$status" = 1 ] &&
        [ "$(sed -E 's/^ts=[0-9T:.-]+Z //' "$T/missing.err")" = "$expected" ] ||
        die "missing topic: exit $status: $(cat "$T/missing.err")"
status=0
"$CDRANON" run -c "$T/config.yaml" -X enable.auto.commit=true \
        2>"$T/autocommit.err" || status=$?
[ "$status" = 1 ] &&
        grep -q 'enable.auto.commit: must be false.*event=fatal$' \
                "$T/autocommit.err" ||
        die "auto commit: exit $status: $(cat "$T/autocommit.err")"
log "ok"
