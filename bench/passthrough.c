/*
 * passthrough: the broker's ceiling for cdranon's workload.  It consumes
 * the input topic and writes two unchanged copies of every record, one to
 * the anonymised topic and one to the sealed topic of a cdranon
 * configuration, with the same Kafka settings (`kafka:` and -X), group,
 * delivery mode and commit triggers (pipeline.commit_interval_ms and
 * pipeline.commit_records) as `cdranon run` would use, and no transform.
 * Each copy goes to the partition its input came from.
 *
 *   build/bench/passthrough -c CONFIG [-X prop=value]...
 *
 * exactly-once: one transactional producer; the copies and the input
 *   offsets of a batch are committed in one transaction (the loop of
 *   librdkafka's examples/transactions.c); a commit is due when the
 *   batch's first record is commit_interval_ms old or the batch holds
 *   commit_records records.  Abortable errors abort the transaction and
 *   rewind the consumer to the committed offsets.
 * at-least-once: an idempotent producer; the input offsets of a batch are
 *   committed once every copy of the batch and of all batches before it
 *   has been delivered, so the producer never waits for a commit.
 *
 * SIGTERM or SIGINT ends the run: the open batch is committed first.
 * Not part of the product: a benchmark reference only.
 */
#include "cdranon/config.h"
#include "cdranon/kafka_util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define MAX_XPROPS 64
#define RING       256 /* at-least-once batches awaiting delivery */
#define COPIES     2

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static void die(const char *fmt, ...) CDR_PRINTF(1, 2);

static void die(const char *fmt, ...)
{
        va_list ap;

        fputs("passthrough: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_prop(rd_kafka_conf_t *conf, const char *name, const char *value)
{
        char errstr[512];

        if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK)
                die("%s: %s", name, errstr);
}

/* At-least-once bookkeeping: a batch is the records consumed between two
 * commit points; its offsets may be committed once all its copies, and
 * those of every earlier batch, are delivered. */
typedef struct {
        long outstanding;
        int closed;
        rd_kafka_topic_partition_list_t *offsets;
} batch_t;

typedef struct {
        const cdr_config_t *config;
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        int eos;
        int in_txn;
        long batch_records;
        long long batch_start;
        batch_t ring[RING];
        unsigned head, tail; /* ring[head] oldest, ring[tail] current */
} pt_t;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
        (void)rk;
        if (level <= 4)
                fprintf(stderr, "passthrough: librdkafka %s: %s\n", fac, buf);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        (void)opaque;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
            m->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
                /* Exactly-once: the commit fails and the batch is redone.
                 * At-least-once: a copy is lost; stop rather than commit
                 * past it. */
                if (m->_private == NULL)
                        return;
                die("delivery failed: %s", rd_kafka_err2str(m->err));
        }
        if (m->_private != NULL)
                ((batch_t *)m->_private)->outstanding--;
}

static rd_kafka_topic_partition_list_t *positions(pt_t *pt)
{
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_resp_err_t err;

        err = rd_kafka_assignment(pt->consumer, &parts);
        if (err)
                die("assignment: %s", rd_kafka_err2str(err));
        err = rd_kafka_position(pt->consumer, parts);
        if (err)
                die("position: %s", rd_kafka_err2str(err));
        return parts;
}

/* Seeks every assigned partition back to its committed offset. */
static void rewind_to_committed(pt_t *pt)
{
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_error_t *error;
        rd_kafka_resp_err_t err;
        int i;

        err = rd_kafka_assignment(pt->consumer, &parts);
        if (err)
                die("assignment: %s", rd_kafka_err2str(err));
        err = rd_kafka_committed(pt->consumer, parts, -1);
        if (err)
                die("committed: %s", rd_kafka_err2str(err));
        for (i = 0; i < parts->cnt; i++)
                if (parts->elems[i].offset < 0)
                        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        error = rd_kafka_seek_partitions(pt->consumer, parts, -1);
        if (error) {
                die("seek: %s", rd_kafka_error_string(error));
        }
        rd_kafka_topic_partition_list_destroy(parts);
}

static void txn_check(pt_t *pt, rd_kafka_error_t *error, const char *what,
                      int *abort_needed)
{
        if (error == NULL)
                return;
        if (rd_kafka_error_txn_requires_abort(error)) {
                fprintf(stderr, "passthrough: %s: %s: aborting\n", what,
                        rd_kafka_error_string(error));
                *abort_needed = 1;
                rd_kafka_error_destroy(error);
                return;
        }
        die("%s: %s", what, rd_kafka_error_string(error));
}

/* Exactly-once: commits the open transaction with the consumer's
 * positions, or aborts it and rewinds on an abortable error. */
