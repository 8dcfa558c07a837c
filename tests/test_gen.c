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
