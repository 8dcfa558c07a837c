/*
 * Stream mode on librdkafka's mock cluster (no broker needed): the whole
 * pipeline, a clean run, an abortable error (abort and rewind), a
 * fencing error (fatal), and the start-up errors.  The transaction steps
 * it is built on are tested under injected errors in test_txn.c.
 *
 * The 2.0.2 mock does not make aborted records invisible nor store
 * transactional offset commits, so exactly-once itself is proven on the
 * real broker (tests/integration/); here the counters show which way each
 * error was handled.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdranon/config.h"
#include "cdranon/gen.h"
#include "cdranon/pipeline.h"
#include "cdranon/transform.h"
#include "cdranon/keyfile.h"
#include "cdranon/unseal.h"
#include "mock_cluster.h"

#define RETRY_MS 20000
#define RECORDS  400 /* input records, over 2 partitions */

/*
 * The whole pipeline over the mock cluster.
 */

static char tmpdir[64];

static void make_tmpdir(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/cdranon-test-pipeline-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(pipeline, .init = make_tmpdir, .fini = remove_tmpdir);

static void write_file(const char *name, const char *text, mode_t mode)
{
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
        cr_assert_geq(fd, 0, "%s", path);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

/* The outputs and allow-list of test_config. */
static const char default_outputs[] =
    "output:\n"
    "  anonymised: {topic: anon, key: caller}\n"
    "  sealed: {topic: sealed}\n"
    "  dead_letter: {topic: dead}\n"
    "fields:\n"
    "  record_id: keep number\n"
    "  caller: {from: calling_number, action: pseudonymise "
    "msisdn}\n"
    "  start_time: truncate hour\n";

/* Keys and a configuration in tmpdir for the generator's CSV layout,
 * with `outputs` (the output: section and the allow-list or purposes);
 * `extra` is appended to the YAML. */
static cdr_config_t *config_with(const char *bootstraps, const char *outputs,
                                 const char *extra, const char *txid)
{
        char path[256], priv[256], pub[256], errstr[512], yaml[4096];
        cdr_config_t *config;

        write_file("hmac.key",
                   "k1 000102030405060708090a0b0c0d0e0f"
                   "101112131415161718191a1b1c1d1e1f\n",
                   0600);
        snprintf(priv, sizeof(priv), "%s/custodian.pem", tmpdir);
        snprintf(pub, sizeof(pub), "%s/custodian.pub", tmpdir);
        if (access(priv, F_OK) != 0)
                cr_assert_eq(
                    cdr_custodian_keygen(priv, pub, errstr, sizeof(errstr)),
                    CDR_OK, "%s", errstr);
        snprintf(yaml, sizeof(yaml),
                 "input:\n"
                 "  topic: raw\n"
                 "  group: " GROUP "\n"
                 "  csv:\n"
                 "    columns: [record_id, record_type, start_time, "
                 "end_time, duration, calling_number, called_number, imsi, "
                 "imei, cell_id, bytes_up, bytes_down, cause_for_term, "
                 "subscriber_name, subscriber_address, payment_ref]\n"
                 "keys:\n"
                 "  hmac: hmac.key\n"
                 "  custodian_public: custodian.pub\n"
                 "%s%s",
                 outputs, extra ? extra : "");
        write_file("config.yaml", yaml, 0644);
        snprintf(path, sizeof(path), "%s/config.yaml", tmpdir);
        config = cdr_config_load(path, errstr, sizeof(errstr));
        cr_assert_not_null(config, "%s", errstr);
        cr_assert_eq(cdr_config_set(config, "bootstrap.servers", bootstraps,
                                    errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        cr_assert_eq(cdr_config_set(config, "retry.backoff.ms", "10", errstr,
                                    sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        if (txid != NULL)
                cr_assert_eq(cdr_config_set(config, "transactional.id", txid,
                                            errstr, sizeof(errstr)),
                             CDR_OK, "%s", errstr);
        return config;
}

static cdr_config_t *test_config(const char *bootstraps, const char *extra,
                                 const char *txid)
{
        return config_with(bootstraps, default_outputs, extra, txid);
}

/* n generated records (some malformed) to the mock's input topic. */
static void produce_input(const mock_t *m, int n)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        cdr_gen_options_t opts;
        cdr_buf_t buf = CDR_BUF_INIT;
        cdr_gen_t *gen;
        char errstr[256];
        rd_kafka_t *rk;
        int i;

        cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps,
                                       errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(rk, "%s", errstr);
        cdr_gen_options_default(&opts);
        opts.subscribers = 1000;
        opts.malformed_share = 0.05;
        gen = cdr_gen_new(&opts, errstr, sizeof(errstr));
        cr_assert_not_null(gen, "%s", errstr);
        for (i = 0; i < n; i++) {
                cdr_buf_reset(&buf);
                cr_assert_eq(cdr_gen_record(gen, &buf, NULL), CDR_OK);
                cr_assert_eq(
                    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("raw"),
                                      RD_KAFKA_V_PARTITION(i % 2),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_VALUE(buf.data, buf.len - 1),
                                      RD_KAFKA_V_END),
                    RD_KAFKA_RESP_ERR_NO_ERROR);
        }
        cr_assert_eq(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        cdr_buf_free(&buf);
        cdr_gen_destroy(gen);
        rd_kafka_destroy(rk);
}

/* Polls until at least `records` records have gone through and nothing
 * more comes for a second, then commits; at most 30 s. */
static int run_until(cdr_pipeline_t *p, uint64_t records, char *errstr,
                     size_t errstr_size)
{
        cdr_pipeline_stats_t st;
        uint64_t last = 0;
        int i, idle = 0, rc;

        for (i = 0; i < 300; i++) {
                rc = cdr_pipeline_poll(p, 100, errstr, errstr_size);
                if (rc != CDR_OK)
                        return rc;
                cdr_pipeline_stats(p, &st);
                idle = st.records == last ? idle + 1 : 0;
                last = st.records;
                if (st.records >= records && idle >= 10)
                        return cdr_pipeline_commit(p, errstr, errstr_size);
        }
        cdr_errf(errstr, errstr_size, "not done in 30 s");
        return CDR_ERR_INVAL;
}

/* How many sealed copies of each input record (partition, offset) the
 * mock's sealed topic holds: aborted ones included, since the mock
 * keeps them visible. */
static void count_sealed(const mock_t *m, int counts[2][RECORDS])
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *asg;
        cdr_unsealer_t *unsealer = cdr_unsealer_new();
        cdr_buf_t plain = CDR_BUF_INIT;
        cdr_sealed_meta_t meta;
        char errstr[512], key[256];
        rd_kafka_t *rk;
        int eof = 0, idle = 0, i;

        snprintf(key, sizeof(key), "%s/custodian.pem", tmpdir);
        cr_assert_eq(
            cdr_unsealer_add_key_file(unsealer, key, errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
        cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps,
                                       errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
        rd_kafka_conf_set(conf, "group.id", "count", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                          sizeof(errstr));
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(rk, "%s", errstr);
        asg = rd_kafka_topic_partition_list_new(2);
        for (i = 0; i < 2; i++)
                rd_kafka_topic_partition_list_add(asg, "sealed", i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        cr_assert_eq(rd_kafka_assign(rk, asg), 0);
        rd_kafka_topic_partition_list_destroy(asg);
        memset(counts, 0, sizeof(int) * 2 * RECORDS);
        while (eof < 2 && idle < 100) {
                rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);

                if (msg == NULL) {
                        idle++;
                        continue;
                }
                idle = 0;
                if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        eof++;
                } else {
                        cr_assert_eq(msg->err, 0, "%s",
                                     rd_kafka_message_errstr(msg));
                        cr_assert_eq(cdr_unsealer_open(unsealer, msg->payload,
                                                       msg->len, &plain, &meta,
                                                       errstr, sizeof(errstr)),
                                     CDR_OK, "%s", errstr);
                        cr_assert(meta.source.partition >= 0 &&
                                  meta.source.partition < 2 &&
                                  meta.source.offset >= 0 &&
                                  meta.source.offset < RECORDS);
                        counts[meta.source.partition][meta.source.offset]++;
                }
                rd_kafka_message_destroy(msg);
        }
        cr_assert_eq(eof, 2, "the sealed topic was not read to its end");
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        cdr_buf_free(&plain);
        cdr_unsealer_destroy(unsealer);
}

static cdr_pipeline_opts_t quiet_opts(void)
{
        cdr_pipeline_opts_t opts;

        memset(&opts, 0, sizeof(opts));
        opts.kafka_log = quiet_log;
        opts.connect_timeout_ms = 5000;
        opts.retry_ms = RETRY_MS;
        return opts;
}

Test(pipeline, abortable_error_rewinds_then_fencing_stops)
{
        cdr_pipeline_opts_t opts = quiet_opts();
        static int counts[2][RECORDS];
        cdr_pipeline_stats_t st;
        cdr_config_t *config;
        cdr_engine_t *engine;
        cdr_pipeline_t *p;
        char errstr[512];
        int part, off, twice = 0, rc;
        mock_t m;

        mock_start(&m);
        produce_input(&m, RECORDS);
        config = test_config(m.bootstraps,
                             "pipeline:\n  threads: 2\n"
                             "  commit_records: 100\n",
                             TXN_ID);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        p = cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr));
        cr_assert_not_null(p, "%s", errstr);
        cr_assert_str_eq(cdr_pipeline_transactional_id(p), TXN_ID);

        /* The first commit fails in a way that requires an abort. */
        rd_kafka_mock_push_request_errors(
            m.mc, API_END_TXN, 1, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID);
        cr_assert_eq(run_until(p, RECORDS + 1, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
        cdr_pipeline_stats(p, &st);
        cr_assert_eq(st.txn.aborted, 1);
        cr_assert_eq(st.rewinds, 1);
        cr_assert_eq(st.sealed, st.records);
        cr_assert_eq(st.published + st.suppressed + st.dead, st.records);
        cr_assert_gt(st.dead, 0, "the malformed records");
        cr_assert_eq(st.partitions, 2);
        /* Every record was produced; those of the aborted transaction
         * (the first records of each partition) twice, since the
         * rewind went back to where that transaction began. */
        count_sealed(&m, counts);
        for (part = 0; part < 2; part++) {
                int prefix = 1;

                for (off = 0; off < RECORDS / 2; off++) {
                        cr_assert(counts[part][off] == 1 ||
                                      counts[part][off] == 2,
                                  "input %d/%d sealed %d times", part, off,
                                  counts[part][off]);
                        if (counts[part][off] == 2) {
                                cr_assert(prefix,
                                          "input %d/%d reprocessed "
                                          "after one that was not",
                                          part, off);
                                twice++;
                        } else {
                                prefix = 0;
                        }
                }
        }
        cr_assert_gt(twice, 0);
        cr_assert_eq(st.records, (uint64_t)(RECORDS + twice));

        /* Another instance took the transactional.id: fatal. */
        rd_kafka_mock_push_request_errors(m.mc, API_END_TXN, 1,
                                          RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
        produce_input(&m, 20);
        errstr[0] = '\0';
        rc = run_until(p, st.records + 20, errstr, sizeof(errstr));
        cr_assert_eq(rc, CDR_ERR_KAFKA, "%d: %s", rc, errstr);
        cr_assert_not_null(strstr(errstr, "fenced"), "%s", errstr);
        /* Once fatal, always fatal. */
        cr_assert_eq(cdr_pipeline_poll(p, 10, errstr, sizeof(errstr)),
                     CDR_ERR_KAFKA);
        cr_assert_eq(cdr_pipeline_close(p, errstr, sizeof(errstr)),
                     CDR_ERR_KAFKA);
        cdr_pipeline_destroy(p);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        mock_stop(&m);
}

Test(pipeline, start_up_errors)
{
        cdr_pipeline_opts_t opts = quiet_opts();
        cdr_config_t *config;
        cdr_engine_t *engine;
        char errstr[512];
        mock_t m;

        /* Nothing listens on port 1. */
        opts.connect_timeout_ms = 1000;
        config = test_config("127.0.0.1:1", NULL, TXN_ID);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        cr_assert_null(cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr)));
        cr_assert_not_null(strstr(errstr, "cannot reach the Kafka cluster at "
                                          "127.0.0.1:1"),
                           "%s", errstr);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);

        /* A topic of the configuration missing on the cluster. */
        mock_start(&m);
        opts.connect_timeout_ms = 5000;
        config = test_config(m.bootstraps, NULL, TXN_ID);
        free(config->dead_letter_topic);
        config->dead_letter_topic = strdup("no-such-topic");
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        cr_assert_null(cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr)));
        cr_assert_str_eq(errstr, "output.dead_letter.topic: topic "
                                 "'no-such-topic' does not exist on the "
                                 "cluster");
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);

        /* A property the pipeline depends on, set otherwise. */
        config = test_config(m.bootstraps, NULL, TXN_ID);
        cr_assert_eq(cdr_config_set(config, "isolation.level",
                                    "read_uncommitted", errstr, sizeof(errstr)),
                     CDR_OK);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        cr_assert_null(cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr)));
        cr_assert_str_eq(errstr, "-X isolation.level: must be "
                                 "read_committed in stream mode (cdranon "
                                 "run sets it)");
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);

        /* The transactional.id refused at start. */
        config = test_config(m.bootstraps, NULL, TXN_ID);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        rd_kafka_mock_push_request_errors(
            m.mc, API_INIT_PRODUCER_ID, 1,
            RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        cr_assert_null(cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr)));
        cr_assert_not_null(
            strstr(errstr, "transactional.id '" TXN_ID "': init_transactions"),
            "%s", errstr);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        mock_stop(&m);
}

