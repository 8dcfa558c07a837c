/*
 * Tests for policy.h: parsing action strings, every field action on
 * table cases, field order and shared inputs, key field, event time,
 * suppression, subject-access matching and the description.  Records are
 * filled directly (views of string literals), so only the policy is
 * exercised.  Known answers: ISO 8601 / RFC 3339 dates checked against
 * the C library's gmtime_r, JSON numbers per RFC 8259, pseudonyms per
 * PRODUCT.md's formula computed here with OpenSSL.  Numbers are from
 * Ofcom's drama range (07700 900000-900999).
 */
#include "cdranon/json.h"
#include "cdranon/policy.h"

#include <criterion/criterion.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DATA "tests/data/policy/"

static const unsigned char test_key[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static cdr_numbering_t plan;
static cdr_pseudonymiser_t *ps;
static cdr_policy_t *policy;
static cdr_suppress_t *suppress; /* given to every apply; NULL: none */
static cdr_reason_t code;        /* the rule of the last dead letter */
static cdr_record_t record;
static cdr_buf_t json = CDR_BUF_INIT;
static char key[CDR_PSEUDONYM_MAX + 1];
static size_t keylen;
static char reason[512];

static void setup(void)
{
        char path[] = "/tmp/cdranon-policy-key-XXXXXX";
        char err[256] = "";
        cdr_keyring_t *ring;
        FILE *f;
        int fd, i;

        cdr_numbering_default(&plan);
        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(fchmod(fd, 0600), 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        fprintf(f, "# test key\nk1 ");
        for (i = 0; i < 32; i++)
                fprintf(f, "%02x", test_key[i]);
        fprintf(f, "\n");
        fclose(f);
        ring = cdr_keyring_load(path, err, sizeof(err));
        unlink(path);
        cr_assert_not_null(ring, "%s", err);
        ps = cdr_pseudonymiser_new(ring, 0, 0, err, sizeof(err));
        cr_assert_not_null(ps, "%s", err);
        cdr_keyring_destroy(ring);
        policy = cdr_policy_new(&plan);
        cr_assert_not_null(policy);
        memset(&record, 0, sizeof(record));
}

static void teardown(void)
{
        cdr_policy_destroy(policy);
        cdr_suppress_destroy(suppress);
        suppress = NULL;
        policy = NULL;
        cdr_pseudonymiser_destroy(ps);
        ps = NULL;
        cdr_buf_free(&json);
}

TestSuite(policy, .init = setup, .fini = teardown);

static void new_policy(void)
{
        cdr_policy_destroy(policy);
        policy = cdr_policy_new(&plan);
        cr_assert_not_null(policy);
        memset(&record, 0, sizeof(record));
}

static void add(const char *name, const char *action, const char *from)
{
        char err[256] = "";

        cr_assert_eq(
            cdr_policy_add_field(policy, name, action, from, err, sizeof(err)),
            CDR_OK, "%s: %s: %s", name, action, err);
}

/* Sets input field `name` to `value` (NULL: JSON null). */
static void set(const char *name, const char *value)
{
        int slot =
            cdr_schema_find(cdr_policy_schema(policy), name, strlen(name));

        cr_assert_geq(slot, 0, "no slot for %s", name);
        record.value[slot].p = value ? value : "";
        record.value[slot].n = value ? strlen(value) : 0;
        record.flags[slot] = value ? 0 : CDR_VAL_NULL;
}

static int apply(void)
{
        return cdr_policy_apply(policy, suppress, ps, &record, &json, key,
                                &keylen, &code, reason, sizeof(reason));
}

static const char *pseudonym(cdr_kind_t kind, const char *canon)
{
        static char out[CDR_PSEUDONYM_MAX + 1];

        cdr_pseudonymise(ps, kind, canon, strlen(canon), out);
        return out;
}

/* --- every action on table cases -------------------------------------- */

typedef struct {
        const char *action; /* as normalised, so it is also in the reason */
        const char *value;  /* NULL: JSON null */
        const char *want;   /* JSON value written; NULL: dead-letter */
        const char *rule;   /* dead: rule in the reason (NULL: any) */
} action_case_t;

static const action_case_t action_cases[] = {
    /* keep */
    {"keep", "hello", "\"hello\"", NULL},
    {"keep", "", "\"\"", NULL},
    {"keep", " padded ", "\" padded \"", NULL},
    {"keep", "a\"b\\c\n", "\"a\\\"b\\\\c\\n\"", NULL},
    {"keep", "caf\xc3\xa9", "\"caf\xc3\xa9\"", NULL},
    {"keep", "bad \xc0\xaf utf8", NULL, "invalid UTF-8"},
    {"keep", "surrogate \xed\xa0\x80", NULL, "invalid UTF-8"},
    {"keep", NULL, "null", NULL},
    /* keep number: RFC 8259 number grammar after trimming */
    {"keep number", "42", "42", NULL},
    {"keep number", " 42\t", "42", NULL},
    {"keep number", "-1.5e3", "-1.5e3", NULL},
    {"keep number", "0", "0", NULL},
    {"keep number", "-0", "-0", NULL},
    {"keep number", "0.25", "0.25", NULL},
    {"keep number", "1E+2", "1E+2", NULL},
    {"keep number", "", "null", NULL},
    {"keep number", "   ", "null", NULL},
    {"keep number", NULL, "null", NULL},
    {"keep number", "007", NULL, "not a number"},
    {"keep number", "1.", NULL, "not a number"},
    {"keep number", ".5", NULL, "not a number"},
    {"keep number", "+1", NULL, "not a number"},
    {"keep number", "0x1A", NULL, "not a number"},
    {"keep number", "NaN", NULL, "not a number"},
    {"keep number", "Infinity", NULL, "not a number"},
    {"keep number", "1e", NULL, "not a number"},
    {"keep number", "1 2", NULL, "not a number"},
    {"keep number", "12abc", NULL, "not a number"},
    {"keep number", "--1", NULL, "not a number"},
    /* keep number: only values that read back as a finite double of the
     * same sign class (parsers read 1e999 as infinity, 1e-999 as 0) */
    {"keep number", "1e308", "1e308", NULL},
    {"keep number", "1.7976931348623157e308", "1.7976931348623157e308", NULL},
    {"keep number", "-1.7976931348623158e308", "-1.7976931348623158e308", NULL},
    {"keep number", "5e-324", "5e-324", NULL},
    {"keep number", "3e-324", "3e-324", NULL},
    {"keep number", "0e999", "0e999", NULL},
    {"keep number", "-0.000E-99999", "-0.000E-99999", NULL},
    {"keep number", "0.0000000001e10", "0.0000000001e10", NULL},
    {"keep number", "1e999", NULL, "not a number within the range of a double"},
    {"keep number", "-1e999", NULL,
     "not a number within the range of a double"},
    {"keep number", "1E+400", NULL,
     "not a number within the range of a double"},
    {"keep number", "0.1e310", NULL,
     "not a number within the range of a double"},
    {"keep number", "1.7976931348623159e308", NULL,
     "not a number within the range of a double"},
    {"keep number", "1e99999999999999999999", NULL,
     "not a number within the range of a double"},
    {"keep number", "1e-999", NULL,
     "not a number within the range of a double"},
    {"keep number", "-2e-324", NULL,
     "not a number within the range of a double"},
    {"keep number", "0.00001e-99999999999999999999", NULL,
     "not a number within the range of a double"},
    /* pseudonymise: class values and malformed numbers */
    {"pseudonymise msisdn", "999", "\"999\"", NULL},
    {"pseudonymise msisdn", "112", "\"112\"", NULL},
    {"pseudonymise msisdn", "Withheld", "\"withheld\"", NULL},
    {"pseudonymise msisdn", "ANONYMOUS", "\"withheld\"", NULL},
    {"pseudonymise msisdn", "", "\"withheld\"", NULL},
    {"pseudonymise msisdn", NULL, "null", NULL},
    {"pseudonymise msisdn", "0770090012x", NULL, NULL},
    {"pseudonymise msisdn", "+4477009001234567", NULL, NULL},
    {"pseudonymise imsi", "12345", NULL, NULL},
    {"pseudonymise imei", "3520990017", NULL, NULL},
    /* truncate: ISO 8601 */
    {"truncate hour", "2026-11-27T21:13:45Z", "\"2026-11-27T21:00:00Z\"", NULL},
    {"truncate minute", "2026-11-27T21:13:45Z", "\"2026-11-27T21:13:00Z\"",
     NULL},
    {"truncate day", "2026-11-27T21:13:45Z", "\"2026-11-27T00:00:00Z\"", NULL},
    {"truncate minute", "2026-11-27T21:13:45.123456Z",
     "\"2026-11-27T21:13:00Z\"", NULL},
    {"truncate minute", "2026-11-27T21:13:59,999Z", "\"2026-11-27T21:13:00Z\"",
     NULL},
    {"truncate minute", "2026-11-27t21:13:45z", "\"2026-11-27T21:13:00Z\"",
     NULL},
    {"truncate hour", "2026-11-27 21:13:45", "\"2026-11-27T21:00:00Z\"", NULL},
    {"truncate hour", "2026-11-27T21:13:45", "\"2026-11-27T21:00:00Z\"", NULL},
    {"truncate hour", "2026-11-27T21:13", "\"2026-11-27T21:00:00Z\"", NULL},
    {"truncate day", "2026-11-27", "\"2026-11-27T00:00:00Z\"", NULL},
    {"truncate hour", "  2026-11-27T21:13:45Z\r\n", "\"2026-11-27T21:00:00Z\"",
     NULL},
    {"truncate hour", "2026-11-27T21:13:45+01:00", "\"2026-11-27T20:00:00Z\"",
     NULL},
    {"truncate hour", "2026-11-27T00:30:00+01:00", "\"2026-11-26T23:00:00Z\"",
     NULL},
    {"truncate hour", "2026-12-31T23:30:00-0500", "\"2027-01-01T04:00:00Z\"",
     NULL},
    {"truncate hour", "2026-03-01T00:15:00+02", "\"2026-02-28T22:00:00Z\"",
     NULL},
    {"truncate day", "2024-03-01T00:15:00+01:00", "\"2024-02-29T00:00:00Z\"",
     NULL},
    {"truncate minute", "2026-11-27T21:13:45+05:45", "\"2026-11-27T15:28:00Z\"",
     NULL},
    {"truncate day", "2024-02-29T12:00:00Z", "\"2024-02-29T00:00:00Z\"", NULL},
    {"truncate day", "2000-02-29T12:00:00Z", "\"2000-02-29T00:00:00Z\"", NULL},
    {"truncate minute", "1970-01-01T00:00:00Z", "\"1970-01-01T00:00:00Z\"",
     NULL},
    {"truncate minute", "1969-12-31T23:59:59.5Z", "\"1969-12-31T23:59:00Z\"",
     NULL},
    {"truncate minute", "2016-12-31T23:59:60Z", "\"2016-12-31T23:59:00Z\"",
     NULL},
    {"truncate day", "0000-01-01T00:00:00Z", "\"0000-01-01T00:00:00Z\"", NULL},
    {"truncate day", "9999-12-31T23:59:59Z", "\"9999-12-31T00:00:00Z\"", NULL},
    /* truncate week: ISO week start (Monday 00:00 UTC), checked against
     * Python datetime (d - timedelta(days=d.weekday())) */
    {"truncate week", "2020-12-31T23:59:59Z", "\"2020-12-28T00:00:00Z\"", NULL},
    {"truncate week", "2021-01-01T00:00:00Z", "\"2020-12-28T00:00:00Z\"", NULL},
    {"truncate week", "2021-01-03T12:00:00Z", "\"2020-12-28T00:00:00Z\"", NULL},
    {"truncate week", "2021-01-04T00:00:00Z", "\"2021-01-04T00:00:00Z\"", NULL},
    {"truncate week", "2024-12-30T05:00:00Z", "\"2024-12-30T00:00:00Z\"", NULL},
    {"truncate week", "2025-01-01T00:00:00Z", "\"2024-12-30T00:00:00Z\"", NULL},
    {"truncate week", "1969-12-31T23:59:59Z", "\"1969-12-29T00:00:00Z\"", NULL},
    {"truncate week", "1970-01-01T00:00:00Z", "\"1969-12-29T00:00:00Z\"", NULL},
    {"truncate week", "2026-12-31T10:00:00Z", "\"2026-12-28T00:00:00Z\"", NULL},
    {"truncate week", "2027-01-01T01:00:00Z", "\"2026-12-28T00:00:00Z\"", NULL},
    {"truncate week", "2027-01-04T00:30:00+01:00", "\"2026-12-28T00:00:00Z\"",
     NULL},
    {"truncate 15 minutes", "2026-11-27T21:14:59Z", "\"2026-11-27T21:00:00Z\"",
     NULL},
    {"truncate 15 minutes", "2026-11-27T21:15:00Z", "\"2026-11-27T21:15:00Z\"",
     NULL},
    {"truncate 15 minute", "1969-12-31T23:59:59Z", "\"1969-12-31T23:45:00Z\"",
     NULL},
    {"truncate 6 hours", "2026-11-27T05:59:59Z", "\"2026-11-27T00:00:00Z\"",
     NULL},
    {"truncate 6 hours", "2026-11-27T21:13:45Z", "\"2026-11-27T18:00:00Z\"",
     NULL},
    {"truncate 6 hours", "1969-12-31T23:00:00Z", "\"1969-12-31T18:00:00Z\"",
     NULL},
    {"truncate 24 hours", "2026-11-27T21:13:45Z", "\"2026-11-27T00:00:00Z\"",
     NULL},
    {"truncate 1440 minutes", "2026-11-27T21:13:45Z",
     "\"2026-11-27T00:00:00Z\"", NULL},
    {"truncate hour", "", "null", NULL},
    {"truncate hour", " ", "null", NULL},
    {"truncate hour", NULL, "null", NULL},
    {"truncate day", "2023-02-29T12:00:00Z", NULL, "day out of range"},
    {"truncate day", "1900-02-29T12:00:00Z", NULL, "day out of range"},
    {"truncate day", "2026-11-31T12:00:00Z", NULL, "day out of range"},
    {"truncate day", "2026-11-00T12:00:00Z", NULL, "day out of range"},
    {"truncate day", "2026-13-01T00:00:00Z", NULL, "month out of range"},
    {"truncate day", "2026-00-01T00:00:00Z", NULL, "month out of range"},
    {"truncate hour", "2026-11-27T24:00:00Z", NULL, "time out of range"},
    {"truncate hour", "2026-11-27T21:60:00Z", NULL, "time out of range"},
    {"truncate hour", "2026-11-27T21:13:61Z", NULL, "time out of range"},
    {"truncate hour", "2026-11-27T21:13:45+24:00", NULL,
     "zone offset out of range"},
    {"truncate hour", "2026-11-27T21:13:45+01:60", NULL,
     "zone offset out of range"},
    {"truncate hour", "9999-12-31T23:00:00-02:00", NULL,
     "timestamp out of range"},
    {"truncate hour", "0000-01-01T00:30:00+01:00", NULL,
     "timestamp out of range"},
    {"truncate hour", "2026-11-27T21:13:45ZZ", NULL, "not a timestamp"},
    {"truncate hour", "2026-11-27T21", NULL, "not a timestamp"},
    {"truncate hour", "2026/11/27 21:13:45", NULL, "not a timestamp"},
    {"truncate hour", "27-11-2026 21:13", NULL, "not a timestamp"},
    {"truncate hour", "2026-11-27T21:13:45.Z", NULL, "not a timestamp"},
    {"truncate hour", "2026-11-27T21:13:45+1", NULL, "not a timestamp"},
    {"truncate hour", "yesterday", NULL, "not a timestamp"},
    /* truncate: epoch seconds */
    {"truncate minute", "0", "\"1970-01-01T00:00:00Z\"", NULL},
    {"truncate minute", "1764278025", "\"2025-11-27T21:13:00Z\"", NULL},
    {"truncate hour", "1764278025.9", "\"2025-11-27T21:00:00Z\"", NULL},
    {"truncate day", "951782400", "\"2000-02-29T00:00:00Z\"", NULL},
    {"truncate minute", "-1", "\"1969-12-31T23:59:00Z\"", NULL},
    {"truncate day", "-0.5", "\"1969-12-31T00:00:00Z\"", NULL},
    {"truncate minute", "253402300799", "\"9999-12-31T23:59:00Z\"", NULL},
    {"truncate minute", "253402300800", NULL, "timestamp out of range"},
    {"truncate minute", "1764278025000", NULL, "timestamp out of range"},
    {"truncate minute", "99999999999999999999999", NULL,
     "timestamp out of range"},
    {"truncate minute", "1764278025.", NULL, "not a timestamp"},
    {"truncate minute", "1.7e9", NULL, "not a timestamp"},
    {"truncate minute", "-", NULL, "not a timestamp"},
    /* prefix */
    {"prefix 4", "+447700900123", "\"+4477\"", NULL},
    {"prefix 4", "07700 900123", "\"+4477\"", NULL},
    {"prefix 1", "00447700900123", "\"+4\"", NULL},
    {"prefix 11", "+447700900123", "\"+44770090012\"", NULL},
    {"prefix 12", "+447700900123", "null", NULL},
    {"prefix 15", "+447700900123", "null", NULL},
    {"prefix 4", "999", "\"999\"", NULL},
    {"prefix 4", "anonymous", "\"withheld\"", NULL},
    {"prefix 4", "", "null", NULL},
    {"prefix 4", NULL, "null", NULL},
    {"prefix 4", "0770090012x", NULL, NULL},
    /* country */
    {"country", "+447700900123", "\"44\"", NULL},
    {"country", "07700 900123", "\"44\"", NULL},
    {"country", "+12025550123", "\"1\"", NULL},
    {"country", "+35312345678", "\"353\"", NULL},
    {"country", "112", "null", NULL},
    {"country", "withheld", "null", NULL},
    {"country", "", "null", NULL},
    {"country", "0770090012x", NULL, NULL},
    /* tac */
    {"tac", "35209900176148", "\"35209900\"", NULL},
    {"tac", "352099001761481", "\"35209900\"", NULL},
    {"tac", "3520990017614823", "\"35209900\"", NULL},
    {"tac", "", "null", NULL},
    {"tac", "35209900ab6148", NULL, NULL},
    /* bucket: Bi <= v < Bi+1 */
    {"bucket 0,60,300", "-1", "\"<0\"", NULL},
    {"bucket 0,60,300", "-0.001", "\"<0\"", NULL},
    {"bucket 0,60,300", "0", "\"0-60\"", NULL},
    {"bucket 0,60,300", "-0", "\"0-60\"", NULL},
    {"bucket 0,60,300", "0.0", "\"0-60\"", NULL},
    {"bucket 0,60,300", "59.999", "\"0-60\"", NULL},
    {"bucket 0,60,300", " 42 ", "\"0-60\"", NULL},
    {"bucket 0,60,300", "60", "\"60-300\"", NULL},
    {"bucket 0,60,300", "6e1", "\"60-300\"", NULL},
    {"bucket 0,60,300", "60.0000000000000000000000001", "\"60-300\"", NULL},
    {"bucket 0,60,300", "299", "\"60-300\"", NULL},
    {"bucket 0,60,300", "300", "\"300+\"", NULL},
    {"bucket 0,60,300", "1e3", "\"300+\"", NULL},
    {"bucket 0,60,300", "", "null", NULL},
    {"bucket 0,60,300", NULL, "null", NULL},
    {"bucket 0,60,300", "abc", NULL, "not a number"},
    {"bucket 0,60,300", "1,5", NULL, "not a number"},
    {"bucket 0.1,0.2", "0.1", "\"0.1-0.2\"", NULL},
    {"bucket 0.1,0.2", "1e-1", "\"0.1-0.2\"", NULL},
    {"bucket 0.1,0.2", "0.0999999999999999999999999", "\"<0.1\"", NULL},
    {"bucket 0.1,0.2", "0.2", "\"0.2+\"", NULL},
    {"bucket 0.1,0.2", "-5", "\"<0.1\"", NULL},
    {"bucket -10,10", "-10.5", "\"<-10\"", NULL},
    {"bucket -10,10", "-10", "\"-10-10\"", NULL},
    {"bucket -10,10", "9.99", "\"-10-10\"", NULL},
    {"bucket -10,10", "10", "\"10+\"", NULL},
    {"bucket 100", "99", "\"<100\"", NULL},
    {"bucket 100", "100", "\"100+\"", NULL},
    {"bucket 1e2,1e3", "150", "\"1e2-1e3\"", NULL},
    {"bucket 1e2,1e3", "1000", "\"1e3+\"", NULL},
};

Test(policy, every_action_table)
{
        size_t i;

        for (i = 0; i < sizeof(action_cases) / sizeof(action_cases[0]); i++) {
                const action_case_t *c = &action_cases[i];
                char want[256];
                int verdict;

                new_policy();
                add("out", c->action, "in");
                set("in", c->value);
                verdict = apply();
                if (c->want) {
                        cr_expect_eq(verdict, CDR_VERDICT_PUBLISH,
                                     "%s of '%s': %s", c->action,
                                     c->value ? c->value : "null", reason);
                        snprintf(want, sizeof(want), "{\"out\":%s}", c->want);
                        cr_expect_str_eq(json.data ? json.data : "", want,
                                         "%s of '%s'", c->action,
                                         c->value ? c->value : "null");
                        continue;
                }
                cr_expect_eq(verdict, CDR_VERDICT_DEAD, "%s of '%s'", c->action,
                             c->value);
                snprintf(want, sizeof(want), "field 'in': %s: %s", c->action,
                         c->rule ? c->rule : "");
                if (c->rule)
                        cr_expect_str_eq(reason, want, "%s of '%s'", c->action,
                                         c->value);
                else
                        cr_expect(strncmp(reason, want, strlen(want)) == 0 &&
                                      strlen(reason) > strlen(want),
                                  "%s of '%s': reason '%s'", c->action,
                                  c->value, reason);
                /* The reason names the rule, never the value. */
                cr_expect_null(strstr(reason, c->value), "%s of '%s': %s",
                               c->action, c->value, reason);
        }
}

typedef struct {
        const char *action;
        const char *value;
        cdr_kind_t kind;
        const char *canon; /* the canonical form that is pseudonymised */
} pseudonym_case_t;

static const pseudonym_case_t pseudonym_cases[] = {
    {"pseudonymise msisdn", "+447700900123", CDR_KIND_MSISDN, "+447700900123"},
    {"pseudonymise msisdn", "07700 900123", CDR_KIND_MSISDN, "+447700900123"},
    {"pseudonymise msisdn", "00447700900123", CDR_KIND_MSISDN, "+447700900123"},
    {"pseudonymise msisdn", "tel:+44-7700-900123", CDR_KIND_MSISDN,
     "+447700900123"},
    {"pseudonymise msisdn", "sip:+447700900123@ims.example.net;user=phone",
     CDR_KIND_MSISDN, "+447700900123"},
    {"pseudonymise imsi", "234150999999999", CDR_KIND_IMSI, "234150999999999"},
    {"pseudonymise imei", "35209900176148", CDR_KIND_IMEI, "35209900176148"},
    {"pseudonymise imei", "3520990017614823", CDR_KIND_IMEI, "35209900176148"},
    {"pseudonymise id", "  cust-42\t", CDR_KIND_ID, "cust-42"},
};

/* Decimal digits of a non-negative integer, most significant first, for
 * the bounds of the doubles (2^1024 - 2^970, and 2^-1075 as 5^1075 x
 * 10^-1075), computed here rather than copied. */
static size_t big_pow(char *d, unsigned base, unsigned exp)
{
        size_t n = 1, i;
        unsigned carry, x;

        strcpy(d, "1");
        while (exp--) {
                carry = 0;
                for (i = n; i-- > 0;) {
                        x = (unsigned)(d[i] - '0') * base + carry;
                        d[i] = (char)('0' + x % 10);
                        carry = x / 10;
                }
                for (; carry; carry /= 10) {
                        memmove(d + 1, d, ++n);
                        d[0] = (char)('0' + carry % 10);
                }
        }
        return n;
}

/* a -= b, for a >= b. */
static void big_sub(char *a, const char *b)
{
        size_t na = strlen(a), nb = strlen(b), i;
        int borrow = 0, x;

        for (i = 0; i < na; i++) {
                x = a[na - 1 - i] - '0' - borrow -
                    (i < nb ? b[nb - 1 - i] - '0' : 0);
                borrow = x < 0;
                a[na - 1 - i] = (char)('0' + (x + 10) % 10);
        }
}

/* keep number publishes exactly the values that a correctly rounding
 * reader (glibc's strtod, on the whole text) reads as finite, and as
 * non-zero unless zero, at the two bounds where that changes: on them,
 * one unit below, and with 850 more digits after either, in several
 * spellings of one value. */
Test(policy, keep_number_publishes_what_reads_back_finite)
{
        static char over[400], two970[400], under[800], d[800], tail[900];
        static char in[4096];
        size_t i, j, k, len, at, published = 0, dead = 0;
        long long e;
        double x;
        int want;

        big_pow(over, 2, 1024);
        big_pow(two970, 2, 970);
        big_sub(over, two970);
        cr_assert_eq(strlen(over), 309);
        cr_assert_eq(big_pow(under, 5, 1075), 752);
        add("out", "keep number", "in");
        for (k = 0; k < 2; k++) {
                for (i = 0; i < 6; i++) {
                        strcpy(d, k == 0 ? over : under);
                        len = strlen(d);
                        if (i % 2)
                                big_sub(d, "1");
                        tail[0] = '\0';
                        if (i >= 2) {
                                memset(tail, i >= 4 ? '9' : '0', 850);
                                tail[849] = i >= 4 ? '9' : '1';
                                tail[850] = '\0';
                        }
                        for (j = 0; j < 3; j++) {
                                /* value = d.tail x 10^(k ? -1075 : 0),
                                 * spelt "d.tail", "d0.d1..tail" (negative)
                                 * and "0.000d...tail" */
                                e = k == 0 ? 0 : -1075;
                                at = j == 1 ? 1 : len;
                                if (j == 0 && tail[0] == '\0')
                                        snprintf(in, sizeof(in), "%se%lld", d,
                                                 e);
                                else if (j == 2)
                                        snprintf(in, sizeof(in),
                                                 "0.000%s%sE%+lld", d, tail,
                                                 e + (long long)len + 3);
                                else
                                        snprintf(in, sizeof(in),
                                                 "%s%.*s.%s%se%lld",
                                                 j == 1 ? "-" : "", (int)at, d,
                                                 d + at, tail,
                                                 e + (long long)(len - at));
                                x = strtod(in, NULL);
                                want = isfinite(x) && x != 0;
                                set("in", in);
                                cr_expect_eq(apply() == CDR_VERDICT_PUBLISH,
                                             want, "%.24s...%s (%zu bytes): %s",
                                             in, in + strlen(in) - 12,
                                             strlen(in), reason);
                                if (want)
                                        published++;
                                else
                                        dead++;
                        }
                }
        }
        /* Both sides of both bounds were tried. */
        cr_expect_eq(published, 15);
        cr_expect_eq(dead, 21);
}

Test(policy, pseudonymise_table)
{
        size_t i;

        for (i = 0; i < sizeof(pseudonym_cases) / sizeof(pseudonym_cases[0]);
             i++) {
                const pseudonym_case_t *c = &pseudonym_cases[i];
                char want[256];

                new_policy();
                add("out", c->action, "in");
                set("in", c->value);
                cr_assert_eq(apply(), CDR_VERDICT_PUBLISH, "%s: %s", c->value,
                             reason);
                snprintf(want, sizeof(want), "{\"out\":\"%s\"}",
                         pseudonym(c->kind, c->canon));
                cr_expect_str_eq(json.data, want, "%s", c->value);
                cr_expect_null(strstr(json.data, c->canon));
        }
}

static size_t base32(const unsigned char *in, size_t len, char *out)
{
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
        size_t bits = 0, n = 0, i;
        unsigned acc = 0;

        for (i = 0; i < len; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 5) {
                        out[n++] = alphabet[(acc >> (bits - 5)) & 31];
                        bits -= 5;
                }
        }
        if (bits)
                out[n++] = alphabet[(acc << (5 - bits)) & 31];
        out[n] = '\0';
        return n;
}

/* PRODUCT.md: key_id ":" base32(HMAC-SHA256(key, "cdranon.v1." kind 0x00
 * canonical)[0..16)), computed here independently of pseudonym.c. */
Test(policy, pseudonym_follows_the_normative_formula)
{
        static const char msg[] = "cdranon.v1.msisdn\0+447700900123";
        unsigned char mac[32];
        unsigned int maclen = 0;
        char want[128], b32[32];

        cr_assert_not_null(HMAC(EVP_sha256(), test_key, sizeof(test_key),
                                (const unsigned char *)msg, sizeof(msg) - 1,
                                mac, &maclen));
        base32(mac, 16, b32);
        snprintf(want, sizeof(want), "{\"msisdn\":\"k1:%s\"}", b32);
        add("msisdn", "pseudonymise msisdn", NULL);
        set("msisdn", "07700 900123");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH, "%s", reason);
        cr_expect_str_eq(json.data, want);
}

