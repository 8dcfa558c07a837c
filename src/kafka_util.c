/*
 * Kafka helpers shared by the commands that talk to a cluster: see
 * kafka_util.h.
 */
#include "cdranon/kafka_util.h"

#include <stdlib.h>
#include <string.h>

/* The role column (C/P) of librdkafka 2.0's CONFIGURATION.md. */
static const char *const producer_props[] = {
    "acks",
    "batch.num.messages",
    "batch.size",
    "compression.codec",
    "compression.level",
    "compression.type",
    "delivery.report.only.error",
    "delivery.timeout.ms",
    "enable.gapless.guarantee",
    "enable.idempotence",
    "linger.ms",
    "message.send.max.retries",
    "message.timeout.ms",
    "partitioner",
    "produce.offset.report",
    "queue.buffering.backpressure.threshold",
    "queue.buffering.max.kbytes",
    "queue.buffering.max.messages",
    "queue.buffering.max.ms",
    "queuing.strategy",
    "request.required.acks",
    "request.timeout.ms",
    "retries",
    "retry.backoff.ms",
    "sticky.partitioning.linger.ms",
    "transaction.timeout.ms",
    "transactional.id",
};

static const char *const consumer_props[] = {
    "auto.commit.enable",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "check.crcs",
    "consume.callback.max.messages",
    "coordinator.query.interval.ms",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "enable.partition.eof",
    "fetch.error.backoff.ms",
    "fetch.max.bytes",
    "fetch.message.max.bytes",
    "fetch.min.bytes",
    "fetch.wait.max.ms",
    "group.id",
    "group.instance.id",
    "group.protocol.type",
    "heartbeat.interval.ms",
    "isolation.level",
    "max.partition.fetch.bytes",
    "max.poll.interval.ms",
    "offset.store.method",
    "offset.store.path",
    "offset.store.sync.interval.ms",
    "partition.assignment.strategy",
    "queued.max.messages.kbytes",
    "queued.min.messages",
    "session.timeout.ms",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *name, const char *const *list, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (strcmp(name, list[i]) == 0)
                        return 1;
        return 0;
}

int cdr_kafka_prop_foreign(const char *name, cdr_kafka_role_t role)
{
        if (role == CDR_KAFKA_PRODUCER)
                return in_list(name, consumer_props, NELEM(consumer_props));
        return in_list(name, producer_props, NELEM(producer_props));
}

const char *cdr_kafka_config_get(const cdr_config_t *config, const char *name)
{
        size_t i;

        for (i = 0; i < config->nkafka; i++)
                if (strcmp(config->kafka[i].name, name) == 0)
                        return config->kafka[i].value;
        return NULL;
}

int cdr_kafka_split_prop(const char *arg, char *name, size_t name_size,
                         const char **value, char *errstr, size_t errstr_size)
{
        const char *eq = strchr(arg, '=');
        size_t n;

        if (eq == NULL || eq == arg) {
                cdr_errf(errstr, errstr_size,
                         "-X: expected name=value, a librdkafka property");
                return CDR_ERR_INVAL;
        }
        n = (size_t)(eq - arg);
        if (n >= name_size) {
                cdr_errf(errstr, errstr_size, "-X: property name too long");
                return CDR_ERR_INVAL;
        }
        memcpy(name, arg, n);
        name[n] = '\0';
        *value = eq + 1;
        return CDR_OK;
}

int cdr_kafka_conf_set(rd_kafka_conf_t *conf, const char *name,
                       const char *value, char *errstr, size_t errstr_size)
{
        char msg[512];

        msg[0] = '\0';
        if (rd_kafka_conf_set(conf, name, value, msg, sizeof(msg)) !=
            RD_KAFKA_CONF_OK) {
                cdr_errf(errstr, errstr_size, "-X %s: %s", name, msg);
                return CDR_ERR_INVAL;
        }
        return CDR_OK;
}

rd_kafka_conf_t *cdr_kafka_conf_from_config(const cdr_config_t *config,
                                            cdr_kafka_role_t role, char *errstr,
                                            size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char msg[512];
        size_t i;

        if (conf == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (i = 0; i < config->nkafka; i++) {
                const cdr_kv_t *kv = &config->kafka[i];

                if (cdr_kafka_prop_foreign(kv->name, role))
                        continue;
                msg[0] = '\0';
                if (rd_kafka_conf_set(conf, kv->name, kv->value, msg,
                                      sizeof(msg)) == RD_KAFKA_CONF_OK)
                        continue;
                if (kv->line > 0)
                        cdr_errf(errstr, errstr_size, "%s:%d: kafka.%s: %s",
                                 config->path, kv->line, kv->name, msg);
                else
                        cdr_errf(errstr, errstr_size, "-X %s: %s", kv->name,
                                 msg);
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        return conf;
}

int cdr_kafka_check_topics(rd_kafka_t *rk, const char *bootstrap,
                           const char *const *topics, const char *const *what,
                           size_t n, int *partitions, int timeout_ms,
                           char *errstr, size_t errstr_size)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        size_t i;
        int j;

        err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cdr_errf(errstr, errstr_size,
                         "cannot reach the Kafka cluster%s%s within %d s: %s",
                         bootstrap ? " at " : "", bootstrap ? bootstrap : "",
                         (timeout_ms + 999) / 1000, rd_kafka_err2str(err));
                return CDR_ERR_KAFKA;
        }
        for (i = 0; i < n; i++) {
                const struct rd_kafka_metadata_topic *t = NULL;

                for (j = 0; j < md->topic_cnt; j++)
                        if (strcmp(md->topics[j].topic, topics[i]) == 0) {
                                t = &md->topics[j];
                                break;
                        }
                if (t == NULL || t->err != RD_KAFKA_RESP_ERR_NO_ERROR ||
                    t->partition_cnt <= 0) {
                        cdr_errf(
                            errstr, errstr_size, "%s: topic '%s' %s", what[i],
                            topics[i],
                            t == NULL ||
                                    t->err ==
                                        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                ? "does not exist on the cluster"
                                : rd_kafka_err2str(t->err));
                        rd_kafka_metadata_destroy(md);
                        return CDR_ERR_NOTFOUND;
                }
                if (partitions != NULL)
                        partitions[i] = t->partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
        return CDR_OK;
}
