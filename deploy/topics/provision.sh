#!/usr/bin/env bash
# provision.sh: cdranon's Kafka topics and the ACLs of its three
# principals, with Apache Kafka's own admin tools (kafka-topics.sh and
# kafka-acls.sh).  Safe to run again: existing topics and ACLs are kept.
#
#   provision.sh --bootstrap HOST:PORT [--command-config FILE] [OPTION]...
#   provision.sh --local [OPTION]...        the project's local broker
#   provision.sh --help
#
# Topics (partitions; retention):
#   raw          --partitions (12); --raw-retention-days (7)
#   anonymised   --partitions (12); --anonymised-retention-days (30)
#   sealed       --partitions (12); --sealed-retention-days (365: the
#                12 months of lawful retention)
#   dead-letter  --dead-letter-partitions (3);
#                --dead-letter-retention-days (30)
# with --replication-factor (3) and min.insync.replicas
# (--min-insync-replicas: 2, or 1 with a replication factor of 1).
#
# ACLs (the cluster must run an authorizer, e.g. KRaft's StandardAuthorizer
# with allow.everyone.if.no.acl.found=false, so that what is not allowed is
# refused):
#   processor (--processor, User:cdranon): reads the raw topic in its
#     consumer group (--group, cdranon); writes the anonymised, sealed and
#     dead-letter topics; owns the transactional ids that start with
#     --transactional-id-prefix (cdranon-).
#   analytics (--analytics, User:analytics): reads the anonymised topic
#     only, in groups starting with --analytics-group-prefix (analytics-);
#     explicitly denied everything on the raw, sealed and dead-letter
#     topics, so that no later allow rule can open them.
#   custodian (--custodian, User:custodian): reads the sealed topic only,
#     in groups starting with --custodian-group-prefix
#     (cdranon-topic-reader, the group `cdranon unseal --topic` names; it
#     commits no offset).
# --no-acls skips them (a cluster without an authorizer refuses ACLs);
# --no-topics skips the topics (they exist already) and sets the ACLs only.
#
# Tools: --kafka-bin DIR (a Kafka distribution's bin/), else
# $KAFKA_HOME/bin, else kafka-topics.sh / kafka-topics on PATH.  --local
# uses the jars and the broker address of deploy/kafka/kafka-local.sh
# (which honours KAFKA_PORT); on its secure broker (kafka-local.sh
# start-secure) they act as its admin unless --command-config says
# otherwise.  --command-config FILE: the admin client's properties for
# Kafka's tools (security.protocol=SASL_SSL, sasl.mechanism,
# sasl.jaas.config, ssl.truststore.*).  --dry-run prints the commands
# instead of running them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_LOCAL=$HERE/../kafka/kafka-local.sh

bootstrap=
command_config=
kafka_bin=
local_broker=0
dry_run=0
acls=1
topics=1

raw=cdr.raw
anonymised=cdr.anonymised
sealed=cdr.sealed
dead_letter=cdr.dead-letter
partitions=12
dead_letter_partitions=3
replication_factor=3
min_isr=
raw_days=7
anonymised_days=30
sealed_days=365
dead_letter_days=30

processor=User:cdranon
analytics=User:analytics
custodian=User:custodian
group=cdranon
txn_prefix=cdranon-
analytics_group_prefix=analytics-
custodian_group_prefix=cdranon-topic-reader

die() {
        echo "provision: $*" >&2
        exit 1
}