/* Every day of a whole 400-year Gregorian cycle, as epoch seconds and as
 * ISO 8601 with an offset, against the C library's gmtime_r. */
Test(policy, truncate_matches_gmtime_over_a_gregorian_cycle)
{
        int64_t first = -25567LL; /* 1900-01-01 */
        int64_t day;
        char in[64], iso[64], want[128];

        add("d", "truncate day", "t");
        add("m", "truncate minute", "iso");
        for (day = first; day < first + 146097; day++) {
                time_t t = (time_t)(day * 86400 +
                                    (day * 7919 % 86400 + 86400) % 86400);
                time_t shifted = t + 5 * 3600 + 30 * 60;
                struct tm tm;

                snprintf(in, sizeof(in), "%lld", (long long)t);
                set("t", in);
                cr_assert_not_null(gmtime_r(&shifted, &tm));
                /* The same instant written in +05:30. */
                strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S+05:30", &tm);
                set("iso", iso);
                cr_assert_eq(apply(), CDR_VERDICT_PUBLISH, "%s %s: %s", in, iso,
                             reason);
                cr_assert_not_null(gmtime_r(&t, &tm));
                strftime(want, sizeof(want),
                         "{\"d\":\"%Y-%m-%dT00:00:00Z\","
                         "\"m\":\"%Y-%m-%dT%H:%M:00Z\"}",
                         &tm);
                cr_assert_str_eq(json.data, want, "%s %s", in, iso);
        }
}