static void eos_commit(pt_t *pt)
{
        rd_kafka_consumer_group_metadata_t *cgmd;
        rd_kafka_topic_partition_list_t *offsets;
        rd_kafka_error_t *error;
        int abort_needed = 0;

        if (!pt->in_txn)
                return;
        offsets = positions(pt);
        cgmd = rd_kafka_consumer_group_metadata(pt->consumer);
        for (;;) {
                error = rd_kafka_send_offsets_to_transaction(pt->producer,
                                                             offsets, cgmd, -1);
                if (error && rd_kafka_error_is_retriable(error)) {
                        rd_kafka_error_destroy(error);
                        continue;
                }
                break;
        }
        txn_check(pt, error, "send_offsets_to_transaction", &abort_needed);
        while (!abort_needed) {
                error = rd_kafka_commit_transaction(pt->producer, -1);
                if (error && rd_kafka_error_is_retriable(error)) {
                        rd_kafka_error_destroy(error);
                        continue;
                }
                txn_check(pt, error, "commit_transaction", &abort_needed);
                break;
        }
        if (abort_needed) {
                error = rd_kafka_abort_transaction(pt->producer, -1);
                if (error)
                        die("abort_transaction: %s",
                            rd_kafka_error_string(error));
                rewind_to_committed(pt);
        }
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        rd_kafka_topic_partition_list_destroy(offsets);
        pt->in_txn = 0;
        pt->batch_records = 0;
}

static void eos_begin(pt_t *pt)
{
        rd_kafka_error_t *error = rd_kafka_begin_transaction(pt->producer);

        if (error)
                die("begin_transaction: %s", rd_kafka_error_string(error));
        pt->in_txn = 1;
        pt->batch_start = now_ms();
}

/* At-least-once: commits the offsets of every leading batch that is
 * closed and delivered. */
static void alo_commit_delivered(pt_t *pt)
{
        while (pt->head != pt->tail) {
                batch_t *b = &pt->ring[pt->head % RING];
                rd_kafka_resp_err_t err;

                if (!b->closed || b->outstanding > 0)
                        break;
                if (b->offsets->cnt > 0) {
                        err = rd_kafka_commit(pt->consumer, b->offsets, 1);
                        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                                die("commit: %s", rd_kafka_err2str(err));
                }
                rd_kafka_topic_partition_list_destroy(b->offsets);
                memset(b, 0, sizeof(*b));
                pt->head++;
        }
}

/* At-least-once: closes the current batch at the consumer's positions
 * and opens the next. */
static void alo_close_batch(pt_t *pt)
{
        batch_t *b = &pt->ring[pt->tail % RING];

        b->offsets = positions(pt);
        b->closed = 1;
        pt->tail++;
        while (pt->tail - pt->head >= RING) {
                rd_kafka_poll(pt->producer, 10);
                alo_commit_delivered(pt);
        }
        memset(&pt->ring[pt->tail % RING], 0, sizeof(batch_t));
        pt->batch_records = 0;
        pt->batch_start = now_ms();
}

static void commit_batch(pt_t *pt)
{
        if (pt->eos) {
                eos_commit(pt);
        } else if (pt->batch_records > 0) {
                alo_close_batch(pt);
                alo_commit_delivered(pt);
        }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        pt_t *pt = opaque;
        int cooperative =
            strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        rd_kafka_error_t *error = NULL;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                if (cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        rd_kafka_assign(rk, parts);
        } else {
                /* Revoked: commit what was done with them first. */
                if (pt->producer != NULL)
                        commit_batch(pt);
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        rd_kafka_assign(rk, NULL);
        }
        if (error)
                die("rebalance: %s", rd_kafka_error_string(error));
}

/* The `kafka:` section for one client, through the helper `cdranon run`
 * uses, so that both see the same properties. */
static rd_kafka_conf_t *kafka_conf(const cdr_config_t *config,
                                   cdr_kafka_role_t role)
{
        char errstr[512];
        rd_kafka_conf_t *conf =
            cdr_kafka_conf_from_config(config, role, errstr, sizeof(errstr));

        if (conf == NULL)
                die("%s", errstr);
        return conf;
}

