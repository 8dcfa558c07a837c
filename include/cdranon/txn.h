/*
 * Transaction steps, as librdkafka's INTRODUCTION.md prescribes.  The
 * pipeline (pipeline.h) is built on them; they are public so that the
 * fault-injection tests can drive them against librdkafka's mock
 * cluster.
 *
 * Each takes a transactional producer and returns CDR_OK, CDR_TXN_ABORTED
 * (an abortable error: the transaction was aborted and the caller must
 * rewind its input to the last committed offsets; errstr says why),
 * CDR_TXN_RECREATE (a commit or abort whose outcome is unknown, or a
 * fatal error a new producer recovers from: the caller must destroy the
 * producer without flushing, create a new one with the same
 * transactional.id, init_transactions and rewind its input; errstr says
 * why) or CDR_ERR_KAFKA (fatal, fenced included: errstr says why; the
 * producer can only be destroyed).  Retriable errors are retried
 * (stats->retries) until retry_ms have passed.  timeout_ms is each librdkafka
 * call's timeout (-1: the remaining transaction time).
 */
#ifndef CDRANON_TXN_H
#define CDRANON_TXN_H

#include "cdranon/common.h"

#include <librdkafka/rdkafka.h>

#define CDR_TXN_ABORTED  1
#define CDR_TXN_RECREATE 2

/* What an error asks of the caller (cdr_txn_class). */
#define CDR_TXN_CLASS_RETRY    0 /* call again */
#define CDR_TXN_CLASS_ABORT    1 /* abort the transaction */
#define CDR_TXN_CLASS_FATAL    2 /* stop: the producer is done */
#define CDR_TXN_CLASS_RECREATE 3 /* destroy the producer, make a new one */

/* What is known of an error (flags of cdr_txn_class). */
#define CDR_TXN_F_FATAL         0x01u /* rd_kafka_error_is_fatal */
#define CDR_TXN_F_ABORTABLE     0x02u /* ..._txn_requires_abort */
#define CDR_TXN_F_RETRIABLE     0x04u /* rd_kafka_error_is_retriable */
#define CDR_TXN_F_PAST_DEADLINE 0x08u /* the retry budget is spent */
#define CDR_TXN_F_END_TXN       0x10u /* of a commit or an abort */

/* The class of an error of code `code` with `flags`: fatal ones are
 * CDR_TXN_CLASS_FATAL but for INVALID_PRODUCER_EPOCH,
 * OUT_OF_ORDER_SEQUENCE_NUMBER and _TIMED_OUT_QUEUE (RECREATE; never
 * _FENCED nor PRODUCER_FENCED); abortable ones ABORT; retriable ones
 * RETRY until the deadline; past it, and for _TIMED_OUT and _TRANSPORT,
 * a commit or abort is RECREATE (its outcome is unknown) and any other
 * call FATAL. */
int cdr_txn_class(rd_kafka_resp_err_t code, unsigned flags);

/* What the steps count; the caller owns and zeroes it. */
typedef struct {
        uint64_t committed; /* transactions committed */
        uint64_t aborted;   /* transactions aborted */
        uint64_t retries;   /* retriable errors retried */
} cdr_txn_stats_t;

/* rd_kafka_init_transactions. */
int cdr_txn_init(rd_kafka_t *producer, int timeout_ms, int retry_ms,
                 cdr_txn_stats_t *stats, char *errstr,
                 size_t errstr_size) CDR_MUST_CHECK;

/* rd_kafka_begin_transaction.  Returns CDR_OK or CDR_ERR_KAFKA. */
int cdr_txn_begin(rd_kafka_t *producer, char *errstr,
                  size_t errstr_size) CDR_MUST_CHECK;

/* rd_kafka_send_offsets_to_transaction (skipped when `offsets` is NULL
 * or empty), then rd_kafka_commit_transaction; on an abortable error,
 * cdr_txn_abort.  stats->committed counts successes. */
int cdr_txn_commit(rd_kafka_t *producer,
                   const rd_kafka_topic_partition_list_t *offsets,
                   const rd_kafka_consumer_group_metadata_t *cgmd,
                   int timeout_ms, int retry_ms, cdr_txn_stats_t *stats,
                   char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* rd_kafka_abort_transaction.  Returns CDR_TXN_ABORTED, CDR_TXN_RECREATE
 * or CDR_ERR_KAFKA;
 * stats->aborted counts aborts.  errstr is left as it was on
 * success, so that it still says why the transaction was aborted. */
int cdr_txn_abort(rd_kafka_t *producer, int timeout_ms, int retry_ms,
                  cdr_txn_stats_t *stats, char *errstr,
                  size_t errstr_size) CDR_MUST_CHECK;

/*
 * After CDR_TXN_RECREATE.
 */

/* Re-creations of the producer are bounded: at most
 * CDR_TXN_RECREATE_MAX within any CDR_TXN_RECREATE_WINDOW_MS, the k-th
 * of them in the window (k = 1..MAX) after a wait of
 * CDR_TXN_RECREATE_BACKOFF_MS << (k - 1) (0.5, 1, 2, 4, 8 s).  One more
 * means the cause is not transient: the caller stops as on a fatal
 * error, and its supervisor's restart is the next remedy. */
#define CDR_TXN_RECREATE_MAX        5
#define CDR_TXN_RECREATE_WINDOW_MS  600000
#define CDR_TXN_RECREATE_BACKOFF_MS 500

/* The re-creations of the last window; the caller owns and zeroes it. */
typedef struct {
        int64_t at[CDR_TXN_RECREATE_MAX]; /* when each took place (ms) */
        int n;
} cdr_txn_budget_t;

/* Asks for a re-creation at now_ms (cdr_now_ms): returns the
 * milliseconds to wait before it, the re-creation being counted at
 * now_ms plus that wait; or -1, counting nothing, when
 * CDR_TXN_RECREATE_MAX re-creations already took place within the
 * window before now_ms.  Pure: no Kafka, no clock. */
int cdr_txn_recreate_wait(cdr_txn_budget_t *budget, int64_t now_ms);

/* Destroys a transactional producer whose transaction is doomed:
 * purges its queued and in-flight messages and destroys it without a
 * flush (an in-flight commit or abort is not waited for; the new
 * producer's init_transactions settles it).  The caller has destroyed
 * the producer's topic handles.  NULL: no-op. */
void cdr_txn_discard(rd_kafka_t *producer);

#define CDR_TXN_REWIND_GUESSED 1 /* cdr_txn_rewind: see there */

/* Moves `consumer` back to the committed offset of each partition of
 * `from` that is still assigned; a partition without a committed offset
 * goes back to its offset in `from` (the first offset consumed since the
 * last commit).  Partitions no longer assigned are left alone; `from` is
 * not changed.  When the committed offsets cannot be read: with
 * `may_guess`, every partition goes back to its offset in `from` and
 * CDR_TXN_REWIND_GUESSED is returned with errstr saying why (right after
 * an abort, when nothing was committed since `from`); without it,
 * CDR_ERR_KAFKA (after a commit of unknown outcome the committed offsets
 * are the only truth).  Returns CDR_OK or CDR_ERR_KAFKA (errstr says
 * why).  timeout_ms bounds each of the two librdkafka calls. */
int cdr_txn_rewind(rd_kafka_t *consumer,
                   const rd_kafka_topic_partition_list_t *from, int may_guess,
                   int timeout_ms, char *errstr,
                   size_t errstr_size) CDR_MUST_CHECK;

#endif
