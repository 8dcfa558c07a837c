/*
 * Stream mode: consumer group -> transform on worker threads ->
 * transactional producer.  See pipeline.h for the contract; the shape is
 * librdkafka's examples/transactions.c.
 *
 * The transaction window is everything produced since the last commit.
 * Two lists describe it: `offsets`, the next input offset of each
 * partition whose records are in the window (what
 * send_offsets_to_transaction commits), and `first`, the first offset
 * consumed from each partition since the last commit (where a rewind
 * goes when the group has no committed offset yet).  A batch is polled,
 * transformed and produced before the next poll and before any commit,
 * so a commit never covers a record whose outputs were not produced.
 */
#include "cdranon/pipeline.h"
#include "cdranon/kafka_util.h"
#include "cdranon/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX           1024  /* records polled per batch, at most */
#define CONNECT_TIMEOUT_MS  10000 /* default start-up metadata timeout */
#define RETRY_MS            60000 /* default retry budget */
#define REWIND_TIMEOUT_MS   10000 /* committed offsets and seek */
#define FLUSH_STEP_MS       1000
#define CLOSE_FLUSH_MS      10000
#define FATAL_FLUSH_MS      2000
#define ABORTS_IN_A_ROW_MAX 10 /* then the cause is not transient */

/* One input message and its results, copied out of the transform (whose
 * views last only until its next record).  The buffers are reused from
 * batch to batch. */
struct slot {
        rd_kafka_message_t *msg;
        int worker;
        cdr_verdict_t verdict;
        cdr_buf_t value;     /* anonymised JSON (PUBLISH), dead letter (DEAD) */
        cdr_buf_t key;       /* PUBLISH: the pseudonym key */
        cdr_buf_t sealed;    /* binary sealed record */
        cdr_reason_t reason; /* DEAD: the rule broken */
        /* With purposes, PUBLISH: each purpose's JSON and key, in the
         * configuration's order (value and key above stay empty). */
        cdr_buf_t *pvalue;
        cdr_buf_t *pkey;
};

struct worker {
        cdr_pipeline_t *pipeline;
        int index;
        int started;
        pthread_t thread;
        cdr_transform_t *transform;
        size_t load; /* records of the current batch */
        int err;
        char errstr[512];
};

struct cdr_pipeline_s {
        cdr_engine_t *engine;
        const cdr_config_t *config;
        cdr_pipeline_opts_t opts;
        int eos;
        char *transactional_id;

        rd_kafka_t *producer;
        rd_kafka_t *consumer;
        int consumer_closed;
        rd_kafka_topic_t *anonymised_rkt;
        rd_kafka_topic_t *sealed_rkt;
        rd_kafka_topic_t *dead_rkt;
        /* Partition counts of the output topics at start-up: the sealed
         * copy and the dead letter of a record go to its input
         * partition's number modulo these, an anonymised record without
         * a key too. */
        int32_t anonymised_parts;
        int32_t sealed_parts;
        int32_t dead_parts;
        /* With purposes: one topic per purpose (config->purposes, in
         * order), instead of the anonymised topic, its partition count
         * and the messages produced to it. */
        size_t npurposes;
        rd_kafka_topic_t **purpose_rkt;
        int32_t *purpose_parts;
        uint64_t *purpose_published;

        /* Start-up: librdkafka's log lines are held back while the
         * cluster is probed; the last error line explains a failure. */
        atomic_int quiet;
        pthread_mutex_t log_mu;
        char last_log[256];

        struct slot *slots;
        size_t nslots; /* in the current batch */
        size_t batch_max;

        struct worker *workers;
        int nworkers;
        int sync_ready; /* mu and the condition variables exist */
        pthread_mutex_t mu;
        pthread_cond_t go;   /* a batch is ready (generation bumped) */
        pthread_cond_t done; /* pending reached 0 */
        unsigned generation;
        int pending;
        int quit;

        int txn_open;
        rd_kafka_topic_partition_list_t *offsets;
        rd_kafka_topic_partition_list_t *first;
        uint64_t window_records;
        int64_t window_start_ms;
        uint64_t window_delivery_failed;
        int aborts_in_row;
        cdr_txn_budget_t recreations; /* of the producer, recent ones */
        /* Input timestamps (ms) of the window's records, for the
         * end-to-end latency observed at commit. */
        int64_t *window_ts;
        size_t window_nts;
        size_t window_ts_cap;

        int fatal;
        char fatal_errstr[512];
        cdr_pipeline_stats_t stats;
};

/* `name` is the event's stable name (pipeline.h). */
static void event(cdr_pipeline_t *p, int level, const char *name,
                  const char *fmt, ...) CDR_PRINTF(4, 5);

static void event(cdr_pipeline_t *p, int level, const char *name,
                  const char *fmt, ...)
{
        char msg[768];
        va_list ap;

        if (p->opts.event == NULL)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        p->opts.event(p->opts.opaque, level, name, msg);
}

/* Records the first fatal error; the pipeline stops at the next check. */
static void set_fatal(cdr_pipeline_t *p, const char *fmt, ...) CDR_PRINTF(2, 3);

static void set_fatal(cdr_pipeline_t *p, const char *fmt, ...)
{
        va_list ap;

        if (p->fatal)
                return;
        p->fatal = 1;
        va_start(ap, fmt);
        vsnprintf(p->fatal_errstr, sizeof(p->fatal_errstr), fmt, ap);
        va_end(ap);
}

static int fatal_return(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        cdr_errf(errstr, errstr_size, "%s", p->fatal_errstr);
        return CDR_ERR_KAFKA;
}

static int recreate_producer(cdr_pipeline_t *p, const char *why);
static int producer_fatal(cdr_pipeline_t *p, const char *what);

/*
 * The transaction window.
 */

static void list_set(rd_kafka_topic_partition_list_t *list, const char *topic,
                     int32_t partition, int64_t offset)
{
        rd_kafka_topic_partition_t *tp;

        tp = rd_kafka_topic_partition_list_find(list, topic, partition);
        if (tp == NULL)
                tp = rd_kafka_topic_partition_list_add(list, topic, partition);
        tp->offset = offset;
}

static void list_clear(rd_kafka_topic_partition_list_t *list)
{
        while (list->cnt > 0)
                rd_kafka_topic_partition_list_del_by_idx(list, list->cnt - 1);
}

/* Keeps a record's input timestamp until its window commits; without
 * memory for it, the record is left out of the latency histogram. */
static void window_ts_push(cdr_pipeline_t *p, const rd_kafka_message_t *m)
{
        int64_t ts = rd_kafka_message_timestamp(m, NULL);

        if (ts < 0)
                return;
        if (p->window_nts == p->window_ts_cap) {
                size_t cap = p->window_ts_cap ? p->window_ts_cap * 2 : 1024;
                int64_t *more = realloc(p->window_ts, cap * sizeof(*more));

                if (more == NULL)
                        return;
                p->window_ts = more;
                p->window_ts_cap = cap;
        }
        p->window_ts[p->window_nts++] = ts;
}

