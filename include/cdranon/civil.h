/*
 * The calendar: proleptic Gregorian dates and epoch seconds (UTC), and
 * the one grammar of times that every part of cdranon reads, the
 * record's timestamps (policy.h), the custodian key periods of the
 * configuration and unseal's --from and --to.
 *
 * ISO 8601 extended format: YYYY-MM-DD, then optionally 'T' (or 't' or
 * a space) hh:mm[:ss[(.|,)fraction]] and a zone: Z, +hh, +hhmm or +hh:mm
 * (none means UTC).  A leap second (:60) counts as :59 of its minute;
 * a fraction is dropped.  Years are 0000-9999, the four-digit years of
 * ISO 8601, so every time lies in CDR_EPOCH_MIN..CDR_EPOCH_MAX.
 *
 * Errors name the rule broken (reason.h: timestamp_malformed, "not a
 * timestamp"; timestamp_out_of_range, "month out of range"), never the
 * text.  Every function is thread-safe.
 */
#ifndef CDRANON_CIVIL_H
#define CDRANON_CIVIL_H

#include "cdranon/common.h"
#include "cdranon/reason.h"

#define CDR_EPOCH_MIN (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define CDR_EPOCH_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

/* Days since 1970-01-01 of year y, month m (1-12), day d (1-31). */
int64_t cdr_civil_days(int64_t y, unsigned m, unsigned d);
/* The date of `days` since 1970-01-01. */
void cdr_civil_date(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* The days of month m (1-12) of year y. */
unsigned cdr_civil_month_days(int64_t y, unsigned m);

/* floor(a / b) for b > 0, whatever the sign of a. */
int64_t cdr_civil_floor_div(int64_t a, int64_t b);

/* The start of t's period of `unit` seconds counted from midnight UTC
 * (unit divides CDR_CIVIL_DAY, or is a multiple of it counted from the
 * epoch), or of its ISO 8601 week (Monday 00:00 UTC) for CDR_CIVIL_WEEK. */
#define CDR_CIVIL_DAY  86400
#define CDR_CIVIL_WEEK (7 * CDR_CIVIL_DAY)
int64_t cdr_civil_truncate(int64_t t, int64_t unit);

/* s[0..n) in the ISO 8601 grammar above, to epoch seconds.  Returns 0,
 * or CDR_ERR_MALFORMED with *rule set. */
int cdr_civil_parse_iso(const char *s, size_t n, int64_t *epoch,
                        const cdr_rule_t **rule) CDR_MUST_CHECK;

/* A record's timestamp: ISO 8601 as above (it starts with four digits
 * and '-'), or epoch seconds -?DIGITS(.DIGITS)?, floored to the second.
 * Returns 0, or CDR_ERR_MALFORMED with *rule set. */
int cdr_civil_parse_time(const char *s, size_t n, int64_t *epoch,
                         const cdr_rule_t **rule) CDR_MUST_CHECK;

/* Writes "YYYY-MM-DDThh:mm:ssZ" (CDR_CIVIL_ISO_LEN bytes, no NUL) for t
 * in CDR_EPOCH_MIN..CDR_EPOCH_MAX. */
#define CDR_CIVIL_ISO_LEN 20
void cdr_civil_format_iso(int64_t t, char out[CDR_CIVIL_ISO_LEN]);

/* The ISO 8601 week of `days` since 1970-01-01: the week-numbering year
 * (which differs from the calendar year in the first and last days of
 * some years) and the week, 1-53.  Weeks start on Monday; week 1 is the
 * one with the year's first Thursday. */
void cdr_civil_iso_week(int64_t days, int64_t *year, unsigned *week);

/* Pseudonym rotation periods (PRODUCT.md, "Purposes and pseudonym
 * domains"): the period of an event time in UTC. */
typedef enum {
        CDR_ROTATE_NEVER = 0, /* "-" */
        CDR_ROTATE_DAY,       /* YYYY-MM-DD */
        CDR_ROTATE_WEEK,      /* YYYY-Www */
        CDR_ROTATE_MONTH,     /* YYYY-MM */
} cdr_rotate_t;

/* Longest period text with its NUL. */
#define CDR_CIVIL_PERIOD_MAX 11
/* Writes the period of epoch second t (CDR_EPOCH_MIN..CDR_EPOCH_MAX)
 * with a NUL; returns its length. */
size_t cdr_civil_period(int64_t t, cdr_rotate_t rotate,
                        char out[CDR_CIVIL_PERIOD_MAX]);
/* The period that s[0..n) names under `rotate`: the period text itself,
 * or a date YYYY-MM-DD whose period it is ("-" for never).  Returns 0 and
 * writes out, or CDR_ERR_MALFORMED with *rule set. */
int cdr_civil_period_parse(const char *s, size_t n, cdr_rotate_t rotate,
                           char out[CDR_CIVIL_PERIOD_MAX],
                           const cdr_rule_t **rule) CDR_MUST_CHECK;

/* The periods under `rotate` that the days from_days..to_days (days
 * since 1970-01-01, both included) touch, in order, each once: calls
 * fn(period, arg) for each and stops early when fn returns non-zero.
 * Returns the number of calls; for a subject's pseudonyms in every
 * period of a retention window. */
size_t cdr_civil_periods(int64_t from_days, int64_t to_days,
                         cdr_rotate_t rotate,
                         int (*fn)(const char *period, void *arg), void *arg);
#endif
