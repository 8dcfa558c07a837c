/*
 * The re-identification risk meter (risk.h, docs/anonymity.md): the report as a
 * table or as JSON.
 */
#include "risk_int.h"

#include "cdranon/json.h"

#include <string.h>

/* ---- formatting ------------------------------------------------------- */

static int put_names(cdr_buf_t *out, const cdr_risk_report_t *r,
                     const size_t *idx, size_t n, const char *sep)
{
        size_t i;
        int err = CDR_OK;

        for (i = 0; i < n && err == CDR_OK; i++)
                err = cdr_buf_printf(out, "%s%s", i ? sep : "",
                                     r->fields[idx[i]]);
        return err;
}

#define TRY(x)                                                                 \
        do {                                                                   \
                if ((x) != CDR_OK)                                             \
                        return CDR_ERR_NOMEM;                                  \
        } while (0)

int cdr_risk_report_table(const cdr_risk_report_t *r, cdr_buf_t *out)
{
        size_t i, width = 5;
        unsigned p;

        TRY(cdr_buf_printf(out,
                           "records: %llu measured of %llu (%llu malformed, "
                           "skipped",
                           (unsigned long long)r->records,
                           (unsigned long long)r->lines,
                           (unsigned long long)r->malformed));
        if (r->windowed)
                TRY(cdr_buf_printf(
                    out, "; %llu outside the window, %llu without a time",
                    (unsigned long long)r->outside_window,
                    (unsigned long long)r->without_time));
        TRY(cdr_buf_puts(out, ")\n"));
        if (r->windowed)
                TRY(cdr_buf_printf(out, "window on: %s\n",
                                   r->time_field ? r->time_field : "(none)"));
        TRY(cdr_buf_puts(out, "point fields: "));
        TRY(put_names(out, r, r->point_fields, r->npoint_fields, ", "));
        TRY(cdr_buf_puts(out, r->npoint_fields ? "\n" : "(none)\n"));

        for (i = 0; i < r->ntraces; i++)
                if (strlen(r->traces[i].field) > width)
                        width = strlen(r->traces[i].field);
        TRY(cdr_buf_printf(
            out,
            "\nunicity: share of traces that p random points of their own\n"
            "single out (%s; 95%% interval; a trace with fewer than p "
            "distinct\npoints is not tested at p)\n\n",
            r->exhaustive     ? "exhaustive: every trace, every p-subset"
            : r->samples == 0 ? "every trace as a target"
                              : "sampled targets"));
        if (r->ntraces == 0)
                TRY(cdr_buf_puts(out, "  no field holds pseudonyms\n"));
        else
                TRY(cdr_buf_printf(out,
                                   "%-*s  %7s %7s %8s  p  unicity   95%% "
                                   "interval      tested  short\n",
                                   (int)width, "field", "records", "traces",
                                   "targets"));
        for (i = 0; i < r->ntraces; i++) {
                const cdr_risk_trace_t *t = &r->traces[i];

                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        const cdr_risk_unicity_t *u = &t->at[p];

                        if (p == 0)
                                TRY(cdr_buf_printf(
                                    out, "%-*s  %7llu %7llu %8llu", (int)width,
                                    t->field, (unsigned long long)t->records,
                                    (unsigned long long)t->traces,
                                    (unsigned long long)t->targets));
                        else
                                TRY(cdr_buf_printf(out, "%*s", (int)width + 26,
                                                   ""));
                        if (u->tested == 0)
                                TRY(cdr_buf_printf(
                                    out,
                                    "  %u        -   "
                                    "                 %7llu "
                                    "%6llu\n",
                                    u->points, 0ull,
                                    (unsigned long long)u->short_traces));
                        else
                                TRY(cdr_buf_printf(
                                    out,
                                    "  %u  %6.2f%%  [%6.2f%%, %6.2f%%]  "
                                    "%7llu %6llu\n",
                                    u->points, 100 * u->share, 100 * u->lo,
                                    100 * u->hi, (unsigned long long)u->tested,
                                    (unsigned long long)u->short_traces));
                }
        }

        TRY(cdr_buf_printf(out,
                           "\nk-anonymity over %llu records: groups of records "
                           "sharing the values of\nthe fields; 'below' = "
                           "records in groups of fewer than k = %llu\n\n",
                           (unsigned long long)r->records,
                           (unsigned long long)r->k));
        TRY(cdr_buf_printf(out, "%9s %7s %9s %8s  fields\n", "groups", "min k",
                           "below", "share"));
        for (i = 0; i < r->nksets; i++) {
                const cdr_risk_kset_t *s = &r->ksets[i];

                TRY(cdr_buf_printf(
                    out, "%9llu %7llu %9llu %7.2f%%  ",
                    (unsigned long long)s->groups, (unsigned long long)s->min_k,
                    (unsigned long long)s->below, 100 * s->below_share));
                TRY(put_names(out, r, s->fields, s->nfields, ","));
                TRY(cdr_buf_puts(out, "\n"));
        }
        return CDR_OK;
}

