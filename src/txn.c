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
