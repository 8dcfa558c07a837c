/*
 * Tests of the synthetic CDR generator.  The generator's output is judged
 * by checkers written here, independently of src/gen.c: an RFC 4180
 * framer and strict parser, a flat JSON object parser, a UTF-8
 * validator, a number-shape rule and a Luhn check (3GPP TS 23.003).
 */
#include "cdranon/gen.h"
#include "cmd.h"

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- Independent checkers ------------------------------------------ */

#define MAX_FIELDS 256

typedef struct {
        const char *p;
        size_t n;
} span_t;

/* Splits buf into records the way a CSV reader frames them: a line end
 * outside quotes (quote parity) ends a record.  Returns the count and
 * fills at most max spans, line ends excluded. */
static size_t csv_frame(const char *buf, size_t len, span_t *recs, size_t max)
{
        size_t i, start = 0, count = 0;
        int quoted = 0;

        for (i = 0; i < len; i++) {
                if (buf[i] == '"') {
                        quoted = !quoted;
                } else if (buf[i] == '\n' && !quoted) {
                        size_t end = i;
                        if (end > start && buf[end - 1] == '\r')
                                end--;
                        if (count < max) {
                                recs[count].p = buf + start;
                                recs[count].n = end - start;
                        }
                        count++;
                        start = i + 1;
                }
        }
        if (start < len) {
                if (count < max) {
                        recs[count].p = buf + start;
                        recs[count].n = len - start;
                }
                count++;
        }
        return count;
}

/* Strict RFC 4180 parse of one record without its line end.  Returns
 * the number of fields (unescaped into scratch, views in f) or -1. */
static int csv_parse(const char *rec, size_t len, char *scratch, span_t *f,
                     int max)
{
        size_t i = 0;
        int nf = 0;
        char *out = scratch;

        for (;;) {
                char *start = out;
                if (nf == max)
                        return -1;
                if (i < len && rec[i] == '"') {
                        i++;
                        for (;;) {
                                if (i >= len)
                                        return -1; /* unterminated */
                                if (rec[i] == '"') {
                                        if (i + 1 < len && rec[i + 1] == '"') {
                                                *out++ = '"';
                                                i += 2;
                                                continue;
                                        }
                                        i++;
                                        break;
                                }
                                *out++ = rec[i++];
                        }
                        if (i < len && rec[i] != ',')
                                return -1; /* text after the quote */
                } else {
                        while (i < len && rec[i] != ',') {
                                if (rec[i] == '"' || rec[i] == '\n' ||
                                    rec[i] == '\r')
                                        return -1;
                                *out++ = rec[i++];
                        }
                }
                f[nf].p = start;
                f[nf].n = (size_t)(out - start);
                nf++;
                if (i >= len)
                        return nf;
                i++; /* the comma */
        }
}

/* RFC 3629 UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static int utf8_ok(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;

        while (i < n) {
                unsigned c = p[i];
                size_t k;
                unsigned cp;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        k = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        k = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        k = 3;
                        cp = c & 0x07;
                } else {
                        return 0;
                }
                for (size_t j = 1; j <= k; j++) {
                        if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
                                return 0;
                        cp = cp << 6 | (p[i + j] & 0x3f);
                }
                if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return 0;
                i += k + 1;
        }
        return 1;
}

static int ieq(const char *a, size_t n, const char *b)
{
        size_t i;

        if (strlen(b) != n)
                return 0;
        for (i = 0; i < n; i++) {
                char c = a[i];
                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (c != b[i])
                        return 0;
        }
        return 1;
}

/* The rules of PRODUCT.md "Number canonical forms", reduced to what
 * tells a usable number from a broken one: after a tel:/sip: scheme and
 * SIP host or parameters, only digits, a leading '+' and separators; the
 * international prefix 00 is dropped and the national prefix 0 becomes
 * the country code 44; then 1-15 digits.  Empty and the withheld words
 * are fine. */
static int number_ok(const char *s, size_t n)
{
        static const char *const words[] = {"anonymous", "withheld", "private",
                                            "unavailable"};
        size_t i, digits = 0, first = n;
        int plus = 0;

        if (n == 0)
                return 1;
        for (i = 0; i < 4; i++)
                if (ieq(s, n, words[i]))
                        return 1;
        if (n > 4 && (ieq(s, 4, "sip:") || ieq(s, 4, "tel:"))) {
                s += 4;
                n -= 4;
                for (i = 0; i < n; i++)
                        if (s[i] == '@' || s[i] == ';')
                                break;
                n = i;
        }
        for (i = 0; i < n; i++) {
                char c = s[i];
                if (c >= '0' && c <= '9') {
                        if (first == n)
                                first = i;
                        digits++;
                } else if (c == '+' && i == 0) {
                        plus = 1;
                } else if (c != ' ' && c != '-' && c != '.' && c != '(' &&
                           c != ')') {
                        return 0;
                }
        }
        if (digits == 0)
                return 0;
        if (!plus && digits > 6 && s[first] == '0') {
                if (first + 1 < n && s[first + 1] == '0')
                        digits -= 2;
                else
                        digits += 1;
        }
        return digits >= 1 && digits <= 15;
}

/* Canonical E.164 digits (no '+') of a well-formed personal number under
 * the UK plan, or "" for service numbers and withheld. */
static void canonical(const char *s, size_t n, char out[64])
{
        char d[32];
        size_t i, k = 0;
        int plus = 0;

        out[0] = '\0';
        if (n > 4 && (ieq(s, 4, "sip:") || ieq(s, 4, "tel:"))) {
                s += 4;
                n -= 4;
                for (i = 0; i < n; i++)
                        if (s[i] == '@' || s[i] == ';')
                                break;
                n = i;
        }
        for (i = 0; i < n && k < sizeof(d) - 1; i++) {
                if (s[i] == '+')
                        plus = 1;
                else if (s[i] >= '0' && s[i] <= '9')
                        d[k++] = s[i];
        }
        d[k] = '\0';
        if (k <= 6)
                return; /* service number, withheld */
        if (plus)
                strcpy(out, d);
        else if (d[0] == '0' && d[1] == '0')
                strcpy(out, d + 2);
        else if (d[0] == '0')
                sprintf(out, "44%s", d + 1);
        else
                strcpy(out, d);
}

static int all_digits(const char *s, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return 0;
        return 1;
}

/* The fictitious and reserved ranges config/README.md documents. */
static int fictitious(const char *e164)
{
        static const char *const uk_blocks[] = {
            "1214960", "1174960", "2920180", "1314960", "1414960",
            "1134960", "1164960", "1514960", "2079460", "1614960",
            "1914980", "2896496", "1154960", "1184960", "1144960",
            "1632960", "8081570", "9098790", "3069990", "7700900",
        };
        size_t n = strlen(e164), i;

        if (n == 12 && strncmp(e164, "44", 2) == 0) {
                if (e164[2] == '4')
                        return 1; /* the reserved 04 range */
                for (i = 0; i < sizeof(uk_blocks) / sizeof(uk_blocks[0]); i++)
                        if (strncmp(e164 + 2, uk_blocks[i], 7) == 0)
                                return 1;
                return 0;
        }
        if (n == 11 && e164[0] == '1')
                return strncmp(e164 + 4, "55501", 5) == 0;
        if (n == 11 && strncmp(e164, "61", 2) == 0)
                return strchr("2378", e164[2]) != NULL &&
                       strncmp(e164 + 3, "5550", 4) == 0;
        return 0;
}

/* Luhn check digit of a 14-digit IMEI body (3GPP TS 23.003, annex B). */
static int luhn_check_digit(const char *body)
{
        int sum = 0, i;

        for (i = 0; i < 14; i++) {
                int d = body[i] - '0';
                if (i % 2 == 1) {
                        d *= 2;
                        d = d / 10 + d % 10;
                }
                sum += d;
        }
        return (10 - sum % 10) % 10;
}

/* A flat JSON object parser (RFC 8259 grammar, values: string, number,
 * true, false, null).  Fills key and value spans (strings with their
 * quotes, still escaped); returns the member count or -1. */
