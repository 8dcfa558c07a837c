/*
 * The risk of what is being published over a recent window: a ring of
 * the last records of each output, measured by the risk meter (see
 * risk_window.h).
 *
 * A ring keeps whole records, each contiguous in its byte buffer, in
 * publishing order: a record goes right after the newest one, or at the
 * start of the buffer when it does not fit before the end (the tail is
 * then left unused until the ring wraps past it), and the oldest records
 * are evicted until the place it goes to is free.
 */
#include "cdranon/risk_window.h"

#include <stdlib.h>
#include <string.h>

struct span {
        uint32_t off, len;
};

struct ring {
        char *name;
        char *buf;         /* cap bytes */
        size_t cap;        /* the byte bound */
        struct span *span; /* nspan records: the record bound */
        size_t nspan;
        size_t first, count; /* the records in the ring: span[first..] */
        size_t used;         /* bytes of the records in the ring */
        uint64_t observed, evicted, skipped;
        size_t work_bytes;
        cdr_risk_report_t *report;
};

struct cdr_risk_window_s {
        cdr_risk_window_options_t options;
        struct ring *ring;
        size_t nrings;
        int measured;
        int64_t last_ms;
};

void cdr_risk_window_options_init(cdr_risk_window_options_t *options)
{
        cdr_risk_options_t risk;

        cdr_risk_options_init(&risk);
        memset(options, 0, sizeof(*options));
        options->records = CDR_RISK_WINDOW_DEFAULT_RECORDS;
        options->bytes = CDR_RISK_WINDOW_DEFAULT_BYTES;
        options->refresh_ms = (int64_t)CDR_RISK_WINDOW_DEFAULT_REFRESH * 1000;
        options->samples = risk.samples;
        options->seed = risk.seed;
        options->k = risk.k;
}

cdr_risk_window_t *cdr_risk_window_new(const char *const *names,
                                       size_t noutputs,
                                       const cdr_risk_window_options_t *options,
                                       char *errstr, size_t errstr_size)
{
        cdr_risk_window_t *w;
        size_t i;

        if (options->records == 0 || options->bytes == 0 ||
            options->bytes > CDR_RISK_WINDOW_BYTES_MAX ||
            options->records > UINT32_MAX || options->refresh_ms < 0 ||
            options->k == 0) {
                cdr_errf(errstr, errstr_size,
                         "risk window: records and bytes must be at least 1 "
                         "(bytes at most %u), k at least 1",
                         CDR_RISK_WINDOW_BYTES_MAX);
                return NULL;
        }
        w = calloc(1, sizeof(*w));
        if (w == NULL)
                goto nomem;
        w->options = *options;
        w->ring = calloc(noutputs ? noutputs : 1, sizeof(*w->ring));
        if (w->ring == NULL)
                goto nomem;
        w->nrings = noutputs;
        for (i = 0; i < noutputs; i++) {
                struct ring *r = &w->ring[i];

                r->cap = options->bytes;
                r->nspan = options->records;
                r->name = strdup(names[i]);
                r->buf = malloc(r->cap);
                r->span = malloc(r->nspan * sizeof(*r->span));
                if (r->name == NULL || r->buf == NULL || r->span == NULL)
                        goto nomem;
        }
        return w;
nomem:
        cdr_risk_window_destroy(w);
        cdr_errf(errstr, errstr_size, "out of memory");
        return NULL;
}

void cdr_risk_window_destroy(cdr_risk_window_t *w)
{
        size_t i;

        if (w == NULL)
                return;
        for (i = 0; w->ring != NULL && i < w->nrings; i++) {
                free(w->ring[i].name);
                free(w->ring[i].buf);
                free(w->ring[i].span);
                cdr_risk_report_destroy(w->ring[i].report);
        }
        free(w->ring);
        free(w);
}

static void evict_oldest(struct ring *r)
{
        r->used -= r->span[r->first].len;
        r->first = (r->first + 1) % r->nspan;
        r->count--;
        r->evicted++;
}

/* Where a record of len bytes goes once the oldest records that are in
 * its way are evicted. */
static size_t make_room(struct ring *r, size_t len)
{
        for (;;) {
                const struct span *old, *new;
                size_t end;

                if (r->count == 0)
                        return 0;
                old = &r->span[r->first];
                new = &r->span[(r->first + r->count - 1) % r->nspan];
                end = (size_t) new->off + new->len;
                if (old->off < end) {
                        /* In one piece [old, end): free after it, and
                         * before it from the start. */
                        if (end + len <= r->cap)
                                return end;
                        if (len <= old->off)
                                return 0;
                } else if (end + len <= old->off) {
                        /* Wrapped: free between the newest and the
                         * oldest. */
                        return end;
                }
                evict_oldest(r);
        }
}

