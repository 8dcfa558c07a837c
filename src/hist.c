/* Fixed-bucket histograms: see hist.h. */
#include "cdranon/hist.h"

const double cdr_stage_bounds[CDR_STAGE_NBOUNDS] = {
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2};

const double cdr_e2e_bounds[CDR_E2E_NBOUNDS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

void cdr_hist_observe(cdr_hist_t *h, const double *bounds, size_t nbounds,
                      double v)
{
        size_t i = 0;

        while (i < nbounds && v > bounds[i])
                i++;
        h->bucket[i]++;
        h->count++;
        h->sum += v;
}

void cdr_hist_merge(cdr_hist_t *dst, const cdr_hist_t *src)
{
        size_t i;

        for (i = 0; i <= CDR_HIST_BOUNDS_MAX; i++)
                dst->bucket[i] += src->bucket[i];
        dst->count += src->count;
        dst->sum += src->sum;
}
