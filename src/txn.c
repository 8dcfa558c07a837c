/*
 * Transaction steps as librdkafka's INTRODUCTION.md prescribes them:
 * see txn.h.
 */
#include "cdranon/txn.h"
#include "cdranon/util.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000

enum { STEP_RETRY, STEP_ABORT, STEP_FATAL };

/* INTRODUCTION.md: fatal stops; abortable aborts; retriable retries;
 * anything else is treated as fatal.  A retriable error past the retry
 * budget is fatal too. */
static int classify(const rd_kafka_error_t *error, int64_t deadline)
{
        if (rd_kafka_error_is_fatal(error))
                return STEP_FATAL;
        if (rd_kafka_error_txn_requires_abort(error))
                return STEP_ABORT;
        if (rd_kafka_error_is_retriable(error) && cdr_now_ms() < deadline)
                return STEP_RETRY;
        return STEP_FATAL;
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
 * and its class returned (STEP_ABORT or STEP_FATAL). */
static int step_error(rd_kafka_error_t *error, const char *what,
                      int64_t deadline, int retry_ms, int *wait,
                      cdr_txn_stats_t *stats, char *errstr, size_t errstr_size)
{
        int step = classify(error, deadline);

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
                if (step_error(error, "init_transactions", deadline, retry_ms,
                               &wait, stats, errstr, errstr_size) != STEP_RETRY)
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
                if (step_error(error, "abort_transaction", deadline, retry_ms,
                               &wait, stats, errstr, errstr_size) != STEP_RETRY)
                        return CDR_ERR_KAFKA;
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
                step =
                    step_error(error, "send_offsets_to_transaction", deadline,
                               retry_ms, &wait, stats, errstr, errstr_size);
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
                step = step_error(error, "commit_transaction", deadline,
                                  retry_ms, &wait, stats, errstr, errstr_size);
        }
        if (step == STEP_ABORT)
                return cdr_txn_abort(producer, timeout_ms, retry_ms, stats,
                                     errstr, errstr_size);
        return CDR_ERR_KAFKA;
}
