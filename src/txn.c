/*
 * Transaction steps as librdkafka's INTRODUCTION.md prescribes them:
 * see txn.h.
 */
#include "cdranon/txn.h"
#include "cdranon/util.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000

enum { STEP_RETRY, STEP_ABORT, STEP_FATAL, STEP_RECREATE };

/* The fatal errors of librdkafka 2.0.2 that a new producer (a new
 * init_transactions, hence a new epoch) recovers from: an epoch bumped
 * after a transaction timeout, a sequence broken by a broker crash.
 * Fencing (_FENCED, PRODUCER_FENCED) is not among them: another
 * instance owns the transactional id. */
static int recoverable_fatal(rd_kafka_resp_err_t code)
{
        return code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
               code == RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER ||
               code == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
}

/* An error whose transaction outcome is unknown: the request may still
 * land later, on the next transaction of the same epoch. */
static int outcome_unknown(rd_kafka_resp_err_t code)
{
        return code == RD_KAFKA_RESP_ERR__TIMED_OUT ||
               code == RD_KAFKA_RESP_ERR__TRANSPORT;
}

int cdr_txn_class(rd_kafka_resp_err_t code, unsigned flags)
{
        if (flags & CDR_TXN_F_FATAL)
                return recoverable_fatal(code) ? CDR_TXN_CLASS_RECREATE
                                               : CDR_TXN_CLASS_FATAL;
        if (flags & CDR_TXN_F_ABORTABLE)
                return CDR_TXN_CLASS_ABORT;
        if ((flags & CDR_TXN_F_RETRIABLE) && !(flags & CDR_TXN_F_PAST_DEADLINE))
                return CDR_TXN_CLASS_RETRY;
        if ((flags & CDR_TXN_F_END_TXN) &&
            ((flags & CDR_TXN_F_RETRIABLE) || outcome_unknown(code)))
                return CDR_TXN_CLASS_RECREATE;
        return CDR_TXN_CLASS_FATAL;
}

/* INTRODUCTION.md: fatal stops; abortable aborts; retriable retries;
 * anything else is treated as fatal.  Two exceptions (cdr_txn_class):
 * a commit or abort whose outcome is unknown and the fatal errors a new
 * producer recovers from ask for a new producer. */
static int classify(const rd_kafka_error_t *error, int64_t deadline,
                    int end_txn)
{
        unsigned flags = 0;

        if (rd_kafka_error_is_fatal(error))
                flags |= CDR_TXN_F_FATAL;
        if (rd_kafka_error_txn_requires_abort(error))
                flags |= CDR_TXN_F_ABORTABLE;
        if (rd_kafka_error_is_retriable(error))
                flags |= CDR_TXN_F_RETRIABLE;
        if (cdr_now_ms() >= deadline)
                flags |= CDR_TXN_F_PAST_DEADLINE;
        if (end_txn)
                flags |= CDR_TXN_F_END_TXN;
        switch (cdr_txn_class(rd_kafka_error_code(error), flags)) {
        case CDR_TXN_CLASS_RETRY:
                return STEP_RETRY;
        case CDR_TXN_CLASS_ABORT:
                return STEP_ABORT;
        case CDR_TXN_CLASS_RECREATE:
                return STEP_RECREATE;
        default:
                return STEP_FATAL;
        }
}

static void txn_errf(char *errstr, size_t errstr_size, const char *what,
                     const rd_kafka_error_t *error, int retry_ms)
{
        if (!rd_kafka_error_is_fatal(error) &&
            !rd_kafka_error_txn_requires_abort(error) &&
            rd_kafka_error_is_retriable(error))
                cdr_errf(errstr, errstr_size,
                         "%s: %s: %s (still failing after %d s of retries)",
                         what, rd_kafka_error_name(error),
                         rd_kafka_error_string(error), retry_ms / 1000);
        else
                cdr_errf(errstr, errstr_size, "%s: %s: %s", what,
                         rd_kafka_error_name(error),
                         rd_kafka_error_string(error));
}

static void backoff(int *ms)
{
        cdr_sleep_ms(*ms);
        *ms = *ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *ms * 2;
}

/* What a step does with an error of its librdkafka call `what`: a
 * retriable one within the budget is counted, freed and waited for
 * (STEP_RETRY: call again); any other is written to errstr and freed,
 * and its class returned (STEP_ABORT, STEP_RECREATE or STEP_FATAL).
 * end_txn: the call ends a transaction (commit or abort). */
