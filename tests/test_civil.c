/*
 * The calendar and the one ISO 8601 grammar (civil.h): dates to days and
 * back over the whole range of four-digit years, the grammar's accepted
 * and refused spellings with the rule each refusal names, epoch seconds,
 * and formatting.
 */
#include <criterion/criterion.h>

#include "cdranon/civil.h"

#include <string.h>

Test(civil, days_and_dates_round_trip)
{
        int64_t days, y;
        unsigned m, d;

        cr_assert_eq(cdr_civil_days(1970, 1, 1), 0);
        cr_assert_eq(cdr_civil_days(2000, 3, 1), 11017);
        cr_assert_eq(cdr_civil_days(1969, 12, 31), -1);
        cr_assert_eq(cdr_civil_days(0, 1, 1) * 86400, CDR_EPOCH_MIN);
        cr_assert_eq(cdr_civil_days(9999, 12, 31) * 86400 + 86399,
                     CDR_EPOCH_MAX);
        /* Every day of years 0000-9999: the date's days are the day. */
        for (days = CDR_EPOCH_MIN / 86400; days <= CDR_EPOCH_MAX / 86400;
             days++) {
                cdr_civil_date(days, &y, &m, &d);
                cr_assert(m >= 1 && m <= 12 && d >= 1 &&
                          d <= cdr_civil_month_days(y, m));
                if (cdr_civil_days(y, m, d) != days)
                        cr_assert_fail("day %lld", (long long)days);
        }
}

Test(civil, month_lengths)
{
        cr_expect_eq(cdr_civil_month_days(2000, 2), 29);
        cr_expect_eq(cdr_civil_month_days(1900, 2), 28);
        cr_expect_eq(cdr_civil_month_days(2024, 2), 29);
        cr_expect_eq(cdr_civil_month_days(2023, 2), 28);
        cr_expect_eq(cdr_civil_month_days(2023, 4), 30);
        cr_expect_eq(cdr_civil_month_days(2023, 12), 31);
}

Test(civil, iso_grammar)
{
        static const struct {
                const char *text;
                int64_t epoch;    /* accepted */
                const char *rule; /* refused: the rule named */
        } cases[] = {
            {"2026-11-27", 1795737600, NULL},
            {"2026-11-27T00:00:08Z", 1795737608, NULL},
            {"2026-11-27t00:00:08z", 1795737608, NULL},
            {"2026-11-27 00:00:08", 1795737608, NULL},
            {"2026-11-27T00:00Z", 1795737600, NULL},
            {"2026-11-27T01:00:00+01:00", 1795737600, NULL},
            {"2026-11-27T01:30:00+0130", 1795737600, NULL},
            {"2026-11-27T01:00:00+01", 1795737600, NULL},
            {"2026-11-26T23:00:00-01:00", 1795737600, NULL},
            {"2026-11-27T00:00:08.999Z", 1795737608, NULL},
            {"2026-11-27T00:00:08,5Z", 1795737608, NULL},
            {"2016-12-31T23:59:60Z", 1483228799, NULL},
            {"2028-02-29T23:59:59Z", 1835481599, NULL},
            {"0000-01-01T00:00:00Z", CDR_EPOCH_MIN, NULL},
            {"9999-12-31T23:59:59Z", CDR_EPOCH_MAX, NULL},
            {"2026-02-29", 0, "day out of range"},
            {"2026-13-01", 0, "month out of range"},
            {"2026-00-10", 0, "month out of range"},
            {"2026-11-27T24:00:00Z", 0, "time out of range"},
            {"2026-11-27T00:61Z", 0, "time out of range"},
            {"2026-11-27T00:00:00+24:00", 0, "zone offset out of range"},
            {"0000-01-01T00:00:00+00:01", 0, "timestamp out of range"},
            {"2026-1-27", 0, "not a timestamp"},
            {"2026-11-27T", 0, "not a timestamp"},
            {"2026-11-27T1:00Z", 0, "not a timestamp"},
            {"2026-11-27T00:00:08.Z", 0, "not a timestamp"},
            {"2026-11-27Z", 0, "not a timestamp"},
            {"2026-11-27T00:00:08Zx", 0, "not a timestamp"},
            {"20261127", 0, "not a timestamp"},
            {"", 0, "not a timestamp"},
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const cdr_rule_t *rule = NULL;
                int64_t t = -1;
                int rc = cdr_civil_parse_iso(cases[i].text,
                                             strlen(cases[i].text), &t, &rule);

                if (cases[i].rule == NULL) {
                        cr_expect_eq(rc, CDR_OK, "%s: %s", cases[i].text,
                                     rule != NULL ? rule->text : "");
                        cr_expect_eq(t, cases[i].epoch, "%s: %lld",
                                     cases[i].text, (long long)t);
                } else {
                        cr_expect_eq(rc, CDR_ERR_MALFORMED, "%s",
                                     cases[i].text);
                        cr_expect(rule != NULL &&
                                      strcmp(rule->text, cases[i].rule) == 0,
                                  "%s: %s", cases[i].text,
                                  rule ? rule->text : "");
                        cr_expect(
                            rule != NULL &&
                                rule->code ==
                                    (strcmp(cases[i].rule, "not a timestamp") ==
                                             0
                                         ? CDR_REASON_TIMESTAMP_MALFORMED
                                         : CDR_REASON_TIMESTAMP_OUT_OF_RANGE),
                            "%s: code", cases[i].text);
                }
        }
}