/* The window has committed: each record's input timestamp to now. */
static void window_latency(cdr_pipeline_t *p)
{
        struct timespec now;
        int64_t ms;
        size_t i;

        clock_gettime(CLOCK_REALTIME, &now);
        ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        for (i = 0; i < p->window_nts; i++) {
                int64_t age = ms - p->window_ts[i];

                cdr_hist_observe(&p->stats.end_to_end, cdr_e2e_bounds,
                                 CDR_E2E_NBOUNDS,
                                 age > 0 ? (double)age / 1000 : 0);
        }
}

static void window_reset(cdr_pipeline_t *p)
{
        p->window_nts = 0;
        list_clear(p->offsets);
        list_clear(p->first);
        p->window_records = 0;
        p->window_delivery_failed = 0;
}

/* Destroys the messages of the current batch (not yet produced). */
static void batch_release(cdr_pipeline_t *p)
{
        size_t i;

        for (i = 0; i < p->nslots; i++) {
                rd_kafka_message_destroy(p->slots[i].msg);
                p->slots[i].msg = NULL;
        }
        p->nslots = 0;
}

/* Moves the consumer back to the last committed offset of every
 * partition consumed from since the last commit (cdr_txn_rewind), and
 * empties the window.  may_guess: right after an abort, the first
 * offsets consumed since the last commit stand in for committed offsets
 * that cannot be read. */
static int rewind_consumer(cdr_pipeline_t *p, int may_guess)
{
        char errstr[512];
        int rc;

        batch_release(p);
        rc = cdr_txn_rewind(p->consumer, p->first, may_guess, REWIND_TIMEOUT_MS,
                            errstr, sizeof(errstr));
        if (rc == CDR_TXN_REWIND_GUESSED)
                event(p, 4, "rewind",
                      "%s: rewinding to the first offsets consumed since the "
                      "last commit",
                      errstr);
        else if (rc != CDR_OK)
                set_fatal(p, "%s", errstr);
        if (rc >= 0 && p->first->cnt > 0)
                p->stats.rewinds++;
        window_reset(p);
        return rc >= 0 ? CDR_OK : rc;
}

/* After an abort (done or not needed): rewinds, unless aborts keep
 * coming, which no retry will cure (a record the cluster refuses). */
static int after_abort(cdr_pipeline_t *p, const char *why)
{
        p->txn_open = 0;
        event(p, 4, "aborted",
              "transaction aborted (%s): rewinding to the last committed "
              "offsets",
              why);
        if (++p->aborts_in_row > ABORTS_IN_A_ROW_MAX) {
                batch_release(p);
                set_fatal(p, "%d transactions aborted in a row; last: %s",
                          p->aborts_in_row, why);
                return CDR_ERR_KAFKA;
        }
        return rewind_consumer(p, 1);
}

static int abort_and_rewind(cdr_pipeline_t *p, const char *why)
{
        char errstr[512];
        int rc;

        batch_release(p);
        if (p->eos && p->txn_open) {
                cdr_errf(errstr, sizeof(errstr), "%s", why);
                rc = cdr_txn_abort(p->producer, p->opts.txn_timeout_ms,
                                   p->opts.retry_ms, &p->stats.txn, errstr,
                                   sizeof(errstr));
                if (rc == CDR_TXN_RECREATE)
                        return recreate_producer(p, errstr);
                if (rc != CDR_TXN_ABORTED) {
                        p->txn_open = 0;
                        set_fatal(p, "%s", errstr);
                        return CDR_ERR_KAFKA;
                }
        }
        return after_abort(p, why);
}

/* At least once: waits until every output message is delivered or has
 * failed, then commits the offsets of the window, or rewinds when a
 * message failed. */
static int alo_commit(cdr_pipeline_t *p)
{
        rd_kafka_resp_err_t err;

        if (p->offsets->cnt == 0) {
                window_reset(p);
                return CDR_OK;
        }
        while (rd_kafka_outq_len(p->producer) > 0) {
                rd_kafka_flush(p->producer, FLUSH_STEP_MS);
                if (p->fatal)
                        return CDR_ERR_KAFKA;
        }
        if (p->window_delivery_failed > 0) {
                event(p, 4, "delivery_failed",
                      "%llu output messages not delivered: rewinding to the "
                      "last committed offsets",
                      (unsigned long long)p->window_delivery_failed);
                return rewind_consumer(p, 1);
        }
        err = rd_kafka_commit(p->consumer, p->offsets, 0);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
                event(p, 4, "commit_failed",
                      "offset commit failed (%s): the records since the "
                      "last commit will be processed again",
                      rd_kafka_err2str(err));
        else {
                p->stats.txn.committed++;
                window_latency(p);
        }
        window_reset(p);
        return CDR_OK;
}

/* Ends the window: commits the transaction with the input offsets (or,
 * at least once, the delivered offsets). */
static int commit_window(cdr_pipeline_t *p)
{
        rd_kafka_consumer_group_metadata_t *cgmd;
        char errstr[512];
        int rc;

        if (p->fatal)
                return CDR_ERR_KAFKA;
        if (!p->eos)
                return alo_commit(p);
        if (!p->txn_open)
                return CDR_OK;
        cgmd = rd_kafka_consumer_group_metadata(p->consumer);
        errstr[0] = '\0';
        rc = cdr_txn_commit(p->producer, p->offsets, cgmd,
                            p->opts.txn_timeout_ms, p->opts.retry_ms,
                            &p->stats.txn, errstr, sizeof(errstr));
        if (cgmd != NULL)
                rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (rc == CDR_OK) {
                p->txn_open = 0;
                p->aborts_in_row = 0;
                window_latency(p);
                window_reset(p);
                return CDR_OK;
        }
        if (rc == CDR_TXN_ABORTED)
                return after_abort(p, errstr);
        if (rc == CDR_TXN_RECREATE)
                return recreate_producer(p, errstr);
        p->txn_open = 0;
        set_fatal(p, "%s", errstr);
        return CDR_ERR_KAFKA;
}

static int commit_due(const cdr_pipeline_t *p)
{
        if (p->window_records == 0)
                return 0;
        return p->window_records >= (uint64_t)p->config->commit_records ||
               cdr_now_ms() - p->window_start_ms >=
                   p->config->commit_interval_ms;
}

/*
 * Workers: each runs the transform over the slots of its partitions, in
 * batch order.  Worker 0 is the driving thread itself.
 */

static int slot_copy(cdr_buf_t *dst, cdr_view_t v)
{
        cdr_buf_reset(dst);
        if (v.n == 0)
                return CDR_OK;
        return cdr_buf_append(dst, v.p, v.n);
}

