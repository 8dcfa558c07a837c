/*
 * The risk meter (risk.h): unicity and k-anonymity on hand-made records
 * with answers worked out by hand, and on random records against a
 * brute-force reference written here, apart from risk.c: records kept
 * as they are, every trace, every p-subset of its points, and for each
 * subset a scan of every other trace's records.  In exhaustive mode the
 * meter must equal it exactly; sampled, its 95% intervals must cover the
 * exact figure about as often as they claim.
 */
#include <criterion/criterion.h>

#include <gd.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdranon/record.h"
#include "cdranon/risk.h"

static char errstr[512];

/* A pseudonym of the normative shape for person i. */
static void pseudonym(char out[40], const char *key_id, unsigned i)
{
        static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
        size_t n = (size_t)snprintf(out, 40, "%s:", key_id), j;

        /* i in the first four characters, the rest a fixed filler. */
        for (j = 0; j < 26; j++)
                out[n + j] = j < 4 ? b32[(i >> (5 * j)) & 31] : b32[j];
        out[n + 26] = '\0';
}

static void add(cdr_risk_t *risk, const char *line)
{
        int err =
            cdr_risk_add(risk, line, strlen(line), errstr, sizeof(errstr));

        cr_assert_eq(err, CDR_OK, "%s: %s", line, errstr);
}

static cdr_risk_report_t *measure(cdr_risk_t *risk)
{
        cdr_risk_report_t *report = NULL;
        int err = cdr_risk_compute(risk, &report, errstr, sizeof(errstr));

        cr_assert_eq(err, CDR_OK, "%s", errstr);
        cr_assert_not_null(report);
        return report;
}

static const cdr_risk_trace_t *trace(const cdr_risk_report_t *r,
                                     const char *field)
{
        size_t i;

        for (i = 0; i < r->ntraces; i++)
                if (strcmp(r->traces[i].field, field) == 0)
                        return &r->traces[i];
        cr_assert_fail("no trace field '%s'", field);
        return NULL;
}

static const cdr_risk_kset_t *kset(const cdr_risk_report_t *r,
                                   const char *names)
{
        char buf[512];
        size_t i, j, n;

        for (i = 0; i < r->nksets; i++) {
                buf[0] = '\0';
                for (j = 0, n = 0; j < r->ksets[i].nfields; j++)
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
                                              j ? "," : "",
                                              r->fields[r->ksets[i].fields[j]]);
                if (strcmp(buf, names) == 0)
                        return &r->ksets[i];
        }
        cr_assert_fail("no k-anonymity set '%s'", names);
        return NULL;
}

/*
 * Three traces over points x, y, z, w (cell, hour):
 *   A {x, y}   B {x, z}   C {x, y, w}
 * p = 1: A 0/2, B 1/2 ({z}), C 1/3 ({w})          -> (0 + 1/2 + 1/3) / 3
 * p = 2: A 0/1 (C holds x, y), B 1/1, C 2/3        -> (0 + 1 + 2/3) / 3
 * p = 3: only C has three points, and it is unique -> 1, 2 traces short
 */
static void three_traces(cdr_risk_t *risk)
{
        char a[40], b[40], c[40], line[256];
        static const struct {
                int who;
                const char *cell, *hour;
        } rows[] = {
            {0, "x", "10"}, {0, "y", "11"}, {0, "x", "10"}, /* repeat */
            {1, "x", "10"}, {1, "z", "12"}, {2, "x", "10"},
            {2, "y", "11"}, {2, "w", "13"},
        };
        size_t i;

        pseudonym(a, "k1", 1);
        pseudonym(b, "k1", 2);
        pseudonym(c, "k1", 3);
        for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                snprintf(line, sizeof(line),
                         "{\"who\":\"%s\",\"cell\":\"%s\",\"hour\":%s}\n",
                         rows[i].who == 0   ? a
                         : rows[i].who == 1 ? b
                                            : c,
                         rows[i].cell, rows[i].hour);
                add(risk, line);
        }
}