static int step_error(rd_kafka_error_t *error, const char *what, int end_txn,
                      int64_t deadline, int retry_ms, int *wait,
                      cdr_txn_stats_t *stats, char *errstr, size_t errstr_size)
{
        int step = classify(error, deadline, end_txn);

        if (step == STEP_RETRY) {
                stats->retries++;
                rd_kafka_error_destroy(error);
                backoff(wait);
                return STEP_RETRY;
        }
        txn_errf(errstr, errstr_size, what, error, retry_ms);
        rd_kafka_error_destroy(error);
        return step;
}

int cdr_txn_init(rd_kafka_t *producer, int timeout_ms, int retry_ms,
                 cdr_txn_stats_t *stats, char *errstr, size_t errstr_size)
{
        int64_t deadline = cdr_now_ms() + retry_ms;
        int wait = BACKOFF_MIN_MS;

        for (;;) {
                rd_kafka_error_t *error =
                    rd_kafka_init_transactions(producer, timeout_ms);

                if (error == NULL)
                        return CDR_OK;
                /* Nothing is open yet, so there is nothing to abort: an
                 * abortable error here is as fatal as any other. */
                if (step_error(error, "init_transactions", 0, deadline,
                               retry_ms, &wait, stats, errstr,
                               errstr_size) != STEP_RETRY)
                        return CDR_ERR_KAFKA;
        }
}

int cdr_txn_begin(rd_kafka_t *producer, char *errstr, size_t errstr_size)
{
        rd_kafka_error_t *error = rd_kafka_begin_transaction(producer);

        if (error == NULL)
                return CDR_OK;
        txn_errf(errstr, errstr_size, "begin_transaction", error, 0);
        rd_kafka_error_destroy(error);
        return CDR_ERR_KAFKA;
}

int cdr_txn_abort(rd_kafka_t *producer, int timeout_ms, int retry_ms,
                  cdr_txn_stats_t *stats, char *errstr, size_t errstr_size)
{
        int64_t deadline = cdr_now_ms() + retry_ms;
        int wait = BACKOFF_MIN_MS;

        for (;;) {
                rd_kafka_error_t *error =
                    rd_kafka_abort_transaction(producer, timeout_ms);

                if (error == NULL) {
                        stats->aborted++;
                        return CDR_TXN_ABORTED;
                }
                switch (step_error(error, "abort_transaction", 1, deadline,
                                   retry_ms, &wait, stats, errstr,
                                   errstr_size)) {
                case STEP_RETRY:
                        break;
                case STEP_RECREATE:
                        return CDR_TXN_RECREATE;
                default:
                        return CDR_ERR_KAFKA;
                }
        }
}

int cdr_txn_commit(rd_kafka_t *producer,
                   const rd_kafka_topic_partition_list_t *offsets,
                   const rd_kafka_consumer_group_metadata_t *cgmd,
                   int timeout_ms, int retry_ms, cdr_txn_stats_t *stats,
                   char *errstr, size_t errstr_size)
{
        int64_t deadline = cdr_now_ms() + retry_ms;
        int wait = BACKOFF_MIN_MS;
        rd_kafka_error_t *error;
        int step = STEP_RETRY;

        /* Retried with the same offsets and group metadata, as
         * rdkafka.h recommends: the call is retriable, not resumable. */
        while (offsets != NULL && offsets->cnt > 0 && step == STEP_RETRY) {
                error = rd_kafka_send_offsets_to_transaction(producer, offsets,
                                                             cgmd, timeout_ms);
                if (error == NULL)
                        break;
                step = step_error(error, "send_offsets_to_transaction", 0,
                                  deadline, retry_ms, &wait, stats, errstr,
                                  errstr_size);
        }
        /* Resumable: a retried call goes on with the commit that is
         * already progressing. */
        wait = BACKOFF_MIN_MS;
        while (step == STEP_RETRY) {
                error = rd_kafka_commit_transaction(producer, timeout_ms);
                if (error == NULL) {
                        stats->committed++;
                        return CDR_OK;
                }
                step = step_error(error, "commit_transaction", 1, deadline,
                                  retry_ms, &wait, stats, errstr, errstr_size);
        }
        if (step == STEP_ABORT)
                return cdr_txn_abort(producer, timeout_ms, retry_ms, stats,
                                     errstr, errstr_size);
        if (step == STEP_RECREATE)
                return CDR_TXN_RECREATE;
        return CDR_ERR_KAFKA;
}

