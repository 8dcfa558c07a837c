#!/usr/bin/env bash
# Secured broker and least privilege: a broker of this test's own
# (kafka-local.sh start-secure: SASL/SCRAM-SHA-512 over TLS, the
# StandardAuthorizer, nothing allowed without an ACL) with the ACLs of
# deploy/topics/provision.sh.  `cdranon run` as the processor, with only
# those ACLs, processes 20,000 records exactly once (eos_check verify, as
# the admin); analytics reads the anonymised topic and the custodian opens
# the sealed one.  Refused: analytics reading the raw, sealed and
# dead-letter topics (TOPIC_AUTHORIZATION_FAILED) or producing anywhere,
# the custodian reading the anonymised topic, a wrong password, a
# plaintext client on the TLS port, a client that does not trust the CA.
# Each refusal is checked in the client's error and, where the broker
# decides it, in the broker's own log of denied requests.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=20000

port_free() {
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

SPORT=
for _ in $(seq 1 50); do
        p=$((30000 + RANDOM % 9000 * 2))
        if port_free "$p" && port_free "$((p + 1))"; then
                SPORT=$p
                break
        fi
done
[ -n "$SPORT" ] || die "no free port pair for the secure broker"
SBOOT=127.0.0.1:$SPORT

# The secure broker's kafka-local.sh.
sk() {
        KAFKA_PORT=$SPORT KAFKA_CONTROLLER_PORT=$((SPORT + 1)) "$K" "$@"
}
trap 'sk stop >/dev/null 2>&1 || true; cleanup' EXIT

# xprops USER: USER's client properties as -X arguments, one a line.
xprops() {
        sed -n 's/^\([a-z]\)/-X\n\1/p' "$(sk client-config "$1")"
}

log "starting a secure broker on $SBOOT"
sk start-secure >"$T/broker.out" || die "start-secure: $(cat "$T/broker.out")"
BROKER_DATA=$(sed -n 's/.*(pid [0-9]*, data \([^,]*\),.*/\1/p' \
        "$T/broker.out")
DENIED=$BROKER_DATA/logs/authorizer.log
mapfile -t ADMIN < <(xprops admin)
mapfile -t ANALYTICS < <(xprops analytics)
mapfile -t CUSTODIAN < <(xprops custodian)
ANALYTICS+=(-X group.id=analytics-it)
CUSTODIAN+=(-X group.id=cdranon-topic-reader-it)

PREFIX=it.secured
GROUP=it-secured
for t in raw anon sealed dead; do
        sk create-topic "$PREFIX.$t" 3 >/dev/null
done
log "ACLs by provision.sh"
KAFKA_PORT=$SPORT KAFKA_CONTROLLER_PORT=$((SPORT + 1)) \
        "$TOP/deploy/topics/provision.sh" --local --no-topics \
        --replication-factor 1 --processor User:processor --group "$GROUP" \
        --raw "$PREFIX.raw" --anonymised "$PREFIX.anon" \
        --sealed "$PREFIX.sealed" --dead-letter "$PREFIX.dead" \
        >"$T/provision.out" 2>&1 || die "provision: $(tail "$T/provision.out")"

# The processor's configuration: the integration one, its kafka: section
# with the processor's credentials.
mkdir -p "$T/keys"
"$CDRANON" keygen hmac --out "$T/keys/hmac.key" 2>/dev/null
"$CDRANON" keygen custodian --private "$T/custodian.pem" \
        --public "$T/keys/custodian.pub" 2>/dev/null
: >"$T/suppress.txt"
sed -e "s|@BOOTSTRAP@|$SBOOT|" -e "s|@PREFIX@|$PREFIX|g" \
        -e "s|@GROUP@|$GROUP|" -e "s|@DELIVERY@|exactly-once|" \
        -e "s|@COMMIT_RECORDS@|2000|" "$HERE/config.yaml.in" |
        while IFS= read -r line; do
                printf '%s\n' "$line"
                case $line in
                "  bootstrap.servers: "*)
                        sed -n 's/^\([a-z.]*\)=\(.*\)$/  \1: "\2"/p' \
                                "$(sk client-config processor)"
                        ;;
                esac
        done >"$T/config.yaml"
grep -q '^  sasl.username: "processor"$' "$T/config.yaml" ||
        die "no credentials in the configuration"

slag() {
        "$EOS_CHECK" lag -b "$SBOOT" "${ADMIN[@]}" -g "$GROUP" \
                -t "$PREFIX.raw" 2>>"$T/lag.err"
}

# probe NAME EXPECTED_STATUS PATTERN COMMAND...: COMMAND must exit with
# EXPECTED_STATUS and say PATTERN on its standard error.
probe() {
        local name=$1 want=$2 pattern=$3 status=0
        shift 3
        "$@" >"$T/$name.out" 2>"$T/$name.err" || status=$?
        [ "$status" = "$want" ] ||
                die "$name: exit $status, not $want:" \
                        "$(tail -n 3 "$T/$name.err")"
        grep -q -- "$pattern" "$T/$name.err" ||
                die "$name: no '$pattern': $(tail -n 3 "$T/$name.err")"
        log "$name: refused ($pattern)"
}

# denied PRINCIPAL OPERATION RESOURCE: the broker logged the refusal.
denied() {
        grep -qi "Principal = User:$1 is Denied operation = $2 .*$3" \
                "$DENIED" ||
                die "no refusal of $2 on $3 to $1 in the broker's log"
}