typedef struct {
        span_t key;
        span_t value;
} member_t;

static size_t skip_ws(const char *s, size_t n, size_t i)
{
        while (i < n &&
               (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
        return i;
}

static long json_string(const char *s, size_t n, size_t i)
{
        if (i >= n || s[i] != '"')
                return -1;
        for (i++; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '"')
                        return (long)i + 1;
                if (c < 0x20)
                        return -1;
                if (c == '\\') {
                        i++;
                        if (i >= n)
                                return -1;
                        if (s[i] == 'u') {
                                int k;
                                for (k = 1; k <= 4; k++)
                                        if (i + (size_t)k >= n ||
                                            !strchr("0123456789abcdefABCDEF",
                                                    s[i + (size_t)k]))
                                                return -1;
                                i += 4;
                        } else if (!strchr("\"\\/bfnrt", s[i])) {
                                return -1;
                        }
                }
        }
        return -1;
}

static long json_number(const char *s, size_t n, size_t i)
{
        size_t start;

        if (i < n && s[i] == '-')
                i++;
        if (i >= n)
                return -1;
        if (s[i] == '0') {
                i++;
        } else if (s[i] >= '1' && s[i] <= '9') {
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
        } else {
                return -1;
        }
        if (i < n && s[i] == '.') {
                start = ++i;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
                if (i == start)
                        return -1;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                start = i;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
                if (i == start)
                        return -1;
        }
        return (long)i;
}

static int json_object(const char *s, size_t n, member_t *m, int max)
{
        size_t i = skip_ws(s, n, 0);
        int count = 0;
        long e;

        if (i >= n || s[i] != '{')
                return -1;
        i = skip_ws(s, n, i + 1);
        if (i < n && s[i] == '}')
                return skip_ws(s, n, i + 1) == n ? 0 : -1;
        for (;;) {
                if (count == max)
                        return -1;
                e = json_string(s, n, i);
                if (e < 0)
                        return -1;
                m[count].key.p = s + i;
                m[count].key.n = (size_t)e - i;
                i = skip_ws(s, n, (size_t)e);
                if (i >= n || s[i] != ':')
                        return -1;
                i = skip_ws(s, n, i + 1);
                if (i < n && s[i] == '"') {
                        e = json_string(s, n, i);
                } else if (n - i >= 4 && (strncmp(s + i, "null", 4) == 0 ||
                                          strncmp(s + i, "true", 4) == 0)) {
                        e = (long)i + 4;
                } else if (n - i >= 5 && strncmp(s + i, "false", 5) == 0) {
                        e = (long)i + 5;
                } else {
                        e = json_number(s, n, i);
                }
                if (e < 0)
                        return -1;
                m[count].value.p = s + i;
                m[count].value.n = (size_t)e - i;
                count++;
                i = skip_ws(s, n, (size_t)e);
                if (i < n && s[i] == ',') {
                        i = skip_ws(s, n, i + 1);
                        continue;
                }
                if (i < n && s[i] == '}')
                        return skip_ws(s, n, i + 1) == n ? count : -1;
                return -1;
        }
}

static const member_t *member(const member_t *m, int n, const char *key)
{
        size_t len = strlen(key);
        int i;

        for (i = 0; i < n; i++)
                if (m[i].key.n == len + 2 &&
                    memcmp(m[i].key.p + 1, key, len) == 0)
                        return &m[i];
        return NULL;
}

/* --- The verdict of the checkers on one record ---------------------- */

static const char *const generic_columns[] = {
    "record_id",      "record_type",     "start_time",         "end_time",
    "duration",       "calling_number",  "called_number",      "imsi",
    "imei",           "cell_id",         "bytes_up",           "bytes_down",
    "cause_for_term", "subscriber_name", "subscriber_address", "payment_ref",
};

/* Asterisk cdr_csv.c order with loguniqueid and loguserfield. */
static const char *const asterisk_columns[] = {
    "accountcode", "src",        "dst",       "dcontext", "clid",
    "channel",     "dstchannel", "lastapp",   "lastdata", "start",
    "answer",      "end",        "duration",  "billsec",  "disposition",
    "amaflags",    "uniqueid",   "userfield",
};

#define CUCM_COLUMNS 129

typedef struct {
        int columns;        /* expected column count (CSV layouts) */
        int number_cols[3]; /* columns holding numbers, -1 ends */
} layout_t;

static const layout_t layouts[] = {
    [CDR_GEN_CSV] = {16, {5, 6, -1}},
    [CDR_GEN_JSON] = {16, {-1, -1, -1}},
    [CDR_GEN_ASTERISK] = {18, {1, 2, -1}},
    [CDR_GEN_CUCM] = {CUCM_COLUMNS, {8, 29, 30}},
};

/* 1 when the checkers accept the record (line end excluded). */
static int record_ok(cdr_gen_format_t format, const char *rec, size_t len)
{
        static char scratch[1 << 16];
        span_t f[MAX_FIELDS];
        member_t m[64];
        int n, i;

        if (!utf8_ok(rec, len))
                return 0;
        if (format == CDR_GEN_JSON) {
                const char *keys[] = {"calling_number", "called_number"};
                n = json_object(rec, len, m, 64);
                if (n != 16)
                        return 0;
                for (i = 0; i < 2; i++) {
                        const member_t *v = member(m, n, keys[i]);
                        if (v == NULL)
                                return 0;
                        if (v->value.n == 4 &&
                            memcmp(v->value.p, "null", 4) == 0)
                                continue;
                        if (v->value.p[0] != '"' ||
                            !number_ok(v->value.p + 1, v->value.n - 2))
                                return 0;
                }
                return 1;
        }
        n = csv_parse(rec, len, scratch, f, MAX_FIELDS);
        if (n != layouts[format].columns)
                return 0;
        for (i = 0; i < 3 && layouts[format].number_cols[i] >= 0; i++) {
                span_t v = f[layouts[format].number_cols[i]];
                if (!number_ok(v.p, v.n))
                        return 0;
        }
        return 1;
}

/* --- Helpers --------------------------------------------------------- */

typedef struct {
        cdr_buf_t out;
        size_t *start; /* offset of record i in out */
        cdr_gen_defect_t *defect;
        size_t n;
        size_t header_len;
} run_t;

static cdr_gen_t *make_gen(cdr_gen_format_t format, uint64_t seed,
                           uint32_t subscribers, double share)
{
        cdr_gen_options_t opts;
        char errstr[256] = "";
        cdr_gen_t *gen;

        cdr_gen_options_default(&opts);
        opts.format = format;
        opts.seed = seed;
        opts.subscribers = subscribers;
        opts.malformed_share = share;
        gen = cdr_gen_new(&opts, errstr, sizeof(errstr));
        cr_assert_not_null(gen, "cdr_gen_new: %s", errstr);
        return gen;
}

/* Generates n records (after the layout's header) and remembers where
 * each starts and what the generator says is wrong with it. */
static void run(run_t *r, cdr_gen_format_t format, uint64_t seed,
                uint32_t subscribers, double share, size_t n)
{
        cdr_gen_t *gen = make_gen(format, seed, subscribers, share);
        size_t i;

        memset(r, 0, sizeof(*r));
        r->start = calloc(n + 1, sizeof(*r->start));
        r->defect = calloc(n, sizeof(*r->defect));
        cr_assert(r->start && r->defect);
        if (cdr_gen_default_header(format))
                cr_assert_eq(cdr_gen_header(gen, &r->out), CDR_OK);
        r->header_len = r->out.len;
        for (i = 0; i < n; i++) {
                r->start[i] = r->out.len;
                cr_assert_eq(cdr_gen_record(gen, &r->out, &r->defect[i]),
                             CDR_OK);
        }
        r->start[n] = r->out.len;
        r->n = n;
        cr_assert_eq(cdr_gen_records(gen), n);
        cdr_gen_destroy(gen);
}

static void run_free(run_t *r)
{
        cdr_buf_free(&r->out);
        free(r->start);
        free(r->defect);
}

/* Record i without its line end. */
static span_t record_span(const run_t *r, size_t i)
{
        span_t s = {r->out.data + r->start[i], r->start[i + 1] - r->start[i]};

        cr_assert(s.n > 0 && s.p[s.n - 1] == '\n', "record %zu: no LF", i);
        s.n--;
        if (s.n > 0 && s.p[s.n - 1] == '\r')
                s.n--;
        return s;
}

static const cdr_gen_format_t all_formats[] = {CDR_GEN_CSV, CDR_GEN_JSON,
                                               CDR_GEN_ASTERISK, CDR_GEN_CUCM};

/* --- Tests ----------------------------------------------------------- */

/* The checkers themselves, on known inputs, so that a checker that
 * accepted everything would fail here. */
Test(gen, checkers_known_answers)
{
        static const struct {
                const char *rec;
                int fields;
        } csv[] = {
            {"a,b,c", 3},
            {"", 1},
            {"a,,", 3},
            {"\"x,y\",z", 2},
            {"\"say \"\"hi\"\"\",2", 2},
            {"\"line\nbreak\",1", 2},
            {"\"\"07700900123\"\",1", -1},
            {"07\"700\"123,1", -1},
            {"\"open,1", -1},
            {"\"a\"b,1", -1},
        };
        static const struct {
                const char *num;
                int ok;
        } nums[] = {
            {"+447700900123", 1},
            {"07700 900123", 1},
            {"(07700) 900-123", 1},
            {"tel:+44-7700-900123", 1},
            {"sip:+447700900123@ims.example.net;user=phone", 1},
            {"Anonymous", 1},
            {"", 1},
            {"999", 1},
            {"07700 9OO123", 0},
            {"+4477009001234567", 0},
            {"00447700900123456", 1}, /* 15 digits after 00 */
            {"004477009001234567", 0},
            {"07700 900123 4567", 0}, /* 44 and 15 more */
            {"0770090012345", 1},
            {"07700\xa0"
             "900123",
             0},
            {"s", 0},
        };
        static const struct {
                const char *obj;
                int members;
        } json[] = {
            {"{\"a\":1,\"b\":\"x\",\"c\":null}", 3},
            {"{}", 0},
            {"{\"a\":-0.5e+3,\"b\":true,\"c\":false}", 3},
            {"{\"a\":\"q\\\"\\n\\u00e9\"}", 1},
            {"{\"a\":1", -1},
            {"{\"a\":1,}", -1},
            {"{'a':1}", -1},
            {"{\"a\":+44}", -1},
            {"{\"a\":0770}", -1},
        };
        char scratch[256];
        span_t f[16];
        member_t m[8];
        size_t i;

        for (i = 0; i < sizeof(csv) / sizeof(csv[0]); i++)
                cr_expect_eq(
                    csv_parse(csv[i].rec, strlen(csv[i].rec), scratch, f, 16),
                    csv[i].fields, "csv case %zu", i);
        for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
                cr_expect_eq(number_ok(nums[i].num, strlen(nums[i].num)),
                             nums[i].ok, "number case %zu", i);
        for (i = 0; i < sizeof(json) / sizeof(json[0]); i++)
                cr_expect_eq(
                    json_object(json[i].obj, strlen(json[i].obj), m, 8),
                    json[i].members, "json case %zu", i);
        cr_expect(utf8_ok("Zo\xc3\xab", 4));
        cr_expect(!utf8_ok("Jos\xe9", 4));
        cr_expect(!utf8_ok("\xc0\xaf", 2));     /* overlong '/' */
        cr_expect(!utf8_ok("\xed\xa0\x80", 3)); /* surrogate */
        cr_expect(!utf8_ok("\xc3", 1));
        /* 3GPP TS 23.003 annex B: IMEI 49015420323751 has check digit
         * 8. */
        cr_expect_eq(luhn_check_digit("49015420323751"), 8);
        cr_expect(fictitious("447700900123"));
        cr_expect(!fictitious("447700123456"));
}

Test(gen, same_seed_same_bytes_other_seed_other_bytes)
{
        size_t f;

        for (f = 0; f < 4; f++) {
                run_t a, b, c;
                run(&a, all_formats[f], 42, 5000, 0.05, 2000);
                run(&b, all_formats[f], 42, 5000, 0.05, 2000);
                run(&c, all_formats[f], 43, 5000, 0.05, 2000);
                cr_assert_eq(a.out.len, b.out.len, "format %zu", f);
                cr_assert(memcmp(a.out.data, b.out.data, a.out.len) == 0,
                          "format %zu: same seed, other bytes", f);
                cr_assert(c.out.len != a.out.len ||
                              memcmp(a.out.data, c.out.data, a.out.len),
                          "format %zu: other seed, same bytes", f);
                run_free(&a);
                run_free(&b);
                run_free(&c);
        }
}

Test(gen, record_count_and_framing)
{
        static span_t recs[20000];
        size_t f;

        for (f = 0; f < 4; f++) {
                cdr_gen_format_t format = all_formats[f];
                size_t want = 3000 + (cdr_gen_default_header(format) ? 1 : 0);
                size_t got;
                run_t r;

                /* malformed records included: none may bleed into the
                 * next one */
                run(&r, format, 7, 2000, 0.2, 3000);
                got = csv_frame(r.out.data, r.out.len, recs, 20000);
                if (format == CDR_GEN_JSON) {
                        size_t i, lines = 0;
                        for (i = 0; i < r.out.len; i++)
                                lines += r.out.data[i] == '\n';
                        got = lines;
                }
                cr_assert_eq(got, want, "format %zu: %zu records, want %zu", f,
                             got, want);
                run_free(&r);
        }
}

Test(gen, header_lines)
{
        char scratch[8192];
        span_t f[MAX_FIELDS];
        run_t r;
        int n, i;

        run(&r, CDR_GEN_CSV, 1, 100, 0, 1);
        n = csv_parse(r.out.data, r.header_len - 1, scratch, f, MAX_FIELDS);
        cr_assert_eq(n, 16);
        for (i = 0; i < n; i++)
                cr_expect(f[i].n == strlen(generic_columns[i]) &&
                              memcmp(f[i].p, generic_columns[i], f[i].n) == 0,
                          "generic column %d", i);
        run_free(&r);

        run(&r, CDR_GEN_CUCM, 1, 100, 0, 1);
        n = csv_parse(r.out.data, r.header_len - 1, scratch, f, MAX_FIELDS);
        cr_assert_eq(n, CUCM_COLUMNS);
        cr_expect(f[0].n == 13 && memcmp(f[0].p, "cdrRecordType", 13) == 0);
        cr_expect(f[4].n == 19 &&
                  memcmp(f[4].p, "dateTimeOrigination", 19) == 0);
        cr_expect(f[8].n == 18 &&
                  memcmp(f[8].p, "callingPartyNumber", 18) == 0);
        cr_expect(f[29].n == 25 &&
                  memcmp(f[29].p, "originalCalledPartyNumber", 25) == 0);
        cr_expect(f[30].n == 22 &&
                  memcmp(f[30].p, "finalCalledPartyNumber", 22) == 0);
        cr_expect(f[55].n == 8 && memcmp(f[55].p, "duration", 8) == 0);
        run_free(&r);

        /* Master.csv has no header; the column names are Asterisk's. */
        run(&r, CDR_GEN_ASTERISK, 1, 100, 0, 1);
        cr_expect_eq(r.header_len, 0);
        cr_assert_eq(cdr_gen_column_count(CDR_GEN_ASTERISK), 18);
        for (i = 0; i < 18; i++)
                cr_expect_str_eq(
                    cdr_gen_column_name(CDR_GEN_ASTERISK, (size_t)i),
                    asterisk_columns[i]);
        run_free(&r);

        run(&r, CDR_GEN_JSON, 1, 100, 0, 1);
        cr_expect_eq(r.header_len, 0);
        run_free(&r);
}

/* Every record the generator calls well formed passes the checkers and
 * every record it calls malformed fails them; the count of failures (an
 * independent measure) equals the generator's count and is near the
 * requested share. */
Test(gen, malformed_records_are_exactly_the_broken_ones)
{
        const double share = 0.1;
        const size_t n = 5000;
        size_t f;

        for (f = 0; f < 4; f++) {
                cdr_gen_format_t format = all_formats[f];
                size_t i, broken = 0, claimed = 0;
                size_t kinds[CDR_GEN_DEFECTS] = {0};
                double mean = share * (double)n;
                double sd = 21.2; /* sqrt(n * share * (1 - share)) */
                run_t r;

                run(&r, format, 2026, 3000, share, n);
                for (i = 0; i < n; i++) {
                        span_t s = record_span(&r, i);
                        int ok = record_ok(format, s.p, s.n);
                        cr_assert_eq(ok, r.defect[i] == CDR_GEN_WELL_FORMED,
                                     "format %s record %zu (%s)",
                                     cdr_gen_format_name(format), i,
                                     cdr_gen_defect_name(r.defect[i]));
                        broken += !ok;
                        claimed += r.defect[i] != CDR_GEN_WELL_FORMED;
                        kinds[r.defect[i]]++;
                }
                cr_assert_eq(broken, claimed);
                cr_assert(broken > mean - 5 * sd && broken < mean + 5 * sd,
                          "format %zu: %zu malformed of %zu", f, broken, n);
                /* every kind of damage the layout can carry occurs */
                cr_expect_gt(kinds[CDR_GEN_BAD_LETTERS], 0);
                cr_expect_gt(kinds[CDR_GEN_BAD_DIGITS], 0);
                cr_expect_gt(kinds[CDR_GEN_BAD_UTF8], 0);
                if (format == CDR_GEN_JSON) {
                        cr_expect_gt(kinds[CDR_GEN_BAD_JSON], 0);
                } else {
                        cr_expect_gt(kinds[CDR_GEN_BAD_QUOTE], 0);
                        cr_expect_gt(kinds[CDR_GEN_BAD_COLUMNS], 0);
                }
                run_free(&r);
        }
}

Test(gen, no_malformed_at_zero_all_at_one)
{
        size_t f, i;

        for (f = 0; f < 4; f++) {
                run_t r;

                run(&r, all_formats[f], 5, 500, 0.0, 1000);
                for (i = 0; i < r.n; i++) {
                        span_t s = record_span(&r, i);
                        cr_assert(record_ok(all_formats[f], s.p, s.n),
                                  "format %zu record %zu", f, i);
                }
                run_free(&r);
                run(&r, all_formats[f], 5, 500, 1.0, 300);
                for (i = 0; i < r.n; i++) {
                        span_t s = record_span(&r, i);
                        cr_assert(!record_ok(all_formats[f], s.p, s.n),
                                  "format %zu record %zu", f, i);
                }
                run_free(&r);
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(a, b);
}

static int cmp_desc(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? 1 : x > y ? -1 : 0;
}

/* The top 1% of subscribers make more than a tenth of the records.
 * Subscribers are told apart by IMSI. */
Test(gen, activity_is_skewed)
{
        enum { SUBS = 10000, N = 50000 };
        static char imsis[N][16];
        static unsigned counts[N];
        char scratch[4096];
        span_t f[MAX_FIELDS];
        size_t i, j, distinct = 0, top = 0;
        run_t r;

        run(&r, CDR_GEN_CSV, 99, SUBS, 0, N);
        for (i = 0; i < N; i++) {
                span_t s = record_span(&r, i);
                int nf = csv_parse(s.p, s.n, scratch, f, MAX_FIELDS);
                cr_assert_eq(nf, 16);
                cr_assert_eq(f[7].n, 15);
                memcpy(imsis[i], f[7].p, 15);
                imsis[i][15] = '\0';
        }
        qsort(imsis, N, sizeof(imsis[0]), cmp_str);
        for (i = 0; i < N; i = j) {
                for (j = i; j < N && strcmp(imsis[i], imsis[j]) == 0; j++)
                        ;
                counts[distinct++] = (unsigned)(j - i);
        }
        cr_assert_leq(distinct, SUBS);
        qsort(counts, distinct, sizeof(counts[0]), cmp_desc);
        for (i = 0; i < SUBS / 100 && i < distinct; i++)
                top += counts[i];
        cr_assert_gt(top * 10, (size_t)N, "top 1%% made %zu of %d records", top,
                     N);
        run_free(&r);
}

/* Every personal number canonicalises into a documented fictitious or
 * reserved range; IMSIs are MCC 234 MNC 15; IMEIs carry a valid Luhn
 * digit and IMEISVs occur; the spellings real switches emit all occur. */
Test(gen, identifiers_are_fictitious_and_well_formed)
{
        enum { N = 20000 };
        static const char *const shapes[] = {
            "+44", "0044", "447", "07700 ", "tel:+44-", "sip:+44",   "+1",
            "+61", "(0",   "999", "112",    "150",      "anonymous", "",
        };
        int seen[sizeof(shapes) / sizeof(shapes[0])] = {0};
        char scratch[4096], e164[64];
        span_t f[MAX_FIELDS];
        size_t i, k, imeisv = 0;
        int col;
        run_t r;

        run(&r, CDR_GEN_CSV, 11, 5000, 0, N);
        for (i = 0; i < N; i++) {
                span_t s = record_span(&r, i);
                int nf = csv_parse(s.p, s.n, scratch, f, MAX_FIELDS);
                cr_assert_eq(nf, 16);
                for (col = 5; col <= 6; col++) {
                        span_t v = f[col];
                        canonical(v.p, v.n, e164);
                        if (e164[0])
                                cr_assert(fictitious(e164),
                                          "record %zu: a number outside "
                                          "the fictitious ranges",
                                          i);
                        for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]);
                             k++) {
                                size_t len = strlen(shapes[k]);
                                if (len == 0
                                        ? v.n == 0
                                        : (v.n >= len &&
                                           memcmp(v.p, shapes[k], len) == 0))
                                        seen[k] = 1;
                        }
                }
                cr_assert(f[7].n == 15 && all_digits(f[7].p, 15) &&
                          memcmp(f[7].p, "23415", 5) == 0);
                cr_assert(all_digits(f[8].p, f[8].n));
                if (f[8].n == 15) {
                        char body[15];
                        memcpy(body, f[8].p, 14);
                        body[14] = '\0';
                        cr_assert_eq(f[8].p[14] - '0', luhn_check_digit(body),
                                     "record %zu: bad IMEI check digit", i);
                } else {
                        cr_assert_eq(f[8].n, 16);
                        imeisv++;
                }
        }
        for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++)
                cr_expect(seen[k], "no number spelled like '%s'", shapes[k]);
        cr_expect_gt(imeisv, 0);
        run_free(&r);
}