int cdr_txn_recreate_wait(cdr_txn_budget_t *budget, int64_t now_ms)
{
        int i, kept = 0;

        for (i = 0; i < budget->n; i++)
                if (now_ms - budget->at[i] < CDR_TXN_RECREATE_WINDOW_MS)
                        budget->at[kept++] = budget->at[i];
        budget->n = kept;
        if (budget->n == CDR_TXN_RECREATE_MAX)
                return -1;
        budget->at[budget->n] =
            now_ms + (CDR_TXN_RECREATE_BACKOFF_MS << budget->n);
        return CDR_TXN_RECREATE_BACKOFF_MS << budget->n++;
}

void cdr_txn_discard(rd_kafka_t *producer)
{
        if (producer == NULL)
                return;
        rd_kafka_purge(producer,
                       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy_flags(producer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

/* The partitions of `from` that `consumer` still has, offsets unset. */
static rd_kafka_topic_partition_list_t *
still_assigned(rd_kafka_t *consumer,
               const rd_kafka_topic_partition_list_t *from, char *errstr,
               size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *asg = NULL, *seek;
        rd_kafka_resp_err_t err;
        int i;

        err = rd_kafka_assignment(consumer, &asg);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cdr_errf(errstr, errstr_size, "rewind: assignment: %s",
                         rd_kafka_err2str(err));
                return NULL;
        }
        seek = rd_kafka_topic_partition_list_new(from->cnt > 0 ? from->cnt : 1);
        for (i = 0; i < from->cnt; i++) {
                const rd_kafka_topic_partition_t *f = &from->elems[i];

                if (rd_kafka_topic_partition_list_find(asg, f->topic,
                                                       f->partition))
                        rd_kafka_topic_partition_list_add(seek, f->topic,
                                                          f->partition)
                            ->offset = RD_KAFKA_OFFSET_INVALID;
        }
        rd_kafka_topic_partition_list_destroy(asg);
        return seek;
}

int cdr_txn_rewind(rd_kafka_t *consumer,
                   const rd_kafka_topic_partition_list_t *from, int may_guess,
                   int timeout_ms, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *seek;
        rd_kafka_error_t *error;
        rd_kafka_resp_err_t err;
        int i, rc = CDR_OK;

        if (from->cnt == 0)
                return CDR_OK;
        seek = still_assigned(consumer, from, errstr, errstr_size);
        if (seek == NULL)
                return CDR_ERR_KAFKA;
        if (seek->cnt == 0)
                goto out;
        err = rd_kafka_committed(consumer, seek, timeout_ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cdr_errf(errstr, errstr_size,
                         "rewind: committed offsets unavailable: %s",
                         rd_kafka_err2str(err));
                if (!may_guess) {
                        rc = CDR_ERR_KAFKA;
                        goto out;
                }
                rc = CDR_TXN_REWIND_GUESSED;
        }
        for (i = 0; i < seek->cnt; i++) {
                rd_kafka_topic_partition_t *tp = &seek->elems[i];

                if (err == RD_KAFKA_RESP_ERR_NO_ERROR && tp->err &&
                    !may_guess) {
                        cdr_errf(errstr, errstr_size,
                                 "rewind: committed offset of %s [%d] "
                                 "unavailable: %s",
                                 tp->topic, (int)tp->partition,
                                 rd_kafka_err2str(tp->err));
                        rc = CDR_ERR_KAFKA;
                        goto out;
                }
                if (err != RD_KAFKA_RESP_ERR_NO_ERROR || tp->err ||
                    tp->offset < 0) {
                        tp->offset = rd_kafka_topic_partition_list_find(
                                         from, tp->topic, tp->partition)
                                         ->offset;
                        tp->err = RD_KAFKA_RESP_ERR_NO_ERROR;
                }
        }
        error = rd_kafka_seek_partitions(consumer, seek, timeout_ms);
        if (error != NULL) {
                cdr_errf(errstr, errstr_size, "rewind: seek: %s",
                         rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                rc = CDR_ERR_KAFKA;
                goto out;
        }
        for (i = 0; i < seek->cnt; i++)
                if (seek->elems[i].err) {
                        cdr_errf(
                            errstr, errstr_size, "rewind: seek %s [%d]: %s",
                            seek->elems[i].topic, (int)seek->elems[i].partition,
                            rd_kafka_err2str(seek->elems[i].err));
                        rc = CDR_ERR_KAFKA;
                        goto out;
                }
out:
        rd_kafka_topic_partition_list_destroy(seek);
        return rc;
}