Test(risk, exhaustive_equals_the_worked_example)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        const cdr_risk_trace_t *t;

        cdr_risk_options_init(&o);
        o.exhaustive = 1;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk, "%s", errstr);
        three_traces(risk);
        r = measure(risk);
        cr_assert_eq(r->records, 8);
        cr_assert_eq(r->ntraces, 1);
        cr_assert_eq(r->npoint_fields, 2, "cell and hour are the points");
        t = trace(r, "who");
        cr_assert(t->pseudonymous);
        cr_assert_eq(t->traces, 3);
        cr_assert_eq(t->points, 7, "distinct (trace, point) pairs");
        cr_assert_float_eq(t->at[0].share, (0 + 1.0 / 2 + 1.0 / 3) / 3, 1e-15);
        cr_assert_eq(t->at[0].subsets, 7);
        cr_assert_eq(t->at[0].unique_subsets, 2);
        cr_assert_float_eq(t->at[1].share, (0 + 1 + 2.0 / 3) / 3, 1e-15);
        cr_assert_eq(t->at[1].subsets, 5);
        cr_assert_eq(t->at[1].unique_subsets, 3);
        cr_assert_float_eq(t->at[2].share, 1.0, 1e-15);
        cr_assert_eq(t->at[2].tested, 1);
        cr_assert_eq(t->at[2].short_traces, 2);
        cr_assert_eq(t->at[3].tested, 0);
        cr_assert_eq(t->at[3].short_traces, 3);
        cr_assert_eq(t->at[0].lo, t->at[0].share, "exact: no interval");
        cr_assert_eq(t->at[0].hi, t->at[0].share);
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
}

Test(risk, k_anonymity_of_the_worked_example)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        const cdr_risk_kset_t *s;

        cdr_risk_options_init(&o);
        o.k = 3;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk, "%s", errstr);
        three_traces(risk);
        r = measure(risk);
        /* cell: x4 y2 z1 w1; hour: 10x4 11x2 12x1 13x1; both: the same
         * groups, as hour follows cell here. */
        s = kset(r, "cell,hour");
        cr_assert_eq(s->groups, 4);
        cr_assert_eq(s->min_k, 1);
        cr_assert_eq(s->below, 4, "y, y, z, w are in groups below 3");
        cr_assert_float_eq(s->below_share, 0.5, 1e-15);
        s = kset(r, "cell");
        cr_assert_eq(s->groups, 4);
        cr_assert_eq(s->below, 4);
        cr_assert_eq(r->nksets, 3, "the full set and both fields alone");
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
}

Test(risk, what_is_a_trace_key_and_what_is_a_point)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        const cdr_risk_trace_t *t;
        char a[40], b[40], line[256];

        pseudonym(a, "key-1_A", 1);
        pseudonym(b, "key-1_A", 2);
        cdr_risk_options_init(&o);
        o.exhaustive = 1;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk);
        /* callee holds pseudonyms and "withheld"; note holds text that
         * only looks like one but for an upper-case letter. */
        snprintf(line, sizeof(line),
                 "{\"caller\":\"%s\",\"callee\":\"withheld\",\"cell\":\"1\","
                 "\"note\":\"k1:ABCDEFGHIJKLMNOPQRSTUVWXYZ\"}",
                 a);
        add(risk, line);
        snprintf(line, sizeof(line),
                 "{\"caller\":\"%s\",\"callee\":\"%s\",\"cell\":\"1\"}", b, a);
        add(risk, line);
        snprintf(line, sizeof(line),
                 "{\"caller\":\"%s\",\"callee\":\"999\",\"cell\":1}", b);
        add(risk, line);
        r = measure(risk);
        cr_assert_eq(r->ntraces, 2, "caller and callee");
        cr_assert_eq(r->npoint_fields, 2, "cell and note");
        t = trace(r, "callee");
        cr_assert_eq(t->records, 1, "withheld and 999 are not trace keys");
        cr_assert_eq(t->traces, 1);
        t = trace(r, "caller");
        cr_assert_eq(t->traces, 2);
        /* Points: (1, note) for a; (1, absent) and (number 1, absent) for
         * b: a string and a number are different values. */
        cr_assert_eq(t->points, 3);
        cr_assert_float_eq(t->at[0].share, 1.0, 1e-15, "no point is shared");
        cr_assert_eq(kset(r, "cell")->groups, 2, "\"1\" and 1");
        cr_assert_eq(kset(r, "note")->groups, 2, "a value and absent");
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
}

