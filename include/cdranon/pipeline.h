/*
 * Stream mode: the only place that joins Kafka and the transform.
 *
 *   input.topic --consumer group--> batch --worker threads--> result slots
 *        --one transactional producer, in input order--> anonymised topic
 *                                                         (or each purpose's)
 *                                                      -> sealed topic
 *                                                      -> dead-letter topic
 *
 * The shape is librdkafka's examples/transactions.c.  A consumer in the
 * group input.group (auto-commit off, cooperative-sticky assignment,
 * read_committed) feeds batches; the transform runs on config->threads
 * threads, each input partition's records on one thread in order, and
 * the main thread produces the results in input order, so per-partition
 * order holds on every output topic.  In exactly-once mode the outputs
 * of every record since the last commit and the input offsets are
 * committed in one transaction, every commit_records records or
 * commit_interval_ms milliseconds.  Error handling follows librdkafka's
 * INTRODUCTION.md: a retriable error is retried, an abortable one aborts
 * the transaction and rewinds the consumer to the last committed offsets,
 * a fatal one (fencing included) stops the pipeline.  A commit or abort
 * of unknown outcome and the fatal errors a new epoch cures
 * (CDR_TXN_RECREATE, txn.h) make the pipeline discard its producer and
 * its transaction, make a new producer with the same transactional.id
 * (init_transactions: a new epoch) and rewind the consumer to the
 * committed offsets; at most CDR_TXN_RECREATE_MAX times within
 * CDR_TXN_RECREATE_WINDOW_MS, then that error is fatal.
 *
 * With purposes (config->purposes), a published record goes to every
 * purpose's topic, each with that purpose's JSON and key, and there is
 * no anonymised topic (as file mode writes one file per purpose); a
 * record's fate is one for all purposes (transform.h), so a suppressed
 * or dead-lettered record is on none of them.  The purposes' messages
 * are in the same transaction as the sealed copy, the dead letters and
 * the offsets.
 *
 * In at-least-once mode there are no transactions: an idempotent producer
 * writes the outputs and the consumer offsets are committed once every
 * output message before them has been delivered.
 *
 * Threads: a pipeline is driven by one thread (cdr_pipeline_poll and the
 * rest); it runs its worker threads itself.  The library never prints:
 * librdkafka's log lines go to opts->kafka_log, the pipeline's own events
 * (rebalances, aborts, reloads) to opts->event.  Neither ever carries a
 * record or any part of one.
 */
#ifndef CDRANON_PIPELINE_H
#define CDRANON_PIPELINE_H

#include "cdranon/reason.h"
#include "cdranon/risk_window.h"
#include "cdranon/transform.h"
#include "cdranon/txn.h"

#include <librdkafka/rdkafka.h>

/* Counters of one pipeline.  Records reprocessed after an aborted
 * transaction or a rewind are counted again. */
typedef struct {
        uint64_t records;    /* input records transformed and produced */
        uint64_t published;  /* to the anonymised topic, or to every
                                purpose's topic */
        uint64_t suppressed; /* suppressed: sealed copy only */
        uint64_t dead;       /* to the dead-letter topic */
        uint64_t sealed;     /* to the sealed topic */
        /* transactions committed (exactly-once) or offset commits
         * (at-least-once), transactions aborted, retriable errors
         * retried */
        cdr_txn_stats_t txn;
        uint64_t rewinds;     /* consumer rewound to committed offsets */
        uint64_t recreations; /* producer re-created (CDR_TXN_RECREATE) */
        uint64_t rebalances;  /* assign and revoke events */
        uint64_t consumer_errors;
        uint64_t delivery_errors; /* output messages that failed */
        int partitions;           /* input partitions assigned now */
        /* dead, by the rule broken (reason.h) */
        uint64_t dead_by_reason[CDR_REASON_COUNT];
        /* seconds from each committed input message's timestamp to its
         * commit, buckets cdr_e2e_bounds */
        cdr_hist_t end_to_end;
} cdr_pipeline_stats_t;

/* Receives librdkafka's log lines; installed with rd_kafka_conf_set_log_cb
 * on both clients, so it runs on librdkafka's threads. */
typedef void cdr_pipeline_kafka_log_fn(const rd_kafka_t *rk, int level,
                                       const char *fac, const char *buf);

/* Receives the pipeline's events on the thread that drives it.  Levels
 * are syslog's: 3 error, 4 warning, 6 info.  `name` is stable, for
 * machines: assigned, revoked, lost (assignment lost), aborted
 * (transaction aborted), producer_recreated (a new producer, and why),
 * rewind, commit_failed, delivery_failed, kafka_error, consumer_error;
 * `msg` is for people. */
typedef void cdr_pipeline_event_fn(void *opaque, int level, const char *name,
                                   const char *msg);

