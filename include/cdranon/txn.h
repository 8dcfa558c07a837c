/*
 * Transaction steps, as librdkafka's INTRODUCTION.md prescribes.  The
 * pipeline (pipeline.h) is built on them; they are public so that the
 * fault-injection tests can drive them against librdkafka's mock
 * cluster.
 *
 * Each takes a transactional producer and returns CDR_OK, CDR_TXN_ABORTED
 * (an abortable error: the transaction was aborted and the caller must
 * rewind its input to the last committed offsets; errstr says why) or
 * CDR_ERR_KAFKA (fatal, fenced included: errstr says why; the producer
 * can only be destroyed).  Retriable errors are retried (stats->retries)
 * until retry_ms have passed.  timeout_ms is each librdkafka call's
 * timeout (-1: the remaining transaction time).
 */
#ifndef CDRANON_TXN_H
#define CDRANON_TXN_H

#include "cdranon/common.h"

#include <librdkafka/rdkafka.h>

#define CDR_TXN_ABORTED 1

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

/* rd_kafka_abort_transaction.  Returns CDR_TXN_ABORTED or CDR_ERR_KAFKA;
 * stats->aborted counts aborts.  errstr is left as it was on
 * success, so that it still says why the transaction was aborted. */
int cdr_txn_abort(rd_kafka_t *producer, int timeout_ms, int retry_ms,
                  cdr_txn_stats_t *stats, char *errstr,
                  size_t errstr_size) CDR_MUST_CHECK;

#endif