/* 1 when a record holding `value` in field x makes x a trace field. */
static int is_pseudonym(const char *value)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        char line[256];
        int yes;

        cdr_risk_options_init(&o);
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk);
        snprintf(line, sizeof(line), "{\"x\":\"%s\",\"c\":\"1\"}", value);
        add(risk, line);
        r = measure(risk);
        yes = r->ntraces == 1;
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
        return yes;
}

Test(risk, the_pseudonym_shape)
{
        static const char bad_chars[] = "018AZ{`@/:\\\x7f";
        char v[64];
        size_t pos, b;

        cr_assert(is_pseudonym("k:abcdefghijklmnopqrstuvwxyz"));
        cr_assert(is_pseudonym("a-_Z9:234567abcdefghijklmnopqrst"));
        cr_assert(!is_pseudonym("k:abcdefghijklmnopqrstuvwxy"), "25 after");
        cr_assert(!is_pseudonym("k:abcdefghijklmnopqrstuvwxyza"), "27 after");
        cr_assert(is_pseudonym("0123456789ABCDEF:"
                               "abcdefghijklmnopqrstuvwxyz"),
                  "16-byte key id");
        cr_assert(!is_pseudonym("0123456789ABCDEFG:"
                                "abcdefghijklmnopqrstuvwxyz"),
                  "17 bytes");
        cr_assert(!is_pseudonym(":abcdefghijklmnopqrstuvwxyz"), "no key id");
        cr_assert(!is_pseudonym("k.1:abcdefghijklmnopqrstuvwxyz"));
        cr_assert(!is_pseudonym("withheld"));
        /* Every position of the 26, every kind of wrong byte. */
        for (pos = 0; pos < 26; pos++)
                for (b = 0; b < sizeof(bad_chars) - 1; b++) {
                        snprintf(v, sizeof(v), "key:%s",
                                 "abcdefghijklmnopqrstuvwxyz");
                        v[4 + pos] = bad_chars[b];
                        if (bad_chars[b] == '\\')
                                continue; /* would need a JSON escape */
                        cr_assert(!is_pseudonym(v), "byte %d at %zu",
                                  bad_chars[b], pos);
                }
}

Test(risk, named_fields)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        const char *traces[] = {"user"}, *points[] = {"cell"};
        const char *sets[] = {"hour,cell", "hour"};

        cdr_risk_options_init(&o);
        o.trace_fields = traces;
        o.ntrace_fields = 1;
        o.point_fields = points;
        o.npoint_fields = 1;
        o.k_sets = sets;
        o.nk_sets = 2;
        o.k_subsets = 0;
        o.exhaustive = 1;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk);
        /* user holds no pseudonym: every present, non-null value is a
         * trace key. */
        add(risk, "{\"user\":\"ann\",\"cell\":\"a\",\"hour\":\"1\"}");
        add(risk, "{\"user\":\"bob\",\"cell\":\"a\",\"hour\":\"2\"}");
        add(risk, "{\"user\":\"bob\",\"cell\":\"b\",\"hour\":\"2\"}");
        add(risk, "{\"user\":null,\"cell\":\"c\",\"hour\":\"2\"}");
        r = measure(risk);
        cr_assert_eq(r->ntraces, 1);
        cr_assert_eq(trace(r, "user")->traces, 2);
        cr_assert_eq(trace(r, "user")->pseudonymous, 0);
        /* ann {a}: not unique; bob {a, b}: {b} unique. */
        cr_assert_float_eq(trace(r, "user")->at[0].share, (0 + 0.5) / 2, 1e-15);
        cr_assert_eq(r->nksets, 3, "cell (the points), hour+cell, hour");
        cr_assert_eq(kset(r, "cell,hour")->groups, 4);
        cr_assert_eq(kset(r, "hour")->min_k, 1);
        cr_assert_eq(kset(r, "hour")->below, 4);
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
}