static void worker_run(struct worker *w)
{
        cdr_pipeline_t *p = w->pipeline;
        size_t i;

        w->err = CDR_OK;
        for (i = 0; i < p->nslots; i++) {
                struct slot *s = &p->slots[i];
                const rd_kafka_message_t *m = s->msg;
                cdr_source_t source = {0};
                cdr_result_t result;
                int err;

                if (s->worker != w->index)
                        continue;
                source.topic = rd_kafka_topic_name(m->rkt);
                source.partition = m->partition;
                source.offset = m->offset;
                err = cdr_transform_record(
                    w->transform,
                    m->payload != NULL ? (const char *)m->payload : "", m->len,
                    &source, &result, w->errstr, sizeof(w->errstr));
                if (err != CDR_OK) {
                        cdr_err_prefix(w->errstr, sizeof(w->errstr),
                                       "%s [%d] offset %lld: ", source.topic,
                                       (int)source.partition,
                                       (long long)source.offset);
                        w->err = err;
                        return;
                }
                s->verdict = result.verdict;
                s->reason =
                    result.verdict == CDR_VERDICT_DEAD ? result.code : 0;
                cdr_buf_reset(&s->key);
                if (result.verdict == CDR_VERDICT_PUBLISH) {
                        size_t k;

                        err = slot_copy(&s->value, result.anonymised);
                        if (err == CDR_OK)
                                err = slot_copy(&s->key, result.key);
                        for (k = 0; err == CDR_OK && k < result.npurposes;
                             k++) {
                                err = slot_copy(&s->pvalue[k],
                                                result.purposes[k].anonymised);
                                if (err == CDR_OK)
                                        err = slot_copy(&s->pkey[k],
                                                        result.purposes[k].key);
                        }
                } else if (result.verdict == CDR_VERDICT_DEAD) {
                        err = slot_copy(&s->value, result.dead_letter);
                } else {
                        cdr_buf_reset(&s->value);
                }
                if (err == CDR_OK)
                        err = slot_copy(&s->sealed, result.sealed);
                if (err != CDR_OK) {
                        cdr_errf(w->errstr, sizeof(w->errstr), "out of memory");
                        w->err = err;
                        return;
                }
        }
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        cdr_pipeline_t *p = w->pipeline;
        unsigned seen = 0;

        pthread_mutex_lock(&p->mu);
        for (;;) {
                while (!p->quit && p->generation == seen)
                        pthread_cond_wait(&p->go, &p->mu);
                if (p->quit)
                        break;
                seen = p->generation;
                pthread_mutex_unlock(&p->mu);
                worker_run(w);
                pthread_mutex_lock(&p->mu);
                if (--p->pending == 0)
                        pthread_cond_signal(&p->done);
        }
        pthread_mutex_unlock(&p->mu);
        return NULL;
}

/* Gives each partition of the batch to one worker (so that its records
 * keep their order), the biggest share of records to the least loaded
 * worker first. */
static void batch_assign(cdr_pipeline_t *p)
{
        int32_t part[BATCH_MAX];
        size_t count[BATCH_MAX];
        int owner[BATCH_MAX];
        size_t nparts = 0, i, j, last = 0;
        int w, best;

        if (p->nworkers == 1) {
                for (i = 0; i < p->nslots; i++)
                        p->slots[i].worker = 0;
                return;
        }
        for (i = 0; i < p->nslots; i++) {
                int32_t pa = p->slots[i].msg->partition;

                if (nparts > 0 && part[last] == pa) {
                        count[last]++;
                        continue;
                }
                for (j = 0; j < nparts && part[j] != pa; j++)
                        ;
                if (j == nparts) {
                        part[nparts] = pa;
                        count[nparts++] = 0;
                }
                count[j]++;
                last = j;
        }
        for (w = 0; w < p->nworkers; w++)
                p->workers[w].load = 0;
        /* Largest first: a selection over at most BATCH_MAX partitions,
         * and usually a handful. */
        for (i = 0; i < nparts; i++) {
                size_t big = nparts;

                for (j = 0; j < nparts; j++)
                        if (count[j] > 0 &&
                            (big == nparts || count[j] > count[big]))
                                big = j;
                best = 0;
                for (w = 1; w < p->nworkers; w++)
                        if (p->workers[w].load < p->workers[best].load)
                                best = w;
                p->workers[best].load += count[big];
                owner[big] = best;
                count[big] = 0;
        }
        for (i = 0; i < p->nslots; i++) {
                int32_t pa = p->slots[i].msg->partition;

                if (part[last] != pa)
                        for (last = 0; part[last] != pa; last++)
                                ;
                p->slots[i].worker = owner[last];
        }
}

static int batch_transform(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        int w;

        batch_assign(p);
        if (p->nworkers > 1) {
                pthread_mutex_lock(&p->mu);
                p->pending = p->nworkers - 1;
                p->generation++;
                pthread_cond_broadcast(&p->go);
                pthread_mutex_unlock(&p->mu);
        }
        worker_run(&p->workers[0]);
        if (p->nworkers > 1) {
                pthread_mutex_lock(&p->mu);
                while (p->pending > 0)
                        pthread_cond_wait(&p->done, &p->mu);
                pthread_mutex_unlock(&p->mu);
        }
        for (w = 0; w < p->nworkers; w++)
                if (p->workers[w].err != CDR_OK) {
                        cdr_errf(errstr, errstr_size, "%s",
                                 p->workers[w].errstr);
                        return p->workers[w].err;
                }
        return CDR_OK;
}

/*
 * Producing, in input order.
 */

/* A keyed message goes where the partitioner puts its key (records of
 * one subscriber share a partition); an unkeyed one to `partition`, the
 * input partition's number modulo the topic's partition count.  That
 * keeps each input partition's records in order on every output topic,
 * and fills the producer's batches as well as the input fills them,
 * where a partitioner would spread them thin. */