/* --- action strings --------------------------------------------------- */

typedef struct {
        const char *action;
        const char *error;
} parse_error_t;

static const parse_error_t parse_errors[] = {
    {"scramble", "unknown action 'scramble'"},
    {"  scramble the number ", "unknown action 'scramble'"},
    {"", "empty action"},
    {" \t ", "empty action"},
    {"keep string", "keep: the only option is 'number'"},
    {"keep number now", "keep: the only option is 'number'"},
    {"pseudonymise", "pseudonymise: kind must be msisdn, imsi, imei or id"},
    {"pseudonymise phone",
     "pseudonymise: kind must be msisdn, imsi, imei or id"},
    {"pseudonymise msisdn imsi",
     "pseudonymise: kind must be msisdn, imsi, imei or id"},
    {"truncate",
     "truncate: unit must be minute, hour, day, week, N minutes or N hours"},
    {"truncate weeks",
     "truncate: unit must be minute, hour, day, week, N minutes or N hours"},
    {"truncate hour minute",
     "truncate: unit must be minute, hour, day, week, N minutes or N hours"},
    {"truncate 15",
     "truncate: unit must be minute, hour, day, week, N minutes or N hours"},
    {"truncate 15 seconds",
     "truncate: unit must be minute, hour, day, week, N minutes or N hours"},
    {"truncate 6 hours 2",
     "truncate: unit must be minute, hour, day, week, N minutes or N hours"},
    {"truncate -6 hours",
     "truncate: unit must be minute, hour, day, week, N minutes or N hours"},
    {"truncate 7 minutes",
     "truncate: 7 minutes does not divide a day (1440 minutes)"},
    {"truncate 0 minutes",
     "truncate: 0 minutes does not divide a day (1440 minutes)"},
    {"truncate 2880 minutes",
     "truncate: 2880 minutes does not divide a day (1440 minutes)"},
    {"truncate 5 hours", "truncate: 5 hours does not divide a day (24 hours)"},
    {"truncate 48 hours",
     "truncate: 48 hours does not divide a day (24 hours)"},
    {"prefix", "prefix: N must be 1-15"},
    {"prefix 0", "prefix: N must be 1-15"},
    {"prefix 16", "prefix: N must be 1-15"},
    {"prefix 1000", "prefix: N must be 1-15"},
    {"prefix -1", "prefix: N must be 1-15"},
    {"prefix x", "prefix: N must be 1-15"},
    {"prefix 4 5", "prefix: N must be 1-15"},
    {"country 44", "country: takes no argument"},
    {"tac 8", "tac: takes no argument"},
    {"drop it", "drop: takes no argument"},
    {"bucket", "bucket: needs at least one bound"},
    {"bucket 5,5", "bucket: bounds must be strictly increasing"},
    {"bucket 10,5", "bucket: bounds must be strictly increasing"},
    {"bucket 1e1,10", "bucket: bounds must be strictly increasing"},
    {"bucket a,b", "bucket: bounds must be numbers separated by commas"},
    {"bucket 1,,2", "bucket: bounds must be numbers separated by commas"},
    {"bucket 1 2", "bucket: bounds must be numbers separated by commas"},
    {"bucket 1,", "bucket: bounds must be numbers separated by commas"},
    {"bucket 0x10", "bucket: bounds must be numbers separated by commas"},
    {"bucket 1.00000000000000000000000000000000000000001",
     "bucket: a bound has more than 40 significant digits"},
};

