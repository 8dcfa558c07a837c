/*
 * The transaction steps (txn.h) on librdkafka's mock cluster (no broker
 * needed), under injected retriable, abortable and fatal errors on
 * Produce, InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn
 * and TxnOffsetCommit, a coordinator that moves and a broker that goes
 * down.
 *
 * The 2.0.2 mock does not make aborted records invisible nor store
 * transactional offset commits, so exactly-once itself is proven on the
 * real broker (tests/integration/); here the counters show which way each
 * error was handled.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cdranon/txn.h"
#include "mock_cluster.h"

#define RETRY_MS 20000

/* One transaction as the pipeline makes it: begin, a record to an output
 * topic, the input offsets, commit. */
static int one_transaction(rd_kafka_t *rk, int timeout_ms,
                           cdr_txn_stats_t *stats, char *errstr,
                           size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *offsets;
        rd_kafka_consumer_group_metadata_t *cgmd;
        int rc;

        rd_kafka_resp_err_t err;

        cr_assert_eq(cdr_txn_begin(rk, errstr, errstr_size), CDR_OK, "%s",
                     errstr);
        err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("anon"),
                                RD_KAFKA_V_VALUE("{}", 2), RD_KAFKA_V_END);
        cr_assert_eq(err, RD_KAFKA_RESP_ERR_NO_ERROR, "produce: %s",
                     rd_kafka_err2name(err));
        offsets = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(offsets, "raw", 0)->offset = 42;
        cgmd = rd_kafka_consumer_group_metadata_new(GROUP);
        rc = cdr_txn_commit(rk, offsets, cgmd, timeout_ms, RETRY_MS, stats,
                            errstr, errstr_size);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        rd_kafka_topic_partition_list_destroy(offsets);
        return rc;
}

static rd_kafka_t *txn_producer(const mock_t *m)
{
        return txn_producer_id(m, TXN_ID);
}

typedef struct {
        const char *name;
        int16_t api;
        size_t nerrors;
        rd_kafka_resp_err_t errors[4];
} fault_t;

/* Retriable errors: librdkafka retries most of them itself; none may end
 * in an abort or a failure. */
static const fault_t retriable[] = {
    {"Produce NOT_ENOUGH_REPLICAS",
     API_PRODUCE,
     2,
     {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION}},
    {"AddPartitionsToTxn CONCURRENT_TRANSACTIONS",
     API_ADD_PARTITIONS_TO_TXN,
     2,
     {RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
      RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}},
    {"AddOffsetsToTxn NOT_COORDINATOR",
     API_ADD_OFFSETS_TO_TXN,
     3,
     {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
      RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
      RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS}},
    {"TxnOffsetCommit NOT_COORDINATOR",
     API_TXN_OFFSET_COMMIT,
     2,
     {RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
      RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS}},
    {"EndTxn COORDINATOR_NOT_AVAILABLE",
     API_END_TXN,
     3,
     {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
      RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
      RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS}},
};

/* Abortable errors: the transaction is aborted, and the producer can run
 * the next one. */
static const fault_t abortable[] = {
    {"Produce UNKNOWN_PRODUCER_ID",
     API_PRODUCE,
     1,
     {RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID}},
    {"AddPartitionsToTxn TOPIC_AUTHORIZATION_FAILED",
     API_ADD_PARTITIONS_TO_TXN,
     1,
     {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED}},
    {"AddOffsetsToTxn GROUP_AUTHORIZATION_FAILED",
     API_ADD_OFFSETS_TO_TXN,
     1,
     {RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED}},
    {"TxnOffsetCommit GROUP_AUTHORIZATION_FAILED",
     API_TXN_OFFSET_COMMIT,
     1,
     {RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED}},
    {"EndTxn UNKNOWN_PRODUCER_ID",
     API_END_TXN,
     1,
     {RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID}},
    {"EndTxn INVALID_PRODUCER_ID_MAPPING",
     API_END_TXN,
     1,
     {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING}},
};

/* Fatal errors, fencing included: the step fails and says why.
 * INVALID_PRODUCER_EPOCH from the coordinator is fencing (librdkafka
 * reports _FENCED), not the recoverable kind. */