Test(risk, unknown_names_are_errors)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r = NULL;
        const char *points[] = {"nowhere"}, *traces[] = {"cell"};
        const char *points2[] = {"cell"};

        cdr_risk_options_init(&o);
        o.point_fields = points;
        o.npoint_fields = 1;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        add(risk, "{\"cell\":\"a\"}");
        cr_assert_eq(cdr_risk_compute(risk, &r, errstr, sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_assert_null(r);
        cr_assert_str_eq(errstr, "point field 'nowhere' is not in the input");
        cr_assert_eq(cdr_risk_add(risk, "{}", 2, errstr, sizeof(errstr)),
                     CDR_ERR_INVAL, "a measured meter takes no more records");
        cdr_risk_destroy(risk);

        o.trace_fields = traces;
        o.ntrace_fields = 1;
        o.point_fields = points2;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        add(risk, "{\"cell\":\"a\"}");
        cr_assert_eq(cdr_risk_compute(risk, &r, errstr, sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_assert_str_eq(errstr, "point field 'cell' is a trace field");
        cdr_risk_destroy(risk);
}

Test(risk, malformed_records_are_skipped_and_counted)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        static const char *bad[] = {
            "{\"cell\":\"SECRET\"",
            "[\"SECRET\"]",
            "{\"cell\":{\"x\":\"SECRET\"}}",
            "{\"cell\":\"a\",\"cell\":\"SECRET\"}",
        };
        size_t i;

        cdr_risk_options_init(&o);
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        add(risk, "{\"cell\":\"a\"}");
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cr_assert_eq(cdr_risk_add(risk, bad[i], strlen(bad[i]), errstr,
                                          sizeof(errstr)),
                             CDR_ERR_MALFORMED, "%s", bad[i]);
                cr_assert_null(strstr(errstr, "SECRET"), "%s", errstr);
                cr_assert(strncmp(errstr, "json: ", 6) == 0, "%s", errstr);
        }
        cdr_risk_count_malformed(risk);
        add(risk, "{\"cell\":\"b\"}");
        r = measure(risk);
        cr_assert_eq(r->lines, 7);
        cr_assert_eq(r->malformed, 5);
        cr_assert_eq(r->records, 2);
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
}

Test(risk, a_field_first_seen_later_is_absent_before)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;

        cdr_risk_options_init(&o);
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        add(risk, "{\"a\":\"1\"}");
        add(risk, "{\"a\":\"1\"}");
        add(risk, "{\"b\":\"x\",\"a\":\"1\"}");
        add(risk, "{\"a\":\"1\",\"b\":\"x\"}");
        r = measure(risk);
        cr_assert_eq(r->nfields, 2);
        cr_assert_str_eq(r->fields[0], "a");
        cr_assert_str_eq(r->fields[1], "b");
        cr_assert_eq(kset(r, "b")->groups, 2, "absent twice, x twice");
        cr_assert_eq(kset(r, "b")->min_k, 2);
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
}

Test(risk, too_many_field_names_is_fatal)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        char line[8192];
        size_t n = 0, i;

        cdr_risk_options_init(&o);
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        n += (size_t)snprintf(line, sizeof(line), "{");
        for (i = 0; i <= CDR_MAX_SLOTS; i++)
                n += (size_t)snprintf(line + n, sizeof(line) - n,
                                      "%s\"f%zu\":1", i ? "," : "", i);
        snprintf(line + n, sizeof(line) - n, "}");
        cr_assert_eq(
            cdr_risk_add(risk, line, strlen(line), errstr, sizeof(errstr)),
            CDR_ERR_TOOBIG);
        cr_assert_str_eq(errstr, "more than 64 distinct field names");
        cdr_risk_destroy(risk);
}