static void produce_copy(pt_t *pt, const char *topic,
                         const rd_kafka_message_t *m, batch_t *batch)
{
        rd_kafka_resp_err_t err;

        for (;;) {
                err =
                    rd_kafka_producev(pt->producer, RD_KAFKA_V_TOPIC(topic),
                                      RD_KAFKA_V_PARTITION(m->partition),
                                      RD_KAFKA_V_KEY(m->key, m->key_len),
                                      RD_KAFKA_V_VALUE(m->payload, m->len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_OPAQUE(batch), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(pt->producer, 5);
                if (!pt->eos)
                        alo_commit_delivered(pt);
        }
        if (err)
                die("produce to %s: %s", topic, rd_kafka_err2str(err));
        if (batch != NULL)
                batch->outstanding++;
}

int main(int argc, char **argv)
{
        const char *config_path = NULL;
        const char *xprops[MAX_XPROPS];
        rd_kafka_conf_t *cconf, *pconf;
        rd_kafka_topic_partition_list_t *topics;
        cdr_config_t *config;
        rd_kafka_error_t *error;
        struct sigaction sa;
        char errstr[512], txnid[256];
        long long records = 0;
        int nx = 0, i;
        pt_t pt;

        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
                        config_path = argv[++i];
                } else if (strcmp(argv[i], "-X") == 0 && i + 1 < argc &&
                           nx < MAX_XPROPS) {
                        xprops[nx++] = argv[++i];
                } else {
                        fprintf(stderr, "usage: passthrough -c CONFIG "
                                        "[-X prop=value]...\n");
                        return 2;
                }
        }
        if (config_path == NULL) {
                fprintf(stderr, "usage: passthrough -c CONFIG "
                                "[-X prop=value]...\n");
                return 2;
        }
        config = cdr_config_load(config_path, errstr, sizeof(errstr));
        if (config == NULL)
                die("%s", errstr);
        for (i = 0; i < nx; i++) {
                char name[256];
                const char *eq = strchr(xprops[i], '=');

                if (eq == NULL || (size_t)(eq - xprops[i]) >= sizeof(name))
                        die("-X %s: expected name=value", xprops[i]);
                memcpy(name, xprops[i], (size_t)(eq - xprops[i]));
                name[eq - xprops[i]] = '\0';
                if (cdr_config_set(config, name, eq + 1, errstr,
                                   sizeof(errstr)) != CDR_OK)
                        die("%s", errstr);
        }

        memset(&pt, 0, sizeof(pt));
        pt.config = config;
        pt.eos = config->delivery == CDR_DELIVERY_EXACTLY_ONCE;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        pconf = kafka_conf(config, CDR_KAFKA_PRODUCER);
        rd_kafka_conf_set_log_cb(pconf, log_cb);
        rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);
        set_prop(pconf, "enable.idempotence", "true");
        if (pt.eos) {
                snprintf(txnid, sizeof(txnid), "%s-passthrough",
                         config->input_group);
                set_prop(pconf, "transactional.id", txnid);
        }
        pt.producer =
            rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof(errstr));
        if (pt.producer == NULL)
                die("producer: %s", errstr);
        if (pt.eos) {
                error = rd_kafka_init_transactions(pt.producer, 60000);
                if (error)
                        die("init_transactions: %s",
                            rd_kafka_error_string(error));
        }

        cconf = kafka_conf(config, CDR_KAFKA_CONSUMER);
        rd_kafka_conf_set_log_cb(cconf, log_cb);
        set_prop(cconf, "group.id", config->input_group);
        set_prop(cconf, "enable.auto.commit", "false");
        set_prop(cconf, "enable.auto.offset.store", "false");
        set_prop(cconf, "auto.offset.reset", "earliest");
        set_prop(cconf, "isolation.level", "read_committed");
        set_prop(cconf, "partition.assignment.strategy", "cooperative-sticky");
        rd_kafka_conf_set_rebalance_cb(cconf, rebalance_cb);
        rd_kafka_conf_set_opaque(cconf, &pt);
        pt.consumer =
            rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof(errstr));
        if (pt.consumer == NULL)
                die("consumer: %s", errstr);
        rd_kafka_poll_set_consumer(pt.consumer);
        topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, config->input_topic,
                                          RD_KAFKA_PARTITION_UA);
        if (rd_kafka_subscribe(pt.consumer, topics))
                die("subscribe %s", config->input_topic);
        rd_kafka_topic_partition_list_destroy(topics);

        pt.batch_start = now_ms();
        while (!stop) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(pt.consumer, 10);
                batch_t *batch = NULL;

                if (m != NULL && m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                fprintf(stderr, "passthrough: consume: %s\n",
                                        rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        m = NULL;
                }
                if (m != NULL) {
                        if (pt.eos && !pt.in_txn)
                                eos_begin(&pt);
                        if (!pt.eos) {
                                batch = &pt.ring[pt.tail % RING];
                                if (pt.batch_records == 0)
                                        pt.batch_start = now_ms();
                        }
                        produce_copy(&pt, config->anonymised_topic, m, batch);
                        produce_copy(&pt, config->sealed_topic, m, batch);
                        rd_kafka_message_destroy(m);
                        pt.batch_records++;
                        records++;
                }
                if ((records & 255) == 0 || m == NULL) {
                        rd_kafka_poll(pt.producer, 0);
                        if (!pt.eos)
                                alo_commit_delivered(&pt);
                }
                if (pt.batch_records > 0 &&
                    (pt.batch_records >= config->commit_records ||
                     now_ms() - pt.batch_start >= config->commit_interval_ms))
                        commit_batch(&pt);
        }

        commit_batch(&pt);
        if (!pt.eos) {
                rd_kafka_flush(pt.producer, 30000);
                alo_commit_delivered(&pt);
        }
        rd_kafka_consumer_close(pt.consumer);
        rd_kafka_destroy(pt.consumer);
        rd_kafka_flush(pt.producer, 30000);
        rd_kafka_destroy(pt.producer);
        fprintf(stderr, "passthrough: %lld records, %d copies each\n", records,
                COPIES);
        cdr_config_destroy(config);
        return 0;
}