static rd_kafka_resp_err_t produce(cdr_pipeline_t *p, rd_kafka_topic_t *rkt,
                                   int32_t partition, const cdr_buf_t *value,
                                   const cdr_buf_t *key)
{
        const void *k = key != NULL && key->len > 0 ? key->data : NULL;
        size_t klen = k != NULL ? key->len : 0;
        rd_kafka_resp_err_t err;

        if (k != NULL)
                partition = RD_KAFKA_PARTITION_UA;
        for (;;) {
                err =
                    rd_kafka_producev(p->producer, RD_KAFKA_V_RKT(rkt),
                                      RD_KAFKA_V_PARTITION(partition),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_VALUE(value->data, value->len),
                                      RD_KAFKA_V_KEY(k, klen), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        return err;
                /* Delivery reports free room in the queue. */
                rd_kafka_poll(p->producer, 50);
        }
}

static int produce_failed(cdr_pipeline_t *p, rd_kafka_topic_t *rkt,
                          rd_kafka_resp_err_t err)
{
        char why[512];

        if (rd_kafka_fatal_error(p->producer, NULL, 0) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
                snprintf(why, sizeof(why), "producing to %s",
                         rd_kafka_topic_name(rkt));
                return producer_fatal(p, why);
        }
        /* __STATE: the transaction is already in an abortable state. */
        if (p->eos && err == RD_KAFKA_RESP_ERR__STATE) {
                snprintf(why, sizeof(why), "producing to %s: %s",
                         rd_kafka_topic_name(rkt), rd_kafka_err2str(err));
                return abort_and_rewind(p, why);
        }
        batch_release(p);
        set_fatal(p, "producing to %s: %s", rd_kafka_topic_name(rkt),
                  rd_kafka_err2str(err));
        return CDR_ERR_KAFKA;
}

/* With purposes, a published record: one message on each purpose's
 * topic, its key the purpose's output.key (an unkeyed one in the input
 * partition's number modulo the topic's partition count).  Returns the
 * first error, with *rkt the topic it came from. */
static rd_kafka_resp_err_t produce_purposes(cdr_pipeline_t *p,
                                            const struct slot *s,
                                            rd_kafka_topic_t **rkt)
{
        rd_kafka_resp_err_t err;
        size_t k;

        for (k = 0; k < p->npurposes; k++) {
                *rkt = p->purpose_rkt[k];
                err = produce(p, *rkt, s->msg->partition % p->purpose_parts[k],
                              &s->pvalue[k], &s->pkey[k]);
                if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
                        return err;
        }
        return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static int batch_produce(cdr_pipeline_t *p)
{
        char errstr[512];
        size_t i, k;

        if (p->eos && !p->txn_open) {
                if (cdr_txn_begin(p->producer, errstr, sizeof(errstr)) !=
                    CDR_OK) {
                        if (rd_kafka_fatal_error(p->producer, NULL, 0))
                                return producer_fatal(p, "begin_transaction");
                        batch_release(p);
                        set_fatal(p, "%s", errstr);
                        return CDR_ERR_KAFKA;
                }
                p->txn_open = 1;
        }
        if (p->window_records == 0)
                p->window_start_ms = cdr_now_ms();
        for (i = 0; i < p->nslots; i++) {
                const struct slot *s = &p->slots[i];
                const rd_kafka_message_t *m = s->msg;
                const cdr_buf_t *key = NULL;
                rd_kafka_topic_t *rkt = NULL;
                int32_t part = 0;
                rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

                if (s->verdict == CDR_VERDICT_PUBLISH && p->npurposes > 0) {
                        /* rkt stays set only for the error below */
                        err = produce_purposes(p, s, &rkt);
                        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                                rkt = NULL;
                } else if (s->verdict == CDR_VERDICT_PUBLISH) {
                        rkt = p->anonymised_rkt;
                        part = m->partition % p->anonymised_parts;
                        key = &s->key;
                } else if (s->verdict == CDR_VERDICT_DEAD) {
                        rkt = p->dead_rkt;
                        part = m->partition % p->dead_parts;
                }
                if (rkt != NULL && err == RD_KAFKA_RESP_ERR_NO_ERROR)
                        err = produce(p, rkt, part, &s->value, key);
                if (err == RD_KAFKA_RESP_ERR_NO_ERROR && s->sealed.len > 0) {
                        rkt = p->sealed_rkt;
                        err = produce(p, rkt, m->partition % p->sealed_parts,
                                      &s->sealed, NULL);
                }
                if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
                        return produce_failed(p, rkt, err);

                list_set(p->offsets, rd_kafka_topic_name(m->rkt), m->partition,
                         m->offset + 1);
                p->window_records++;
                window_ts_push(p, m);
                p->stats.records++;
                if (s->verdict == CDR_VERDICT_PUBLISH) {
                        p->stats.published++;
                        for (k = 0; k < p->npurposes; k++) {
                                p->purpose_published[k]++;
                                if (p->opts.risk_window != NULL)
                                        cdr_risk_window_observe(
                                            p->opts.risk_window, k,
                                            s->pvalue[k].data,
                                            s->pvalue[k].len);
                        }
                        if (p->npurposes == 0 && p->opts.risk_window != NULL)
                                cdr_risk_window_observe(p->opts.risk_window, 0,
                                                        s->value.data,
                                                        s->value.len);
                } else if (s->verdict == CDR_VERDICT_DEAD) {
                        p->stats.dead++;
                        p->stats.dead_by_reason[s->reason]++;
                } else {
                        p->stats.suppressed++;
                }
                if (s->sealed.len > 0)
                        p->stats.sealed++;
        }
        batch_release(p);
        return CDR_OK;
}

/* Transforms and produces the current batch. */
static int process_batch(cdr_pipeline_t *p)
{
        char errstr[512];
        int rc;

        if (p->nslots == 0)
                return CDR_OK;
        if (p->fatal) {
                batch_release(p);
                return CDR_ERR_KAFKA;
        }
        rc = batch_transform(p, errstr, sizeof(errstr));
        if (rc != CDR_OK) {
                batch_release(p);
                set_fatal(p, "%s", errstr);
                return rc;
        }
        return batch_produce(p);
}

/*
 * librdkafka callbacks.  The rebalance, error and delivery report
 * callbacks run on the driving thread (from the poll calls); the log
 * callback runs on librdkafka's threads.
 */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *partitions,
                         void *opaque)
{
        cdr_pipeline_t *p = opaque;
        rd_kafka_error_t *error = NULL;
        const char *what = "assign";

        p->stats.rebalances++;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                error = rd_kafka_incremental_assign(rk, partitions);
                if (error == NULL)
                        p->stats.partitions += partitions->cnt;
                event(p, 6, "assigned", "assigned %d partition(s), %d in all",
                      partitions->cnt, p->stats.partitions);
        } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                int lost = rd_kafka_assignment_lost(rk);

                what = "unassign";
                if (lost) {
                        /* Another member may own these partitions by
                         * now: nothing of this window may be committed. */
                        event(p, 4, "lost",
                              "assignment lost (%d partition(s)): aborting "
                              "the open transaction",
                              partitions->cnt);
                        batch_release(p);
                        if (!p->fatal && p->eos && p->txn_open) {
                                char errstr[512] = "assignment lost";

                                int rc = cdr_txn_abort(
                                    p->producer, p->opts.txn_timeout_ms,
                                    p->opts.retry_ms, &p->stats.txn, errstr,
                                    sizeof(errstr));

                                p->txn_open = 0;
                                if (rc == CDR_TXN_RECREATE)
                                        recreate_producer(p, errstr);
                                else if (rc != CDR_TXN_ABORTED)
                                        set_fatal(p, "%s", errstr);
                        }
                } else if (!p->fatal) {
                        /* Exactly once: what was consumed from these
                         * partitions is committed before another member
                         * may consume it. */
                        event(p, 6, "revoked", "revoking %d partition(s)%s",
                              partitions->cnt,
                              p->nslots > 0 || p->window_records > 0
                                  ? ": committing what was consumed "
                                    "from them first"
                                  : "");
                        process_batch(p);
                        commit_window(p);
                }
                error = rd_kafka_incremental_unassign(rk, partitions);
                p->stats.partitions -= partitions->cnt;
                if (p->stats.partitions < 0)
                        p->stats.partitions = 0;
                if (lost && !p->fatal)
                        rewind_consumer(p, 1);
        } else {
                set_fatal(p, "unexpected rebalance event: %s",
                          rd_kafka_err2str(err));
                error = rd_kafka_incremental_unassign(rk, partitions);
        }
        if (error != NULL) {
                set_fatal(p, "incremental %s: %s", what,
                          rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        cdr_pipeline_t *p = opaque;

        (void)rk;
        /* Messages purged by an abort are expected; the abort itself is
         * counted. */
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR ||
            m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
            m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
                return;
        p->stats.delivery_errors++;
        p->window_delivery_failed++;
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        cdr_pipeline_t *p = opaque;
        char fatal[256];

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_resp_err_t orig =
                    rd_kafka_fatal_error(rk, fatal, sizeof(fatal));

                /* Not from within the producer's own callback: the
                 * driving thread finds the error and makes a new one. */
                if (p->eos && rd_kafka_type(rk) == RD_KAFKA_PRODUCER &&
                    cdr_txn_class(orig, CDR_TXN_F_FATAL) ==
                        CDR_TXN_CLASS_RECREATE)
                        return;
                set_fatal(p, "%s: fatal error: %s: %s",
                          rd_kafka_type(rk) == RD_KAFKA_PRODUCER ? "producer"
                                                                 : "consumer",
                          rd_kafka_err2name(orig), fatal);
                return;
        }
        if (atomic_load(&p->quiet))
                return;
        event(p, 4, "kafka_error", "kafka: %s", reason);
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
        cdr_pipeline_t *p = opaque;

        (void)rk;
        if (p->opts.kafka_stats != NULL)
                p->opts.kafka_stats(p->opts.stats_opaque, json, len);
        return 0; /* librdkafka frees json */
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
        cdr_pipeline_t *p = rd_kafka_opaque(rk);

        if (p != NULL && atomic_load(&p->quiet)) {
                if (level <= 4) {
                        pthread_mutex_lock(&p->log_mu);
                        snprintf(p->last_log, sizeof(p->last_log), "%s", buf);
                        pthread_mutex_unlock(&p->log_mu);
                }
                return;
        }
        if (p != NULL && p->opts.kafka_log != NULL)
                p->opts.kafka_log(rk, level, fac, buf);
}