Test(risk, time_window)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;

        cdr_risk_options_init(&o);
        o.from = "2026-11-27T10:00:00Z";
        o.to = "2026-11-27T12:00:00Z";
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk, "%s", errstr);
        add(risk, "{\"id\":\"1\",\"t\":\"2026-11-27T09:00:00Z\"}");
        add(risk, "{\"id\":\"2\",\"t\":\"2026-11-27T10:00:00Z\"}");
        add(risk, "{\"id\":\"3\",\"t\":\"2026-11-27T11:59:59Z\"}");
        add(risk, "{\"id\":\"4\",\"t\":\"2026-11-27T12:00:00Z\"}");
        add(risk, "{\"id\":\"5\",\"t\":null}");
        add(risk, "{\"id\":\"6\",\"t\":\"1764237600\"}");
        r = measure(risk);
        cr_assert_eq(r->records, 2);
        cr_assert_eq(r->outside_window, 2);
        cr_assert_eq(r->without_time, 2);
        cr_assert_str_eq(r->time_field, "t");
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);

        o.from = "2026-11-27";
        cr_assert_null(cdr_risk_new(&o, errstr, sizeof(errstr)));
}

/* ---- the brute-force reference --------------------------------------- */

#define REF_PEOPLE  40
#define REF_RECORDS 360

struct ref_record {
        int person; /* -1: withheld */
        int cell, hour;
};

static uint64_t ref_state;

static unsigned ref_rand(unsigned n)
{
        ref_state = ref_state * 6364136223846793005ull + 1442695040888963407ull;
        return (unsigned)((ref_state >> 33) % n);
}

/* Random records: people of unequal activity, a few places and hours. */
static void ref_records(struct ref_record *rec, size_t n, unsigned cells,
                        unsigned hours)
{
        size_t i;

        for (i = 0; i < n; i++) {
                unsigned a = ref_rand(REF_PEOPLE), b = ref_rand(REF_PEOPLE);

                rec[i].person = ref_rand(20) == 0 ? -1 : (int)(a < b ? a : b);
                /* Each person favours a home cell. */
                rec[i].cell = ref_rand(3) == 0    ? (int)ref_rand(cells)
                              : rec[i].person < 0 ? 0
                                                  : rec[i].person % (int)cells;
                rec[i].hour = (int)ref_rand(hours);
        }
}

/* 1 when some record of person q is at (cell, hour). */
static int ref_visits(const struct ref_record *rec, size_t n, int q, int cell,
                      int hour)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (rec[i].person == q && rec[i].cell == cell &&
                    rec[i].hour == hour)
                        return 1;
        return 0;
}

struct ref_result {
        uint64_t tested[CDR_RISK_POINTS], short_traces[CDR_RISK_POINTS];
        uint64_t subsets[CDR_RISK_POINTS], unique[CDR_RISK_POINTS];
        double share[CDR_RISK_POINTS];
};

/* Every person, every p-subset of their distinct points, every other
 * person checked point by point over the raw records. */
static void ref_unicity(const struct ref_record *rec, size_t n,
                        struct ref_result *res)
{
        int pts[REF_RECORDS][2], person, q;
        size_t m, i, j, p, c[CDR_RISK_POINTS];
        double sum[CDR_RISK_POINTS] = {0};

