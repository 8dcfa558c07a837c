#!/usr/bin/env bash
# Metrics on the real broker: `cdranon run` with metrics.listen serves
# /healthz and /readyz (503 before the pipeline runs, 200 once partitions
# are assigned) and /metrics, whose counters after a corpus with
# malformed and suppressed records add up: records_in = N = published +
# suppressed + dead-lettered (by reason) = sealed, each equal to what the
# output topics hold; transactions committed; the lag of every partition
# 0 after catch-up; the active key id in key_info; no raw number of the
# input anywhere in the scrape; the risk window (measured every second)
# holds every published record and its unicity gauges are non-zero (the
# test's policy keeps record_id, unique: every trace is singled out).
# Also: a bad metrics.listen names
# file:line:field, and a port in use is a start-up error naming it.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=6000
GEN=(-n "$N" --seed 61 --subscribers 1500 --malformed-share 0.05)

free_port() {
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# http PATH: the status code (0 when nothing answers) on the first
# line, then the body.
http() {
        python3 - "http://127.0.0.1:$PORT$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    print(r.status)
    sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
    sys.stdout.write(e.read().decode())
except Exception:
    print(0)
EOF
}

status_of() {
        local out
        out=$(http "$1")
        echo "${out%%$'\n'*}"
}

# wait_status PATH CODE SECONDS
wait_status() {
        local deadline=$((SECONDS + $3)) s
        while s=$(status_of "$1") && [ "$s" != "$2" ]; do
                [ "$SECONDS" -lt "$deadline" ] ||
                        die "$1: $s, not $2 after $3 s"
                sleep 0.2
        done
}

setup metrics
suppress_top 2 "${GEN[@]}"
PORT=$(free_port)
cat >>"$T/config.yaml" <<EOF
metrics:
  listen: "127.0.0.1:$PORT"
risk:
  refresh_seconds: 1
EOF
KEY_ID=$(awk '!/^#/ && NF { id = $1 } END { print id }' "$T/keys/hmac.key")

log "a bad metrics.listen names file, line and field"
sed -e "s|listen: \"127.0.0.1:$PORT\"|listen: \"127.0.0.1:99999\"|" \
        "$T/config.yaml" >"$T/bad.yaml"
line=$(grep -n 'listen: "127.0.0.1:99999"' "$T/bad.yaml" | cut -d: -f1)
status=0
"$CDRANON" check-config -c "$T/bad.yaml" >/dev/null 2>"$T/bad.err" ||
        status=$?
[ "$status" != 0 ] && grep -q "bad.yaml:$line: metrics.listen: " \
        "$T/bad.err" || die "bad listen: exit $status: $(cat "$T/bad.err")"
"$CDRANON" check-config -c "$T/config.yaml" 2>&1 |
        grep -q "^metrics.listen: 127.0.0.1:$PORT$" ||
        die "check-config does not describe metrics.listen"

log "start-up: 503 until the pipeline runs"
start_run unreachable -X bootstrap.servers=127.0.0.1:1
wait_status /metrics 200 20
[ "$(status_of /healthz)" = 503 ] || die "/healthz not 503 at start-up"
[ "$(status_of /readyz)" = 503 ] || die "/readyz not 503 at start-up"
[ "$(status_of /nope)" = 404 ] || die "/nope not 404"
{
        kill -KILL "$RUN_PID"
        wait "$RUN_PID" || true
} 2>/dev/null

log "ready after assignment; $N records"
start_run run -X statistics.interval.ms=1000
wait_status /readyz 200 60
[ "$(status_of /healthz)" = 200 ] || die "/healthz not 200 while running"

status=0
"$CDRANON" run -c "$T/config.yaml" 2>"$T/taken.err" || status=$?
[ "$status" = 1 ] && grep -q "metrics.listen 127.0.0.1:$PORT: " \
        "$T/taken.err" ||
        die "port in use: exit $status: $(cat "$T/taken.err")"

produce "${GEN[@]}"
wait_lag_zero 60

# The snapshot follows within a poll, the lag within a statistics
# interval: wait until both have caught up.
ok=0
for _ in $(seq 1 60); do
        http /metrics >"$T/scrape.txt"
        if python3 - "$T/scrape.txt" "$N" <<'EOF'; then
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == "200"
vals = {}
for l in lines[1:]:
    if l and not l.startswith("#"):
        k, v = l.rsplit(" ", 1)
        vals[k] = float(v)
lag = [v for k, v in vals.items() if k.startswith("cdranon_consumer_lag{")]
sys.exit(0 if vals.get("cdranon_records_in_total") == float(sys.argv[2])
         and len(lag) == 6 and all(v == 0 for v in lag)
         and vals.get('cdranon_risk_window_records{purpose="anonymised"}')
         == vals.get("cdranon_records_published_total") else 1)
EOF
                ok=1
                break
        fi
        sleep 0.5
done
[ "$ok" = 1 ] || die "metrics did not catch up: $(grep -E \
        'records_in|consumer_lag\{' "$T/scrape.txt")"

count() { "$EOS_CHECK" count -b "$BOOT" -t "$PREFIX.$1"; }
ANON=$(count anon)
SEALED=$(count sealed)
DEAD=$(count dead)
python3 - "$T/scrape.txt" "$N" "$ANON" "$SEALED" "$DEAD" "$KEY_ID" \
        "$PREFIX.raw" <<'EOF' || die "metrics: see above"
import re, sys
path, n, anon, sealed, dead, key_id, topic = sys.argv[1:]
n, anon, sealed, dead = int(n), int(anon), int(sealed), int(dead)
vals = {}
for l in open(path).read().splitlines()[1:]:
    if l and not l.startswith("#"):
        k, v = l.rsplit(" ", 1)
        vals[k] = float(v)
def get(k):
    return vals.get(k, -1)
def total(prefix):
    return sum(v for k, v in vals.items() if k.startswith(prefix))
fails = []
def check(what, cond):
    if not cond:
        fails.append(what)
pub = get("cdranon_records_published_total")
sup = get("cdranon_records_suppressed_total")
dl = total("cdranon_records_dead_lettered_total{")
check("records_in == N", get("cdranon_records_in_total") == n)
check("published + suppressed + dead == N", pub + sup + dl == n)
check("sealed == N", get("cdranon_records_sealed_total") == n)
check("published == anonymised topic", pub == anon)
check("dead by reason sums to the dead-letter topic", dl == dead)
check("sealed topic == N", sealed == n)
check("some suppressed", sup > 0)
check("some dead", dl > 0)
check("transactions committed", get("cdranon_transactions_committed_total") > 0)
lag = {k: v for k, v in vals.items() if k.startswith("cdranon_consumer_lag{")}
check("lag of 6 partitions of the input topic, all 0",
      len(lag) == 6 and all(v == 0 for v in lag.values())
      and all('topic="%s"' % topic in k for k in lag))
check("key_info has the key id",
      get('cdranon_key_info{key_id="%s"}' % key_id) == 1)
for s in ("parse", "policy", "seal"):
    check("stage %s timed" % s,
          get('cdranon_stage_duration_seconds_count{stage="%s"}' % s) > 0)
    check("stage %s +Inf == count" % s,
          get('cdranon_stage_duration_seconds_bucket{stage="%s",le="+Inf"}' % s)
          == get('cdranon_stage_duration_seconds_count{stage="%s"}' % s))
e2e = get("cdranon_end_to_end_seconds_count")
if get("cdranon_transactions_aborted_total") == 0:
    check("end-to-end count == N", e2e == n)
else:
    check("end-to-end count >= N", e2e >= n)
check("cache used", get("cdranon_pseudonym_cache_hits_total")
      + get("cdranon_pseudonym_cache_misses_total") > 0)
check("sealer epochs", get("cdranon_sealer_epochs_total") >= 1)
check("partitions assigned", get("cdranon_partitions_assigned") == 6)
check("risk window holds every published record",
      get('cdranon_risk_window_records{purpose="anonymised"}') == pub)
check("risk window bytes", get('cdranon_risk_window_bytes{purpose="anonymised"}') > 0)
check("risk measured", get("cdranon_risk_measurements_total") >= 1)
for f in ("caller", "callee", "subscriber", "device"):
    for p in range(1, 6):
        k = 'cdranon_risk_unicity{purpose="anonymised",field="%s",points="%d"}' % (f, p)
        t = 'cdranon_risk_traces_tested{purpose="anonymised",field="%s",points="%d"}' % (f, p)
        check("%s: unicity 1 where tested" % k,
              get(t) >= 0 and (get(t) == 0 or get(k) == 1))
    check("%s tested at 4 points" % f, get(
        'cdranon_risk_traces_tested{purpose="anonymised",field="%s",points="4"}' % f) > 0)
check("records below k=5: all (record_id is unique)",
      get('cdranon_risk_records_below_k_ratio{purpose="anonymised",k="5"}') == 1)
check("min k 1", get('cdranon_risk_min_k{purpose="anonymised"}') == 1)
for k in vals:
    for lv in re.findall(r'="([^"]*)"', k):
        check("no number of 9 digits or more in label %s" % k,
              not re.search(r"[0-9]{9,}", lv))
for f in fails:
    print("FAIL:", f)
print("records_in %d, published %d, suppressed %d, dead %d, sealed %d, "
      "dead reasons %s" % (get("cdranon_records_in_total"), pub, sup, dl,
      get("cdranon_records_sealed_total"),
      sorted(re.sub(r".*reason=\"([^\"]*)\".*", r"\1", k) for k, v in
             vals.items() if k.startswith("cdranon_records_dead_lettered")
             and v > 0)))
sys.exit(1 if fails else 0)
EOF
log "$(grep -c '^cdranon_' "$T/scrape.txt") series"

# No raw number of the input in the scrape.
verify --scan-file "$T/scrape.txt" >"$T/verify.out" ||
        die "verify: $(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"

stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "cdranon run exited $RUN_STATUS after SIGTERM"
[ "$(status_of /metrics)" = 0 ] || die "the server outlived the process"
log "ok"