typedef struct {
        cdr_pipeline_kafka_log_fn *kafka_log; /* NULL: librdkafka's */
        cdr_pipeline_event_fn *event;         /* NULL: none */
        void *opaque;                         /* passed to event */
        /* Start-up: how long the cluster has to answer a metadata
         * request before it counts as unreachable.  0: 10000. */
        int connect_timeout_ms;
        /* Timeout of each transactional call; -1 (the default when 0):
         * the remaining transaction time, as librdkafka recommends.
         * Retriable errors are retried until retry_ms have passed, then
         * they are fatal.  0: 60000. */
        int txn_timeout_ms;
        int retry_ms;
        /* The consumer's librdkafka statistics (JSON, len bytes, valid
         * during the call), on the driving thread.  NULL: none.  Else
         * statistics.interval.ms defaults to 5000 unless the kafka:
         * section sets it. */
        void (*kafka_stats)(void *opaque, const char *json, size_t len);
        void *stats_opaque; /* passed to kafka_stats */
        /* Observes each record published to an anonymised output
         * (risk_window.h: output i is purpose i, or 0 without purposes),
         * once produced, on the driving thread; not owned.  NULL: none. */
        cdr_risk_window_t *risk_window;
} cdr_pipeline_opts_t;

typedef struct cdr_pipeline_s cdr_pipeline_t;

/* Builds the pipeline for `engine` (which, with its configuration, must
 * outlive it): the producer (transactions initialised in exactly-once
 * mode: any earlier instance with the same transactional.id is fenced),
 * the consumer subscribed to input.topic, the worker threads.  The
 * cluster must answer within opts->connect_timeout_ms and every topic of
 * the configuration must exist.  The transactional.id is the `kafka:`
 * section's, else "cdranon-HOSTNAME-GROUP".  `opts` may be NULL.
 * Returns NULL with a one-line errstr. */
cdr_pipeline_t *cdr_pipeline_new(cdr_engine_t *engine,
                                 const cdr_pipeline_opts_t *opts, char *errstr,
                                 size_t errstr_size) CDR_MUST_CHECK;

/* Finishes the open transaction if it can (else aborts it, and the next
 * owner of the partitions reprocesses its records), leaves the group,
 * flushes the producer and frees everything.  After a fatal error it
 * only leaves the group and frees.  NULL: no-op. */
void cdr_pipeline_destroy(cdr_pipeline_t *pipeline);

/* Runs one batch: waits at most timeout_ms for input, transforms and
 * produces what came, and commits when commit_records records or
 * commit_interval_ms have been reached.  Returns 0, or CDR_ERR_KAFKA (or
 * another negative code) on a fatal error, with errstr set; after a
 * fatal error the pipeline can only be destroyed. */
int cdr_pipeline_poll(cdr_pipeline_t *pipeline, int timeout_ms, char *errstr,
                      size_t errstr_size) CDR_MUST_CHECK;

/* Commits the open transaction (or, at least once, the delivered
 * offsets) now.  Returns 0, or a fatal error as cdr_pipeline_poll. */
int cdr_pipeline_commit(cdr_pipeline_t *pipeline, char *errstr,
                        size_t errstr_size) CDR_MUST_CHECK;

/* At a transaction boundary (the open transaction is committed first),
 * reloads the key ring, the suppression list and the custodian public
 * keys (cdr_engine_reload).
 * Returns 0; CDR_ERR_INVAL when the reload failed and the old keys and
 * list stay in force (errstr says why; the pipeline goes on); or a fatal
 * error as cdr_pipeline_poll. */
int cdr_pipeline_reload(cdr_pipeline_t *pipeline, char *errstr,
                        size_t errstr_size) CDR_MUST_CHECK;

/* The clean end: commits the open transaction (aborts it if the commit
 * fails), closes the consumer (leaving the group) and flushes the
 * producer.  Returns 0 or a fatal error.  Call cdr_pipeline_destroy
 * afterwards in any case. */
int cdr_pipeline_close(cdr_pipeline_t *pipeline, char *errstr,
                       size_t errstr_size) CDR_MUST_CHECK;

void cdr_pipeline_stats(const cdr_pipeline_t *pipeline,
                        cdr_pipeline_stats_t *stats);

/* The counters and stage timings of the pipeline's transforms, summed.
 * Call on the driving thread between polls (the workers are idle). */
void cdr_pipeline_transform_stats(const cdr_pipeline_t *pipeline,
                                  cdr_transform_stats_t *stats);

/* With purposes: the messages produced to purpose i's topic (i in the
 * configuration's order), again after an abort as records_in is; 0 for
 * an i out of range.  A record's fate is one for all purposes, so each
 * equals stats.published.  Call on the driving thread between polls. */
uint64_t cdr_pipeline_purpose_published(const cdr_pipeline_t *pipeline,
                                        size_t i);

/* The transactional.id in use; NULL in at-least-once mode. */
const char *cdr_pipeline_transactional_id(const cdr_pipeline_t *pipeline);

#endif
