/*
 * Prometheus metrics: a registry of counters, gauges and fixed-bucket
 * histograms rendered in the text exposition format 0.0.4, and the
 * health that /healthz and /readyz report.  The daemon's own families
 * are in metrics_daemon.h, the HTTP server in metrics_http.h.
 *
 * Threads: every registry function may be called from any thread; the
 * registry holds one (recursive) mutex.  The transform's hot path never
 * touches the registry: it keeps plain per-thread counters that the
 * driving thread reads while the workers are idle.
 *
 * No label value may hold a record value or a raw identifier.
 */
#ifndef CDRANON_METRICS_H
#define CDRANON_METRICS_H

#include "cdranon/buf.h"
#include "cdranon/hist.h"

/* Most labels a metric may have. */
#define CDR_METRIC_LABELS_MAX 3

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
int cdr_metrics_render(cdr_metrics_t *metrics, cdr_buf_t *out) CDR_MUST_CHECK;

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

#endif