log "input: $RECORDS records, produced as admin"
"$CDRANON" gen --topic "$PREFIX.raw" -b "$SBOOT" "${ADMIN[@]}" \
        -n "$RECORDS" --seed 31 --subscribers 4000 --malformed-share 0.02 \
        2>"$T/gen.err" || die "gen: $(cat "$T/gen.err")"

log "cdranon run as processor, exactly once"
start_run run
deadline=$((SECONDS + 90))
until [ "$(slag)" = 0 ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "input not consumed in 90 s"
        kill -0 "$RUN_PID" 2>/dev/null ||
                die "cdranon run exited: $(tail -n 3 "$T/run.err")"
        sleep 0.5
done
stop_run "$RUN_PID"
[ "$RUN_STATUS" = 0 ] || die "cdranon run exited $RUN_STATUS"
if grep -qi 'Principal = User:processor is Denied' "$DENIED"; then
        die "the processor was refused something: $(grep -i \
                'User:processor is Denied' "$DENIED" | head -n 3)"
fi
"$EOS_CHECK" verify -b "$SBOOT" "${ADMIN[@]}" -c "$T/config.yaml" \
        -k "$T/custodian.pem" --scan-file "$T/run.err" >"$T/verify.out" ||
        die "$(cat "$T/verify.out")"
log "$(cat "$T/verify.out")"
grep -q "input $RECORDS = " "$T/verify.out" || die "not $RECORDS records"
anon=$(sed -n 's/.* = anonymised \([0-9]*\) .*/\1/p' "$T/verify.out")

log "analytics reads the anonymised topic"
n=$("$EOS_CHECK" count -b "$SBOOT" "${ANALYTICS[@]}" -t "$PREFIX.anon") ||
        die "analytics cannot read the anonymised topic"
[ "$n" = "$anon" ] || die "analytics read $n records, not $anon"

log "the custodian opens the sealed topic"
"$CDRANON" unseal -k "$T/custodian.pem" --topic "$PREFIX.sealed" \
        -b "$SBOOT" "${CUSTODIAN[@]}" -o "$T/unsealed.csv" \
        -a "$T/audit.log" 2>"$T/unseal.err" ||
        die "unseal: $(cat "$T/unseal.err")"
grep -q "^cdranon unseal: $RECORDS records returned, 0 did not open$" \
        "$T/unseal.err" || die "unseal: $(cat "$T/unseal.err")"

# The three that wait for the client's 10-second metadata timeout, side
# by side.
tls_probe() {
        "$EOS_CHECK" count -b "$SBOOT" "$@" -t "$PREFIX.anon"
}
NOCA=()
for a in "${ANALYTICS[@]}"; do
        case $a in ssl.ca.location=*) NOCA=("${NOCA[@]:0:${#NOCA[@]}-1}") ;;
        *) NOCA+=("$a") ;;
        esac
done
probe wrong-password 2 'invalid credentials' \
        tls_probe "${ANALYTICS[@]}" -X sasl.password=not-the-password &
p1=$!
probe plaintext 2 'Disconnected while requesting ApiVersion' \
        tls_probe -X group.id=analytics-it &
p2=$!
probe untrusted-ca 2 'certificate verify failed' tls_probe "${NOCA[@]}" &
p3=$!

probe analytics-reads-sealed 2 'Topic authorization failed' \
        "$EOS_CHECK" count -b "$SBOOT" "${ANALYTICS[@]}" -t "$PREFIX.sealed"
probe analytics-reads-dead-letter 2 'Topic authorization failed' \
        "$EOS_CHECK" count -b "$SBOOT" "${ANALYTICS[@]}" -t "$PREFIX.dead"
probe analytics-reads-raw 2 'Topic authorization failed' \
        "$EOS_CHECK" count -b "$SBOOT" "${ANALYTICS[@]}" -t "$PREFIX.raw"
probe custodian-reads-anonymised 2 'Topic authorization failed' \
        "$EOS_CHECK" count -b "$SBOOT" "${CUSTODIAN[@]}" -t "$PREFIX.anon"
denied analytics DESCRIBE "Topic:LITERAL:$PREFIX.sealed"
denied analytics DESCRIBE "Topic:LITERAL:$PREFIX.dead"
denied custodian DESCRIBE "Topic:LITERAL:$PREFIX.anon"

# An idempotent producer (the default) is refused its producer id; a
# plain one is refused the write itself.
probe analytics-produces-idempotent 1 'Cluster authorization failed' \
        "$CDRANON" gen --topic "$PREFIX.anon" -b "$SBOOT" "${ANALYTICS[@]}" \
        -n 10 --seed 1
probe analytics-produces 1 'records not delivered' \
        "$CDRANON" gen --topic "$PREFIX.anon" -b "$SBOOT" "${ANALYTICS[@]}" \
        -X enable.idempotence=false -n 10 --seed 1
denied analytics WRITE "Topic:LITERAL:$PREFIX.anon"
probe analytics-produces-raw 1 'does not exist on the cluster' \
        "$CDRANON" gen --topic "$PREFIX.raw" -b "$SBOOT" "${ANALYTICS[@]}" \
        -X enable.idempotence=false -n 10 --seed 1

for p in "$p1" "$p2" "$p3"; do
        wait "$p" || die "a connection probe failed (see above)"
done
n=$("$EOS_CHECK" count -b "$SBOOT" "${ADMIN[@]}" -t "$PREFIX.anon")
[ "$n" = "$anon" ] || die "the anonymised topic changed: $n records"
log "ok"