static long long span_number(span_t v)
{
        long long x = 0;
        size_t i;

        for (i = 0; i < v.n; i++)
                x = x * 10 + (v.p[i] - '0');
        return x;
}

/* Days from 1970-01-01 (the civil calendar, as in RFC 3339). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
        long long era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (long long)doe - 719468;
}

/* Epoch seconds of an ISO 8601 UTC timestamp or of epoch seconds. */
static long long when(const char *s, size_t n)
{
        char t[40];
        int y, mo, d, h, mi, sec;

        cr_assert(n > 0 && n < sizeof(t));
        memcpy(t, s, n);
        t[n] = '\0';
        if (all_digits(t, n))
                return atoll(t);
        cr_assert_eq(
            sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec), 6,
            "bad timestamp");
        cr_assert(n == 20 || n == 24 || n == 25, "bad timestamp length");
        return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
               h * 3600 + mi * 60 + sec;
}

Test(gen, times_durations_and_types)
{
        enum { N = 5000 };
        char scratch[4096];
        span_t f[MAX_FIELDS];
        long long prev = 0, first = -1;
        size_t i, types[3] = {0};
        run_t r;

        run(&r, CDR_GEN_CSV, 3, 1000, 0, N);
        for (i = 0; i < N; i++) {
                span_t s = record_span(&r, i);
                long long start, end, dur;
                int nf = csv_parse(s.p, s.n, scratch, f, MAX_FIELDS);
                cr_assert_eq(nf, 16);
                start = when(f[2].p, f[2].n);
                end = when(f[3].p, f[3].n);
                if (first < 0)
                        first = start;
                cr_assert_geq(start, prev, "records out of time order");
                cr_assert_geq(end, start);
                cr_assert(all_digits(f[4].p, f[4].n));
                dur = span_number(f[4]);
                cr_assert_leq(dur, end - start + 1);
                if (f[1].n == 5 && memcmp(f[1].p, "voice", 5) == 0)
                        types[0]++;
                else if (f[1].n == 3 && memcmp(f[1].p, "sms", 3) == 0)
                        types[1]++;
                else if (f[1].n == 4 && memcmp(f[1].p, "data", 4) == 0)
                        types[2]++;
                else
                        cr_assert_fail("record %zu: unknown type", i);
                prev = start;
        }
        /* the default start: 2026-11-27T00:00:00Z */
        cr_expect_geq(first, days_from_civil(2026, 11, 27) * 86400);
        cr_expect_lt(first, days_from_civil(2026, 11, 28) * 86400);
        cr_expect(types[0] > 0 && types[1] > 0 && types[2] > 0);
        run_free(&r);
}

