/*
 * librdkafka's mock cluster for the tests of the transaction steps and
 * of the pipeline: three brokers, the topics they use, a transactional
 * producer on it.
 */
#ifndef CDRANON_TESTS_MOCK_CLUSTER_H
#define CDRANON_TESTS_MOCK_CLUSTER_H

#include <criterion/criterion.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Request types of the Kafka protocol (the ApiKey of each request). */
#define API_PRODUCE               0
#define API_INIT_PRODUCER_ID      22
#define API_ADD_PARTITIONS_TO_TXN 24
#define API_ADD_OFFSETS_TO_TXN    25
#define API_END_TXN               26
#define API_TXN_OFFSET_COMMIT     28

#define TXN_ID "cdranon-test-txn"
#define GROUP  "cdranon-test-group"

static inline void quiet_log(const rd_kafka_t *rk, int level, const char *fac,
                             const char *buf)
{
        (void)rk;
        (void)level;
        (void)fac;
        (void)buf;
}

/* A mock cluster of three brokers with the topics the tests use. */
typedef struct {
        rd_kafka_t *handle; /* owns the mock cluster */
        rd_kafka_mock_cluster_t *mc;
        const char *bootstraps;
} mock_t;

static inline void mock_start(mock_t *m)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[256];

        rd_kafka_conf_set_log_cb(conf, quiet_log);
        m->handle =
            rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(m->handle, "%s", errstr);
        m->mc = rd_kafka_mock_cluster_new(m->handle, 3);
        cr_assert_not_null(m->mc);
        m->bootstraps = rd_kafka_mock_cluster_bootstraps(m->mc);
        cr_assert_eq(rd_kafka_mock_topic_create(m->mc, "raw", 2, 1), 0);
        cr_assert_eq(rd_kafka_mock_topic_create(m->mc, "anon", 2, 1), 0);
        cr_assert_eq(rd_kafka_mock_topic_create(m->mc, "sealed", 2, 1), 0);
        cr_assert_eq(rd_kafka_mock_topic_create(m->mc, "dead", 1, 1), 0);
        /* Different brokers for the two coordinators, as in a cluster. */
        rd_kafka_mock_coordinator_set(m->mc, "transaction", TXN_ID, 1);
        rd_kafka_mock_coordinator_set(m->mc, "group", GROUP, 2);
}

static inline void mock_stop(mock_t *m)
{
        rd_kafka_mock_cluster_destroy(m->mc);
        rd_kafka_destroy(m->handle);
}

static inline rd_kafka_t *txn_producer_id(const mock_t *m, const char *txid)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[256];
        rd_kafka_t *rk;

        cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps,
                                       errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
        cr_assert_eq(rd_kafka_conf_set(conf, "transactional.id", txid, errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
        /* The mock answers at once: short backoffs keep the tests fast. */
        cr_assert_eq(rd_kafka_conf_set(conf, "retry.backoff.ms", "10", errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
        cr_assert_eq(rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "200",
                                       errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(rk, "%s", errstr);
        return rk;
}

#endif