Test(pipeline, at_least_once_commits_delivered_offsets)
{
        static int counts[2][RECORDS];
        cdr_pipeline_opts_t opts = quiet_opts();
        rd_kafka_topic_partition_list_t *parts;
        cdr_pipeline_stats_t st;
        rd_kafka_conf_t *conf;
        cdr_config_t *config;
        cdr_engine_t *engine;
        cdr_pipeline_t *p;
        rd_kafka_t *rk;
        char errstr[512];
        int part, off;
        mock_t m;

        mock_start(&m);
        produce_input(&m, RECORDS);
        config = test_config(m.bootstraps, "delivery: at-least-once\n", NULL);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        p = cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr));
        cr_assert_not_null(p, "%s", errstr);
        cr_assert_null(cdr_pipeline_transactional_id(p));
        cr_assert_eq(run_until(p, RECORDS, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
        cdr_pipeline_stats(p, &st);
        cr_assert_eq(st.records, RECORDS);
        cr_assert_eq(st.txn.aborted, 0);
        cr_assert_gt(st.txn.committed, 0);
        cr_assert_eq(cdr_pipeline_close(p, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
        cdr_pipeline_destroy(p);

        /* The group's offsets are at the end of both partitions, and
         * every record has its sealed copy. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", m.bootstraps, errstr,
                          sizeof(errstr));
        rd_kafka_conf_set(conf, "group.id", GROUP, errstr, sizeof(errstr));
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(rk, "%s", errstr);
        parts = rd_kafka_topic_partition_list_new(2);
        rd_kafka_topic_partition_list_add(parts, "raw", 0);
        rd_kafka_topic_partition_list_add(parts, "raw", 1);
        cr_assert_eq(rd_kafka_committed(rk, parts, 5000), 0);
        cr_assert_eq(parts->elems[0].offset, RECORDS / 2);
        cr_assert_eq(parts->elems[1].offset, RECORDS / 2);
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_destroy(rk);
        count_sealed(&m, counts);
        for (part = 0; part < 2; part++)
                for (off = 0; off < RECORDS / 2; off++)
                        cr_assert_eq(counts[part][off], 1, "input %d/%d", part,
                                     off);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        mock_stop(&m);
}

/* The events of a pipeline: how many producer_recreated, and the last
 * one's message. */
static int recreated_events;
static char recreated_msg[768];

static void count_events(void *opaque, int level, const char *name,
                         const char *msg)
{
        (void)opaque;
        (void)level;
        if (strcmp(name, "producer_recreated") == 0) {
                recreated_events++;
                snprintf(recreated_msg, sizeof(recreated_msg), "%s", msg);
        }
}

/* The coordinator answers a commit's EndTxn only after the retry budget
 * is spent: the commit's outcome is unknown, so the pipeline discards the
 * producer and its transaction, makes a new one with the same
 * transactional.id (init_transactions: a new epoch, which fences the old
 * one's late EndTxn), rewinds to the committed offsets and goes on.
 * Nothing is lost: every input record is sealed, those of the doomed
 * transaction again in a later one (the mock keeps what the doomed
 * transaction wrote visible and stores no transactional offsets, so the
 * rewind goes back to where that transaction began; that no record is
 * doubled under read_committed is shown on the real cluster,
 * tests/integration/failover_*.sh).  Then the re-creations are bounded:
 * the sixth in a row is fatal. */
Test(pipeline, delayed_end_txn_recreates_the_producer, .timeout = 120)
{
        cdr_pipeline_opts_t opts = quiet_opts();
        static int counts[2][RECORDS];
        cdr_pipeline_stats_t st;
        cdr_config_t *config;
        cdr_engine_t *engine;
        cdr_pipeline_t *p;
        char errstr[512];
        int part, off, twice = 0, rc;
        mock_t m;

        opts.txn_timeout_ms = 200;
        opts.retry_ms = 1000;
        opts.event = count_events;
        recreated_events = 0;
        mock_start(&m);
        produce_input(&m, RECORDS);
        config = test_config(m.bootstraps,
                             "pipeline:\n  threads: 2\n"
                             "  commit_records: 100\n",
                             TXN_ID);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        p = cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr));
        cr_assert_not_null(p, "%s", errstr);

        /* The transaction coordinator (broker 1) answers the first EndTxn
         * after 3 s; each commit call waits 200 ms, the retries stop
         * after 1 s. */
        rd_kafka_mock_broker_push_request_error_rtts(
            m.mc, 1, API_END_TXN, 1, RD_KAFKA_RESP_ERR_NO_ERROR, 3000);
        cr_assert_eq(run_until(p, RECORDS + 1, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
        cdr_pipeline_stats(p, &st);
        cr_assert_eq(st.recreations, 1);
        cr_assert_eq(recreated_events, 1);
        cr_assert_not_null(strstr(recreated_msg, "commit_transaction"), "%s",
                           recreated_msg);
        cr_assert_eq(st.txn.aborted, 0);
        cr_assert_eq(st.rewinds, 1);
        cr_assert_gt(st.txn.committed, 0);
        cr_assert_eq(st.sealed, st.records);
        cr_assert_eq(st.published + st.suppressed + st.dead, st.records);
        count_sealed(&m, counts);
        for (part = 0; part < 2; part++) {
                int prefix = 1;

                for (off = 0; off < RECORDS / 2; off++) {
                        cr_assert(counts[part][off] == 1 ||
                                      counts[part][off] == 2,
                                  "input %d/%d sealed %d times", part, off,
                                  counts[part][off]);
                        if (counts[part][off] == 2) {
                                cr_assert(prefix,
                                          "input %d/%d reprocessed "
                                          "after one that was not",
                                          part, off);
                                twice++;
                        } else {
                                prefix = 0;
                        }
                }
        }
        cr_assert_gt(twice, 0, "the doomed transaction's records again");
        cr_assert_eq(st.records, (uint64_t)(RECORDS + twice));

        /* Every commit from now on is answered too late: four more
         * re-creations (after 1, 2, 4 and 8 s), then the bound. */
        rd_kafka_mock_broker_push_request_error_rtts(
            m.mc, 1, API_END_TXN, CDR_TXN_RECREATE_MAX,
            RD_KAFKA_RESP_ERR_NO_ERROR, 3000, RD_KAFKA_RESP_ERR_NO_ERROR, 3000,
            RD_KAFKA_RESP_ERR_NO_ERROR, 3000, RD_KAFKA_RESP_ERR_NO_ERROR, 3000,
            RD_KAFKA_RESP_ERR_NO_ERROR, 3000);
        produce_input(&m, 20);
        errstr[0] = '\0';
        rc = run_until(p, st.records + 1000, errstr, sizeof(errstr));
        cr_assert_eq(rc, CDR_ERR_KAFKA, "%d: %s", rc, errstr);
        cr_assert_not_null(strstr(errstr, "re-created 5 times"), "%s", errstr);
        cdr_pipeline_stats(p, &st);
        cr_assert_eq(st.recreations, CDR_TXN_RECREATE_MAX);
        cr_assert_eq(recreated_events, CDR_TXN_RECREATE_MAX);
        cr_assert_eq(cdr_pipeline_poll(p, 10, errstr, sizeof(errstr)),
                     CDR_ERR_KAFKA);
        cdr_pipeline_destroy(p);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        mock_stop(&m);
}

/* Messages on each partition of `topic` (aborted ones included: the
 * mock keeps them visible), read to the end. */
static int count_messages(const mock_t *m, const char *topic, int nparts)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *asg;
        char errstr[512];
        rd_kafka_t *rk;
        int eof = 0, idle = 0, n = 0, i;

        rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps, errstr,
                          sizeof(errstr));
        rd_kafka_conf_set(conf, "group.id", "count", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                          sizeof(errstr));
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(rk, "%s", errstr);
        asg = rd_kafka_topic_partition_list_new(nparts);
        for (i = 0; i < nparts; i++)
                rd_kafka_topic_partition_list_add(asg, topic, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        cr_assert_eq(rd_kafka_assign(rk, asg), 0);
        rd_kafka_topic_partition_list_destroy(asg);
        while (eof < nparts && idle < 100) {
                rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);

                if (msg == NULL) {
                        idle++;
                        continue;
                }
                idle = 0;
                if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        eof++;
                else if (msg->err == 0)
                        n++;
                rd_kafka_message_destroy(msg);
        }
        cr_assert_eq(eof, nparts, "%s was not read to its end", topic);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return n;
}

/* Two purposes: every published record on both purposes' topics and
 * nothing on the anonymised one; a purpose's topic missing at start is
 * named by its setting. */
Test(pipeline, purposes_publish_to_their_topics)
{
        static const char outputs[] =
            "output:\n"
            "  sealed: {topic: sealed}\n"
            "  dead_letter: {topic: dead}\n"
            "purposes:\n"
            "  network:\n"
            "    output: {topic: net}\n"
            "    fields:\n"
            "      record_id: keep number\n"
            "      cell_id: keep\n"
            "  behaviour:\n"
            "    output: {topic: beh, key: caller}\n"
            "    fields:\n"
            "      record_id: keep number\n"
            "      caller: {from: calling_number, action: pseudonymise "
            "msisdn}\n";
        cdr_pipeline_opts_t opts = quiet_opts();
        cdr_pipeline_stats_t st;
        cdr_config_t *config;
        cdr_engine_t *engine;
        cdr_pipeline_t *p;
        char errstr[512];
        mock_t m;

        mock_start(&m);
        cr_assert_eq(rd_kafka_mock_topic_create(m.mc, "net", 2, 1), 0);
        config = config_with(m.bootstraps, outputs, "delivery: at-least-once\n",
                             NULL);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        cr_assert_null(cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr)));
        cr_assert_str_eq(errstr, "purposes.behaviour.output.topic: topic "
                                 "'beh' does not exist on the cluster");

        cr_assert_eq(rd_kafka_mock_topic_create(m.mc, "beh", 3, 1), 0);
        produce_input(&m, RECORDS);
        p = cdr_pipeline_new(engine, &opts, errstr, sizeof(errstr));
        cr_assert_not_null(p, "%s", errstr);
        cr_assert_eq(run_until(p, RECORDS, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
        cdr_pipeline_stats(p, &st);
        cr_assert_eq(st.records, RECORDS);
        cr_assert_gt(st.published, 0);
        cr_assert_gt(st.dead, 0, "the malformed records");
        cr_assert_eq(cdr_pipeline_purpose_published(p, 0), st.published);
        cr_assert_eq(cdr_pipeline_purpose_published(p, 1), st.published);
        cr_assert_eq(cdr_pipeline_purpose_published(p, 2), 0);
        cr_assert_eq(cdr_pipeline_close(p, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
        cdr_pipeline_destroy(p);
        cr_assert_eq(count_messages(&m, "net", 2), (int)st.published);
        cr_assert_eq(count_messages(&m, "beh", 3), (int)st.published);
        cr_assert_eq(count_messages(&m, "anon", 2), 0);
        cr_assert_eq(count_messages(&m, "dead", 1), (int)st.dead);
        cr_assert_eq(count_messages(&m, "sealed", 2), RECORDS);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        mock_stop(&m);
}
