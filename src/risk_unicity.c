/*
 * The re-identification risk meter (risk.h, docs/anonymity.md): traces and
 * unicity, sampled or exhaustive.
 */
#include "risk_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- unicity ---------------------------------------------------------- */

void risk_traces_free(struct traces *tr)
{
        free(tr->toff);
        free(tr->tpt);
        free(tr->poff);
        free(tr->ptr);
        memset(tr, 0, sizeof(*tr));
}

/* Builds the traces of field `f` whose values of kind `want` (KIND_PSEUDO,
 * or 0: present and not null) are trace keys, over point ids: two
 * counting sorts, by point then by trace, and each trace's points made
 * distinct. */
int risk_traces_make(const struct dcol *f, int want, const uint32_t *point,
                     uint32_t npoints, size_t n, struct scratch *s,
                     struct traces *tr)
{
        uint32_t *trace_of = s->count, *by_point = s->alive, t, *p;
        uint64_t *next = s->key, m = 0, w, start, end, i, x;

        memset(tr, 0, sizeof(*tr));
        for (i = 0; i < f->card; i++) {
                int key = want ? (f->kind[i] & KIND_PSEUDO) != 0
                               : !(f->kind[i] & KIND_NONE);

                trace_of[i] = key ? tr->ntraces++ : NO_ID;
        }
        tr->npoints = npoints;
        tr->toff = calloc((size_t)tr->ntraces + 1, sizeof(*tr->toff));
        tr->poff = calloc((size_t)npoints + 1, sizeof(*tr->poff));
        if (tr->toff == NULL || tr->poff == NULL)
                goto nomem;
        for (i = 0; i < n; i++) {
                t = trace_of[f->id[i]];
                if (t != NO_ID) {
                        tr->toff[t + 1]++;
                        m++;
                }
        }
        tr->records = m;
        for (t = 0; t < tr->ntraces; t++)
                tr->toff[t + 1] += tr->toff[t];
        tr->tpt = malloc((m ? m : 1) * sizeof(*tr->tpt));
        if (tr->tpt == NULL)
                goto nomem;
        /* The records in point order (a counting sort by point, poff as
         * its cursors), then dealt to their traces: each trace's points
         * come out sorted. */
        for (i = 0; i < n; i++)
                if (trace_of[f->id[i]] != NO_ID)
                        tr->poff[point[i] + 1]++;
        for (i = 0; i < npoints; i++)
                tr->poff[i + 1] += tr->poff[i];
        for (i = 0; i < n; i++)
                if (trace_of[f->id[i]] != NO_ID)
                        by_point[tr->poff[point[i]]++] = (uint32_t)i;
        memcpy(next, tr->toff, (size_t)tr->ntraces * sizeof(*next));
        for (x = 0; x < m; x++) {
                i = by_point[x];
                tr->tpt[next[trace_of[f->id[i]]]++] = point[i];
        }
        /* Distinct in place: trace t moves down to w. */
        for (t = 0, w = 0, start = 0; t < tr->ntraces; t++) {
                end = tr->toff[t + 1];
                tr->toff[t] = w;
                for (x = start; x < end; x++)
                        if (x == start || tr->tpt[x] != tr->tpt[x - 1])
                                tr->tpt[w++] = tr->tpt[x];
                start = end;
        }
        tr->toff[tr->ntraces] = w;
        tr->pairs = w;
        p = realloc(tr->tpt, (w ? w : 1) * sizeof(*p));
        if (p != NULL)
                tr->tpt = p;

        tr->ptr = malloc((w ? w : 1) * sizeof(*tr->ptr));
        if (tr->ptr == NULL)
                goto nomem;
        memset(tr->poff, 0, ((size_t)npoints + 1) * sizeof(*tr->poff));
        for (i = 0; i < w; i++)
                tr->poff[tr->tpt[i] + 1]++;
        for (i = 0; i < npoints; i++)
                tr->poff[i + 1] += tr->poff[i];
        /* Walking the traces in order, each point's traces come out
         * sorted. */
        memcpy(next, tr->poff, (size_t)npoints * sizeof(*next));
        for (t = 0; t < tr->ntraces; t++)
                for (i = tr->toff[t]; i < tr->toff[t + 1]; i++)
                        tr->ptr[next[tr->tpt[i]]++] = t;
        return CDR_OK;
nomem:
        risk_traces_free(tr);
        return CDR_ERR_NOMEM;
}

static int has_point(const struct traces *tr, uint32_t t, uint32_t q)
{
        uint64_t lo = tr->toff[t], hi = tr->toff[t + 1], mid;

        while (lo < hi) {
                mid = lo + (hi - lo) / 2;
                if (tr->tpt[mid] < q)
                        lo = mid + 1;
                else if (tr->tpt[mid] > q)
                        hi = mid;
                else
                        return 1;
        }
        return 0;
}

/* 1 when trace t is the only trace holding every point of q[0..p). */
static int singled_out(const struct traces *tr, uint32_t t, const uint32_t *q,
                       unsigned p)
{
        unsigned j, best = 0, i;
        uint64_t len, best_len = UINT64_MAX, x;
        uint32_t u;

        for (j = 0; j < p; j++) {
                len = tr->poff[q[j] + 1] - tr->poff[q[j]];
                if (len < best_len) {
                        best_len = len;
                        best = j;
                }
        }
        if (best_len <= 1)
                return 1;
        for (x = tr->poff[q[best]]; x < tr->poff[q[best] + 1]; x++) {
                u = tr->ptr[x];
                if (u == t)
                        continue;
                for (i = 0; i < p; i++)
                        if (i != best && !has_point(tr, u, q[i]))
                                break;
                if (i == p)
                        return 0;
        }
        return 1;
}