static int put_string(cdr_buf_t *out, const char *s)
{
        if (cdr_json_put_string(out, s, strlen(s)) == CDR_OK)
                return CDR_OK;
        return cdr_json_put_string(out, "?", 1);
}

/* Field names come from the data: written through the JSON encoder. */
static int put_name_array(cdr_buf_t *out, const cdr_risk_report_t *r,
                          const size_t *idx, size_t n)
{
        size_t i;

        TRY(cdr_buf_putc(out, '['));
        for (i = 0; i < n; i++) {
                if (i)
                        TRY(cdr_buf_putc(out, ','));
                TRY(put_string(out, r->fields[idx ? idx[i] : i]));
        }
        return cdr_buf_putc(out, ']');
}

int cdr_risk_report_json(const cdr_risk_report_t *r, cdr_buf_t *out)
{
        size_t i;
        unsigned p;

        TRY(cdr_buf_printf(
            out,
            "{\"lines\":%llu,\"records\":%llu,\"malformed\":%llu,"
            "\"outside_window\":%llu,\"without_time\":%llu,"
            "\"time_field\":",
            (unsigned long long)r->lines, (unsigned long long)r->records,
            (unsigned long long)r->malformed,
            (unsigned long long)r->outside_window,
            (unsigned long long)r->without_time));
        TRY(r->time_field ? put_string(out, r->time_field)
                          : cdr_buf_puts(out, "null"));
        TRY(cdr_buf_puts(out, ",\"fields\":"));
        TRY(put_name_array(out, r, NULL, r->nfields));
        TRY(cdr_buf_puts(out, ",\"point_fields\":"));
        TRY(put_name_array(out, r, r->point_fields, r->npoint_fields));
        TRY(cdr_buf_printf(out,
                           ",\"unicity\":{\"mode\":\"%s\",\"samples\":%llu,"
                           "\"seed\":%llu,\"fields\":[",
                           r->exhaustive ? "exhaustive" : "sampled",
                           (unsigned long long)r->samples,
                           (unsigned long long)r->seed));
        for (i = 0; i < r->ntraces; i++) {
                const cdr_risk_trace_t *t = &r->traces[i];

                TRY(cdr_buf_puts(out, i ? ",{\"field\":" : "{\"field\":"));
                TRY(put_string(out, t->field));
                TRY(cdr_buf_printf(out,
                                   ",\"pseudonymous\":%s,\"records\":%llu,"
                                   "\"traces\":%llu,\"targets\":%llu,"
                                   "\"trace_points\":%llu,\"at\":[",
                                   t->pseudonymous ? "true" : "false",
                                   (unsigned long long)t->records,
                                   (unsigned long long)t->traces,
                                   (unsigned long long)t->targets,
                                   (unsigned long long)t->points));
                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        const cdr_risk_unicity_t *u = &t->at[p];

                        TRY(cdr_buf_printf(
                            out,
                            "%s{\"points\":%u,\"tested\":%llu,\"short\":%llu,"
                            "\"share\":%.17g,\"se\":%.17g,\"lo\":%.17g,"
                            "\"hi\":%.17g",
                            p ? "," : "", u->points,
                            (unsigned long long)u->tested,
                            (unsigned long long)u->short_traces, u->share,
                            u->se, u->lo, u->hi));
                        if (r->exhaustive)
                                TRY(cdr_buf_printf(
                                    out,
                                    ",\"subsets\":%llu,\"unique_subsets\":%"
                                    "llu}",
                                    (unsigned long long)u->subsets,
                                    (unsigned long long)u->unique_subsets));
                        else
                                TRY(cdr_buf_printf(
                                    out, ",\"unique\":%llu}",
                                    (unsigned long long)u->unique));
                }
                TRY(cdr_buf_puts(out, "]}"));
        }
        TRY(cdr_buf_printf(out, "]},\"k_anonymity\":{\"k\":%llu,\"sets\":[",
                           (unsigned long long)r->k));
        for (i = 0; i < r->nksets; i++) {
                const cdr_risk_kset_t *s = &r->ksets[i];

                TRY(cdr_buf_puts(out, i ? ",{\"fields\":" : "{\"fields\":"));
                TRY(put_name_array(out, r, s->fields, s->nfields));
                TRY(cdr_buf_printf(
                    out,
                    ",\"groups\":%llu,\"min_k\":%llu,"
                    "\"below\":%llu,\"below_share\":%.17g}",
                    (unsigned long long)s->groups, (unsigned long long)s->min_k,
                    (unsigned long long)s->below, s->below_share));
        }
        return cdr_buf_puts(out, "]}}\n");
}
