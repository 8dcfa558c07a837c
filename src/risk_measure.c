/*
 * The re-identification risk meter (risk.h, docs/anonymity.md): planning the
 * measures, k-anonymity and unicity of the report, the gate.
 */
#include "risk_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the report ------------------------------------------------------- */

void cdr_risk_report_destroy(cdr_risk_report_t *report)
{
        size_t i;

        if (report == NULL)
                return;
        risk_free_names(report->fields, report->nfields);
        free(report->point_fields);
        for (i = 0; i < report->ntraces; i++)
                free(report->traces[i].field);
        free(report->traces);
        for (i = 0; i < report->nksets; i++)
                free(report->ksets[i].fields);
        free(report->ksets);
        free(report->time_field);
        free(report);
}

static int find_field(const cdr_risk_report_t *r, const char *name, size_t len)
{
        size_t i;

        for (i = 0; i < r->nfields; i++)
                if (strlen(r->fields[i]) == len &&
                    memcmp(r->fields[i], name, len) == 0)
                        return (int)i;
        return -1;
}

static int add_kset(cdr_risk_report_t *r, const size_t *fields, size_t n,
                    size_t *cap)
{
        cdr_risk_kset_t *s;
        size_t i, j;

        for (i = 0; i < r->nksets; i++) {
                if (r->ksets[i].nfields != n)
                        continue;
                for (j = 0; j < n; j++)
                        if (r->ksets[i].fields[j] != fields[j])
                                break;
                if (j == n)
                        return CDR_OK; /* named twice */
        }
        if (r->nksets == CDR_RISK_MAX_SETS)
                return CDR_ERR_TOOBIG;
        if (r->nksets == *cap) {
                size_t ncap = *cap ? *cap * 2 : 16;

                s = realloc(r->ksets, ncap * sizeof(*s));
                if (s == NULL)
                        return CDR_ERR_NOMEM;
                r->ksets = s;
                *cap = ncap;
        }
        s = &r->ksets[r->nksets];
        memset(s, 0, sizeof(*s));
        s->fields = malloc((n ? n : 1) * sizeof(*s->fields));
        if (s->fields == NULL)
                return CDR_ERR_NOMEM;
        memcpy(s->fields, fields, n * sizeof(*fields));
        s->nfields = n;
        r->nksets++;
        return CDR_OK;
}

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;

        return (x > y) - (x < y);
}

/* The sets whose k-anonymity is reported: all point fields, every subset
 * of at most k_subsets of them, then the sets named. */
static int plan_ksets(cdr_risk_t *risk, cdr_risk_report_t *r, char *errstr,
                      size_t errstr_size)
{
        size_t cap = 0, np = r->npoint_fields, idx[CDR_MAX_SLOTS],
               set[CDR_MAX_SLOTS], size, i, j, n;
        int err;

        if (np > 0 && (err = add_kset(r, r->point_fields, np, &cap)) != CDR_OK)
                goto fail;
        for (size = 1; size <= risk->k_subsets && size < np; size++) {
                for (i = 0; i < size; i++)
                        idx[i] = i;
                for (;;) {
                        for (i = 0; i < size; i++)
                                set[i] = r->point_fields[idx[i]];
                        if ((err = add_kset(r, set, size, &cap)) != CDR_OK)
                                goto fail;
                        i = size;
                        while (i-- > 0 && idx[i] == np - size + i)
                                ;
                        if (i == (size_t)-1)
                                break;
                        idx[i]++;
                        for (i++; i < size; i++)
                                idx[i] = idx[i - 1] + 1;
                }
        }
        for (i = 0; i < risk->nkset_specs; i++) {
                const char *spec = risk->kset_specs[i], *p = spec, *end;
                int f;

                n = 0;
                for (;;) {
                        end = strchr(p, ',');
                        if (end == NULL)
                                end = p + strlen(p);
                        f = find_field(r, p, (size_t)(end - p));
                        if (f < 0 || n == CDR_MAX_SLOTS) {
                                cdr_errf(errstr, errstr_size,
                                         "k-anonymity set '%s': field '%.*s' "
                                         "is not in the input",
                                         spec, (int)(end - p), p);
                                return CDR_ERR_INVAL;
                        }
                        for (j = 0; j < n && set[j] != (size_t)f; j++)
                                ;
                        if (j == n)
                                set[n++] = (size_t)f;
                        if (*end == '\0')
                                break;
                        p = end + 1;
                }
                qsort(set, n, sizeof(*set), cmp_size);
                if ((err = add_kset(r, set, n, &cap)) != CDR_OK)
                        goto fail;
        }
        return CDR_OK;
fail:
        cdr_errf(errstr, errstr_size,
                 err == CDR_ERR_TOOBIG
                     ? "more than %d k-anonymity field sets (lower the "
                       "subset size)"
                     : "out of memory",
                 CDR_RISK_MAX_SETS);
        return err;
}