/*
 * Construction.
 */

static const cdr_kv_t *config_kv(const cdr_config_t *config, const char *name)
{
        size_t i;

        for (i = 0; i < config->nkafka; i++)
                if (strcmp(config->kafka[i].name, name) == 0)
                        return &config->kafka[i];
        return NULL;
}

static void kv_where(const cdr_config_t *config, const cdr_kv_t *kv, char *buf,
                     size_t size)
{
        if (kv->line > 0)
                snprintf(buf, size, "%s:%d: kafka.%s", config->path, kv->line,
                         kv->name);
        else
                snprintf(buf, size, "-X %s", kv->name);
}

/* Sets a property the pipeline depends on.  A different value in the
 * configuration is an error rather than silently replaced: it would
 * mean the guarantees do not hold as configured. */
static int require_prop(const cdr_config_t *config, rd_kafka_conf_t *conf,
                        const char *name, const char *value, char *errstr,
                        size_t errstr_size)
{
        const cdr_kv_t *kv = config_kv(config, name);
        char where[512];

        if (kv != NULL && strcasecmp(kv->value, value) != 0) {
                kv_where(config, kv, where, sizeof(where));
                cdr_errf(errstr, errstr_size,
                         "%s: must be %s in stream mode (cdranon run sets "
                         "it)",
                         where, value);
                return CDR_ERR_INVAL;
        }
        return cdr_kafka_conf_set(conf, name, value, errstr, errstr_size);
}

/* Sets a default that the configuration may override. */
static int default_prop(const cdr_config_t *config, rd_kafka_conf_t *conf,
                        const char *name, const char *value, char *errstr,
                        size_t errstr_size)
{
        if (config_kv(config, name) != NULL)
                return CDR_OK;
        return cdr_kafka_conf_set(conf, name, value, errstr, errstr_size);
}

static void conf_callbacks(cdr_pipeline_t *p, rd_kafka_conf_t *conf)
{
        rd_kafka_conf_set_error_cb(conf, error_cb);
        rd_kafka_conf_set_log_cb(conf, log_cb);
        rd_kafka_conf_set_opaque(conf, p);
}

static int make_producer(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        const cdr_config_t *config = p->config;
        const cdr_kv_t *txid = config_kv(config, "transactional.id");
        rd_kafka_conf_t *conf;
        char msg[512], where[512], host[256];

        conf = cdr_kafka_conf_from_config(config, CDR_KAFKA_PRODUCER, errstr,
                                          errstr_size);
        if (conf == NULL)
                return CDR_ERR_INVAL;
        if (p->eos && p->transactional_id == NULL) {
                if (txid != NULL) {
                        p->transactional_id = strdup(txid->value);
                } else {
                        if (gethostname(host, sizeof(host)) != 0)
                                snprintf(host, sizeof(host), "localhost");
                        host[sizeof(host) - 1] = '\0';
                        snprintf(msg, sizeof(msg), "cdranon-%s-%s", host,
                                 config->input_group);
                        p->transactional_id = strdup(msg);
                }
                if (p->transactional_id == NULL) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        goto err;
                }
        }
        if (p->eos) {
                if (cdr_kafka_conf_set(conf, "transactional.id",
                                       p->transactional_id, errstr,
                                       errstr_size) != CDR_OK)
                        goto err;
        } else {
                if (txid != NULL) {
                        kv_where(config, txid, where, sizeof(where));
                        cdr_errf(errstr, errstr_size,
                                 "%s: only with delivery: exactly-once", where);
                        goto err;
                }
                if (require_prop(config, conf, "enable.idempotence", "true",
                                 errstr, errstr_size) != CDR_OK)
                        goto err;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
        conf_callbacks(p, conf);
        p->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, msg, sizeof(msg));
        if (p->producer == NULL) {
                cdr_errf(errstr, errstr_size, "kafka producer: %s", msg);
                goto err;
        }
        return CDR_OK;

err:
        rd_kafka_conf_destroy(conf);
        return CDR_ERR_INVAL;
}

/* After the topics are known to exist: a topic handle of a producer may
 * make a broker that allows it create the topic. */
static int make_topics(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        const cdr_config_t *config = p->config;
        int missing = 0;
        size_t k;

        /* With purposes there is no anonymised topic: each purpose has
         * its own, as each has its own file in file mode. */
        if (p->npurposes == 0) {
                p->anonymised_rkt = rd_kafka_topic_new(
                    p->producer, config->anonymised_topic, NULL);
                missing |= p->anonymised_rkt == NULL;
        }
        for (k = 0; k < p->npurposes; k++) {
                p->purpose_rkt[k] = rd_kafka_topic_new(
                    p->producer, config->purposes[k].topic, NULL);
                missing |= p->purpose_rkt[k] == NULL;
        }
        p->sealed_rkt =
            rd_kafka_topic_new(p->producer, config->sealed_topic, NULL);
        p->dead_rkt =
            rd_kafka_topic_new(p->producer, config->dead_letter_topic, NULL);
        if (missing || p->sealed_rkt == NULL || p->dead_rkt == NULL) {
                cdr_errf(errstr, errstr_size, "kafka producer: %s",
                         rd_kafka_err2str(rd_kafka_last_error()));
                return CDR_ERR_KAFKA;
        }
        return CDR_OK;
}