Test(policy, action_parse_errors)
{
        size_t i;

        for (i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
                char err[256] = "";

                cr_expect_eq(cdr_policy_add_field(policy, "f",
                                                  parse_errors[i].action, NULL,
                                                  err, sizeof(err)),
                             CDR_ERR_INVAL, "'%s'", parse_errors[i].action);
                cr_expect_str_eq(err, parse_errors[i].error, "'%s'",
                                 parse_errors[i].action);
        }
        cr_expect_eq(cdr_policy_field_count(policy), 0);
}

typedef struct {
        const char *action;
        const char *normalised;
} parse_ok_t;

static const parse_ok_t parse_ok[] = {
    {"  pseudonymise   msisdn  ", "pseudonymise msisdn"},
    {"Pseudonymise MSISDN", "pseudonymise msisdn"},
    {"pseudonymize imei", "pseudonymise imei"},
    {"pseudonymise id", "pseudonymise id"},
    {"TRUNCATE Hour", "truncate hour"},
    {"truncate\tday", "truncate day"},
    {"keep", "keep"},
    {"keep   number", "keep number"},
    {"bucket 0 , 60,300 ", "bucket 0,60,300"},
    {"bucket -1.5", "bucket -1.5"},
    {"prefix 04", "prefix 4"},
    {"prefix 15", "prefix 15"},
    {"\tcountry\n", "country"},
    {"tac", "tac"},
    {"drop", "drop"},
};