Test(gen, crlf_line_ends)
{
        cdr_gen_options_t opts;
        cdr_buf_t out = CDR_BUF_INIT;
        cdr_gen_t *gen;
        size_t i, lf = 0, crlf = 0;
        int quoted = 0;

        cdr_gen_options_default(&opts);
        opts.subscribers = 100;
        opts.malformed_share = 0;
        opts.crlf = 1;
        gen = cdr_gen_new(&opts, NULL, 0);
        cr_assert_not_null(gen);
        cr_assert_eq(cdr_gen_header(gen, &out), CDR_OK);
        for (i = 0; i < 500; i++)
                cr_assert_eq(cdr_gen_record(gen, &out, NULL), CDR_OK);
        for (i = 0; i < out.len; i++) {
                if (out.data[i] == '"')
                        quoted = !quoted;
                if (out.data[i] == '\n' && !quoted) {
                        lf++;
                        crlf += i > 0 && out.data[i - 1] == '\r';
                }
        }
        cr_expect_eq(lf, 501);
        cr_expect_eq(crlf, 501);
        cdr_gen_destroy(gen);
        cdr_buf_free(&out);
}

Test(gen, bad_options_are_refused)
{
        cdr_gen_options_t opts;
        char errstr[256];
        cdr_gen_format_t format;

        cdr_gen_options_default(&opts);
        opts.subscribers = 0;
        cr_expect_null(cdr_gen_new(&opts, errstr, sizeof(errstr)));
        cr_expect(strstr(errstr, "subscribers") != NULL);
        cdr_gen_options_default(&opts);
        opts.subscribers = CDR_GEN_MAX_SUBSCRIBERS + 1;
        cr_expect_null(cdr_gen_new(&opts, errstr, sizeof(errstr)));
        cdr_gen_options_default(&opts);
        opts.malformed_share = 1.5;
        cr_expect_null(cdr_gen_new(&opts, errstr, sizeof(errstr)));
        cdr_gen_options_default(&opts);
        opts.start_time = -1;
        cr_expect_null(cdr_gen_new(&opts, errstr, sizeof(errstr)));
        cdr_gen_options_default(&opts);
        opts.activity = 0;
        cr_expect_null(cdr_gen_new(&opts, errstr, sizeof(errstr)));
        cr_expect(strstr(errstr, "activity") != NULL);
        cdr_gen_options_default(&opts);
        opts.cells = CDR_GEN_MAX_CELLS + 1;
        cr_expect_null(cdr_gen_new(&opts, errstr, sizeof(errstr)));
        cr_expect(strstr(errstr, "cells") != NULL);
        cr_expect_eq(cdr_gen_format_parse("cucm", &format), CDR_OK);
        cr_expect_eq(format, CDR_GEN_CUCM);
        cr_expect_eq(cdr_gen_format_parse("xml", &format), CDR_ERR_INVAL);
        cdr_gen_destroy(NULL);
}

