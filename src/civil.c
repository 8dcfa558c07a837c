/*
 * The one calendar and the one ISO 8601 grammar: see civil.h.
 */
#include "cdranon/civil.h"

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
