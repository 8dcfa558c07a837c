/*
 * The daemon's metrics (docs/operations.md, "Reading the metrics"): its
 * metric families in a registry (metrics.h), fed from the pipeline's and
 * the transforms' counters, and the consumer lag read from librdkafka's
 * statistics (a JSON document every few seconds, read with jansson).
 *
 * Threads: the pipeline's driving thread publishes a snapshot between
 * polls (its workers are idle then) inside one cdr_metrics_lock/unlock
 * pair, so that a scrape, which renders under the same mutex, sees all
 * counters of one moment.  The statistics callback runs on the driving
 * thread too.
 *
 * No label value ever holds a record value or a raw identifier: the
 * dead-letter reason is a fixed rule name (reason.h), topics, purpose
 * names ([a-z0-9_-]{1,32}) and key ids come from the configuration and
 * the key file.
 */
#ifndef CDRANON_METRICS_DAEMON_H
#define CDRANON_METRICS_DAEMON_H

#include "cdranon/metrics.h"
#include "cdranon/pipeline.h"
#include "cdranon/risk_window.h"
#include "cdranon/transform.h"

typedef struct cdr_daemon_metrics_s cdr_daemon_metrics_t;

/* Adds the daemon's metric families to `metrics` (which must outlive
 * the result and owns the families).  Returns NULL with errstr set when
 * out of memory. */
cdr_daemon_metrics_t *cdr_daemon_metrics_new(cdr_metrics_t *metrics,
                                             char *errstr, size_t errstr_size);
/* Frees the handle; the families stay in the registry.  NULL: no-op. */
void cdr_daemon_metrics_destroy(cdr_daemon_metrics_t *dm);

/* Publishes a snapshot of the pipeline's counters, its transforms'
 * counters and stage timings, the active key id and the sealer epochs.
 * Call on the pipeline's driving thread between polls. */
void cdr_daemon_metrics_publish(cdr_daemon_metrics_t *dm,
                                const cdr_pipeline_t *pipeline,
                                const cdr_engine_t *engine);

/* Replaces the risk gauges (cdranon_risk_*, docs/operations.md) by the
 * last measurements of `window`, labelled with its output names and
 * field names (from the configuration, never a record value), and counts
 * one measurement that took `seconds`.  Call after
 * cdr_risk_window_refresh has measured, on the thread that drives the
 * window. */
void cdr_daemon_metrics_risk(cdr_daemon_metrics_t *dm,
                             const cdr_risk_window_t *window, double seconds);

/* Consumer lag from one librdkafka statistics JSON document (the
 * consumer's stats callback): replaces cdranon_consumer_lag with one
 * series per partition of `topic` that is being fetched.  Returns 0, or
 * CDR_ERR_MALFORMED when the document does not parse (the gauges are
 * left as they were), or CDR_ERR_NOMEM. */
int cdr_daemon_metrics_kafka_stats(cdr_daemon_metrics_t *dm, const char *json,
                                   size_t len, const char *topic,
                                   int read_committed);

/* One partition of a librdkafka statistics document. */
typedef struct {
        int32_t partition;
        int64_t lag; /* end minus position, at least 0 */
} cdr_partition_lag_t;

/* Parses the partitions of `topic` being fetched out of a statistics
 * document into out[0..*n) (at most max).  A partition's lag is its end
 * (ls_offset under read_committed, else hi_offset) minus the consumer's
 * position (the larger of app_offset and committed_offset, else
 * lo_offset), at least 0.  Returns 0 or CDR_ERR_MALFORMED. */
int cdr_kafka_stats_lag(const char *json, size_t len, const char *topic,
                        int read_committed, cdr_partition_lag_t *out,
                        size_t max, size_t *n) CDR_MUST_CHECK;

#endif