static void drop_topics(cdr_pipeline_t *p)
{
        size_t k;

        for (k = 0; p->purpose_rkt != NULL && k < p->npurposes; k++) {
                if (p->purpose_rkt[k] != NULL)
                        rd_kafka_topic_destroy(p->purpose_rkt[k]);
                p->purpose_rkt[k] = NULL;
        }
        if (p->anonymised_rkt != NULL)
                rd_kafka_topic_destroy(p->anonymised_rkt);
        if (p->sealed_rkt != NULL)
                rd_kafka_topic_destroy(p->sealed_rkt);
        if (p->dead_rkt != NULL)
                rd_kafka_topic_destroy(p->dead_rkt);
        p->anonymised_rkt = p->sealed_rkt = p->dead_rkt = NULL;
}

/* CDR_TXN_RECREATE: the open transaction's commit or abort has an
 * unknown outcome, or the producer had a fatal error that a new epoch
 * cures.  The producer is discarded with its transaction (no flush), a
 * new one with the same transactional.id takes a new epoch in
 * init_transactions, which settles the old transaction (the coordinator
 * completes a commit or abort under way, aborts an open transaction) and
 * fences the old epoch, so that a late commit or abort of it is refused
 * rather than landing on a later transaction (KIP-890's case).  Only
 * then are the committed offsets read and the consumer rewound to them;
 * the batch in hand is discarded.  Bounded by txn.h's budget; beyond
 * it, or when any of this fails, fatal with `why`. */
static int recreate_producer(cdr_pipeline_t *p, const char *why)
{
        char reason[512], errstr[512];
        int wait;

        snprintf(reason, sizeof(reason), "%s", why);
        batch_release(p);
        p->txn_open = 0;
        wait = cdr_txn_recreate_wait(&p->recreations, cdr_now_ms());
        if (wait < 0) {
                set_fatal(p,
                          "%s (the producer was re-created %d times in %d "
                          "minutes already)",
                          reason, CDR_TXN_RECREATE_MAX,
                          CDR_TXN_RECREATE_WINDOW_MS / 60000);
                return CDR_ERR_KAFKA;
        }
        drop_topics(p);
        cdr_txn_discard(p->producer);
        p->producer = NULL;
        cdr_sleep_ms(wait);
        if (make_producer(p, errstr, sizeof(errstr)) != CDR_OK ||
            make_topics(p, errstr, sizeof(errstr)) != CDR_OK ||
            cdr_txn_init(p->producer, p->opts.txn_timeout_ms, p->opts.retry_ms,
                         &p->stats.txn, errstr, sizeof(errstr)) != CDR_OK) {
                set_fatal(p, "re-creating the producer after %s: %s", reason,
                          errstr);
                return CDR_ERR_KAFKA;
        }
        p->stats.recreations++;
        event(p, 4, "producer_recreated",
              "producer re-created after %s: new epoch, rewinding to the "
              "committed offsets",
              reason);
        return rewind_consumer(p, 0);
}

/* A fatal error of the producer, found after `what`: a new producer when
 * a new epoch cures it (cdr_txn_class), else the end. */
static int producer_fatal(cdr_pipeline_t *p, const char *what)
{
        char fatal[256], why[512];
        rd_kafka_resp_err_t code;

        code = rd_kafka_fatal_error(p->producer, fatal, sizeof(fatal));
        snprintf(why, sizeof(why), "%s: fatal error: %s: %s", what,
                 rd_kafka_err2name(code), fatal);
        if (p->eos &&
            cdr_txn_class(code, CDR_TXN_F_FATAL) == CDR_TXN_CLASS_RECREATE)
                return recreate_producer(p, why);
        batch_release(p);
        set_fatal(p, "%s", why);
        return CDR_ERR_KAFKA;
}

static int make_consumer(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        const cdr_config_t *config = p->config;
        const cdr_kv_t *group = config_kv(config, "group.id");
        rd_kafka_conf_t *conf;
        char msg[512], where[512];

        if (group != NULL && strcmp(group->value, config->input_group) != 0) {
                kv_where(config, group, where, sizeof(where));
                cdr_errf(errstr, errstr_size,
                         "%s: differs from input.group; set the group there",
                         where);
                return CDR_ERR_INVAL;
        }
        conf = cdr_kafka_conf_from_config(config, CDR_KAFKA_CONSUMER, errstr,
                                          errstr_size);
        if (conf == NULL)
                return CDR_ERR_INVAL;
        if (cdr_kafka_conf_set(conf, "group.id", config->input_group, errstr,
                               errstr_size) != CDR_OK ||
            require_prop(config, conf, "enable.auto.commit", "false", errstr,
                         errstr_size) != CDR_OK ||
            require_prop(config, conf, "enable.auto.offset.store", "false",
                         errstr, errstr_size) != CDR_OK ||
            require_prop(config, conf, "partition.assignment.strategy",
                         "cooperative-sticky", errstr, errstr_size) != CDR_OK ||
            require_prop(config, conf, "isolation.level", "read_committed",
                         errstr, errstr_size) != CDR_OK ||
            default_prop(config, conf, "auto.offset.reset", "earliest", errstr,
                         errstr_size) != CDR_OK) {
                rd_kafka_conf_destroy(conf);
                return CDR_ERR_INVAL;
        }
        if (p->opts.kafka_stats != NULL) {
                if (default_prop(config, conf, "statistics.interval.ms", "5000",
                                 errstr, errstr_size) != CDR_OK) {
                        rd_kafka_conf_destroy(conf);
                        return CDR_ERR_INVAL;
                }
                rd_kafka_conf_set_stats_cb(conf, stats_cb);
        }
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        conf_callbacks(p, conf);
        p->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, msg, sizeof(msg));
        if (p->consumer == NULL) {
                rd_kafka_conf_destroy(conf);
                cdr_errf(errstr, errstr_size, "kafka consumer: %s", msg);
                return CDR_ERR_INVAL;
        }
        rd_kafka_poll_set_consumer(p->consumer);
        return CDR_OK;
}

static int subscribe(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;

        topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, p->config->input_topic,
                                          RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(p->consumer, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cdr_errf(errstr, errstr_size, "subscribe to %s: %s",
                         p->config->input_topic, rd_kafka_err2str(err));
                return CDR_ERR_KAFKA;
        }
        return CDR_OK;
}

/* The cluster must answer and every topic must exist: a clear one-line
 * error at start instead of a daemon that waits for ever. */
