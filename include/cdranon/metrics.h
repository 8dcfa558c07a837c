/*
 * Prometheus metrics: a registry of counters, gauges and fixed-bucket
 * histograms rendered in the text exposition format 0.0.4, the daemon's
 * own metrics (docs/operations.md, "Reading the metrics"), and a small
 * HTTP server (libmicrohttpd, one internal polling thread) for /metrics,
 * /healthz and /readyz.
 *
 * Threads: every registry function may be called from any thread; the
 * registry holds one (recursive) mutex.  The daemon's driving thread
 * publishes a snapshot of the pipeline's counters between polls
 * (cdr_metrics_publish) inside one cdr_metrics_lock/unlock pair, so that a
 * scrape, which renders on the server's thread under the same mutex, sees
 * all counters of one moment.  The transform's hot path never touches the
 * registry: it keeps plain per-thread counters that the driving thread
 * reads while the workers are idle.
 *
 * No label value ever holds a record value or a raw identifier: the
 * dead-letter reason is mapped to a fixed set of rule names
 * (cdr_metrics_reason_class), topics and key ids come from the
 * configuration and the key file.
 */
#ifndef CDRANON_METRICS_H
#define CDRANON_METRICS_H

#include "cdranon/buf.h"

/* Most labels a metric may have, and most finite buckets of a
 * histogram. */
#define CDR_METRIC_LABELS_MAX 2
#define CDR_HIST_BOUNDS_MAX   16

/* A histogram's observations: bucket[i] counts values v with
 * bounds[i-1] < v <= bounds[i] (not cumulative); bucket[nbounds] counts
 * those above the last bound.  sum is in the observed unit (seconds).
 * Plain numbers: the owner synchronises. */
typedef struct {
        uint64_t bucket[CDR_HIST_BOUNDS_MAX + 1];
        uint64_t count;
        double sum;
} cdr_hist_t;

/* Counts v in h; bounds ascending, nbounds <= CDR_HIST_BOUNDS_MAX. */
void cdr_hist_observe(cdr_hist_t *h, const double *bounds, size_t nbounds,
                      double v);
/* Adds src's counts to dst's. */
void cdr_hist_merge(cdr_hist_t *dst, const cdr_hist_t *src);

/* Bucket bounds in seconds: per-record stage times (1 us .. 10 ms) and
 * end-to-end latency (5 ms .. 5 min). */
#define CDR_STAGE_NBOUNDS 10
#define CDR_E2E_NBOUNDS   14
extern const double cdr_stage_bounds[CDR_STAGE_NBOUNDS];
extern const double cdr_e2e_bounds[CDR_E2E_NBOUNDS];

/*
 * Dead-letter reasons as label values.  A reason string (cdr_result_t)
 * may quote a field name taken from the input, so it is never used as a
 * label: it is mapped to one of at most CDR_REASON_COUNT fixed rule names
 * ("json_syntax", "number_malformed", ...; "other" for a reason no rule
 * matches).  The names are listed in docs/operations.md.
 */
#define CDR_REASON_COUNT 24

/* The class of `reason` (NULL: "other"), 0 <= class < CDR_REASON_COUNT.
 * Thread-safe. */
unsigned cdr_metrics_reason_class(const char *reason);
/* The label value of class c (static), or NULL when c is out of range. */
const char *cdr_metrics_reason_name(unsigned c);

/*
 * The registry.
 */
typedef struct cdr_metrics_s cdr_metrics_t;
typedef struct cdr_metric_s cdr_metric_t;

typedef enum {
        CDR_METRIC_COUNTER = 0,
        CDR_METRIC_GAUGE,
        CDR_METRIC_HISTOGRAM,
} cdr_metric_type_t;

/* A new empty registry, or NULL when out of memory. */
cdr_metrics_t *cdr_metrics_new(void);
/* Frees the registry and its metrics.  Stop its server first.  NULL:
 * no-op. */
void cdr_metrics_destroy(cdr_metrics_t *metrics);

/* Adds a metric family.  `name` and the label names must be legal
 * Prometheus names (a counter's name ends in "_total"; "le" is not a
 * label name); `help` is free text.  A histogram takes nbounds (1 ..
 * CDR_HIST_BOUNDS_MAX) ascending finite bounds, copied; other types take
 * none.  A metric without labels exists (at 0) from the start; one with
 * labels has a series per distinct label values set.  The registry owns
 * the result.  Returns NULL with errstr set on a bad argument or when out
 * of memory. */
cdr_metric_t *cdr_metrics_add(cdr_metrics_t *metrics, cdr_metric_type_t type,
                              const char *name, const char *help,
                              const char *const *label_names, size_t nlabels,
                              const double *bounds, size_t nbounds,
                              char *errstr, size_t errstr_size);

/* Sets the value of a counter or gauge series (label_values: one per
 * label name, any bytes; NULL without labels), creating the series.
 * Counters are set to the cumulative totals that their owner keeps.
 * Returns 0, CDR_ERR_INVAL (a histogram) or CDR_ERR_NOMEM. */
int cdr_metric_set(cdr_metric_t *metric, const char *const *label_values,
                   double value);
/* Adds delta to a counter or gauge series. */
int cdr_metric_add(cdr_metric_t *metric, const char *const *label_values,
                   double delta);
