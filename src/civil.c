/*
 * The one calendar and the one ISO 8601 grammar: see civil.h.
 */
#include "cdranon/civil.h"

#include <string.h>

static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* H. Hinnant, "chrono-Compatible Low-Level Date Algorithms". */
int64_t cdr_civil_days(int64_t y, unsigned m, unsigned d)
{
        int64_t era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

void cdr_civil_date(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
        int64_t era;
        unsigned doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

unsigned cdr_civil_month_days(int64_t y, unsigned m)
{
        static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
                                              31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && leap ? 29 : dim[m - 1];
}

static const cdr_rule_t R_NOT_A_TIMESTAMP = {CDR_REASON_TIMESTAMP_MALFORMED,
                                             "not a timestamp"};
static const cdr_rule_t R_OUT_OF_RANGE = {CDR_REASON_TIMESTAMP_OUT_OF_RANGE,
                                          "timestamp out of range"};
static const cdr_rule_t R_MONTH = {CDR_REASON_TIMESTAMP_OUT_OF_RANGE,
                                   "month out of range"};
static const cdr_rule_t R_DAY = {CDR_REASON_TIMESTAMP_OUT_OF_RANGE,
                                 "day out of range"};
static const cdr_rule_t R_TIME = {CDR_REASON_TIMESTAMP_OUT_OF_RANGE,
                                  "time out of range"};
static const cdr_rule_t R_ZONE = {CDR_REASON_TIMESTAMP_OUT_OF_RANGE,
                                  "zone offset out of range"};

/* Sets *rule and returns CDR_ERR_MALFORMED. */
static int broken(const cdr_rule_t **rule, const cdr_rule_t *what)
{
        *rule = what;
        return CDR_ERR_MALFORMED;
}

/* t, when it lies in the four-digit years, as *epoch. */
static int in_range(int64_t t, int64_t *epoch, const cdr_rule_t **rule)
{
        if (t < CDR_EPOCH_MIN || t > CDR_EPOCH_MAX)
                return broken(rule, &R_OUT_OF_RANGE);
        *epoch = t;
        return CDR_OK;
}

/* Reads exactly `width` digits at s[*i]. */
static int read_digits(const char *s, size_t n, size_t *i, int width,
                       unsigned *out)
{
        unsigned v = 0;
        int k;

        for (k = 0; k < width; k++) {
                if (*i >= n || !is_digit(s[*i]))
                        return -1;
                v = v * 10 + (unsigned)(s[(*i)++] - '0');
        }
        *out = v;
        return 0;
}

/* Epoch seconds: -?DIGITS(.DIGITS)?, floored to the second. */
static int parse_epoch(const char *s, size_t n, int64_t *epoch,
                       const cdr_rule_t **rule)
{
        size_t i = 0, digits = 0;
        int64_t v = 0;
        int neg = 0, frac = 0;

        if (i < n && s[i] == '-') {
                neg = 1;
                i++;
        }
        for (; i < n && is_digit(s[i]); i++, digits++)
                if (v <= CDR_EPOCH_MAX)
                        v = v * 10 + (s[i] - '0');
        if (digits == 0)
                goto bad;
        if (i < n && s[i] == '.') {
                i++;
                if (i >= n || !is_digit(s[i]))
                        goto bad;
                for (; i < n && is_digit(s[i]); i++)
                        frac |= s[i] != '0';
        }
        if (i != n)
                goto bad;
        if (neg)
                v = -v - frac;
        return in_range(v, epoch, rule);
bad:
        return broken(rule, &R_NOT_A_TIMESTAMP);
}

int cdr_civil_parse_iso(const char *s, size_t n, int64_t *epoch,
                        const cdr_rule_t **rule)
{
        unsigned year, mon, day, hh = 0, mm = 0, ss = 0, oh = 0, om = 0;
        int64_t t;
        size_t i = 0;
        int sign = 0;

        if (read_digits(s, n, &i, 4, &year) || i >= n || s[i++] != '-' ||
            read_digits(s, n, &i, 2, &mon) || i >= n || s[i++] != '-' ||
            read_digits(s, n, &i, 2, &day))
                goto bad;
        if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
                i++;
                if (read_digits(s, n, &i, 2, &hh) || i >= n || s[i++] != ':' ||
                    read_digits(s, n, &i, 2, &mm))
                        goto bad;
                if (i < n && s[i] == ':') {
                        i++;
                        if (read_digits(s, n, &i, 2, &ss))
                                goto bad;
                        if (i < n && (s[i] == '.' || s[i] == ',')) {
                                i++;
                                if (i >= n || !is_digit(s[i]))
                                        goto bad;
                                while (i < n && is_digit(s[i]))
                                        i++;
                        }
                }
                if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
                        i++;
                } else if (i < n && (s[i] == '+' || s[i] == '-')) {
                        sign = s[i++] == '-' ? -1 : 1;
                        if (read_digits(s, n, &i, 2, &oh))
                                goto bad;
                        if (i < n && s[i] == ':')
                                i++;
                        if (i < n && read_digits(s, n, &i, 2, &om))
                                goto bad;
                }
        }
        if (i != n)
                goto bad;
        if (mon < 1 || mon > 12)
                return broken(rule, &R_MONTH);
        if (day < 1 || day > cdr_civil_month_days(year, mon))
                return broken(rule, &R_DAY);
        if (hh > 23 || mm > 59 || ss > 60)
                return broken(rule, &R_TIME);
        if (oh > 23 || om > 59)
                return broken(rule, &R_ZONE);
        if (ss == 60)
                ss = 59;
        t = cdr_civil_days(year, mon, day) * 86400 +
            (int64_t)(hh * 3600 + mm * 60 + ss) -
            sign * (int64_t)(oh * 3600 + om * 60);
        return in_range(t, epoch, rule);
bad:
        return broken(rule, &R_NOT_A_TIMESTAMP);
}