/* splitmix64: a small, well-mixed generator; the figures depend only on
 * the seed. */
static uint64_t rng_next(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply; bias below 2^-32 for the
 * sizes here). */
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
        return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* p distinct indexes of 0..m-1 (Floyd's algorithm). */
static void draw_indexes(uint64_t *s, uint64_t m, unsigned p, uint64_t *out)
{
        unsigned got = 0, i;
        uint64_t j, r;

        for (j = m - p; j < m; j++) {
                r = rng_below(s, j + 1);
                for (i = 0; i < got; i++)
                        if (out[i] == r)
                                break;
                out[got] = i < got ? j : r;
                got++;
        }
}

static uint64_t choose(uint64_t m, unsigned p)
{
        uint64_t c = 1;
        unsigned i;

        if (p > m)
                return 0;
        for (i = 1; i <= p; i++) {
                if (c > UINT64_MAX / (m - p + i))
                        return UINT64_MAX;
                c = c * (m - p + i) / i;
        }
        return c;
}

static void wilson(uint64_t x, uint64_t n, cdr_risk_unicity_t *u)
{
        const double z = 1.959963984540054, z2 = z * z;
        double p, den, c, h;

        if (n == 0)
                return;
        p = (double)x / (double)n;
        den = 1 + z2 / (double)n;
        c = (p + z2 / (2.0 * (double)n)) / den;
        h = z * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * n)) /
            den;
        u->lo = c - h < 0 ? 0 : c - h;
        u->hi = c + h > 1 ? 1 : c + h;
        u->se = sqrt(p * (1 - p) / (double)n);
}

void risk_unicity_sampled(const struct traces *tr, uint64_t samples,
                          uint64_t seed, cdr_risk_trace_t *out)
{
        uint64_t s = seed, idx[CDR_RISK_POINTS], m, n, x;
        uint32_t *perm, t, q[CDR_RISK_POINTS];
        unsigned p, j;

        n = samples == 0 || samples > tr->ntraces ? tr->ntraces : samples;
        out->targets = n;
        perm = malloc(((size_t)tr->ntraces + 1) * sizeof(*perm));
        if (perm != NULL)
                for (x = 0; x < tr->ntraces; x++)
                        perm[x] = (uint32_t)x;
        for (x = 0; x < n; x++) {
                if (perm != NULL) {
                        /* Partial Fisher-Yates: targets without
                         * replacement. */
                        uint64_t r = x + rng_below(&s, tr->ntraces - x);

                        t = perm[r];
                        perm[r] = perm[x];
                        perm[x] = t;
                } else {
                        t = (uint32_t)x;
                }
                m = tr->toff[t + 1] - tr->toff[t];
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        cdr_risk_unicity_t *u = &out->at[p - 1];

                        if (m < p) {
                                u->short_traces++;
                                continue;
                        }
                        draw_indexes(&s, m, p, idx);
                        for (j = 0; j < p; j++)
                                q[j] = tr->tpt[tr->toff[t] + idx[j]];
                        u->tested++;
                        u->unique += (uint64_t)singled_out(tr, t, q, p);
                }
        }
        free(perm);
        for (p = 0; p < CDR_RISK_POINTS; p++) {
                cdr_risk_unicity_t *u = &out->at[p];

                u->share =
                    u->tested ? (double)u->unique / (double)u->tested : 0;
                wilson(u->unique, u->tested, u);
        }
}

void risk_unicity_exhaustive(const struct traces *tr, cdr_risk_trace_t *out)
{
        double sum[CDR_RISK_POINTS] = {0};
        uint32_t t, q[CDR_RISK_POINTS];
        uint64_t m, c[CDR_RISK_POINTS], uniq;
        unsigned p, j;

        out->targets = tr->ntraces;
        for (t = 0; t < tr->ntraces; t++) {
                const uint32_t *pts = tr->tpt + tr->toff[t];

                m = tr->toff[t + 1] - tr->toff[t];
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        cdr_risk_unicity_t *u = &out->at[p - 1];
                        uint64_t subsets = 0;

                        if (m < p) {
                                u->short_traces++;
                                continue;
                        }
                        /* Every p-combination c[0] < ... < c[p-1] of
                         * 0..m-1, in lexicographic order. */
                        for (j = 0; j < p; j++)
                                c[j] = j;
                        uniq = 0;
                        for (;;) {
                                for (j = 0; j < p; j++)
                                        q[j] = pts[c[j]];
                                uniq += (uint64_t)singled_out(tr, t, q, p);
                                subsets++;
                                j = p;
                                while (j-- > 0 && c[j] == m - p + j)
                                        ;
                                if (j == (unsigned)-1)
                                        break;
                                c[j]++;
                                for (j++; j < p; j++)
                                        c[j] = c[j - 1] + 1;
                        }
                        u->tested++;
                        u->subsets += subsets;
                        u->unique_subsets += uniq;
                        sum[p - 1] += (double)uniq / (double)subsets;
                }
        }
        for (p = 0; p < CDR_RISK_POINTS; p++) {
                cdr_risk_unicity_t *u = &out->at[p];

                u->share = u->tested ? sum[p] / (double)u->tested : 0;
                u->lo = u->hi = u->share;
        }
}

uint64_t risk_exhaustive_subsets(const struct traces *tr)
{
        uint64_t total = 0, c;
        uint32_t t;
        unsigned p;

        for (t = 0; t < tr->ntraces; t++)
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        c = choose(tr->toff[t + 1] - tr->toff[t], p);
                        if (c > CDR_RISK_MAX_SUBSETS - total)
                                return CDR_RISK_MAX_SUBSETS + 1;
                        total += c;
                }
        return total;
}