        memset(res, 0, sizeof(*res));
        for (person = 0; person < REF_PEOPLE; person++) {
                m = 0;
                for (i = 0; i < n; i++) {
                        if (rec[i].person != person)
                                continue;
                        for (j = 0; j < m; j++)
                                if (pts[j][0] == rec[i].cell &&
                                    pts[j][1] == rec[i].hour)
                                        break;
                        if (j == m) {
                                pts[m][0] = rec[i].cell;
                                pts[m][1] = rec[i].hour;
                                m++;
                        }
                }
                if (m == 0)
                        continue; /* not a trace: never seen */
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        uint64_t subsets = 0, uniq = 0;

                        if (m < p) {
                                res->short_traces[p - 1]++;
                                continue;
                        }
                        for (j = 0; j < p; j++)
                                c[j] = j;
                        for (;;) {
                                int others = 0;

                                for (q = 0; q < REF_PEOPLE && !others; q++) {
                                        if (q == person)
                                                continue;
                                        for (j = 0; j < p; j++)
                                                if (!ref_visits(rec, n, q,
                                                                pts[c[j]][0],
                                                                pts[c[j]][1]))
                                                        break;
                                        others = j == p;
                                }
                                uniq += !others;
                                subsets++;
                                /* next combination */
                                for (j = p; j-- > 0;)
                                        if (c[j] < m - p + j)
                                                break;
                                if (j == (size_t)-1)
                                        break;
                                c[j]++;
                                for (j++; j < p; j++)
                                        c[j] = c[j - 1] + 1;
                        }
                        res->tested[p - 1]++;
                        res->subsets[p - 1] += subsets;
                        res->unique[p - 1] += uniq;
                        sum[p - 1] += (double)uniq / (double)subsets;
                }
        }
        for (p = 0; p < CDR_RISK_POINTS; p++)
                res->share[p] = res->tested[p] ? sum[p] / res->tested[p] : 0;
}

static cdr_risk_t *ref_meter(const struct ref_record *rec, size_t n,
                             int exhaustive, uint64_t samples, uint64_t seed)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        char line[256], who[40];
        size_t i;

        cdr_risk_options_init(&o);
        o.exhaustive = exhaustive;
        o.samples = samples;
        o.seed = seed;
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        cr_assert_not_null(risk);
        for (i = 0; i < n; i++) {
                if (rec[i].person < 0)
                        snprintf(who, sizeof(who), "withheld");
                else
                        pseudonym(who, "ref", (unsigned)rec[i].person);
                snprintf(line, sizeof(line),
                         "{\"hour\":\"2026-11-27T%02d:00:00Z\",\"who\":\"%s\","
                         "\"cell\":\"234-15-%d\"}",
                         rec[i].hour, who, rec[i].cell);
                add(risk, line);
        }
        return risk;
}

Test(risk, exhaustive_equals_brute_force_on_random_records)
{
        static struct ref_record rec[REF_RECORDS];
        static const unsigned shapes[][2] = {{3, 2}, {5, 4}, {8, 6}, {12, 12}};
        struct ref_result want;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        const cdr_risk_trace_t *t;
        size_t s, p;

        for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
                ref_state = 1000 + s;
                ref_records(rec, REF_RECORDS, shapes[s][0], shapes[s][1]);
                ref_unicity(rec, REF_RECORDS, &want);
                risk = ref_meter(rec, REF_RECORDS, 1, 0, 1);
                r = measure(risk);
                t = trace(r, "who");
                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        cr_assert_eq(t->at[p].tested, want.tested[p],
                                     "shape %zu p=%zu", s, p + 1);
                        cr_assert_eq(t->at[p].short_traces,
                                     want.short_traces[p]);
                        cr_assert_eq(t->at[p].subsets, want.subsets[p]);
                        cr_assert_eq(
                            t->at[p].unique_subsets, want.unique[p],
                            "shape %zu p=%zu: %llu, want %llu", s, p + 1,
                            (unsigned long long)t->at[p].unique_subsets,
                            (unsigned long long)want.unique[p]);
                        cr_assert_float_eq(t->at[p].share, want.share[p],
                                           1e-12);
                }
                cdr_risk_report_destroy(r);
                cdr_risk_destroy(risk);
        }
}