/* Counts one observation in a histogram series. */
int cdr_metric_observe(cdr_metric_t *metric, const char *const *label_values,
                       double value);
/* Replaces a histogram series by the observations in h (whose buckets
 * follow the metric's bounds). */
int cdr_metric_set_hist(cdr_metric_t *metric, const char *const *label_values,
                        const cdr_hist_t *h);
/* Removes every series of a labelled metric (a set that is replaced as a
 * whole, such as the lag of the partitions assigned now). */
void cdr_metric_clear(cdr_metric_t *metric);

/* Held around a group of updates that a scrape must see together.  The
 * mutex is recursive: the update functions may be called inside. */
void cdr_metrics_lock(cdr_metrics_t *metrics);
void cdr_metrics_unlock(cdr_metrics_t *metrics);

/* Appends every metric in the text exposition format 0.0.4: "# HELP",
 * "# TYPE", then one line per series (histograms: cumulative _bucket
 * lines with le, then _sum and _count), in the order added.  Label
 * values are escaped (\\, \", \n).  Returns 0 or CDR_ERR_NOMEM. */
int cdr_metrics_render(cdr_metrics_t *metrics, cdr_buf_t *out);

/*
 * Health, as the driving thread reports it (atomics: any thread).
 *
 *   /healthz is 200 while the loop runs (cdr_metrics_set_running(1) was
 *   called, (0) not yet) and its last iteration was less than
 *   CDR_METRICS_LIVE_S seconds ago; else 503.
 *   /readyz is 200 when, in addition, partitions > 0 at the last
 *   iteration and that iteration was less than CDR_METRICS_READY_S
 *   seconds ago; else 503.
 */
#define CDR_METRICS_LIVE_S  120
#define CDR_METRICS_READY_S 30

void cdr_metrics_set_running(cdr_metrics_t *metrics, int running);
/* One iteration of the driving loop is done; `partitions` are assigned
 * now. */
void cdr_metrics_heartbeat(cdr_metrics_t *metrics, int partitions);
int cdr_metrics_live(const cdr_metrics_t *metrics);
int cdr_metrics_ready(const cdr_metrics_t *metrics);

/*
 * The daemon's metrics (docs/operations.md).
 */
struct cdr_pipeline_s;
struct cdr_engine_s;

/* Adds the daemon's metric families to the registry.  Returns 0 or
 * CDR_ERR_NOMEM. */
int cdr_metrics_add_daemon(cdr_metrics_t *metrics, char *errstr,
                           size_t errstr_size);

/* Publishes a snapshot of the pipeline's counters, its transforms'
 * counters and stage timings, the active key id and the sealer epoch.
 * Call on the pipeline's driving thread between polls (its workers are
 * idle then). */
void cdr_metrics_publish(cdr_metrics_t *metrics,
                         const struct cdr_pipeline_s *pipeline,
                         const struct cdr_engine_s *engine);

/* Consumer lag from one librdkafka statistics JSON document (the
 * consumer's stats callback): replaces cdranon_consumer_lag with one
 * series per partition of `topic` that is being fetched.  A partition's
 * lag is its end (ls_offset under read_committed, else hi_offset) minus
 * the consumer's position (the larger of app_offset and
 * committed_offset), at least 0.  Returns 0, or CDR_ERR_MALFORMED when
 * the document does not parse (the gauges are left as they were). */
int cdr_metrics_kafka_stats(cdr_metrics_t *metrics, const char *json,
                            size_t len, const char *topic, int read_committed);

/* One partition of a librdkafka statistics document. */
typedef struct {
        int32_t partition;
        int64_t lag; /* as cdr_metrics_kafka_stats defines it */
} cdr_partition_lag_t;

/* Parses the partitions of `topic` being fetched out of a statistics
 * document into out[0..*n) (at most max).  Returns 0 or
 * CDR_ERR_MALFORMED. */
int cdr_kafka_stats_lag(const char *json, size_t len, const char *topic,
                        int read_committed, cdr_partition_lag_t *out,
                        size_t max, size_t *n);

/*
 * The HTTP server: GET (or HEAD) /metrics -> 200 text/plain;
 * version=0.0.4; /healthz and /readyz -> 200 "ok" or 503 "not ready" (see
 * above); any other path -> 404; another method on those paths -> 405.
 */
typedef struct cdr_metrics_server_s cdr_metrics_server_t;

/* Starts serving `metrics` (which must outlive the server) on `listen`,
 * "HOST:PORT" ("[v6addr]:PORT" for an IPv6 address; port 0: any free
 * one), bound to that address only.  Returns NULL with errstr naming the
 * address on failure (cannot resolve, cannot bind). */
cdr_metrics_server_t *cdr_metrics_server_start(cdr_metrics_t *metrics,
                                               const char *listen, char *errstr,
                                               size_t errstr_size);
/* The port the server listens on. */
int cdr_metrics_server_port(const cdr_metrics_server_t *server);
/* Stops the server thread and frees the server.  NULL: no-op. */
void cdr_metrics_server_stop(cdr_metrics_server_t *server);

/* Checks a "HOST:PORT" listen address without resolving it.  Returns 0
 * or CDR_ERR_INVAL with errstr saying what is wrong. */
int cdr_metrics_check_listen(const char *listen, char *errstr,
                             size_t errstr_size);

#endif