void cdr_risk_window_observe(cdr_risk_window_t *w, size_t output,
                             const char *json, size_t len)
{
        struct ring *r;
        struct span *s;
        size_t off;

        if (output >= w->nrings)
                return;
        r = &w->ring[output];
        r->observed++;
        if (len == 0 || len > r->cap) {
                r->skipped++;
                return;
        }
        if (r->count == r->nspan)
                evict_oldest(r);
        off = make_room(r, len);
        memcpy(r->buf + off, json, len);
        s = &r->span[(r->first + r->count) % r->nspan];
        s->off = (uint32_t)off;
        s->len = (uint32_t)len;
        r->count++;
        r->used += len;
}

static int measure_ring(const cdr_risk_window_t *w, struct ring *r,
                        cdr_risk_report_t **report, char *errstr,
                        size_t errstr_size)
{
        cdr_risk_options_t options;
        cdr_risk_t *risk;
        size_t i;
        int err = CDR_OK;

        cdr_risk_options_init(&options);
        options.samples = w->options.samples;
        options.seed = w->options.seed;
        options.k = w->options.k;
        options.k_subsets = 0; /* the set of all point fields only */
        risk = cdr_risk_new(&options, errstr, errstr_size);
        if (risk == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < r->count && err == CDR_OK; i++) {
                const struct span *s = &r->span[(r->first + i) % r->nspan];

                err = cdr_risk_add(risk, r->buf + s->off, s->len, errstr,
                                   errstr_size);
                if (err == CDR_ERR_MALFORMED)
                        err = CDR_OK; /* counted in the report */
        }
        r->work_bytes = cdr_risk_bytes(risk);
        if (err == CDR_OK)
                err = cdr_risk_compute(risk, report, errstr, errstr_size);
        cdr_risk_destroy(risk);
        return err;
}

int cdr_risk_window_measure(cdr_risk_window_t *w, char *errstr,
                            size_t errstr_size)
{
        cdr_risk_report_t *report;
        size_t i;
        int err;

        for (i = 0; i < w->nrings; i++) {
                struct ring *r = &w->ring[i];
                char why[256];

                err = measure_ring(w, r, &report, why, sizeof(why));
                if (err != CDR_OK) {
                        cdr_errf(errstr, errstr_size, "risk of '%s': %s",
                                 r->name, why);
                        return err;
                }
                cdr_risk_report_destroy(r->report);
                r->report = report;
        }
        return CDR_OK;
}

int cdr_risk_window_refresh(cdr_risk_window_t *w, int64_t now_ms, char *errstr,
                            size_t errstr_size)
{
        int err;

        if (w->measured && now_ms - w->last_ms < w->options.refresh_ms)
                return 0;
        /* Due again after refresh_ms even when this one fails, so that a
         * failing measurement does not run on every call. */
        w->measured = 1;
        w->last_ms = now_ms;
        err = cdr_risk_window_measure(w, errstr, errstr_size);
        return err == CDR_OK ? 1 : err;
}

size_t cdr_risk_window_outputs(const cdr_risk_window_t *w)
{
        return w->nrings;
}

const char *cdr_risk_window_name(const cdr_risk_window_t *w, size_t output)
{
        return output < w->nrings ? w->ring[output].name : NULL;
}

const cdr_risk_report_t *cdr_risk_window_report(const cdr_risk_window_t *w,
                                                size_t output)
{
        return output < w->nrings ? w->ring[output].report : NULL;
}

void cdr_risk_window_stats(const cdr_risk_window_t *w, size_t output,
                           cdr_risk_window_stats_t *stats)
{
        const struct ring *r;

        memset(stats, 0, sizeof(*stats));
        if (output >= w->nrings)
                return;
        r = &w->ring[output];
        stats->records = r->count;
        stats->bytes = r->used;
        stats->observed = r->observed;
        stats->evicted = r->evicted;
        stats->skipped = r->skipped;
        stats->work_bytes = r->work_bytes;
}

size_t cdr_risk_window_footprint(const cdr_risk_window_t *w)
{
        size_t i, n = 0;

        for (i = 0; i < w->nrings; i++)
                n += w->ring[i].cap + w->ring[i].nspan * sizeof(struct span);
        return n;
}