static int check_cluster(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        const cdr_config_t *config = p->config;
        /* input, the anonymised topic or each purpose's, sealed, dead
         * letter */
        size_t m = p->npurposes > 0 ? p->npurposes : 1, n = m + 3, k;
        const char **topics = calloc(n, sizeof(*topics));
        const char **what = calloc(n, sizeof(*what));
        char(*names)[CDR_PURPOSE_NAME_MAX + 32] = calloc(n, sizeof(*names));
        int *parts = calloc(n, sizeof(*parts));
        const char *bootstrap =
            cdr_kafka_config_get(config, "bootstrap.servers");
        int rc;

        if (topics == NULL || what == NULL || names == NULL || parts == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                rc = CDR_ERR_NOMEM;
                goto out;
        }
        topics[0] = config->input_topic;
        what[0] = "input.topic";
        if (p->npurposes == 0) {
                topics[1] = config->anonymised_topic;
                what[1] = "output.anonymised.topic";
        }
        for (k = 0; k < p->npurposes; k++) {
                snprintf(names[1 + k], sizeof(names[1 + k]),
                         "purposes.%s.output.topic", config->purposes[k].name);
                topics[1 + k] = config->purposes[k].topic;
                what[1 + k] = names[1 + k];
        }
        topics[m + 1] = config->sealed_topic;
        what[m + 1] = "output.sealed.topic";
        topics[m + 2] = config->dead_letter_topic;
        what[m + 2] = "output.dead_letter.topic";

        if (bootstrap == NULL)
                bootstrap =
                    cdr_kafka_config_get(config, "metadata.broker.list");
        if (bootstrap == NULL) {
                cdr_errf(errstr, errstr_size,
                         "%s: kafka.bootstrap.servers: not set (set it in "
                         "the kafka: section or with -X)",
                         config->path);
                rc = CDR_ERR_INVAL;
                goto out;
        }
        rc = cdr_kafka_check_topics(p->producer, bootstrap, topics, what, n,
                                    parts, p->opts.connect_timeout_ms, errstr,
                                    errstr_size);
        p->anonymised_parts = parts[1] > 0 ? parts[1] : 1;
        for (k = 0; k < p->npurposes; k++)
                p->purpose_parts[k] = parts[1 + k] > 0 ? parts[1 + k] : 1;
        p->sealed_parts = parts[m + 1] > 0 ? parts[m + 1] : 1;
        p->dead_parts = parts[m + 2] > 0 ? parts[m + 2] : 1;
        if (rc == CDR_ERR_KAFKA) {
                pthread_mutex_lock(&p->log_mu);
                if (p->last_log[0] != '\0') {
                        size_t len = strlen(errstr);

                        snprintf(errstr + len, errstr_size - len, " (%s)",
                                 p->last_log);
                }
                pthread_mutex_unlock(&p->log_mu);
        }
out:
        free(topics);
        free(what);
        free(names);
        free(parts);
        return rc;
}

static int start_workers(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        int i;

        p->nworkers = p->config->threads > 0 ? p->config->threads : 1;
        p->workers = calloc((size_t)p->nworkers, sizeof(*p->workers));
        if (p->workers == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        for (i = 0; i < p->nworkers; i++) {
                struct worker *w = &p->workers[i];

                w->pipeline = p;
                w->index = i;
                w->transform =
                    cdr_transform_new(p->engine, errstr, errstr_size);
                if (w->transform == NULL)
                        return CDR_ERR_INVAL;
        }
        for (i = 1; i < p->nworkers; i++) {
                struct worker *w = &p->workers[i];

                if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
                        cdr_errf(errstr, errstr_size,
                                 "cannot start worker thread %d", i);
                        return CDR_ERR_NOMEM;
                }
                w->started = 1;
        }
        return CDR_OK;
}

/* The purposes' topic handles, partition counts and counters, and each
 * slot's buffers for their outputs. */
static int purposes_alloc(cdr_pipeline_t *p)
{
        size_t n = p->config->npurposes, i;

        p->npurposes = n;
        if (n == 0)
                return CDR_OK;
        p->purpose_rkt = calloc(n, sizeof(*p->purpose_rkt));
        p->purpose_parts = calloc(n, sizeof(*p->purpose_parts));
        p->purpose_published = calloc(n, sizeof(*p->purpose_published));
        if (p->purpose_rkt == NULL || p->purpose_parts == NULL ||
            p->purpose_published == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < p->batch_max; i++) {
                p->slots[i].pvalue = calloc(n, sizeof(cdr_buf_t));
                p->slots[i].pkey = calloc(n, sizeof(cdr_buf_t));
                if (p->slots[i].pvalue == NULL || p->slots[i].pkey == NULL)
                        return CDR_ERR_NOMEM;
        }
        return CDR_OK;
}

cdr_pipeline_t *cdr_pipeline_new(cdr_engine_t *engine,
                                 const cdr_pipeline_opts_t *opts, char *errstr,
                                 size_t errstr_size)
{
        const cdr_config_t *config = cdr_engine_config(engine);
        cdr_pipeline_t *p;

        if (cdr_engine_wants_header(engine)) {
                cdr_errf(errstr, errstr_size,
                         "%s: input.csv: a topic has no header line: stream "
                         "mode needs input.csv.columns",
                         config->path);
                return NULL;
        }
        p = calloc(1, sizeof(*p));
        if (p == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        p->engine = engine;
        p->config = config;
        if (opts != NULL)
                p->opts = *opts;
        if (p->opts.connect_timeout_ms <= 0)
                p->opts.connect_timeout_ms = CONNECT_TIMEOUT_MS;
        if (p->opts.txn_timeout_ms == 0)
                p->opts.txn_timeout_ms = -1;
        if (p->opts.retry_ms <= 0)
                p->opts.retry_ms = RETRY_MS;
        p->eos = config->delivery == CDR_DELIVERY_EXACTLY_ONCE;
        atomic_init(&p->quiet, 1);
        pthread_mutex_init(&p->log_mu, NULL);
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->go, NULL);
        pthread_cond_init(&p->done, NULL);
        p->sync_ready = 1;

        p->batch_max = (size_t)config->commit_records < BATCH_MAX
                           ? (size_t)config->commit_records
                           : BATCH_MAX;
        p->slots = calloc(p->batch_max, sizeof(*p->slots));
        p->offsets = rd_kafka_topic_partition_list_new(16);
        p->first = rd_kafka_topic_partition_list_new(16);
        if (p->slots == NULL || p->offsets == NULL || p->first == NULL ||
            purposes_alloc(p) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "out of memory");
                goto err;
        }

        if (make_producer(p, errstr, errstr_size) != CDR_OK)
                goto err;
        if (check_cluster(p, errstr, errstr_size) != CDR_OK ||
            make_topics(p, errstr, errstr_size) != CDR_OK)
                goto err;
        atomic_store(&p->quiet, 0);
        if (p->eos &&
            cdr_txn_init(p->producer, p->opts.txn_timeout_ms, p->opts.retry_ms,
                         &p->stats.txn, errstr, errstr_size) != CDR_OK) {
                cdr_err_prefix(errstr, errstr_size,
                               "transactional.id '%s': ", p->transactional_id);
                goto err;
        }
        if (start_workers(p, errstr, errstr_size) != CDR_OK)
                goto err;
        if (make_consumer(p, errstr, errstr_size) != CDR_OK)
                goto err;
        if (subscribe(p, errstr, errstr_size) != CDR_OK)
                goto err;
        return p;

err:
        p->fatal = 1;
        cdr_pipeline_destroy(p);
        return NULL;
}