Test(civil, record_times_take_epoch_seconds_too)
{
        const cdr_rule_t *rule = NULL;
        int64_t t;

        cr_assert_eq(cdr_civil_parse_time("1795737608", 10, &t, &rule), 0);
        cr_expect_eq(t, 1795737608);
        cr_assert_eq(cdr_civil_parse_time("-1.5", 4, &t, &rule), 0);
        cr_expect_eq(t, -2, "floored to the second");
        cr_assert_eq(cdr_civil_parse_time("2026-11-27", 10, &t, &rule), 0);
        cr_expect_eq(t, 1795737600);
        cr_expect_eq(cdr_civil_parse_time("1e9", 3, &t, &rule),
                     CDR_ERR_MALFORMED);
        cr_expect_str_eq(rule->text, "not a timestamp");
        cr_expect_eq(cdr_civil_parse_time("253402300800", 12, &t, &rule),
                     CDR_ERR_MALFORMED);
        cr_expect_str_eq(rule->text, "timestamp out of range");
}

Test(civil, format_reads_back)
{
        static const int64_t times[] = {
            CDR_EPOCH_MIN, -1, 0, 951782400, 1795737608, CDR_EPOCH_MAX};
        char iso[CDR_CIVIL_ISO_LEN];
        const cdr_rule_t *rule;
        size_t i;
        int64_t t;

        cdr_civil_format_iso(1795737608, iso);
        cr_assert_eq(memcmp(iso, "2026-11-27T00:00:08Z", sizeof(iso)), 0);
        for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
                cdr_civil_format_iso(times[i], iso);
                cr_assert_eq(cdr_civil_parse_iso(iso, sizeof(iso), &t, &rule),
                             0, "%.20s", iso);
                cr_assert_eq(t, times[i], "%.20s", iso);
        }
        cr_assert_eq(cdr_civil_floor_div(-1, 86400), -1);
        cr_assert_eq(cdr_civil_floor_div(86399, 86400), 0);
        cr_assert_eq(cdr_civil_floor_div(-86400, 86400), -1);
}

