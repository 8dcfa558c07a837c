/*
 * The risk window (risk_window.h): over a window that holds the whole
 * input its figures are the risk meter's (risk.h) on the same records,
 * and within the sampling error of a meter with another seed; the ring
 * keeps the newest records within its bounds whatever it is fed, in a
 * footprint fixed when it is made; a finer policy over the same
 * movements measures higher than a coarse one.
 *
 * The records are synthetic movements: each person has a home and a
 * work cell and visits others now and then, at random hours over two
 * weeks; a record carries the person's two pseudonyms (caller, device),
 * a place and a time, at the resolution of the policy that wrote it.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdranon/risk.h"
#include "cdranon/risk_window.h"

static char errstr[512];

static uint64_t next_random(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

/* KEY_ID ":" 26 base32 characters, distinct for each (tag, person). */
static void pseudonym_of(char out[32], char tag, unsigned person)
{
        static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
        unsigned j;

        out[0] = 'k';
        out[1] = '1';
        out[2] = ':';
        for (j = 0; j < 26; j++)
                out[3 + j] = j < 5 ? b32[(person >> (5 * j)) & 31]
                                   : (j == 5 ? tag : 'q');
        out[29] = '\0';
}

typedef enum { FINE, COARSE } resolution_t;

typedef struct {
        unsigned person;
        unsigned cell; /* 0..CELLS */
        unsigned hour; /* hours since the start */
} move_t;

#define CELLS 400
#define DAYS  14

/* n movements of `persons` people. */
static move_t *movements(unsigned persons, size_t n, uint64_t seed)
{
        move_t *m = calloc(n, sizeof(*m));
        uint64_t st = seed;
        size_t i;

        cr_assert_not_null(m);
        for (i = 0; i < n; i++) {
                unsigned p = (unsigned)(next_random(&st) % persons);
                unsigned home = (p * 7919u) % CELLS,
                         work = (p * 104729u) % CELLS;
                uint64_t r = next_random(&st) % 100;

                m[i].person = p;
                m[i].hour = (unsigned)(next_random(&st) % (24 * DAYS));
                m[i].cell = r < 55   ? home
                            : r < 85 ? work
                                     : (unsigned)(next_random(&st) % CELLS);
        }
        return m;
}

/* One record as a policy of that resolution publishes it: the cell and
 * the hour, or the area of 40 cells and the day. */
static size_t record_json(char *out, size_t size, const move_t *m,
                          resolution_t res)
{
        char caller[32], device[32];
        unsigned day = m->hour / 24 + 1, hour = m->hour % 24;

        pseudonym_of(caller, 'c', m->person);
        pseudonym_of(device, 'd', m->person);
        if (res == FINE)
                return (size_t)snprintf(
                    out, size,
                    "{\"caller\":\"%s\",\"device\":\"%s\",\"cell_id\":\"c%u\","
                    "\"start_time\":\"2026-11-%02uT%02u:00:00Z\"}",
                    caller, device, m->cell, day, hour);
        return (size_t)snprintf(out, size,
                                "{\"caller\":\"%s\",\"device\":\"%s\","
                                "\"area\":\"a%u\",\"start_time\":"
                                "\"2026-11-%02uT00:00:00Z\"}",
                                caller, device, m->cell / 40, day);
}

static cdr_risk_window_t *window_new(const char *const *names, size_t n,
                                     size_t records, size_t bytes,
                                     uint64_t samples)
{
        cdr_risk_window_options_t o;
        cdr_risk_window_t *w;

        cdr_risk_window_options_init(&o);
        o.records = records;
        o.bytes = bytes;
        o.samples = samples;
        o.refresh_ms = 1000;
        w = cdr_risk_window_new(names, n, &o, errstr, sizeof(errstr));
        cr_assert_not_null(w, "%s", errstr);
        return w;
}