static const fault_t fatal[] = {
    {"AddPartitionsToTxn TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
     API_ADD_PARTITIONS_TO_TXN,
     1,
     {RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED}},
    {"AddOffsetsToTxn INVALID_PRODUCER_EPOCH",
     API_ADD_OFFSETS_TO_TXN,
     1,
     {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH}},
    {"TxnOffsetCommit INVALID_PRODUCER_EPOCH",
     API_TXN_OFFSET_COMMIT,
     1,
     {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH}},
    {"Produce INVALID_PRODUCER_EPOCH",
     API_PRODUCE,
     1,
     {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH}},
    {"EndTxn PRODUCER_FENCED",
     API_END_TXN,
     1,
     {RD_KAFKA_RESP_ERR_PRODUCER_FENCED}},
    {"EndTxn TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
     API_END_TXN,
     1,
     {RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED}},
};

/* The errors librdkafka 2.0.2 makes fatal that a new producer recovers
 * from: the step asks for one. */
static const fault_t recreate[] = {
    {"Produce OUT_OF_ORDER_SEQUENCE_NUMBER",
     API_PRODUCE,
     1,
     {RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER}},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void push(const mock_t *m, const fault_t *f)
{
        rd_kafka_mock_push_request_errors_array(m->mc, f->api, f->nerrors,
                                                f->errors);
}

Test(txn, retriable_errors_are_retried)
{
        static const rd_kafka_resp_err_t init_errors[] = {
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS};
        cdr_txn_stats_t stats = {0};
        char errstr[512];
        mock_t m;
        rd_kafka_t *rk;
        size_t i;
        int rc;

        mock_start(&m);
        rd_kafka_mock_push_request_errors_array(
            m.mc, API_INIT_PRODUCER_ID, NELEM(init_errors), init_errors);
        rk = txn_producer(&m);
        cr_assert_eq(
            cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr, sizeof(errstr)),
            CDR_OK, "InitProducerId: %s", errstr);
        for (i = 0; i < NELEM(retriable); i++) {
                push(&m, &retriable[i]);
                errstr[0] = '\0';
                rc = one_transaction(rk, -1, &stats, errstr, sizeof(errstr));
                cr_assert_eq(rc, CDR_OK, "%s: %d: %s", retriable[i].name, rc,
                             errstr);
        }
        cr_assert_eq(stats.committed, NELEM(retriable));
        cr_assert_eq(stats.aborted, 0);

        /* A retriable error that reaches the caller: the commit takes
         * longer than the call may wait, so the call times out and the
         * step calls it again, which resumes the commit. */
        rd_kafka_mock_broker_push_request_error_rtts(
            m.mc, 1, API_END_TXN, 1, RD_KAFKA_RESP_ERR_NO_ERROR, 1500);
        rc = one_transaction(rk, 300, &stats, errstr, sizeof(errstr));
        cr_assert_eq(rc, CDR_OK, "slow EndTxn: %s", errstr);
        cr_assert_gt(stats.retries, 0, "the timeout was not retried");
        cr_assert_eq(stats.aborted, 0);

        rd_kafka_destroy(rk);
        mock_stop(&m);
}

