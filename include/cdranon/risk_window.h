/*
 * The re-identification risk of what is being published, over a recent
 * window (docs/anonymity.md, "Risk in the daemon"): for each output (a
 * purpose, or the one anonymised output) the last published records are
 * kept as they were published, and measured now and then by the same
 * computation as `cdranon risk` (risk.h): the unicity at p = 1..5 of
 * every pseudonym field and the k-anonymity of the set of all other
 * fields.  Pure: JSON lines go in, reports come out; nothing here knows
 * Kafka.
 *
 * The bound.  Each output keeps its records in a ring of at most
 * `records` records and `bytes` bytes of JSON (both allocated when the
 * window is made, so its footprint never changes: see
 * cdr_risk_window_footprint); a new record evicts the oldest ones until
 * it fits.  A record longer than `bytes` is not kept (counted as
 * skipped).  A measurement reads the ring into a fresh meter (risk.h)
 * and frees it: its working memory is about 8 bytes per record and
 * field, plus the meter's scratch, for the records in the ring only.
 *
 * What it estimates.  A measurement is exactly what `cdranon risk
 * --samples S --seed X` reports on the ring's records in publishing
 * order (same sampling, same seed): the gap to `cdranon risk` on the
 * same records is its sampling error only, the 95% interval of each
 * figure (risk.h, cdr_risk_unicity_t).  What it cannot see is what fell
 * out of the window: over a longer stretch, traces hold more points.
 *
 * Threads: one thread makes every call (the pipeline's driving thread:
 * it observes between polls and measures between batches).
 */
#ifndef CDRANON_RISK_WINDOW_H
#define CDRANON_RISK_WINDOW_H

#include "cdranon/risk.h"

#define CDR_RISK_WINDOW_DEFAULT_RECORDS 100000
#define CDR_RISK_WINDOW_DEFAULT_BYTES   (32u * 1024u * 1024u)
#define CDR_RISK_WINDOW_DEFAULT_REFRESH 60 /* seconds */
#define CDR_RISK_WINDOW_BYTES_MAX       (1u << 30)

typedef struct {
        size_t records;     /* most records kept per output (>= 1) */
        size_t bytes;       /* most bytes of JSON per output (>= 1,
                               at most CDR_RISK_WINDOW_BYTES_MAX) */
        int64_t refresh_ms; /* at most one measurement per this (>= 0) */
        uint64_t samples;   /* target traces per trace field, risk.h */
        uint64_t seed;      /* of the sampling: fixed, so reproducible */
        uint64_t k;         /* k-anonymity threshold */
} cdr_risk_window_options_t;

/* The defaults above; samples, seed and k as cdr_risk_options_init. */
void cdr_risk_window_options_init(cdr_risk_window_options_t *options);

typedef struct cdr_risk_window_s cdr_risk_window_t;

/* A window for `noutputs` outputs named names[0..noutputs) (copied; the
 * names are what the metrics label the outputs with: purpose names, not
 * record data).  Allocates every ring now.  Returns NULL with errstr set
 * on a bad option or no memory. */
cdr_risk_window_t *cdr_risk_window_new(const char *const *names,
                                       size_t noutputs,
                                       const cdr_risk_window_options_t *options,
                                       char *errstr,
                                       size_t errstr_size) CDR_MUST_CHECK;
/* Frees the window and its reports.  NULL: no-op. */
void cdr_risk_window_destroy(cdr_risk_window_t *window);

/* One published record of output `output`: the JSON object as published
 * (json[0..len), not kept: copied into the ring).  Never fails and never
 * allocates: an output index out of range is ignored, a record longer
 * than the byte bound is counted as skipped. */
void cdr_risk_window_observe(cdr_risk_window_t *window, size_t output,
                             const char *json, size_t len);

/* Measures every output now: each ring's records, oldest first, into a
 * meter with the window's samples, seed and k; the reports replace the
 * previous ones.  Malformed records are skipped (the report counts
 * them).  Returns 0, or CDR_ERR_NOMEM or CDR_ERR_TOOBIG (more distinct
 * field names than a record may have) with errstr set; the previous
 * reports then stay. */
int cdr_risk_window_measure(cdr_risk_window_t *window, char *errstr,
                            size_t errstr_size) CDR_MUST_CHECK;

/* cdr_risk_window_measure when refresh_ms have passed since the last
 * measurement (or there was none) by the caller's clock now_ms: returns
 * 1 when it measured, 0 when not due yet, or measure's error. */
int cdr_risk_window_refresh(cdr_risk_window_t *window, int64_t now_ms,
                            char *errstr, size_t errstr_size) CDR_MUST_CHECK;

size_t cdr_risk_window_outputs(const cdr_risk_window_t *window);
const char *cdr_risk_window_name(const cdr_risk_window_t *window,
                                 size_t output);

/* The last measurement of an output (owned by the window, valid until
 * the next measurement or destroy); NULL before the first one. */
const cdr_risk_report_t *cdr_risk_window_report(const cdr_risk_window_t *window,
                                                size_t output);

typedef struct {
        uint64_t records;  /* in the ring now */
        size_t bytes;      /* of JSON in the ring now */
        uint64_t observed; /* records offered since the start */
        uint64_t evicted;  /* pushed out by newer ones */
        uint64_t skipped;  /* longer than the byte bound */
        size_t work_bytes; /* the meter's columns at the last measurement */
} cdr_risk_window_stats_t;

void cdr_risk_window_stats(const cdr_risk_window_t *window, size_t output,
                           cdr_risk_window_stats_t *stats);

/* Bytes the window holds for its rings: fixed when it is made. */
size_t cdr_risk_window_footprint(const cdr_risk_window_t *window);

#endif