/* Expected weeks from Python's datetime.date.isocalendar(). */
Test(civil, iso_weeks_agree_with_python)
{
        static const struct {
                int y, m, d;
                int wy, w;
        } v[] = {
            {2026, 12, 31, 2026, 53}, {2027, 1, 1, 2026, 53},
            {2027, 1, 3, 2026, 53},   {2027, 1, 4, 2027, 1},
            {2020, 12, 31, 2020, 53}, {2021, 1, 3, 2020, 53},
            {2024, 12, 30, 2025, 1},  {2005, 1, 1, 2004, 53},
            {2008, 12, 29, 2009, 1},  {1970, 1, 1, 1970, 1},
        };
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                int64_t wy;
                unsigned w;

                cdr_civil_iso_week(
                    cdr_civil_days(v[i].y, (unsigned)v[i].m, (unsigned)v[i].d),
                    &wy, &w);
                cr_expect_eq(wy, v[i].wy, "%d-%d-%d", v[i].y, v[i].m, v[i].d);
                cr_expect_eq(w, (unsigned)v[i].w, "%d-%d-%d", v[i].y, v[i].m,
                             v[i].d);
        }
}

Test(civil, periods_of_event_times)
{
        char out[CDR_CIVIL_PERIOD_MAX];
        /* 2026-12-31T23:59:59Z and the next second. */
        int64_t t = cdr_civil_days(2026, 12, 31) * 86400 + 86399;

        cr_expect_eq(cdr_civil_period(t, CDR_ROTATE_DAY, out), 10);
        cr_expect_str_eq(out, "2026-12-31");
        cr_expect_eq(cdr_civil_period(t + 1, CDR_ROTATE_DAY, out), 10);
        cr_expect_str_eq(out, "2027-01-01");
        cr_expect_eq(cdr_civil_period(t + 1, CDR_ROTATE_WEEK, out), 8);
        cr_expect_str_eq(out, "2026-W53");
        cr_expect_eq(cdr_civil_period(t, CDR_ROTATE_MONTH, out), 7);
        cr_expect_str_eq(out, "2026-12");
        cr_expect_eq(cdr_civil_period(t + 1, CDR_ROTATE_MONTH, out), 7);
        cr_expect_str_eq(out, "2027-01");
        cr_expect_eq(cdr_civil_period(t, CDR_ROTATE_NEVER, out), 1);
        cr_expect_str_eq(out, "-");
        /* Before 1970. */
        cdr_civil_period(-1, CDR_ROTATE_DAY, out);
        cr_expect_str_eq(out, "1969-12-31");
        /* 0000-01-01 is in week 52 of the week-numbering year -1. */
        cdr_civil_period(CDR_EPOCH_MIN, CDR_ROTATE_WEEK, out);
        cr_expect_str_eq(out, "-001-W52");
}

Test(civil, period_arguments)
{
        char out[CDR_CIVIL_PERIOD_MAX];
        const cdr_rule_t *rule = NULL;

        cr_assert_eq(cdr_civil_period_parse("2027-01-02", 10, CDR_ROTATE_WEEK,
                                            out, &rule),
                     0);
        cr_expect_str_eq(out, "2026-W53");
        cr_assert_eq(cdr_civil_period_parse("2027-01-02", 10, CDR_ROTATE_MONTH,
                                            out, &rule),
                     0);
        cr_expect_str_eq(out, "2027-01");
        cr_assert_eq(cdr_civil_period_parse("2027-01-02", 10, CDR_ROTATE_NEVER,
                                            out, &rule),
                     0);
        cr_expect_str_eq(out, "-");
        cr_assert_eq(
            cdr_civil_period_parse("2026-W53", 8, CDR_ROTATE_WEEK, out, &rule),
            0);
        cr_expect_str_eq(out, "2026-W53");
        cr_assert_eq(
            cdr_civil_period_parse("2026-11", 7, CDR_ROTATE_MONTH, out, &rule),
            0);
        cr_expect_str_eq(out, "2026-11");
        cr_assert_eq(
            cdr_civil_period_parse("-", 1, CDR_ROTATE_NEVER, out, &rule), 0);
        cr_expect_str_eq(out, "-");
        /* 2027 has 52 weeks; a week period under day rotation; a month
         * under week rotation; a bad date. */
        cr_expect_eq(
            cdr_civil_period_parse("2027-W53", 8, CDR_ROTATE_WEEK, out, &rule),
            CDR_ERR_MALFORMED);
        cr_expect_str_eq(rule->text, "not a period of the rotation");
        cr_expect_eq(
            cdr_civil_period_parse("2026-W53", 8, CDR_ROTATE_DAY, out, &rule),
            CDR_ERR_MALFORMED);
        cr_expect_eq(
            cdr_civil_period_parse("2026-11", 7, CDR_ROTATE_WEEK, out, &rule),
            CDR_ERR_MALFORMED);
        cr_expect_eq(cdr_civil_period_parse("2026-02-30", 10, CDR_ROTATE_DAY,
                                            out, &rule),
                     CDR_ERR_MALFORMED);
        cr_expect_eq(
            cdr_civil_period_parse("2026-13", 7, CDR_ROTATE_MONTH, out, &rule),
            CDR_ERR_MALFORMED);
}