Test(risk, sampled_intervals_cover_the_exact_unicity)
{
        static struct ref_record rec[REF_RECORDS];
        struct ref_result want;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        const cdr_risk_trace_t *t;
        unsigned seed, p, inside = 0, figures = 0;

        ref_state = 77;
        ref_records(rec, REF_RECORDS, 5, 4);
        ref_unicity(rec, REF_RECORDS, &want);
        for (seed = 1; seed <= 40; seed++) {
                risk = ref_meter(rec, REF_RECORDS, 0, 25, seed);
                r = measure(risk);
                t = trace(r, "who");
                cr_assert_eq(t->targets, 25, "25 of the traces are targets");
                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        const cdr_risk_unicity_t *u = &t->at[p];

                        if (u->tested < 10 || want.share[p] < 0.02 ||
                            want.share[p] > 0.98)
                                continue;
                        cr_assert(u->lo <= u->share && u->share <= u->hi);
                        figures++;
                        inside +=
                            u->lo <= want.share[p] && want.share[p] <= u->hi;
                }
                cdr_risk_report_destroy(r);
                cdr_risk_destroy(risk);
        }
        cr_assert_geq(figures, 80, "only %u figures strictly inside (0, 1)",
                      figures);
        /* 95% intervals; a share below 90% would be far outside chance. */
        cr_assert_geq(inside * 100, figures * 90, "%u of %u intervals cover",
                      inside, figures);
}

Test(risk, gate_reads_the_upper_end)
{
        cdr_risk_report_t r;
        cdr_risk_trace_t t[2];

        memset(&r, 0, sizeof(r));
        memset(t, 0, sizeof(t));
        t[0].field = "a";
        t[1].field = "b";
        t[0].at[3] = (cdr_risk_unicity_t){
            .points = 4, .tested = 100, .share = 0.04, .lo = 0.02, .hi = 0.06};
        t[1].at[3] = (cdr_risk_unicity_t){.points = 4, .tested = 0};
        r.traces = t;
        r.ntraces = 2;
        cr_assert_eq(cdr_risk_gate(&r, 4, 0.05), &t[0],
                     "4%% could be 6%%: fails at 5%%");
        cr_assert_null(cdr_risk_gate(&r, 4, 0.06));
        cr_assert_null(cdr_risk_gate(&r, 3, 0.0), "nothing tested at 3");
        cr_assert_null(cdr_risk_gate(&r, 9, 0.0));
}

Test(risk, json_report_and_plot)
{
        cdr_risk_options_t o;
        cdr_risk_t *risk;
        cdr_risk_report_t *r;
        cdr_buf_t out = CDR_BUF_INIT;
        json_error_t jerr;
        json_t *doc, *at;
        gdImagePtr im;

        cdr_risk_options_init(&o);
        risk = cdr_risk_new(&o, errstr, sizeof(errstr));
        three_traces(risk);
        r = measure(risk);
        cr_assert_eq(cdr_risk_report_json(r, &out), CDR_OK);
        doc = json_loads(out.data, 0, &jerr);
        cr_assert_not_null(doc, "%s", jerr.text);
        cr_assert_eq(json_integer_value(json_object_get(doc, "records")), 8);
        at = json_object_get(
            json_array_get(
                json_object_get(json_object_get(doc, "unicity"), "fields"), 0),
            "at");
        cr_assert_eq(json_array_size(at), CDR_RISK_POINTS);
        cr_assert_not_null(json_object_get(json_array_get(at, 0), "hi"));
        json_decref(doc);

        cdr_buf_reset(&out);
        cr_assert_eq(cdr_risk_report_table(r, &out), CDR_OK);
        cr_assert_not_null(strstr(out.data, "who"));
        cr_assert_not_null(strstr(out.data, "min k"));

        cdr_buf_reset(&out);
        cr_assert_eq(cdr_risk_plot_png(r, &out, errstr, sizeof(errstr)),
                     CDR_OK);
        im = gdImageCreateFromPngPtr((int)out.len, out.data);
        cr_assert_not_null(im, "the plot is a PNG that libgd reads back");
        cr_assert_gt(gdImageSX(im), 100);
        gdImageDestroy(im);
        cdr_buf_free(&out);
        cdr_risk_report_destroy(r);
        cdr_risk_destroy(risk);
}