static void redirect_all(void)
{
        cr_redirect_stdout();
        cr_redirect_stderr();
}

/* The command writes what the library generates, header first. */
Test(gen, command_writes_the_file, .init = redirect_all)
{
        char path[] = "/tmp/cdranon-test-gen-XXXXXX";
        char *argv[] = {"gen",  "--format",
                        "cucm", "--records",
                        "250",  "--seed",
                        "9",    "--subscribers",
                        "300",  "--malformed-share",
                        "0.2",  "--out",
                        path,   NULL};
        char *help[] = {"gen", "--help", NULL};
        char *bad[] = {"gen", "--records", "many", NULL};
        char *bad_format[] = {"gen", "--format", "xml", NULL};
        cdr_gen_t *gen;
        cdr_buf_t want = CDR_BUF_INIT;
        char *got;
        long size;
        FILE *fp;
        int fd, i;

        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(cdr_cmd_gen(13, argv), CDR_EXIT_OK);

        {
                cdr_gen_options_t opts;
                cdr_gen_options_default(&opts);
                opts.format = CDR_GEN_CUCM;
                opts.seed = 9;
                opts.subscribers = 300;
                opts.malformed_share = 0.2;
                gen = cdr_gen_new(&opts, NULL, 0);
        }
        cr_assert_not_null(gen);
        cr_assert_eq(cdr_gen_header(gen, &want), CDR_OK);
        for (i = 0; i < 250; i++)
                cr_assert_eq(cdr_gen_record(gen, &want, NULL), CDR_OK);
        cdr_gen_destroy(gen);

        fp = fopen(path, "rb");
        cr_assert_not_null(fp);
        fseek(fp, 0, SEEK_END);
        size = ftell(fp);
        rewind(fp);
        got = malloc((size_t)size + 1);
        cr_assert_not_null(got);
        cr_assert_eq(fread(got, 1, (size_t)size, fp), (size_t)size);
        fclose(fp);
        unlink(path);
        cr_assert_eq((size_t)size, want.len);
        cr_assert(memcmp(got, want.data, want.len) == 0);
        free(got);
        cdr_buf_free(&want);

        cr_expect_eq(cdr_cmd_gen(2, help), CDR_EXIT_OK);
        cr_expect_eq(cdr_cmd_gen(3, bad), CDR_EXIT_USAGE);
        cr_expect_eq(cdr_cmd_gen(3, bad_format), CDR_EXIT_USAGE);
}

/* --- Mobility -------------------------------------------------------- */

/* A cell table parsed by the strict checker: ids in table order. */
typedef struct {
        size_t n;
        char (*id)[18];
        char (*area)[12];
        unsigned *district, *region, *town; /* town 0: rural */
        double *lat, *lon;
} cells_t;

static unsigned name_number(span_t v, const char *prefix)
{
        size_t k = strlen(prefix), i;
        unsigned x = 0;

        cr_assert(v.n > k && memcmp(v.p, prefix, k) == 0, "'%.*s' is not %sN",
                  (int)v.n, v.p, prefix);
        for (i = k; i < v.n; i++) {
                cr_assert(v.p[i] >= '0' && v.p[i] <= '9');
                x = x * 10 + (unsigned)(v.p[i] - '0');
        }
        return x;
}

