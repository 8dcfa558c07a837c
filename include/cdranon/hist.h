/*
 * Fixed-bucket histograms of seconds: the per-record stage times of the
 * transform and the end-to-end latency of the pipeline, which the
 * metrics registry (metrics.h) renders.  Plain numbers: the owner
 * synchronises.
 */
#ifndef CDRANON_HIST_H
#define CDRANON_HIST_H

#include "cdranon/common.h"

/* Most finite buckets of a histogram. */
#define CDR_HIST_BOUNDS_MAX 16

/* A histogram's observations: bucket[i] counts values v with
 * bounds[i-1] < v <= bounds[i] (not cumulative); bucket[nbounds] counts
 * those above the last bound.  sum is in the observed unit (seconds). */
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

#endif