Test(policy, actions_are_whitespace_tolerant)
{
        size_t i;

        for (i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
                cdr_buf_t out = CDR_BUF_INIT;
                char want[128];

                new_policy();
                add("f", parse_ok[i].action, NULL);
                cr_assert_eq(cdr_policy_describe(policy, suppress, &out),
                             CDR_OK);
                snprintf(want, sizeof(want), "f  <- f  %s\n",
                         parse_ok[i].normalised);
                cr_expect_eq(strncmp(out.data, want, strlen(want)), 0,
                             "'%s': got '%s'", parse_ok[i].action, out.data);
                cdr_buf_free(&out);
        }
}

Test(policy, duplicate_output_field)
{
        char err[256] = "";

        add("a", "keep", NULL);
        cr_expect_eq(
            cdr_policy_add_field(policy, "a", "drop", NULL, err, sizeof(err)),
            CDR_ERR_INVAL);
        cr_expect_str_eq(err, "output field defined twice");
        cr_expect_eq(cdr_policy_field_count(policy), 1);
}

Test(policy, too_many_input_fields)
{
        char name[32], err[256] = "";
        int i;

        for (i = 0; i < CDR_MAX_SLOTS; i++) {
                snprintf(name, sizeof(name), "f%d", i);
                add(name, "keep", NULL);
        }
        cr_expect_eq(cdr_policy_add_field(policy, "one_more", "keep", NULL, err,
                                          sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(err, "more than 64 input fields");
        /* A derived field from an input already read needs no slot. */
        add("one_more", "country", "f0");
}

/* --- records ---------------------------------------------------------- */

Test(policy, fields_in_order_added_with_shared_inputs)
{
        char want[512];

        add("start", "truncate hour", "start_time");
        add("calling_number", "pseudonymise msisdn", NULL);
        add("calling_prefix", "prefix 4", "calling_number");
        add("calling_country", "country", "calling_number");
        add("duration", "keep number", NULL);
        add("cause", "keep", "cause_for_term");
        cr_expect_eq(cdr_schema_count(cdr_policy_schema(policy)), 4);
        cr_expect_eq(cdr_policy_field_count(policy), 6);
        set("start_time", "2026-11-27T21:13:45Z");
        set("calling_number", "07700 900123");
        set("duration", "42");
        set("cause_for_term", "normal");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH, "%s", reason);
        snprintf(want, sizeof(want),
                 "{\"start\":\"2026-11-27T21:00:00Z\","
                 "\"calling_number\":\"%s\",\"calling_prefix\":\"+4477\","
                 "\"calling_country\":\"44\",\"duration\":42,"
                 "\"cause\":\"normal\"}",
                 pseudonym(CDR_KIND_MSISDN, "+447700900123"));
        cr_expect_str_eq(json.data, want);
        cr_expect_eq(keylen, 0, "no key field: empty key");
}

Test(policy, absent_fields_left_out_and_null_kept)
{
        add("a", "keep", NULL);
        add("b", "keep number", NULL);
        add("c", "truncate day", NULL);
        set("b", NULL);
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_str_eq(json.data, "{\"b\":null}");
        memset(&record, 0, sizeof(record));
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_str_eq(json.data, "{}");
        set("c", "2026-11-27");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_str_eq(json.data, "{\"c\":\"2026-11-27T00:00:00Z\"}");
}

Test(policy, drop_is_not_written_and_not_read)
{
        add("a", "keep", NULL);
        add("secret", "drop", NULL);
        cr_expect_eq(cdr_policy_field_count(policy), 1);
        cr_expect_eq(cdr_schema_find(cdr_policy_schema(policy), "secret", 6),
                     -1);
        set("a", "x");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_str_eq(json.data, "{\"a\":\"x\"}");
}

Test(policy, output_names_are_json_escaped)
{
        add("we\"ird\\", "keep", "in");
        set("in", "v");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_str_eq(json.data, "{\"we\\\"ird\\\\\":\"v\"}");
}

Test(policy, output_buffer_reset_for_each_record)
{
        add("a", "keep", NULL);
        set("a", "first");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        set("a", "2nd");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_str_eq(json.data, "{\"a\":\"2nd\"}");
        cr_expect_eq(json.len, strlen("{\"a\":\"2nd\"}"));
}

Test(policy, dead_letter_names_input_field_and_first_broken_rule)
{
        add("a", "keep", NULL);
        add("called_country", "country", "called_number");
        add("n", "keep number", NULL);
        set("a", "fine");
        set("called_number", "+44 7700 CANARY");
        set("n", "CANARY2");
        cr_assert_eq(apply(), CDR_VERDICT_DEAD);
        cr_expect_eq(strncmp(reason, "field 'called_number': country: ",
                             strlen("field 'called_number': country: ")),
                     0, "%s", reason);
        cr_expect_null(strstr(reason, "CANARY"), "%s", reason);
        cr_expect_eq(keylen, 0);
}

Test(policy, no_dead_letter_reason_contains_the_value)
{
        static const char *const actions[] = {
            "keep number",       "pseudonymise msisdn",
            "pseudonymise imsi", "pseudonymise imei",
            "truncate minute",   "prefix 6",
            "country",           "tac",
            "bucket 1,2",
        };
        static const char *const canaries[] = {
            "CANARY",
            "07700CANARY900123",
            "2026-11-27TCANARY",
            "1234567890123456789012345CANARY",
        };
        size_t i, j;

        for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
                for (j = 0; j < sizeof(canaries) / sizeof(canaries[0]); j++) {
                        new_policy();
                        add("f", actions[i], NULL);
                        set("f", canaries[j]);
                        cr_expect_eq(apply(), CDR_VERDICT_DEAD, "%s of %s",
                                     actions[i], canaries[j]);
                        cr_expect_null(strstr(reason, "CANARY"), "%s", reason);
                }
        }
        new_policy();
        add("f", "keep", NULL);
        set("f", "CANARY\xff");
        cr_expect_eq(apply(), CDR_VERDICT_DEAD);
        cr_expect_str_eq(reason, "field 'f': keep: invalid UTF-8");
}