/* Every day of 1900-2100: the week changes exactly on Mondays, to the
 * next week or to week 1 of the next year, and week 1 holds 4 January. */
Test(civil, iso_weeks_step_on_mondays)
{
        int64_t first = cdr_civil_days(1900, 1, 1);
        int64_t last = cdr_civil_days(2100, 12, 31), days, py, y;
        unsigned pw, w;

        cdr_civil_iso_week(first, &py, &pw);
        for (days = first + 1; days <= last; days++) {
                int monday = (days + 3) % 7 == 0; /* 1970-01-05 */

                cdr_civil_iso_week(days, &y, &w);
                if (!monday)
                        cr_assert(y == py && w == pw, "day %lld",
                                  (long long)days);
                else
                        cr_assert((y == py && w == pw + 1) ||
                                      (y == py + 1 && w == 1 && pw >= 52),
                                  "day %lld", (long long)days);
                py = y;
                pw = w;
        }
        for (y = 1900; y <= 2100; y++) {
                int64_t wy;

                cdr_civil_iso_week(cdr_civil_days(y, 1, 4), &wy, &w);
                cr_expect(wy == y && w == 1, "%lld", (long long)y);
        }
}

struct collected {
        char text[256];
        int stop_after;
};

static int collect(const char *period, void *arg)
{
        struct collected *c = arg;

        strcat(c->text, period);
        strcat(c->text, " ");
        return --c->stop_after == 0;
}

Test(civil, periods_of_a_range)
{
        int64_t from = cdr_civil_days(2026, 12, 30);
        int64_t to = cdr_civil_days(2027, 1, 5);
        struct collected c = {"", 100};

        cr_expect_eq(cdr_civil_periods(from, to, CDR_ROTATE_WEEK, collect, &c),
                     2);
        cr_expect_str_eq(c.text, "2026-W53 2027-W01 ");
        c = (struct collected){"", 100};
        cr_expect_eq(cdr_civil_periods(from, to, CDR_ROTATE_MONTH, collect, &c),
                     2);
        cr_expect_str_eq(c.text, "2026-12 2027-01 ");
        c = (struct collected){"", 100};
        cr_expect_eq(cdr_civil_periods(from, to, CDR_ROTATE_NEVER, collect, &c),
                     1);
        cr_expect_str_eq(c.text, "- ");
        c = (struct collected){"", 3};
        cr_expect_eq(cdr_civil_periods(from, to, CDR_ROTATE_DAY, collect, &c),
                     3);
        cr_expect_str_eq(c.text, "2026-12-30 2026-12-31 2027-01-01 ");
        c = (struct collected){"", 100};
        cr_expect_eq(cdr_civil_periods(to, from, CDR_ROTATE_DAY, collect, &c),
                     0);
}