usage() {
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

need_value() {
        if [ $# -lt 2 ] || [ -z "$2" ]; then
                die "$1 needs a value (see --help)"
        fi
}

positive() { # positive OPTION VALUE
        case $2 in
        '' | *[!0-9]* | 0*) die "$1 must be a positive whole number, not '$2'" ;;
        esac
}

topic_name() { # topic_name OPTION NAME: Kafka's rule for topic names
        if [[ ! $2 =~ ^[A-Za-z0-9._-]{1,249}$ ]] || [ "$2" = . ] ||
                [ "$2" = .. ]; then
                die "$1: '$2' is not a valid topic name"
        fi
}

principal() { # principal OPTION VALUE
        [[ $2 =~ ^[A-Za-z]+:.+$ ]] ||
                die "$1 must be TYPE:NAME (User:cdranon), not '$2'"
}

while [ $# -gt 0 ]; do
        opt=$1
        case $opt in
        --bootstrap | --bootstrap-server)
                need_value "$@"; bootstrap=$2; shift ;;
        --command-config)
                need_value "$@"; command_config=$2; shift ;;
        --kafka-bin)
                need_value "$@"; kafka_bin=$2; shift ;;
        --local) local_broker=1 ;;
        --dry-run) dry_run=1 ;;
        --no-acls) acls=0 ;;
        --no-topics) topics=0 ;;
        --raw) need_value "$@"; raw=$2; shift ;;
        --anonymised) need_value "$@"; anonymised=$2; shift ;;
        --sealed) need_value "$@"; sealed=$2; shift ;;
        --dead-letter) need_value "$@"; dead_letter=$2; shift ;;
        --partitions) need_value "$@"; partitions=$2; shift ;;
        --dead-letter-partitions)
                need_value "$@"; dead_letter_partitions=$2; shift ;;
        --replication-factor)
                need_value "$@"; replication_factor=$2; shift ;;
        --min-insync-replicas) need_value "$@"; min_isr=$2; shift ;;
        --raw-retention-days) need_value "$@"; raw_days=$2; shift ;;
        --anonymised-retention-days)
                need_value "$@"; anonymised_days=$2; shift ;;
        --sealed-retention-days) need_value "$@"; sealed_days=$2; shift ;;
        --dead-letter-retention-days)
                need_value "$@"; dead_letter_days=$2; shift ;;
        --processor) need_value "$@"; processor=$2; shift ;;
        --analytics) need_value "$@"; analytics=$2; shift ;;
        --custodian) need_value "$@"; custodian=$2; shift ;;
        --group) need_value "$@"; group=$2; shift ;;
        --transactional-id-prefix)
                need_value "$@"; txn_prefix=$2; shift ;;
        --analytics-group-prefix)
                need_value "$@"; analytics_group_prefix=$2; shift ;;
        --custodian-group-prefix)
                need_value "$@"; custodian_group_prefix=$2; shift ;;
        -h | --help)
                usage
                exit 0
                ;;
        *)
                echo "provision: unknown option '$opt'" >&2
                echo "Try '$0 --help'." >&2
                exit 2
                ;;
        esac
        shift
done

for t in raw:"$raw" anonymised:"$anonymised" sealed:"$sealed" \
        dead-letter:"$dead_letter"; do
        topic_name "--${t%%:*}" "${t#*:}"
done
[ "$(printf '%s\n' "$raw" "$anonymised" "$sealed" "$dead_letter" |
        sort -u | wc -l)" -eq 4 ] || die "the four topics must differ"
positive --partitions "$partitions"
positive --dead-letter-partitions "$dead_letter_partitions"
positive --replication-factor "$replication_factor"
if [ -z "$min_isr" ]; then
        min_isr=$((replication_factor > 1 ? 2 : 1))
fi
positive --min-insync-replicas "$min_isr"
[ "$min_isr" -le "$replication_factor" ] ||
        die "--min-insync-replicas $min_isr exceeds --replication-factor" \
                "$replication_factor"
positive --raw-retention-days "$raw_days"
positive --anonymised-retention-days "$anonymised_days"
positive --sealed-retention-days "$sealed_days"
positive --dead-letter-retention-days "$dead_letter_days"
principal --processor "$processor"
principal --analytics "$analytics"
principal --custodian "$custodian"
for v in "$group" "$txn_prefix" "$analytics_group_prefix" \
        "$custodian_group_prefix"; do
        [ -n "$v" ] || die "group names and prefixes must not be empty"
done
if [ -n "$command_config" ] && [ ! -r "$command_config" ]; then
        die "--command-config: cannot read '$command_config'"
fi

# The admin tools, as command prefixes.
if [ "$local_broker" = 1 ]; then
        [ -z "$kafka_bin" ] || die "--local and --kafka-bin exclude each other"
        [ -n "$bootstrap" ] || bootstrap=$("$KAFKA_LOCAL" bootstrap)
        if [ -z "$command_config" ] && [ "$dry_run" = 0 ] &&
                "$KAFKA_LOCAL" status 2>/dev/null | grep -q SASL_SSL; then
                command_config=$("$KAFKA_LOCAL" client-config admin java)
        fi
        topics_tool=("$KAFKA_LOCAL" java org.apache.kafka.tools.TopicCommand)
        acls_tool=("$KAFKA_LOCAL" java kafka.admin.AclCommand)