Test(txn, abortable_errors_abort)
{
        cdr_txn_stats_t stats = {0};
        char errstr[512];
        mock_t m;
        rd_kafka_t *rk;
        size_t i;
        int rc;

        mock_start(&m);
        rk = txn_producer(&m);
        cr_assert_eq(
            cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
        for (i = 0; i < NELEM(abortable); i++) {
                push(&m, &abortable[i]);
                errstr[0] = '\0';
                rc = one_transaction(rk, -1, &stats, errstr, sizeof(errstr));
                cr_assert_eq(rc, CDR_TXN_ABORTED, "%s: %d: %s",
                             abortable[i].name, rc, errstr);
                cr_assert_neq(errstr[0], '\0', "%s: no reason given",
                              abortable[i].name);
                cr_assert_eq(stats.aborted, i + 1);
                /* The producer goes on with a new transaction. */
                rc = one_transaction(rk, -1, &stats, errstr, sizeof(errstr));
                cr_assert_eq(rc, CDR_OK, "after %s: %s", abortable[i].name,
                             errstr);
        }
        cr_assert_eq(stats.committed, NELEM(abortable));
        rd_kafka_destroy(rk);
        mock_stop(&m);
}

Test(txn, fatal_errors_stop)
{
        cdr_txn_stats_t stats;
        char errstr[512];
        mock_t m;
        rd_kafka_t *rk;
        size_t i;
        int rc;

        mock_start(&m);
        for (i = 0; i < NELEM(fatal); i++) {
                char txid[64];

                /* A producer of its own for each: a fatal error ends it. */
                snprintf(txid, sizeof(txid), "fatal-%zu", i);
                memset(&stats, 0, sizeof(stats));
                rk = txn_producer_id(&m, txid);
                cr_assert_eq(cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr,
                                          sizeof(errstr)),
                             CDR_OK, "%s", errstr);
                push(&m, &fatal[i]);
                errstr[0] = '\0';
                rc = one_transaction(rk, -1, &stats, errstr, sizeof(errstr));
                cr_assert_eq(rc, CDR_ERR_KAFKA, "%s: %d: %s", fatal[i].name, rc,
                             errstr);
                cr_assert_neq(errstr[0], '\0', "%s: no reason given",
                              fatal[i].name);
                cr_assert_eq(stats.committed, 0, "%s", fatal[i].name);
                rd_kafka_destroy(rk);
        }

        /* At start: InitProducerId refused for good. */
        memset(&stats, 0, sizeof(stats));
        rd_kafka_mock_push_request_errors(
            m.mc, API_INIT_PRODUCER_ID, 1,
            RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        rk = txn_producer(&m);
        errstr[0] = '\0';
        rc = cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr, sizeof(errstr));
        cr_assert_eq(rc, CDR_ERR_KAFKA, "InitProducerId: %d", rc);
        cr_assert_not_null(strstr(errstr, "init_transactions"), "%s", errstr);
        rd_kafka_destroy(rk);
        mock_stop(&m);
}

struct broker_up {
        rd_kafka_mock_cluster_t *mc;
        int32_t broker;
        int after_ms;
};

static void *bring_up(void *arg)
{
        struct broker_up *b = arg;

        usleep((useconds_t)b->after_ms * 1000);
        rd_kafka_mock_broker_set_up(b->mc, b->broker);
        return NULL;
}