static void measure(cdr_risk_window_t *w)
{
        cr_assert_eq(cdr_risk_window_measure(w, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
}

/* The risk meter over movements[from..to) at that resolution. */
static cdr_risk_report_t *meter(const move_t *m, size_t from, size_t to,
                                resolution_t res, uint64_t samples,
                                uint64_t seed)
{
        cdr_risk_options_t o;
        cdr_risk_report_t *report = NULL;
        cdr_risk_t *risk;
        char line[256];
        size_t i, n;

        cdr_risk_options_init(&o);
        o.samples = samples;
        o.seed = seed;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk, "%s", errstr);
        for (i = from; i < to; i++) {
                n = record_json(line, sizeof(line), &m[i], res);
                cr_assert_eq(
                    cdr_risk_add(risk, line, n, errstr, sizeof(errstr)), CDR_OK,
                    "%s", errstr);
        }
        cr_assert_eq(cdr_risk_compute(risk, &report, errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        cdr_risk_destroy(risk);
        return report;
}

static void observe(cdr_risk_window_t *w, size_t output, const move_t *m,
                    size_t from, size_t to, resolution_t res)
{
        char line[256];
        size_t i, n;

        for (i = from; i < to; i++) {
                n = record_json(line, sizeof(line), &m[i], res);
                cdr_risk_window_observe(w, output, line, n);
        }
}

static const cdr_risk_trace_t *trace_of(const cdr_risk_report_t *r,
                                        const char *field)
{
        size_t i;

        for (i = 0; i < r->ntraces; i++)
                if (strcmp(r->traces[i].field, field) == 0)
                        return &r->traces[i];
        cr_assert_fail("no trace field '%s'", field);
        return NULL;
}

/* Every figure of the window's report equals the meter's. */
static void assert_same(const cdr_risk_report_t *a, const cdr_risk_report_t *b)
{
        size_t i;
        unsigned p;

        cr_assert_eq(a->records, b->records);
        cr_assert_eq(a->ntraces, b->ntraces);
        cr_assert_eq(a->npoint_fields, b->npoint_fields);
        for (i = 0; i < a->ntraces; i++) {
                const cdr_risk_trace_t *x = &a->traces[i],
                                       *y = trace_of(b, x->field);

                cr_assert_eq(x->traces, y->traces);
                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        cr_assert_eq(x->at[p].tested, y->at[p].tested);
                        cr_assert_eq(x->at[p].unique, y->at[p].unique,
                                     "%s at %u: %llu against %llu", x->field,
                                     p + 1, (unsigned long long)x->at[p].unique,
                                     (unsigned long long)y->at[p].unique);
                }
        }
        /* The set of every point field comes first in both. */
        cr_assert_gt(a->nksets, 0);
        cr_assert_eq(a->ksets[0].nfields, b->ksets[0].nfields);
        cr_assert_eq(a->ksets[0].below, b->ksets[0].below);
        cr_assert_eq(a->ksets[0].min_k, b->ksets[0].min_k);
}

#define PERSONS 3000
#define MOVES   30000
#define SAMPLES 800

Test(risk_window, whole_input_agrees_with_the_meter)
{
        static const char *const names[] = {"network"};
        move_t *m = movements(PERSONS, MOVES, 7);
        cdr_risk_window_t *w = window_new(names, 1, MOVES, 16u << 20, SAMPLES);
        cdr_risk_report_t *same, *other;
        const cdr_risk_report_t *r;
        cdr_risk_window_stats_t st;
        size_t i;
        unsigned p;

        observe(w, 0, m, 0, MOVES, FINE);
        measure(w);
        r = cdr_risk_window_report(w, 0);
        cr_assert_not_null(r);
        cdr_risk_window_stats(w, 0, &st);
        cr_assert_eq(st.records, MOVES);
        cr_assert_eq(st.evicted, 0);
        cr_assert_eq(r->records, MOVES);
        cr_assert_eq(r->ntraces, 2, "caller and device link records");

        /* The same sampling and seed: the same figures. */
        same = meter(m, 0, MOVES, FINE, SAMPLES, 1);
        assert_same(r, same);

        /* Another seed: within the sampling error of both (the 95%
         * intervals overlap), and the target traces were sampled. */
        other = meter(m, 0, MOVES, FINE, SAMPLES, 99);
        for (i = 0; i < r->ntraces; i++) {
                const cdr_risk_trace_t *x = &r->traces[i],
                                       *y = trace_of(other, x->field);

                cr_assert_eq(x->targets, SAMPLES);
                cr_assert_gt(x->traces, SAMPLES);
                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        double d = fabs(x->at[p].share - y->at[p].share);
                        double se = sqrt(x->at[p].se * x->at[p].se +
                                         y->at[p].se * y->at[p].se);

                        if (x->at[p].tested == 0)
                                continue;
                        cr_assert_leq(d, 2.58 * se + 1e-12,
                                      "%s at %u: %.4f against %.4f", x->field,
                                      p + 1, x->at[p].share, y->at[p].share);
                }
        }
        /* Something to measure: most traces are unique at 4 points. */
        cr_assert_gt(trace_of(r, "caller")->at[3].share, 0.5);
        cdr_risk_report_destroy(same);
        cdr_risk_report_destroy(other);
        cdr_risk_window_destroy(w);
        free(m);
}

Test(risk_window, record_bound_holds_and_keeps_the_newest)
{
        static const char *const names[] = {"network"};
        const size_t window = 2000;
        move_t *m = movements(400, 11 * window, 11);
        cdr_risk_window_t *w = window_new(names, 1, window, 16u << 20, 0);
        cdr_risk_window_stats_t one, ten;
        cdr_risk_report_t *last;
        size_t footprint = cdr_risk_window_footprint(w);

        cr_assert_geq(footprint, (16u << 20) + window * 8);
        observe(w, 0, m, 0, window, FINE);
        measure(w);
        cdr_risk_window_stats(w, 0, &one);
        cr_assert_eq(one.records, window);
        cr_assert_eq(one.evicted, 0);

        /* Ten times the window more: the same records held, the same
         * footprint, the same working memory of a measurement. */
        observe(w, 0, m, window, 11 * window, FINE);
        measure(w);
        cdr_risk_window_stats(w, 0, &ten);
        cr_assert_eq(ten.observed, 11 * window);
        cr_assert_eq(ten.records, window);
        cr_assert_eq(ten.evicted, 10 * window);
        cr_assert_eq(cdr_risk_window_footprint(w), footprint);
        cr_assert_eq(ten.work_bytes, one.work_bytes);
        cr_assert_gt(one.work_bytes, 0);

        /* What it holds is the newest window, in order: every trace
         * counted exactly (samples 0) as the meter counts the last
         * records. */
        last = meter(m, 10 * window, 11 * window, FINE, 0, 1);
        assert_same(cdr_risk_window_report(w, 0), last);
        cdr_risk_report_destroy(last);
        cdr_risk_window_destroy(w);
        free(m);
}

Test(risk_window, byte_bound_holds_across_wraps)
{
        static const char *const names[] = {"network"};
        const size_t bytes = 64 * 1024, n = 20000;
        move_t *m = movements(300, n, 13);
        cdr_risk_window_t *w = window_new(names, 1, n, bytes, 0);
        cdr_risk_window_stats_t st;
        cdr_risk_report_t *last;
        char line[256];
        size_t i, len, held = 0, footprint = cdr_risk_window_footprint(w);

        /* Record lengths vary (cell and day digits), so the ring wraps
         * at a different place each time round. */
        for (i = 0; i < n; i++) {
                len = record_json(line, sizeof(line), &m[i], FINE);
                cdr_risk_window_observe(w, 0, line, len);
                cdr_risk_window_stats(w, 0, &st);
                cr_assert_leq(st.bytes, bytes);
                cr_assert_eq(st.records + st.evicted, i + 1);
        }
        cr_assert_eq(cdr_risk_window_footprint(w), footprint);
        cdr_risk_window_stats(w, 0, &st);
        /* Nearly full: what is lost is the room of at most one record at
         * the end of the buffer and one between the newest and the
         * oldest. */
        cr_assert_geq(st.bytes, bytes - 2 * sizeof(line));
        held = (size_t)st.records;
        measure(w);
        last = meter(m, n - held, n, FINE, 0, 1);
        assert_same(cdr_risk_window_report(w, 0), last);
        cdr_risk_report_destroy(last);
        cdr_risk_window_destroy(w);
        free(m);
}

Test(risk_window, finer_policy_measures_higher)
{
        static const char *const names[] = {"fine", "coarse"};
        move_t *m = movements(PERSONS, MOVES, 17);
        cdr_risk_window_t *w = window_new(names, 2, MOVES, 16u << 20, SAMPLES);
        const cdr_risk_report_t *fine, *coarse;
        const char *field[] = {"caller", "device"};
        size_t i;

        observe(w, 0, m, 0, MOVES, FINE);
        observe(w, 1, m, 0, MOVES, COARSE);
        measure(w);
        fine = cdr_risk_window_report(w, 0);
        coarse = cdr_risk_window_report(w, 1);
        cr_assert_str_eq(cdr_risk_window_name(w, 1), "coarse");
        for (i = 0; i < 2; i++) {
                const cdr_risk_unicity_t *f = &trace_of(fine, field[i])->at[3],
                                         *c =
                                             &trace_of(coarse, field[i])->at[3];

                /* Apart by more than both intervals. */
                cr_assert_gt(f->lo, c->hi, "%s at 4: fine %.3f, coarse %.3f",
                             field[i], f->share, c->share);
        }
        cr_assert_gt(fine->ksets[0].below_share, coarse->ksets[0].below_share);
        cdr_risk_window_destroy(w);
        free(m);
}

Test(risk_window, measures_at_most_every_refresh)
{
        static const char *const names[] = {"network"};
        cdr_risk_window_t *w = window_new(names, 1, 10, 4096, 0);
        const char *rec = "{\"caller\":\"k1:abcdefghijklmnopqrstuvwxyz\","
                          "\"cell_id\":\"c1\"}";

        cr_assert_null(cdr_risk_window_report(w, 0));
        cr_assert_eq(cdr_risk_window_refresh(w, 5000, errstr, sizeof(errstr)),
                     1);
        cr_assert_eq(cdr_risk_window_report(w, 0)->records, 0);
        cdr_risk_window_observe(w, 0, rec, strlen(rec));
        cr_assert_eq(cdr_risk_window_refresh(w, 5999, errstr, sizeof(errstr)),
                     0);
        cr_assert_eq(cdr_risk_window_report(w, 0)->records, 0);
        cr_assert_eq(cdr_risk_window_refresh(w, 6000, errstr, sizeof(errstr)),
                     1);
        cr_assert_eq(cdr_risk_window_report(w, 0)->records, 1);
        cdr_risk_window_destroy(w);
}

Test(risk_window, odd_records)
{
        static const char *const names[] = {"network"};
        cdr_risk_window_t *w = window_new(names, 1, 10, 1024, 0);
        cdr_risk_window_stats_t st;
        char big[2048];

        memset(big, ' ', sizeof(big));
        big[0] = '{';
        big[sizeof(big) - 1] = '}';
        cdr_risk_window_observe(w, 0, big, sizeof(big)); /* too long */
        cdr_risk_window_observe(w, 3, "{}", 2);          /* no output 3 */
        cdr_risk_window_observe(w, 0, "{\"a\":", 5);     /* malformed */
        cdr_risk_window_observe(w, 0, "{\"a\":\"x\"}", 9);
        cdr_risk_window_stats(w, 0, &st);
        cr_assert_eq(st.skipped, 1);
        cr_assert_eq(st.records, 2);
        measure(w);
        cr_assert_eq(cdr_risk_window_report(w, 0)->malformed, 1);
        cr_assert_eq(cdr_risk_window_report(w, 0)->records, 1);
        cdr_risk_window_destroy(w);
}

Test(risk_window, bad_options)
{
        static const char *const names[] = {"network"};
        cdr_risk_window_options_t o;

        cdr_risk_window_options_init(&o);
        o.records = 0;
        cr_assert_null(
            cdr_risk_window_new(names, 1, &o, errstr, sizeof(errstr)));
        cr_assert(strstr(errstr, "at least 1") != NULL, "%s", errstr);
        cdr_risk_window_options_init(&o);
        o.bytes = (size_t)CDR_RISK_WINDOW_BYTES_MAX + 1;
        cr_assert_null(
            cdr_risk_window_new(names, 1, &o, errstr, sizeof(errstr)));
}