else
        if [ -z "$kafka_bin" ] && [ -n "${KAFKA_HOME:-}" ]; then
                kafka_bin=$KAFKA_HOME/bin
        fi
        if [ -n "$kafka_bin" ]; then
                topics_tool=("$kafka_bin/kafka-topics.sh")
                acls_tool=("$kafka_bin/kafka-acls.sh")
        elif command -v kafka-topics.sh >/dev/null; then
                topics_tool=(kafka-topics.sh)
                acls_tool=(kafka-acls.sh)
        elif command -v kafka-topics >/dev/null; then
                topics_tool=(kafka-topics)
                acls_tool=(kafka-acls)
        elif [ "$dry_run" = 1 ]; then
                topics_tool=(kafka-topics.sh)
                acls_tool=(kafka-acls.sh)
        else
                die "no kafka-topics.sh found: give --kafka-bin DIR," \
                        "set KAFKA_HOME, or use --local"
        fi
        if [ "$dry_run" = 0 ] && [ -n "$kafka_bin" ]; then
                [ -x "${topics_tool[0]}" ] ||
                        die "${topics_tool[0]}: not an executable file"
        fi
fi
[ -n "$bootstrap" ] || die "--bootstrap HOST:PORT is required (or --local)"

common=(--bootstrap-server "$bootstrap")
[ -z "$command_config" ] || common+=(--command-config "$command_config")

run() {
        if [ "$dry_run" = 1 ]; then
                printf '%q ' "$@" | sed 's/ $//'
                echo
        else
                "$@"
        fi
}

days_ms() {
        echo $(($1 * 86400000))
}

create_topic() { # create_topic NAME PARTITIONS RETENTION_DAYS
        run "${topics_tool[@]}" "${common[@]}" --create --if-not-exists \
                --topic "$1" --partitions "$2" \
                --replication-factor "$replication_factor" \
                --config "retention.ms=$(days_ms "$3")" \
                --config cleanup.policy=delete \
                --config "min.insync.replicas=$min_isr"
}

# A topic that existed before keeps its partition count: say so rather
# than leave a difference unnoticed.
check_partitions() { # check_partitions NAME PARTITIONS
        local out count
        out=$("${topics_tool[@]}" "${common[@]}" --describe --topic "$1")
        count=$(printf '%s\n' "$out" |
                sed -n 's/.*PartitionCount:[[:space:]]*\([0-9]*\).*/\1/p' |
                head -n 1)
        [ -n "$count" ] || die "$1: not found after creation"
        if [ "$count" != "$2" ]; then
                die "$1 exists with $count partitions, not $2 (partitions" \
                        "can only be added: kafka-topics.sh --alter" \
                        "--partitions $2, which moves keys to new partitions)"
        fi
        echo "provision: $1: $count partitions"
}

acl() { # acl ARG...: one kafka-acls.sh --add
        run "${acls_tool[@]}" "${common[@]}" --add "$@"
}

if [ "$topics" = 1 ]; then
        echo "provision: topics on $bootstrap" >&2
        create_topic "$raw" "$partitions" "$raw_days"
        create_topic "$anonymised" "$partitions" "$anonymised_days"
        create_topic "$sealed" "$partitions" "$sealed_days"
        create_topic "$dead_letter" "$dead_letter_partitions" \
                "$dead_letter_days"
fi
if [ "$dry_run" = 0 ] && [ "$topics" = 1 ]; then
        check_partitions "$raw" "$partitions"
        check_partitions "$anonymised" "$partitions"
        check_partitions "$sealed" "$partitions"
        check_partitions "$dead_letter" "$dead_letter_partitions"
fi

if [ "$acls" = 0 ]; then
        echo "provision: ACLs skipped (--no-acls)" >&2
        exit 0
fi

echo "provision: ACLs for $processor, $analytics and $custodian" >&2
# The processor: consume the raw topic in its group, commit the offsets
# inside its transactions, produce the three outputs.  Write on a topic
# also grants idempotent production (Kafka 3.0 and later, KIP-679).
acl --allow-principal "$processor" --operation Read --operation Describe \
        --topic "$raw"
acl --allow-principal "$processor" --operation Read --operation Describe \
        --group "$group"
acl --allow-principal "$processor" --operation Write --operation Describe \
        --topic "$anonymised" --topic "$sealed" --topic "$dead_letter"
acl --allow-principal "$processor" --operation Write --operation Describe \
        --transactional-id "$txn_prefix" --resource-pattern-type prefixed

# Analytics: the anonymised topic and nothing else.
acl --allow-principal "$analytics" --operation Read --operation Describe \
        --topic "$anonymised"
acl --allow-principal "$analytics" --operation Read --operation Describe \
        --group "$analytics_group_prefix" --resource-pattern-type prefixed
acl --deny-principal "$analytics" --operation All \
        --topic "$raw" --topic "$sealed" --topic "$dead_letter"

# The custodian: the sealed topic, which only its private keys open.
acl --allow-principal "$custodian" --operation Read --operation Describe \
        --topic "$sealed"
acl --allow-principal "$custodian" --operation Read --operation Describe \
        --group "$custodian_group_prefix" --resource-pattern-type prefixed

echo "provision: done" >&2