Test(txn, coordinator_moves_and_comes_back)
{
        cdr_txn_stats_t stats = {0};
        struct broker_up up;
        pthread_t thread;
        char errstr[512];
        mock_t m;
        rd_kafka_t *rk;

        mock_start(&m);
        rk = txn_producer(&m);
        cr_assert_eq(
            cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
        cr_assert_eq(one_transaction(rk, -1, &stats, errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);

        /* Both coordinators move to other brokers between transactions. */
        rd_kafka_mock_coordinator_set(m.mc, "transaction", TXN_ID, 3);
        rd_kafka_mock_coordinator_set(m.mc, "group", GROUP, 1);
        cr_assert_eq(one_transaction(rk, -1, &stats, errstr, sizeof(errstr)),
                     CDR_OK, "after the coordinators moved: %s", errstr);

        /* The transaction coordinator is down for a second during the
         * commit; the step waits it out. */
        up.mc = m.mc;
        up.broker = 3;
        up.after_ms = 1000;
        rd_kafka_mock_broker_set_down(m.mc, 3);
        cr_assert_eq(pthread_create(&thread, NULL, bring_up, &up), 0);
        cr_assert_eq(one_transaction(rk, 500, &stats, errstr, sizeof(errstr)),
                     CDR_OK, "with the coordinator down: %s", errstr);
        pthread_join(thread, NULL);
        cr_assert_eq(stats.committed, 3);
        cr_assert_eq(stats.aborted, 0);
        rd_kafka_destroy(rk);
        mock_stop(&m);
}

/* The class of each kind of error, fencing apart from the recoverable
 * fatal ones, a commit or abort of unknown outcome apart from any other
 * call that ran out of time. */
Test(txn, classification)
{
        static const struct {
                rd_kafka_resp_err_t code;
                unsigned flags;
                int want;
        } cases[] = {
            {RD_KAFKA_RESP_ERR__FENCED, CDR_TXN_F_FATAL, CDR_TXN_CLASS_FATAL},
            {RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
             CDR_TXN_F_FATAL | CDR_TXN_F_END_TXN, CDR_TXN_CLASS_FATAL},
            {RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
             CDR_TXN_F_FATAL | CDR_TXN_F_END_TXN, CDR_TXN_CLASS_FATAL},
            {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, CDR_TXN_F_FATAL,
             CDR_TXN_CLASS_RECREATE},
            {RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, CDR_TXN_F_FATAL,
             CDR_TXN_CLASS_RECREATE},
            {RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE,
             CDR_TXN_F_FATAL | CDR_TXN_F_END_TXN, CDR_TXN_CLASS_RECREATE},
            {RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID,
             CDR_TXN_F_ABORTABLE | CDR_TXN_F_END_TXN, CDR_TXN_CLASS_ABORT},
            {RD_KAFKA_RESP_ERR__TIMED_OUT,
             CDR_TXN_F_RETRIABLE | CDR_TXN_F_END_TXN, CDR_TXN_CLASS_RETRY},
            {RD_KAFKA_RESP_ERR__TIMED_OUT,
             CDR_TXN_F_RETRIABLE | CDR_TXN_F_END_TXN | CDR_TXN_F_PAST_DEADLINE,
             CDR_TXN_CLASS_RECREATE},
            {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
             CDR_TXN_F_RETRIABLE | CDR_TXN_F_END_TXN | CDR_TXN_F_PAST_DEADLINE,
             CDR_TXN_CLASS_RECREATE},
            {RD_KAFKA_RESP_ERR__TIMED_OUT,
             CDR_TXN_F_RETRIABLE | CDR_TXN_F_PAST_DEADLINE,
             CDR_TXN_CLASS_FATAL},
            {RD_KAFKA_RESP_ERR__TRANSPORT, CDR_TXN_F_END_TXN,
             CDR_TXN_CLASS_RECREATE},
            {RD_KAFKA_RESP_ERR__TIMED_OUT, CDR_TXN_F_END_TXN,
             CDR_TXN_CLASS_RECREATE},
            {RD_KAFKA_RESP_ERR__TRANSPORT, 0, CDR_TXN_CLASS_FATAL},
            {RD_KAFKA_RESP_ERR__STATE, CDR_TXN_F_END_TXN, CDR_TXN_CLASS_FATAL},
        };
        size_t i;

        for (i = 0; i < NELEM(cases); i++)
                cr_expect_eq(cdr_txn_class(cases[i].code, cases[i].flags),
                             cases[i].want, "%s flags %#x: %d, want %d",
                             rd_kafka_err2name(cases[i].code), cases[i].flags,
                             cdr_txn_class(cases[i].code, cases[i].flags),
                             cases[i].want);
}

/* The recoverable fatal errors ask for a new producer, and the new one
 * (same transactional id) commits the next transaction. */
Test(txn, recoverable_fatal_errors_recreate)
{
        cdr_txn_stats_t stats;
        char errstr[512];
        mock_t m;
        rd_kafka_t *rk;
        size_t i;
        int rc;

        mock_start(&m);
        for (i = 0; i < NELEM(recreate); i++) {
                memset(&stats, 0, sizeof(stats));
                rk = txn_producer(&m);
                cr_assert_eq(cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr,
                                          sizeof(errstr)),
                             CDR_OK, "%s", errstr);
                push(&m, &recreate[i]);
                errstr[0] = '\0';
                rc = one_transaction(rk, -1, &stats, errstr, sizeof(errstr));
                cr_assert_eq(rc, CDR_TXN_RECREATE, "%s: %d: %s",
                             recreate[i].name, rc, errstr);
                cr_assert_neq(errstr[0], '\0', "%s: no reason given",
                              recreate[i].name);
                cr_assert_eq(stats.committed, 0, "%s", recreate[i].name);
                rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE |
                                       RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_destroy_flags(rk,
                                       RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);

                rk = txn_producer(&m);
                cr_assert_eq(cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr,
                                          sizeof(errstr)),
                             CDR_OK, "after %s: %s", recreate[i].name, errstr);
                rc = one_transaction(rk, -1, &stats, errstr, sizeof(errstr));
                cr_assert_eq(rc, CDR_OK, "after %s: %s", recreate[i].name,
                             errstr);
                rd_kafka_destroy(rk);
        }
        mock_stop(&m);
}