void cdr_pipeline_destroy(cdr_pipeline_t *p)
{
        size_t i, k;
        int w;

        if (p == NULL)
                return;
        if (p->consumer != NULL) {
                /* Leaving the group lets another member take over at
                 * once; the revoke callback commits what it can. */
                if (!p->consumer_closed)
                        rd_kafka_consumer_close(p->consumer);
                rd_kafka_destroy(p->consumer);
        }
        batch_release(p);
        if (p->sync_ready) {
                pthread_mutex_lock(&p->mu);
                p->quit = 1;
                pthread_cond_broadcast(&p->go);
                pthread_mutex_unlock(&p->mu);
        }
        for (w = 0; p->workers != NULL && w < p->nworkers; w++) {
                if (p->workers[w].started)
                        pthread_join(p->workers[w].thread, NULL);
                cdr_transform_destroy(p->workers[w].transform);
        }
        free(p->workers);
        drop_topics(p);
        if (p->producer != NULL) {
                /* After a fatal error, what is still queued belongs to a
                 * transaction that can never commit. */
                if (p->fatal)
                        rd_kafka_purge(p->producer,
                                       RD_KAFKA_PURGE_F_QUEUE |
                                           RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_flush(p->producer,
                               p->fatal ? FATAL_FLUSH_MS : CLOSE_FLUSH_MS);
                rd_kafka_destroy(p->producer);
        }
        if (p->offsets != NULL)
                rd_kafka_topic_partition_list_destroy(p->offsets);
        if (p->first != NULL)
                rd_kafka_topic_partition_list_destroy(p->first);
        for (i = 0; p->slots != NULL && i < p->batch_max; i++) {
                cdr_buf_free(&p->slots[i].value);
                cdr_buf_free(&p->slots[i].key);
                cdr_buf_free(&p->slots[i].sealed);
                for (k = 0; p->slots[i].pvalue != NULL && k < p->npurposes;
                     k++) {
                        cdr_buf_free(&p->slots[i].pvalue[k]);
                        cdr_buf_free(&p->slots[i].pkey[k]);
                }
                free(p->slots[i].pvalue);
                free(p->slots[i].pkey);
        }
        free(p->slots);
        free(p->purpose_rkt);
        free(p->purpose_parts);
        free(p->purpose_published);
        free(p->window_ts);
        if (p->sync_ready) {
                pthread_cond_destroy(&p->go);
                pthread_cond_destroy(&p->done);
                pthread_mutex_destroy(&p->mu);
                pthread_mutex_destroy(&p->log_mu);
        }
        free(p->transactional_id);
        free(p);
}

static void consumer_error(cdr_pipeline_t *p, const rd_kafka_message_t *m)
{
        char fatal[256];

        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                return;
        p->stats.consumer_errors++;
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(p->consumer, fatal, sizeof(fatal));
                set_fatal(p, "consumer: fatal error: %s", fatal);
                return;
        }
        event(p, 4, "consumer_error", "consumer: %s", rd_kafka_err2str(m->err));
}

int cdr_pipeline_poll(cdr_pipeline_t *p, int timeout_ms, char *errstr,
                      size_t errstr_size)
{
        int wait = timeout_ms;

        if (p->fatal)
                return fatal_return(p, errstr, errstr_size);
        if (p->window_records > 0) {
                int64_t left = p->window_start_ms +
                               p->config->commit_interval_ms - cdr_now_ms();

                if (left < wait)
                        wait = left > 0 ? (int)left : 0;
        }
        while (p->nslots < p->batch_max && !p->fatal) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(
                    p->consumer, p->nslots == 0 ? wait : 0);

                if (m == NULL)
                        break;
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                        consumer_error(p, m);
                        rd_kafka_message_destroy(m);
                        wait = 0;
                        continue;
                }
                if (rd_kafka_topic_partition_list_find(
                        p->first, rd_kafka_topic_name(m->rkt), m->partition) ==
                    NULL)
                        rd_kafka_topic_partition_list_add(
                            p->first, rd_kafka_topic_name(m->rkt), m->partition)
                            ->offset = m->offset;
                p->slots[p->nslots++].msg = m;
        }
        if (!p->fatal)
                process_batch(p);
        if (!p->fatal && commit_due(p))
                commit_window(p);
        if (!p->fatal)
                rd_kafka_poll(p->producer, 0);
        if (!p->fatal && rd_kafka_fatal_error(p->producer, NULL, 0) !=
                             RD_KAFKA_RESP_ERR_NO_ERROR)
                producer_fatal(p, "producer");
        if (p->fatal) {
                batch_release(p);
                return fatal_return(p, errstr, errstr_size);
        }
        return CDR_OK;
}

int cdr_pipeline_commit(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        if (p->fatal || commit_window(p) != CDR_OK || p->fatal)
                return fatal_return(p, errstr, errstr_size);
        return CDR_OK;
}

int cdr_pipeline_reload(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        int rc;

        rc = cdr_pipeline_commit(p, errstr, errstr_size);
        if (rc != CDR_OK)
                return rc;
        /* The workers are idle between batches: no transform runs. */
        rc = cdr_engine_reload(p->engine, errstr, errstr_size);
        return rc == CDR_OK ? CDR_OK : CDR_ERR_INVAL;
}

int cdr_pipeline_close(cdr_pipeline_t *p, char *errstr, size_t errstr_size)
{
        rd_kafka_resp_err_t err;
        int rc;

        rc = cdr_pipeline_commit(p, errstr, errstr_size);
        if (rc != CDR_OK)
                return rc;
        err = rd_kafka_consumer_close(p->consumer);
        p->consumer_closed = 1;
        if (p->fatal)
                return fatal_return(p, errstr, errstr_size);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cdr_errf(errstr, errstr_size, "closing the consumer: %s",
                         rd_kafka_err2str(err));
                return CDR_ERR_KAFKA;
        }
        err = rd_kafka_flush(p->producer, CLOSE_FLUSH_MS);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cdr_errf(errstr, errstr_size, "flushing the producer: %s",
                         rd_kafka_err2str(err));
                return CDR_ERR_KAFKA;
        }
        return CDR_OK;
}

void cdr_pipeline_stats(const cdr_pipeline_t *p, cdr_pipeline_stats_t *stats)
{
        *stats = p->stats;
}

void cdr_pipeline_transform_stats(const cdr_pipeline_t *p,
                                  cdr_transform_stats_t *stats)
{
        cdr_transform_stats_t one;
        int w;

        memset(stats, 0, sizeof(*stats));
        for (w = 0; p->workers != NULL && w < p->nworkers; w++) {
                if (p->workers[w].transform == NULL)
                        continue;
                cdr_transform_stats(p->workers[w].transform, &one);
                cdr_transform_stats_merge(stats, &one);
        }
}

uint64_t cdr_pipeline_purpose_published(const cdr_pipeline_t *p, size_t i)
{
        return i < p->npurposes ? p->purpose_published[i] : 0;
}

const char *cdr_pipeline_transactional_id(const cdr_pipeline_t *p)
{
        return p->eos ? p->transactional_id : NULL;
}