/* Trace and point fields, by name or by what the data holds. */
static int plan_fields(cdr_risk_t *risk, cdr_risk_report_t *r,
                       uint8_t *is_trace, char *errstr, size_t errstr_size)
{
        uint8_t ident[CDR_MAX_SLOTS] = {0};
        size_t i;
        int f;

        for (i = 0; i < risk->ntrace_names; i++) {
                f = find_field(r, risk->trace_names[i],
                               strlen(risk->trace_names[i]));
                if (f < 0) {
                        cdr_errf(errstr, errstr_size,
                                 "trace field '%s' is not in the input",
                                 risk->trace_names[i]);
                        return CDR_ERR_INVAL;
                }
                is_trace[f] = ident[f] = 1;
        }
        for (i = 0; i < r->nfields; i++) {
                if (risk->ntrace_names == 0 && risk->pseudo[i])
                        is_trace[i] = 1;
                if (risk->pseudo[i])
                        ident[i] = 1;
        }
        r->point_fields = calloc(r->nfields + 1, sizeof(*r->point_fields));
        if (r->point_fields == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        if (risk->npoint_names == 0) {
                for (i = 0; i < r->nfields; i++)
                        if (!ident[i])
                                r->point_fields[r->npoint_fields++] = i;
                return CDR_OK;
        }
        for (i = 0; i < risk->npoint_names; i++) {
                size_t j;

                f = find_field(r, risk->point_names[i],
                               strlen(risk->point_names[i]));
                if (f < 0 || is_trace[f]) {
                        cdr_errf(errstr, errstr_size,
                                 f < 0 ? "point field '%s' is not in the input"
                                       : "point field '%s' is a trace field",
                                 risk->point_names[i]);
                        return CDR_ERR_INVAL;
                }
                for (j = 0; j < r->npoint_fields; j++)
                        if (r->point_fields[j] == (size_t)f)
                                break;
                if (j == r->npoint_fields)
                        r->point_fields[r->npoint_fields++] = (size_t)f;
        }
        qsort(r->point_fields, r->npoint_fields, sizeof(size_t), cmp_size);
        return CDR_OK;
}

int cdr_risk_compute(cdr_risk_t *risk, cdr_risk_report_t **report, char *errstr,
                     size_t errstr_size)
{
        struct dcol cols[CDR_MAX_SLOTS];
        uint8_t is_trace[CDR_MAX_SLOTS] = {0};
        cdr_risk_report_t *r;
        struct groups pts = {0}, g;
        struct traces tr;
        struct scratch s;
        size_t i, n = risk->n;
        int err = CDR_ERR_NOMEM;

        *report = NULL;
        memset(cols, 0, sizeof(cols));
        memset(&s, 0, sizeof(s));
        if (risk->spent) {
                cdr_errf(errstr, errstr_size, "the meter was used already");
                return CDR_ERR_INVAL;
        }
        risk->spent = 1;
        r = calloc(1, sizeof(*r));
        if (r == NULL)
                goto nomem;
        r->lines = risk->lines;
        r->records = n;
        r->malformed = risk->malformed;
        r->outside_window = risk->outside;
        r->without_time = risk->without_time;
        r->k = risk->k;
        r->samples = risk->samples;
        r->seed = risk->seed;
        r->exhaustive = risk->exhaustive;
        r->windowed = risk->have_from || risk->have_to;
        if (r->windowed && risk->time_slot >= 0 &&
            (size_t)risk->time_slot < risk->ncols &&
            (r->time_field = strdup(
                 cdr_schema_name(risk->schema, risk->time_slot))) == NULL)
                goto nomem;
        r->nfields = risk->ncols;
        r->fields = calloc(r->nfields + 1, sizeof(*r->fields));
        if (r->fields == NULL)
                goto nomem;
        for (i = 0; i < r->nfields; i++)
                if ((r->fields[i] =
                         strdup(cdr_schema_name(risk->schema, (int)i))) == NULL)
                        goto nomem;

        if ((err = plan_fields(risk, r, is_trace, errstr, errstr_size)) !=
                CDR_OK ||
            (err = plan_ksets(risk, r, errstr, errstr_size)) != CDR_OK)
                goto fail;

        if (risk_scratch_init(&s, n) != CDR_OK)
                goto nomem;
        /* Columns to dense ids, in place. */
        for (i = 0; i < risk->ncols; i++) {
                err = risk_dcol_make(risk->col[i], n, &cols[i], &s);
                risk->col[i] = NULL;
                if (err != CDR_OK)
                        goto nomem;
        }

        for (i = 0; i < r->nksets; i++) {
                cdr_risk_kset_t *set = &r->ksets[i];

                if ((err = risk_group_by(cols, set->fields, set->nfields, n,
                                         risk->k, 0, &s, &g)) != CDR_OK)
                        goto nomem;
                set->groups = g.n;
                set->min_k = g.min;
                set->below = g.below;
                set->below_share = n ? (double)g.below / (double)n : 0;
        }

        for (i = 0; i < r->nfields; i++)
                r->ntraces += is_trace[i];
        r->traces = calloc(r->ntraces + 1, sizeof(*r->traces));
        if (r->traces == NULL)
                goto nomem;
        if (r->ntraces > 0 &&
            (err = risk_group_by(cols, r->point_fields, r->npoint_fields, n,
                                 risk->k, 1, &s, &pts)) != CDR_OK)
                goto nomem;
        r->ntraces = 0;
        for (i = 0; i < r->nfields; i++) {
                cdr_risk_trace_t *t;
                unsigned p;

                if (!is_trace[i])
                        continue;
                t = &r->traces[r->ntraces++];
                if ((t->field = strdup(r->fields[i])) == NULL)
                        goto nomem;
                t->pseudonymous = risk->pseudo[i];
                for (p = 0; p < CDR_RISK_POINTS; p++)
                        t->at[p].points = p + 1;
                if ((err = risk_traces_make(&cols[i], t->pseudonymous, pts.id,
                                            pts.n, n, &s, &tr)) != CDR_OK)
                        goto nomem;
                t->records = tr.records;
                t->traces = tr.ntraces;
                t->points = tr.pairs;
                if (risk->exhaustive) {
                        if (risk_exhaustive_subsets(&tr) >
                            CDR_RISK_MAX_SUBSETS) {
                                risk_traces_free(&tr);
                                cdr_errf(
                                    errstr, errstr_size,
                                    "exhaustive: field '%s' has more "
                                    "than %llu p-subsets to test (use "
                                    "sampling)",
                                    t->field,
                                    (unsigned long long)CDR_RISK_MAX_SUBSETS);
                                err = CDR_ERR_TOOBIG;
                                goto fail;
                        }
                        risk_unicity_exhaustive(&tr, t);
                } else {
                        risk_unicity_sampled(&tr, risk->samples,
                                             risk->seed ^ mix64(i + 1), t);
                }
                risk_traces_free(&tr);
        }
        free(pts.id);
        risk_scratch_free(&s);
        for (i = 0; i < risk->ncols; i++)
                risk_dcol_free(&cols[i]);
        *report = r;
        return CDR_OK;
nomem:
        err = CDR_ERR_NOMEM;
        cdr_errf(errstr, errstr_size, "out of memory");
fail:
        free(pts.id);
        risk_scratch_free(&s);
        for (i = 0; i < CDR_MAX_SLOTS; i++)
                risk_dcol_free(&cols[i]);
        cdr_risk_report_destroy(r);
        return err;
}

const cdr_risk_trace_t *cdr_risk_gate(const cdr_risk_report_t *report,
                                      unsigned points, double max_share)
{
        const cdr_risk_trace_t *worst = NULL;
        size_t i;

        if (points < 1 || points > CDR_RISK_POINTS)
                return NULL;
        for (i = 0; i < report->ntraces; i++) {
                const cdr_risk_unicity_t *u = &report->traces[i].at[points - 1];

                if (u->tested > 0 && u->hi > max_share &&
                    (worst == NULL || u->hi > worst->at[points - 1].hi))
                        worst = &report->traces[i];
        }
        return worst;
}