int cdr_civil_parse_time(const char *s, size_t n, int64_t *epoch,
                         const cdr_rule_t **rule)
{
        if (n >= 5 && is_digit(s[0]) && s[4] == '-')
                return cdr_civil_parse_iso(s, n, epoch, rule);
        return parse_epoch(s, n, epoch, rule);
}

int64_t cdr_civil_floor_div(int64_t a, int64_t b)
{
        int64_t q = a / b;

        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void put2(char *o, unsigned v)
{
        o[0] = (char)('0' + v / 10);
        o[1] = (char)('0' + v % 10);
}

void cdr_civil_format_iso(int64_t t, char out[CDR_CIVIL_ISO_LEN])
{
        int64_t days = cdr_civil_floor_div(t, 86400), y;
        unsigned sec = (unsigned)(t - days * 86400), m, d;

        cdr_civil_date(days, &y, &m, &d);
        put2(out, (unsigned)(y / 100));
        put2(out + 2, (unsigned)(y % 100));
        out[4] = '-';
        put2(out + 5, m);
        out[7] = '-';
        put2(out + 8, d);
        out[10] = 'T';
        put2(out + 11, sec / 3600);
        out[13] = ':';
        put2(out + 14, sec / 60 % 60);
        out[16] = ':';
        put2(out + 17, sec % 60);
        out[19] = 'Z';
}

int64_t cdr_civil_truncate(int64_t t, int64_t unit)
{
        if (unit == CDR_CIVIL_WEEK) {
                /* 1970-01-01 was a Thursday; Monday 1970-01-05 is day 4. */
                int64_t days = cdr_civil_floor_div(t, CDR_CIVIL_DAY);

                days -= days - 4 - cdr_civil_floor_div(days - 4, 7) * 7;
                return days * CDR_CIVIL_DAY;
        }
        return cdr_civil_floor_div(t, unit) * unit;
}

void cdr_civil_iso_week(int64_t days, int64_t *year, unsigned *week)
{
        /* 1970-01-01 was a Thursday; weekday 0 is Monday. */
        int64_t wd = days - cdr_civil_floor_div(days + 3, 7) * 7 + 3;
        int64_t thursday = days - wd + 3, y;
        unsigned m, d;

        cdr_civil_date(thursday, &y, &m, &d);
        *year = y;
        *week = (unsigned)((thursday - cdr_civil_days(y, 1, 1)) / 7 + 1);
}

/* Four digits of a year 0..9999; a week-numbering year just outside the
 * range (0000-01-01 lies in week 52 of year -1) prints as "-001". */
static void put_year(char *o, int64_t y)
{
        if (y < 0) {
                o[0] = '-';
                o[1] = '0';
                put2(o + 2, (unsigned)(-y % 100));
                return;
        }
        put2(o, (unsigned)(y / 100 % 100));
        put2(o + 2, (unsigned)(y % 100));
}

static size_t period_of_days(int64_t days, cdr_rotate_t rotate,
                             char out[CDR_CIVIL_PERIOD_MAX])
{
        int64_t y;
        unsigned m, d;

        switch (rotate) {
        case CDR_ROTATE_DAY:
                cdr_civil_date(days, &y, &m, &d);
                put_year(out, y);
                out[4] = '-';
                put2(out + 5, m);
                out[7] = '-';
                put2(out + 8, d);
                out[10] = '\0';
                return 10;
        case CDR_ROTATE_WEEK:
                cdr_civil_iso_week(days, &y, &m);
                put_year(out, y);
                out[4] = '-';
                out[5] = 'W';
                put2(out + 6, m);
                out[8] = '\0';
                return 8;
        case CDR_ROTATE_MONTH:
                cdr_civil_date(days, &y, &m, &d);
                put_year(out, y);
                out[4] = '-';
                put2(out + 5, m);
                out[7] = '\0';
                return 7;
        case CDR_ROTATE_NEVER:
        default:
                out[0] = '-';
                out[1] = '\0';
                return 1;
        }
}

size_t cdr_civil_period(int64_t t, cdr_rotate_t rotate,
                        char out[CDR_CIVIL_PERIOD_MAX])
{
        return period_of_days(cdr_civil_floor_div(t, 86400), rotate, out);
}

static const cdr_rule_t R_PERIOD = {CDR_REASON_TIMESTAMP_MALFORMED,
                                    "not a period of the rotation"};

static int digits_at(const char *s, size_t n, size_t at, int width, unsigned *v)
{
        size_t i = at;

        return read_digits(s, n, &i, width, v);
}

int cdr_civil_period_parse(const char *s, size_t n, cdr_rotate_t rotate,
                           char out[CDR_CIVIL_PERIOD_MAX],
                           const cdr_rule_t **rule)
{
        unsigned y, m, w, d;
        int64_t wy;
        unsigned last;

        if (n == 10 && digits_at(s, n, 0, 4, &y) == 0 && s[4] == '-' &&
            digits_at(s, n, 5, 2, &m) == 0 && s[7] == '-' &&
            digits_at(s, n, 8, 2, &d) == 0) {
                if (m < 1 || m > 12)
                        return broken(rule, &R_MONTH);
                if (d < 1 || d > cdr_civil_month_days(y, m))
                        return broken(rule, &R_DAY);
                period_of_days(cdr_civil_days(y, m, d), rotate, out);
                return 0;
        }
        switch (rotate) {
        case CDR_ROTATE_NEVER:
                if (n == 1 && s[0] == '-') {
                        period_of_days(0, rotate, out);
                        return 0;
                }
                break;
        case CDR_ROTATE_WEEK:
                if (n == 8 && digits_at(s, n, 0, 4, &y) == 0 && s[4] == '-' &&
                    s[5] == 'W' && digits_at(s, n, 6, 2, &w) == 0) {
                        /* 28 December is always in the year's last week. */
                        cdr_civil_iso_week(cdr_civil_days(y, 12, 28), &wy,
                                           &last);
                        if (w < 1 || w > last)
                                return broken(rule, &R_PERIOD);
                        memcpy(out, s, 8);
                        out[8] = '\0';
                        return 0;
                }
                break;
        case CDR_ROTATE_MONTH:
                if (n == 7 && digits_at(s, n, 0, 4, &y) == 0 && s[4] == '-' &&
                    digits_at(s, n, 5, 2, &m) == 0) {
                        if (m < 1 || m > 12)
                                return broken(rule, &R_MONTH);
                        memcpy(out, s, 7);
                        out[7] = '\0';
                        return 0;
                }
                break;
        case CDR_ROTATE_DAY:
        default:
                break;
        }
        return broken(rule, &R_PERIOD);
}

size_t cdr_civil_periods(int64_t from_days, int64_t to_days,
                         cdr_rotate_t rotate,
                         int (*fn)(const char *period, void *arg), void *arg)
{
        char last[CDR_CIVIL_PERIOD_MAX] = "", cur[CDR_CIVIL_PERIOD_MAX];
        size_t calls = 0;
        int64_t d;

        for (d = from_days; d <= to_days; d++) {
                period_of_days(d, rotate, cur);
                if (strcmp(cur, last) == 0)
                        continue;
                memcpy(last, cur, sizeof(cur));
                calls++;
                if (fn(cur, arg) != 0)
                        break;
        }
        return calls;
}