static void cells_load(cells_t *t, const cdr_gen_t *gen)
{
        static const char *const header[] = {"cell_id",  "area", "district",
                                             "region",   "town", "latitude",
                                             "longitude"};
        cdr_buf_t buf = CDR_BUF_INIT;
        static span_t recs[70000];
        char scratch[512];
        span_t f[16];
        size_t nrec, i;
        int k;

        cr_assert_eq(cdr_gen_cells_csv(gen, &buf), CDR_OK);
        nrec = csv_frame(buf.data, buf.len, recs, 70000);
        t->n = nrec - 1;
        cr_assert_eq(t->n, cdr_gen_cell_count(gen));
        cr_assert_eq(csv_parse(recs[0].p, recs[0].n, scratch, f, 16), 7);
        for (k = 0; k < 7; k++)
                cr_assert(f[k].n == strlen(header[k]) &&
                              memcmp(f[k].p, header[k], f[k].n) == 0,
                          "cell table column %d", k);
        t->id = calloc(t->n, sizeof(*t->id));
        t->area = calloc(t->n, sizeof(*t->area));
        t->district = calloc(t->n, sizeof(unsigned));
        t->region = calloc(t->n, sizeof(unsigned));
        t->town = calloc(t->n, sizeof(unsigned));
        t->lat = calloc(t->n, sizeof(double));
        t->lon = calloc(t->n, sizeof(double));
        cr_assert(t->id && t->area && t->district && t->region && t->town &&
                  t->lat && t->lon);
        for (i = 0; i < t->n; i++) {
                span_t r = recs[i + 1];
                char num[32];
                cr_assert_eq(csv_parse(r.p, r.n, scratch, f, 16), 7,
                             "cell table row %zu", i);
                /* the generic layout's shape: 234-15-LAC-CI */
                cr_assert(f[0].n == 17 && memcmp(f[0].p, "234-15-", 7) == 0 &&
                              all_digits(f[0].p + 7, 4) && f[0].p[11] == '-' &&
                              all_digits(f[0].p + 12, 5),
                          "cell id %.*s", (int)f[0].n, f[0].p);
                memcpy(t->id[i], f[0].p, 17);
                cr_assert(f[1].n == 11 && memcmp(f[1].p, f[0].p, 11) == 0,
                          "an area is the cell's location area");
                memcpy(t->area[i], f[1].p, 11);
                t->district[i] = name_number(f[2], "district-");
                t->region[i] = name_number(f[3], "region-");
                t->town[i] = f[4].n == 5 && memcmp(f[4].p, "rural", 5) == 0
                                 ? 0
                                 : name_number(f[4], "town-");
                for (k = 5; k <= 6; k++) {
                        char *end;
                        cr_assert(f[k].n > 0 && f[k].n < sizeof(num));
                        memcpy(num, f[k].p, f[k].n);
                        num[f[k].n] = '\0';
                        (k == 5 ? t->lat : t->lon)[i] = strtod(num, &end);
                        cr_assert_eq(*end, '\0');
                }
                cr_assert(t->lat[i] > 49.9 && t->lat[i] < 58.7 &&
                              t->lon[i] > -8.2 && t->lon[i] < 1.8,
                          "cell %zu outside Great Britain", i);
                if (i > 0)
                        cr_assert(strcmp(t->id[i - 1], t->id[i]) < 0,
                                  "cell ids sorted and distinct");
        }
        cdr_buf_free(&buf);
}

static void cells_free(cells_t *t)
{
        free(t->id);
        free(t->area);
        free(t->district);
        free(t->region);
        free(t->town);
        free(t->lat);
        free(t->lon);
}