/* A commit whose EndTxn is answered after the retry budget is spent: its
 * outcome is unknown, so the step asks for a new producer rather than
 * retrying on this epoch. */
Test(txn, commit_past_the_deadline_recreates)
{
        cdr_txn_stats_t stats = {0};
        rd_kafka_topic_partition_list_t *offsets;
        rd_kafka_consumer_group_metadata_t *cgmd;
        char errstr[512];
        mock_t m;
        rd_kafka_t *rk;
        int rc;

        mock_start(&m);
        rk = txn_producer(&m);
        cr_assert_eq(
            cdr_txn_init(rk, -1, RETRY_MS, &stats, errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
        cr_assert_eq(cdr_txn_begin(rk, errstr, sizeof(errstr)), CDR_OK, "%s",
                     errstr);
        cr_assert_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("anon"),
                                       RD_KAFKA_V_VALUE("{}", 2),
                                       RD_KAFKA_V_END),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
        offsets = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(offsets, "raw", 0)->offset = 42;
        cgmd = rd_kafka_consumer_group_metadata_new(GROUP);
        /* The coordinator (broker 1) answers EndTxn after 1.5 s; each call
         * waits 200 ms, the retries stop after 600 ms. */
        rd_kafka_mock_broker_push_request_error_rtts(
            m.mc, 1, API_END_TXN, 1, RD_KAFKA_RESP_ERR_NO_ERROR, 1500);
        errstr[0] = '\0';
        rc = cdr_txn_commit(rk, offsets, cgmd, 200, 600, &stats, errstr,
                            sizeof(errstr));
        cr_assert_eq(rc, CDR_TXN_RECREATE, "%d: %s", rc, errstr);
        cr_assert_not_null(strstr(errstr, "commit_transaction"), "%s", errstr);
        cr_assert_eq(stats.committed, 0);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        rd_kafka_topic_partition_list_destroy(offsets);
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        mock_stop(&m);
}

/* At most CDR_TXN_RECREATE_MAX re-creations within the window, each
 * after twice the wait of the one before; a refusal is not counted, and
 * as the oldest ones leave the window, re-creations are allowed again. */
Test(txn, recreations_are_bounded)
{
        cdr_txn_budget_t budget = {0};
        int64_t t = 1000000, first;
        int k, wait;

        first = t + CDR_TXN_RECREATE_BACKOFF_MS;
        for (k = 0; k < CDR_TXN_RECREATE_MAX; k++) {
                wait = cdr_txn_recreate_wait(&budget, t);
                cr_assert_eq(wait, CDR_TXN_RECREATE_BACKOFF_MS << k, "%d: %d",
                             k, wait);
                t += wait + 1000;
        }
        cr_assert_eq(cdr_txn_recreate_wait(&budget, t), -1);
        cr_assert_eq(cdr_txn_recreate_wait(&budget, t + 1), -1);
        /* The first re-creation leaves the window: one more, after the
         * longest wait, since four are still in it. */
        t = first + CDR_TXN_RECREATE_WINDOW_MS;
        cr_assert_eq(cdr_txn_recreate_wait(&budget, t),
                     CDR_TXN_RECREATE_BACKOFF_MS << (CDR_TXN_RECREATE_MAX - 1));
        cr_assert_eq(cdr_txn_recreate_wait(&budget, t), -1);
        /* A quiet window: back to the shortest wait. */
        t += 2 * (int64_t)CDR_TXN_RECREATE_WINDOW_MS;
        cr_assert_eq(cdr_txn_recreate_wait(&budget, t),
                     CDR_TXN_RECREATE_BACKOFF_MS);
}