Test(policy, key_field)
{
        char err[256] = "";

        add("calling_number", "pseudonymise msisdn", NULL);
        add("called_number", "pseudonymise msisdn", NULL);
        add("start", "truncate hour", NULL);
        cr_expect_eq(
            cdr_policy_set_key_field(policy, "start", err, sizeof(err)),
            CDR_ERR_INVAL);
        cr_expect_str_eq(err, "key field 'start' is not a pseudonymise field");
        cr_expect_eq(cdr_policy_set_key_field(policy, "nope", err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(err, "key field 'nope' is not an output field");
        cr_assert_eq(
            cdr_policy_set_key_field(policy, "called_number", err, sizeof(err)),
            CDR_OK, "%s", err);

        set("calling_number", "+447700900001");
        set("called_number", "+447700900002");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH, "%s", reason);
        cr_expect_str_eq(key, pseudonym(CDR_KIND_MSISDN, "+447700900002"));
        cr_expect_eq(keylen, strlen(key));

        /* Service numbers, withheld and absent values give an empty key. */
        set("called_number", "999");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_eq(keylen, 0);
        set("called_number", "private");
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_eq(keylen, 0);
        memset(&record, 0, sizeof(record));
        cr_assert_eq(apply(), CDR_VERDICT_PUBLISH);
        cr_expect_eq(keylen, 0);
}

Test(policy, event_time)
{
        char err[256] = "";
        int64_t t = 0;

        cr_expect_eq(cdr_policy_event_time(policy, &record, &t),
                     CDR_ERR_NOTFOUND, "no truncate field, none set");
        add("answer", "truncate minute", "answer_time");
        add("start", "truncate hour", "start_time");
        set("answer_time", "2026-11-27T21:13:45+01:00");
        cr_assert_eq(cdr_policy_event_time(policy, &record, &t), CDR_OK);
        cr_expect_eq(t, 1795810425, "default: the first truncate field");

        cr_assert_eq(
            cdr_policy_set_event_time_field(policy, "seized", err, sizeof(err)),
            CDR_OK, "%s", err);
        cr_expect_eq(cdr_policy_event_time(policy, &record, &t),
                     CDR_ERR_NOTFOUND);
        set("seized", "1764278025.75");
        cr_assert_eq(cdr_policy_event_time(policy, &record, &t), CDR_OK);
        cr_expect_eq(t, 1764278025);
        set("seized", "-0.25");
        cr_assert_eq(cdr_policy_event_time(policy, &record, &t), CDR_OK);
        cr_expect_eq(t, -1);
        set("seized", "2026-02-30T00:00:00Z");
        cr_expect_eq(cdr_policy_event_time(policy, &record, &t),
                     CDR_ERR_MALFORMED);
        set("seized", NULL);
        cr_expect_eq(cdr_policy_event_time(policy, &record, &t),
                     CDR_ERR_NOTFOUND);
        set("seized", "");
        cr_expect_eq(cdr_policy_event_time(policy, &record, &t),
                     CDR_ERR_NOTFOUND);
}

static void with_suppression(void)
{
        static const char *const fields[] = {"calling_number", "served_msisdn"};
        char err[256] = "";

        add("calling_number", "pseudonymise msisdn", NULL);
        add("called_prefix", "prefix 5", "called_number");
        suppress =
            cdr_suppress_load(DATA "suppress_ok.txt", &plan, err, sizeof(err));
        cr_assert_not_null(suppress, "%s", err);
        cr_assert_eq(cdr_policy_set_suppression_fields(policy, fields, 2, err,
                                                       sizeof(err)),
                     CDR_OK, "%s", err);
}

Test(policy, suppression)
{
        with_suppression();
        set("calling_number", "07700 900123");
        set("called_number", "+447700900001");
        cr_expect_eq(apply(), CDR_VERDICT_PUBLISH,
                     "the called number is not a suppression field");

        set("calling_number", "tel:+44-7700-900002");
        cr_expect_eq(apply(), CDR_VERDICT_SUPPRESS);
        cr_expect_eq(json.len, 0);

        /* A suppression field need not be an output field. */
        set("calling_number", "07700 900123");
        set("served_msisdn", "00447700900004");
        cr_expect_eq(apply(), CDR_VERDICT_SUPPRESS);

        /* A listed subscriber is suppressed even when another field would
         * send the record to dead-letter. */
        set("called_number", "not a number");
        cr_expect_eq(apply(), CDR_VERDICT_SUPPRESS);

        /* A malformed suppression field goes on to normal processing. */
        set("served_msisdn", "07700 9000x4");
        set("called_number", "+447700900001");
        cr_expect_eq(apply(), CDR_VERDICT_PUBLISH, "%s", reason);
        set("calling_number", "07700 9000x4");
        cr_expect_eq(apply(), CDR_VERDICT_DEAD);
        cr_expect_eq(strncmp(reason, "field 'calling_number': ", 24), 0);

        /* Service numbers and withheld are never suppressed. */
        set("calling_number", "withheld");
        set("served_msisdn", "999");
        cr_expect_eq(apply(), CDR_VERDICT_PUBLISH);

        /* SIGHUP: the engine gives another list (here none) to the same
         * policy. */
        set("calling_number", "+447700900001");
        cr_expect_eq(apply(), CDR_VERDICT_SUPPRESS);
        cdr_suppress_destroy(suppress);
        suppress = NULL;
        cr_expect_eq(apply(), CDR_VERDICT_PUBLISH);
}

Test(policy, suppression_errors)
{
        static const char *const none[] = {NULL};
        char err[256] = "";

        cr_expect_eq(cdr_policy_set_suppression_fields(policy, none, 0, err,
                                                       sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(err, "suppression: no fields named");
        cr_expect_eq(cdr_policy_set_suppression_fields(policy, none, 1, err,
                                                       sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(err, "suppression: empty field name");
}

Test(policy, record_mentions_subject_in_any_spelling)
{
        with_suppression();
        add("imsi", "pseudonymise imsi", NULL);
        set("calling_number", "07700 900123");
        set("called_number", "(07700) 900-456");
        set("served_msisdn", "tel:+44-7700-900789");
        set("imsi", "447700900999");
        cr_expect(
            cdr_policy_record_mentions(policy, &record, "+447700900123", 13));
        cr_expect(
            cdr_policy_record_mentions(policy, &record, "+447700900456", 13));
        cr_expect(
            cdr_policy_record_mentions(policy, &record, "+447700900789", 13));
        cr_expect(
            !cdr_policy_record_mentions(policy, &record, "+447700900999", 13),
            "an IMSI field is not an msisdn");
        cr_expect(
            !cdr_policy_record_mentions(policy, &record, "+44770090012", 12));
        set("calling_number", "999");
        cr_expect(!cdr_policy_record_mentions(policy, &record, "999", 3));
}

Test(policy, describe)
{
        cdr_buf_t out = CDR_BUF_INIT;
        char err[256] = "";

        add("calling_number", "pseudonymise msisdn", NULL);
        add("called_country", "country", "called_number");
        add("start", "truncate hour", "start_time");
        add("imsi", "drop", NULL);
        cr_assert_eq(cdr_policy_set_key_field(policy, "calling_number", err,
                                              sizeof(err)),
                     CDR_OK);
        cr_assert_eq(cdr_policy_describe(policy, suppress, &out), CDR_OK);
        cr_expect_str_eq(out.data,
                         "calling_number  <- calling_number  pseudonymise "
                         "msisdn\n"
                         "called_country  <- called_number   country\n"
                         "start           <- start_time      truncate hour\n"
                         "imsi            <- imsi            drop\n"
                         "key: calling_number\n"
                         "suppression: none\n"
                         "event time: start_time\n");
        cdr_buf_free(&out);
}

Test(policy, describe_suppression_without_numbers)
{
        cdr_buf_t out = CDR_BUF_INIT;

        with_suppression();
        cr_assert_eq(cdr_policy_describe(policy, suppress, &out), CDR_OK);
        cr_expect_not_null(strstr(out.data, "suppression: 5 numbers; fields "
                                            "calling_number, served_msisdn\n"),
                           "%s", out.data);
        cr_expect_not_null(strstr(out.data, "key: (none: empty keys)\n"));
        cr_expect_not_null(strstr(out.data, "event time: (none)\n"));
        cr_expect_null(strstr(out.data, "7700"), "%s", out.data);
        cdr_buf_free(&out);
}

/* Purposes: a policy over another's schema reads the same parsed
 * record, and the owner can take its msisdn fields, so that a subject
 * access query finds the numbers every purpose reads. */
Test(policy, shared_schema_and_mentions)
{
        static const char rec[] = "{\"a\":\"07700900123\",\"b\":\"x\"}";
        cdr_policy_t *base = cdr_policy_new(NULL), *p;
        cdr_record_t r;
        char err[256], why[256];

        cr_assert_not_null(base);
        p = cdr_policy_new_shared(NULL, base);
        cr_assert_not_null(p);
        cr_assert_eq(cdr_policy_add_field(p, "caller", "pseudonymise msisdn",
                                          "a", err, sizeof(err)),
                     CDR_OK, "%s", err);
        cr_expect_eq(cdr_policy_schema(p), cdr_policy_schema(base));
        memset(&r, 0, sizeof(r));
        cr_assert_eq(cdr_json_parse(cdr_policy_schema(base), rec,
                                    sizeof(rec) - 1, &r, why, sizeof(why)),
                     CDR_OK, "%s", why);
        cr_expect_not(
            cdr_policy_record_mentions(base, &r, "+447700900123", 13));
        cdr_policy_add_mentions(base, p);
        cr_expect(cdr_policy_record_mentions(base, &r, "+447700900123", 13));
        cr_expect(cdr_policy_record_mentions(p, &r, "+447700900123", 13));
        cdr_record_free(&r);
        cdr_policy_destroy(p);
        cdr_policy_destroy(base);
}