/* Index of a cell id in the table, or -1. */
static long cells_find(const cells_t *t, const char *s, size_t n)
{
        size_t lo = 0, hi = t->n;

        if (n != 17)
                return -1;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = memcmp(t->id[mid], s, 17);
                if (c == 0)
                        return (long)mid;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

/* Every subscriber's events, read back from the generic layout by the
 * strict parser: subscribers told apart by IMSI. */
typedef struct {
        size_t n;    /* events */
        size_t nsub; /* distinct IMSIs */
        uint32_t *sub;
        int64_t *t; /* seconds since the first midnight */
        uint32_t *cell;
        int64_t t0; /* epoch seconds of that midnight */
} trace_t;

static uint32_t imsi_slot(char (*keys)[16], uint32_t *ids, size_t cap,
                          const char *imsi, size_t *next)
{
        uint64_t h = 1469598103934665603ULL;
        size_t i;

        for (i = 0; i < 15; i++)
                h = (h ^ (unsigned char)imsi[i]) * 1099511628211ULL;
        for (i = (size_t)(h % cap);; i = (i + 1) % cap) {
                if (keys[i][0] == '\0') {
                        memcpy(keys[i], imsi, 15);
                        ids[i] = (uint32_t)(*next)++;
                        return ids[i];
                }
                if (memcmp(keys[i], imsi, 15) == 0)
                        return ids[i];
        }
}

static void trace_load(trace_t *tr, const cells_t *cells, const run_t *r)
{
        enum { CAP = 1 << 16 };
        static char keys[CAP][16];
        static uint32_t ids[CAP];
        static char scratch[4096];
        span_t f[MAX_FIELDS];
        size_t i, next = 0;

        memset(keys, 0, sizeof(keys));
        tr->n = r->n;
        tr->sub = malloc(r->n * sizeof(*tr->sub));
        tr->t = malloc(r->n * sizeof(*tr->t));
        tr->cell = malloc(r->n * sizeof(*tr->cell));
        cr_assert(tr->sub && tr->t && tr->cell);
        for (i = 0; i < r->n; i++) {
                span_t s = record_span(r, i);
                long c;
                int64_t t;
                cr_assert_eq(csv_parse(s.p, s.n, scratch, f, MAX_FIELDS), 16);
                cr_assert_eq(f[7].n, 15);
                c = cells_find(cells, f[9].p, f[9].n);
                cr_assert_geq(c, 0, "record %zu: cell %.*s not in the table", i,
                              (int)f[9].n, f[9].p);
                t = when(f[2].p, f[2].n);
                if (i == 0)
                        tr->t0 = t - t % 86400;
                tr->sub[i] = imsi_slot(keys, ids, CAP, f[7].p, &next);
                tr->t[i] = t - tr->t0;
                tr->cell[i] = (uint32_t)c;
        }
        tr->nsub = next;
}

static void trace_free(trace_t *tr)
{
        free(tr->sub);
        free(tr->t);
        free(tr->cell);
}

/* Mobility data: n subscribers over `days` days of 20 records a
 * subscriber a day, no malformed record; cells 0 for the default
 * network. */
static cdr_gen_t *mobility_run(run_t *r, uint32_t nsub, uint32_t cells,
                               unsigned days, uint64_t seed)
{
        cdr_gen_options_t opts;
        cdr_gen_t *gen;
        size_t i, n = (size_t)nsub * 20 * days;

        cdr_gen_options_default(&opts);
        opts.seed = seed;
        opts.subscribers = nsub;
        opts.cells = cells;
        opts.malformed_share = 0;
        gen = cdr_gen_new(&opts, NULL, 0);
        cr_assert_not_null(gen);
        memset(r, 0, sizeof(*r));
        r->start = calloc(n + 1, sizeof(*r->start));
        r->defect = calloc(n, sizeof(*r->defect));
        cr_assert(r->start && r->defect);
        for (i = 0; i < n; i++) {
                r->start[i] = r->out.len;
                cr_assert_eq(cdr_gen_record(gen, &r->out, &r->defect[i]),
                             CDR_OK);
        }
        r->start[n] = r->out.len;
        r->n = n;
        return gen;
}

/* Per subscriber, the count of each cell among the events that pass
 * `keep` (NULL: all), and the most frequent cell. */
typedef int (*keep_fn)(int64_t t);

static void modal_cells(const trace_t *tr, size_t ncells, keep_fn keep,
                        uint32_t *modal, uint32_t *modal_n, uint32_t *total)
{
        uint32_t *count = calloc(tr->nsub * ncells, sizeof(*count));
        size_t i, s, c;

        cr_assert_not_null(count);
        for (i = 0; i < tr->n; i++)
                if (keep == NULL || keep(tr->t[i]))
                        count[tr->sub[i] * ncells + tr->cell[i]]++;
        for (s = 0; s < tr->nsub; s++) {
                modal[s] = 0;
                modal_n[s] = 0;
                total[s] = 0;
                for (c = 0; c < ncells; c++) {
                        uint32_t k = count[s * ncells + c];
                        total[s] += k;
                        if (k > modal_n[s]) {
                                modal_n[s] = k;
                                modal[s] = (uint32_t)c;
                        }
                }
        }
        free(count);
}

static int at_night(int64_t t)
{
        return t % 86400 < 6 * 3600; /* 00:00-06:00 UTC */
}

/* 10:00-16:00 UTC, Monday to Friday (day 0 is the default start, a
 * Friday). */
static int weekday_daytime(int64_t t)
{
        int64_t tod = t % 86400;

        return (t / 86400 + 4) % 7 < 5 && tod >= 10 * 3600 && tod < 16 * 3600;
}

/* The network: every cell_id of the records is in the cell table, the
 * table's groups nest (a district's areas in one region, an area's cells
 * in one district), and its towns have Zipf sizes (the k-th largest
 * about 1/k of the largest: Zipf's law for cities). */
Test(gen, cell_table_holds_every_cell_and_nests)
{
        cdr_gen_options_t opts;
        cdr_gen_t *gen;
        cells_t cells;
        trace_t tr;
        run_t r;
        size_t i, used = 0, towns[16] = {0};
        char *seen;
        double sx = 0, sy = 0, sxx = 0, sxy = 0, slope;
        int k;

        gen = mobility_run(&r, 20000, 0, 1, 5);
        cells_load(&cells, gen);
        cr_expect_eq(cells.n, 100, "one cell a 200 subscribers");
        trace_load(&tr, &cells, &r);
        seen = calloc(cells.n, 1);
        for (i = 0; i < tr.n; i++) {
                used += !seen[tr.cell[i]];
                seen[tr.cell[i]] = 1;
        }
        cr_log_info("%zu of %zu cells used", used, cells.n);
        cr_expect_gt(used * 10, cells.n * 9, "%zu of %zu cells used", used,
                     cells.n);
        for (i = 1; i < cells.n; i++) {
                if (memcmp(cells.area[i], cells.area[i - 1], 11) == 0)
                        cr_assert_eq(cells.district[i], cells.district[i - 1]);
                if (cells.district[i] == cells.district[i - 1])
                        cr_assert_eq(cells.region[i], cells.region[i - 1]);
        }
        free(seen);
        trace_free(&tr);
        run_free(&r);
        cells_free(&cells);
        cdr_gen_destroy(gen);

        /* a larger network for the towns; the JSON layout's cell_id is
         * the same network's */
        cdr_gen_options_default(&opts);
        opts.format = CDR_GEN_JSON;
        opts.subscribers = 1000;
        opts.cells = 5000;
        gen = cdr_gen_new(&opts, NULL, 0);
        cr_assert_not_null(gen);
        cells_load(&cells, gen);
        for (i = 0; i < cells.n; i++)
                if (cells.town[i] >= 1 && cells.town[i] <= 16)
                        towns[cells.town[i] - 1]++;
        for (k = 0; k < 16; k++) {
                double x = log(k + 1.0), y = log((double)towns[k]);
                cr_assert_gt(towns[k], 0);
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
        }
        slope = (16 * sxy - sx * sy) / (16 * sxx - sx * sx);
        cr_log_info("town sizes ~ rank^%.2f", slope);
        cr_expect(slope > -1.2 && slope < -0.8,
                  "town sizes fall as rank^%.2f, not about rank^-1", slope);
        {
                cdr_buf_t out = CDR_BUF_INIT;
                char id[18];
                for (i = 0; i < 2000; i++)
                        cr_assert_eq(cdr_gen_record(gen, &out, NULL), CDR_OK);
                for (i = 0; i + 12 < out.len; i++) {
                        if (memcmp(out.data + i, "\"cell_id\":\"", 11) != 0)
                                continue;
                        memcpy(id, out.data + i + 11, 17);
                        id[17] = '\0';
                        cr_assert_geq(cells_find(&cells, id, 17), 0,
                                      "JSON cell %s not in the table", id);
                }
                cdr_buf_free(&out);
        }
        cells_free(&cells);
        cdr_gen_destroy(gen);
}

/* Home at night and, for most, a place of work on weekdays, as CDR
 * studies find the two anchors of a subscriber (home detection by the
 * night-time cell; the model keeps 9 nights in 10 at home and gives 6
 * subscribers in 10 a place of work). */
Test(gen, home_at_night_work_on_weekdays)
{
        enum { NSUB = 3000 };
        static uint32_t home[NSUB + 1], home_n[NSUB + 1], night_n[NSUB + 1];
        static uint32_t work[NSUB + 1], work_n[NSUB + 1], day_n[NSUB + 1];
        cdr_gen_t *gen;
        cells_t cells;
        trace_t tr;
        run_t r;
        size_t s, at_home = 0, night = 0, anchored = 0, counted = 0;
        double share;

        gen = mobility_run(&r, NSUB, 600, 14, 11);
        cells_load(&cells, gen);
        trace_load(&tr, &cells, &r);
        cr_assert_leq(tr.nsub, NSUB);
        modal_cells(&tr, cells.n, at_night, home, home_n, night_n);
        modal_cells(&tr, cells.n, weekday_daytime, work, work_n, day_n);
        for (s = 0; s < tr.nsub; s++) {
                if (night_n[s] >= 5) {
                        at_home += home_n[s];
                        night += night_n[s];
                }
                if (day_n[s] >= 10 && night_n[s] >= 5) {
                        counted++;
                        anchored +=
                            work[s] != home[s] && work_n[s] * 2 >= day_n[s];
                }
        }
        share = (double)at_home / (double)night;
        cr_log_info("night events at the night-time cell: %.3f", share);
        cr_expect(share > 0.85 && share < 0.98,
                  "%.3f of night events at the night-time cell", share);
        share = (double)anchored / (double)counted;
        cr_log_info("weekday daytime cell other than home: %.3f of %zu", share,
                    counted);
        cr_expect(counted > NSUB / 2 && share > 0.45 && share < 0.75,
                  "%.3f of %zu subscribers with a weekday daytime cell "
                  "other than home",
                  share, counted);
        trace_free(&tr);
        run_free(&r);
        cells_free(&cells);
        cdr_gen_destroy(gen);
}

/* Song et al. 2010: the number of distinct places seen grows as
 * S(t) ~ t^mu, mu about 0.6 (sub-linear: explorations become rarer as
 * places accumulate), and the k-th most visited place is visited with a
 * frequency ~ k^-zeta, zeta about 1.2 (preferential return).  A network
 * dense in cells, so that places are told apart. */
Test(gen, exploration_slows_and_visits_follow_zipf)
{
        enum { NSUB = 2000, DAYS = 16, K = 10 };
        static uint32_t *cells_of; /* per subscriber, cell -> count */
        double s_at[5] = {0}, f[K] = {0}, mu, slope;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        const int64_t at[5] = {1, 2, 4, 8, 16};
        size_t i, s, k, heavy = 0;
        cdr_gen_t *gen;
        cells_t cells;
        trace_t tr;
        run_t r;

        gen = mobility_run(&r, NSUB, 4000, DAYS, 3);
        cells_load(&cells, gen);
        trace_load(&tr, &cells, &r);
        cells_of = calloc(tr.nsub * cells.n, sizeof(*cells_of));
        cr_assert_not_null(cells_of);
        for (k = 0; k < 5; k++) {
                size_t distinct = 0;
                memset(cells_of, 0, tr.nsub * cells.n * sizeof(*cells_of));
                for (i = 0; i < tr.n; i++) {
                        uint32_t *c;
                        if (tr.t[i] >= at[k] * 86400)
                                continue;
                        c = &cells_of[tr.sub[i] * cells.n + tr.cell[i]];
                        distinct += *c == 0;
                        (*c)++;
                }
                s_at[k] = (double)distinct / (double)tr.nsub;
        }
        for (k = 0; k + 1 < 5; k++)
                cr_expect_gt(s_at[k + 1], s_at[k], "S(t) grows");
        /* from 2 to 16 days: early days undercount the places */
        mu = log(s_at[4] / s_at[1]) / log(8.0);
        cr_log_info("S(1, 2, 4, 8, 16 days) = %.2f %.2f %.2f %.2f %.2f: "
                    "mu %.2f",
                    s_at[0], s_at[1], s_at[2], s_at[3], s_at[4], mu);
        cr_expect(mu > 0.45 && mu < 0.85,
                  "S(t) ~ t^%.2f (S(2 days) %.1f, S(16 days) %.1f)", mu,
                  s_at[1], s_at[4]);

        /* cells_of holds all 16 days now */
        for (s = 0; s < tr.nsub; s++) {
                uint32_t *c = &cells_of[s * cells.n], top[K] = {0}, total = 0;
                for (i = 0; i < cells.n; i++) {
                        total += c[i];
                        for (k = 0; k < K; k++) {
                                if (c[i] > top[k]) {
                                        memmove(top + k + 1, top + k,
                                                (K - 1 - k) * sizeof(*top));
                                        top[k] = c[i];
                                        break;
                                }
                        }
                }
                if (total < 200)
                        continue;
                heavy++;
                for (k = 0; k < K; k++)
                        f[k] += (double)top[k] / total;
        }
        cr_assert_gt(heavy, 100);
        /* from the second place on: the first, home, is the night's */
        for (k = 1; k < K; k++) {
                double x = log(k + 1.0), y = log(f[k] / (double)heavy);
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
        }
        slope = ((K - 1) * sxy - sx * sy) / ((K - 1) * sxx - sx * sx);
        cr_log_info("f_1..f_4 = %.3f %.3f %.3f %.3f, slope for k = 2..10: "
                    "%.2f",
                    f[0] / heavy, f[1] / heavy, f[2] / heavy, f[3] / heavy,
                    slope);
        cr_expect(slope > -1.7 && slope < -1.15,
                  "f_k ~ k^%.2f for k = 2..10, not about k^-1.2", slope);
        cr_expect_gt(f[0] / (double)heavy, 0.25,
                     "the most visited place (home) holds %.2f",
                     f[0] / (double)heavy);
        free(cells_of);
        trace_free(&tr);
        run_free(&r);
        cells_free(&cells);
        cdr_gen_destroy(gen);
}

/* Events follow the diurnal curve: the small hours are quiet, the
 * evening busy. */
Test(gen, events_follow_the_day)
{
        size_t hours[24] = {0}, i;
        cdr_gen_t *gen;
        cells_t cells;
        trace_t tr;
        run_t r;

        gen = mobility_run(&r, 1000, 0, 7, 8);
        cells_load(&cells, gen);
        trace_load(&tr, &cells, &r);
        for (i = 0; i < tr.n; i++)
                hours[tr.t[i] % 86400 / 3600]++;
        cr_log_info("events at 02h, 03h, 12h, 18h: %zu %zu %zu %zu", hours[2],
                    hours[3], hours[12], hours[18]);
        cr_expect_gt(hours[18], hours[3] * 6, "18h: %zu, 3h: %zu", hours[18],
                     hours[3]);
        cr_expect_gt(hours[12], hours[2] * 6);
        cr_expect_gt(tr.t[tr.n - 1], 6 * 86400);
        cr_expect_lt(tr.t[tr.n - 1], 8 * 86400);
        trace_free(&tr);
        run_free(&r);
        cells_free(&cells);
        cdr_gen_destroy(gen);
}

/* The same seed gives the same network and the same movements; another
 * seed another network. */
Test(gen, network_is_a_function_of_the_options)
{
        cdr_gen_options_t opts;
        cdr_buf_t a = CDR_BUF_INIT, b = CDR_BUF_INIT, c = CDR_BUF_INIT;
        cdr_gen_t *ga, *gb, *gc;

        cdr_gen_options_default(&opts);
        opts.subscribers = 30000;
        ga = cdr_gen_new(&opts, NULL, 0);
        gb = cdr_gen_new(&opts, NULL, 0);
        opts.seed = 2;
        gc = cdr_gen_new(&opts, NULL, 0);
        cr_assert(ga && gb && gc);
        cr_assert_eq(cdr_gen_cells_csv(ga, &a), CDR_OK);
        cr_assert_eq(cdr_gen_cells_csv(gb, &b), CDR_OK);
        cr_assert_eq(cdr_gen_cells_csv(gc, &c), CDR_OK);
        cr_assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        cr_assert(a.len != c.len || memcmp(a.data, c.data, a.len) != 0);
        cdr_buf_free(&a);
        cdr_buf_free(&b);
        cdr_buf_free(&c);
        cdr_gen_destroy(ga);
        cdr_gen_destroy(gb);
        cdr_gen_destroy(gc);
}

static char *slurp(const char *path, size_t *len)
{
        FILE *fp = fopen(path, "rb");
        long size;
        char *data;

        cr_assert_not_null(fp, "%s", path);
        fseek(fp, 0, SEEK_END);
        size = ftell(fp);
        rewind(fp);
        data = malloc((size_t)size + 1);
        cr_assert_not_null(data);
        cr_assert_eq(fread(data, 1, (size_t)size, fp), (size_t)size);
        fclose(fp);
        *len = (size_t)size;
        return data;
}

/* --days D: D days of 20 records a subscriber a day, or N records over
 * D days; --cells-out: the table of the network the records use. */
Test(gen, command_days_and_cell_table, .init = redirect_all)
{
        char out[] = "/tmp/cdranon-test-gen-XXXXXX";
        char cells[] = "/tmp/cdranon-test-cells-XXXXXX";
        char *argv[] = {"gen",   "--days",  "3",           "--subscribers",
                        "50",    "--cells", "40",          "--no-header",
                        "--out", out,       "--cells-out", cells,
                        NULL};
        char *spread[] = {"gen",  "--days", "7", "--records",
                          "7000", "--out",  out, NULL};
        char *bad[][6] = {
            {"gen", "--days", "0", NULL},
            {"gen", "--cells", "0", NULL},
            {"gen", "--cells", "65536", NULL},
            {"gen", "--days", "2", "--records", "0", NULL},
        };
        cdr_gen_options_t opts;
        cdr_buf_t want = CDR_BUF_INIT;
        cdr_gen_t *gen;
        char *got;
        size_t len, i, lines;
        int fd;

        fd = mkstemp(out);
        cr_assert_geq(fd, 0);
        close(fd);
        fd = mkstemp(cells);
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(cdr_cmd_gen(12, argv), CDR_EXIT_OK);
        got = slurp(out, &len);
        lines = csv_frame(got, len, NULL, 0);
        cr_expect_eq(lines, 3 * 20 * 50, "%zu records", lines);
        free(got);

        cdr_gen_options_default(&opts);
        opts.subscribers = 50;
        opts.cells = 40;
        gen = cdr_gen_new(&opts, NULL, 0);
        cr_assert_not_null(gen);
        cr_assert_eq(cdr_gen_cells_csv(gen, &want), CDR_OK);
        cdr_gen_destroy(gen);
        got = slurp(cells, &len);
        cr_assert(len == want.len && memcmp(got, want.data, len) == 0,
                  "the cell table written is the generator's");
        free(got);
        cdr_buf_free(&want);

        /* 7000 records over a week: the gaps are random, so the last
         * falls within a few hours of the end (the sum of 7000 uniform
         * gaps: a standard deviation of 1.2 h) */
        cr_assert_eq(cdr_cmd_gen(7, spread), CDR_EXIT_OK);
        got = slurp(out, &len);
        {
                static span_t recs[8000];
                static char scratch[4096];
                span_t f[MAX_FIELDS];
                long long t;
                cr_assert_eq(csv_frame(got, len, recs, 8000), 7001);
                cr_assert_eq(csv_parse(recs[7000].p, recs[7000].n, scratch, f,
                                       MAX_FIELDS),
                             16);
                t = when(f[2].p, f[2].n) -
                    days_from_civil(2026, 11, 27) * 86400;
                cr_expect(t > 7 * 86400 - 8 * 3600 && t < 7 * 86400 + 8 * 3600,
                          "last record %lld s after the start", t);
        }
        free(got);
        unlink(out);
        unlink(cells);

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int n = 0;
                while (bad[i][n])
                        n++;
                cr_expect_eq(cdr_cmd_gen(n, bad[i]), CDR_EXIT_USAGE,
                             "bad case %zu", i);
        }
}
