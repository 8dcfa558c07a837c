/*
 * One-object-per-line JSON reader (json.h), against RFC 8259 (grammar,
 * escapes, surrogate pairs) and RFC 3629 (well-formed UTF-8).  Every
 * record is parsed from a heap buffer of exactly its length, with no
 * terminator after it, so that a read past the end shows up under
 * valgrind.  Values in the negative cases hold the marker SECRET, which
 * no reason may contain.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdranon/json.h"

static cdr_schema_t *schema;
static cdr_record_t record;
static int slot_a, slot_b, slot_zz;

/* The schema needs a and b; zz never appears in the records. */
static void setup(void)
{
        schema = cdr_schema_new();
        cr_assert_not_null(schema);
        slot_a = cdr_schema_add(schema, "a", 1);
        slot_b = cdr_schema_add(schema, "b", 1);
        slot_zz = cdr_schema_add(schema, "zz", 2);
        cr_assert(slot_a >= 0 && slot_b >= 0 && slot_zz >= 0);
        memset(&record, 0, sizeof(record));
}

/* The input of the last parse(): the record's views point into it. */
static char *input;

static void teardown(void)
{
        free(input);
        input = NULL;
        cdr_record_free(&record);
        cdr_schema_destroy(schema);
}

TestSuite(json, .init = setup, .fini = teardown);

static char *exact_copy(const char *p, size_t n)
{
        char *copy = malloc(n ? n : 1);

        cr_assert_not_null(copy);
        memcpy(copy, p, n);
        return copy;
}

static int view_is(cdr_view_t v, const char *want, size_t want_len)
{
        return v.p != NULL && v.n == want_len &&
               memcmp(v.p, want, want_len) == 0;
}

/* Parses a heap copy of exactly len bytes of `in`. */
static int parse(const char *in, size_t len, char *err, size_t err_size)
{
        free(input);
        input = exact_copy(in, len);
        return cdr_json_parse(schema, input, len, &record, err, err_size);
}

#define ABSENT NULL

struct json_case {
        const char *name;
        const char *in;
        size_t len; /* 0: strlen(in) */
        int rc;
        const char *a; /* ABSENT: slot a empty */
        size_t a_len;  /* 0: strlen(a) */
        uint8_t a_flags;
        const char *b;
        uint8_t b_flags;
        size_t nfields;
        const char *err; /* expected in the reason */
};

#define OK(name, in, a, af, b, bf, n)                                          \
        {                                                                      \
                name, in, 0, 0, a, 0, af, b, bf, n, NULL                       \
        }
#define BAD(name, in, err)                                                     \
        {                                                                      \
                name, in, 0, CDR_ERR_MALFORMED, NULL, 0, 0, NULL, 0, 0, err    \
        }

#define NUM CDR_VAL_NUMBER

static const struct json_case json_cases[] = {
    /* positive */
    OK("strings", "{\"a\":\"x\",\"b\":\"y\"}", "x", 0, "y", 0, 2),
    OK("white space and crlf", "  {\r\n\t\"a\" : \"x\" ,\"b\":\"y\"  }  \r\n",
       "x", 0, "y", 0, 2),
    OK("numbers", "{\"a\":123,\"b\":-0.5e+10}", "123", NUM, "-0.5e+10", NUM, 2),
    OK("number forms", "{\"a\":0,\"b\":-0}", "0", NUM, "-0", NUM, 2),
    OK("number exponents", "{\"a\":1E5,\"b\":2.25e-3}", "1E5", NUM, "2.25e-3",
       NUM, 2),
    OK("number before brace", "{\"a\":7}", "7", NUM, ABSENT, 0, 1),
    OK("null", "{\"a\":null}", "", CDR_VAL_NULL, ABSENT, 0, 1),
    OK("true and false", "{\"a\":true,\"b\":false}", "true", 0, "false", 0, 2),
    OK("simple escapes", "{\"a\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\"}",
       "q\"b\\s/n\nt\tr\rb\bf\f", 0, ABSENT, 0, 1),
    OK("unicode escapes", "{\"a\":\"\\u00e9\\u20AC\\u0041\"}",
       "\xc3\xa9\xe2\x82\xac"
       "A",
       0, ABSENT, 0, 1),
    OK("surrogate pair", "{\"a\":\"x\\ud83d\\ude00y\"}", "x\xf0\x9f\x98\x80y",
       0, ABSENT, 0, 1),
    OK("highest code point", "{\"a\":\"\\uDBFF\\uDFFF\"}", "\xf4\x8f\xbf\xbf",
       0, ABSENT, 0, 1),
    OK("raw utf-8", "{\"a\":\"Zo\xc3\xab \xe6\x97\xa5 \xf0\x9f\x98\x80\"}",
       "Zo\xc3\xab \xe6\x97\xa5 \xf0\x9f\x98\x80", 0, ABSENT, 0, 1),
    OK("utf-8 next to escapes", "{\"a\":\"\xc3\xa9\\n\xc3\xa9\"}",
       "\xc3\xa9\n\xc3\xa9", 0, ABSENT, 0, 1),
    OK("unneeded fields counted",
       "{\"x\":\"1\",\"a\":\"2\",\"y\":3,\"z\":null,\"w\":true}", "2", 0,
       ABSENT, 0, 5),
    OK("empty object", "{}", ABSENT, 0, ABSENT, 0, 0),
    OK("empty object spaced", " { } ", ABSENT, 0, ABSENT, 0, 0),
    OK("escaped name", "{\"\\u0061\":\"v\",\"\\u0062\":1}", "v", 0, "1", NUM,
       2),
    OK("empty string", "{\"a\":\"\"}", "", 0, ABSENT, 0, 1),
    OK("empty name", "{\"\":1,\"a\":2}", "2", NUM, ABSENT, 0, 2),
    OK("names are case sensitive", "{\"A\":1,\"a\":2}", "2", NUM, ABSENT, 0, 2),
    /* negative */
    BAD("nested object", "{\"a\":{\"b\":\"SECRET\"}}",
        "json: field 'a': nested objects are not accepted"),
    BAD("nested array unneeded", "{\"x\":[\"SECRET\"]}",
        "json: field 'x': nested arrays are not accepted"),
    BAD("duplicate", "{\"a\":\"SECRET\",\"a\":2}", "json: duplicate field 'a'"),
    BAD("duplicate unneeded", "{\"x\":1,\"y\":2,\"x\":\"SECRET\"}",
        "json: duplicate field 'x'"),
    BAD("duplicate through escape", "{\"a\":1,\"\\u0061\":\"SECRET\"}",
        "json: duplicate field 'a'"),
    BAD("lone high surrogate", "{\"a\":\"\\ud83dSECRET\"}",
        "json: field 'a': unpaired surrogate"),
    BAD("lone high surrogate at end", "{\"a\":\"\\ud83d\"}",
        "json: field 'a': unpaired surrogate"),
    BAD("lone low surrogate", "{\"b\":\"SECRET\\ude00\"}",
        "json: field 'b': unpaired surrogate"),
    BAD("high then non-low", "{\"x\":\"\\ud83d\\u0041SECRET\"}",
        "json: field 'x': unpaired surrogate"),
    BAD("two high surrogates", "{\"a\":\"\\ud83d\\ud83d\"}",
        "unpaired surrogate"),
    BAD("control character", "{\"a\":\"SEC\x01RET\"}",
        "json: field 'a': control character in string"),
    BAD("raw tab", "{\"a\":\"SEC\tRET\"}", "control character in string"),
    BAD("raw newline unneeded", "{\"x\":\"SEC\nRET\"}",
        "json: field 'x': control character in string"),
    BAD("invalid utf-8 byte", "{\"a\":\"SECRET\xff\"}",
        "json: invalid UTF-8 in field 'a'"),
    BAD("overlong", "{\"a\":\"SECRET\xc0\xaf\"}",
        "json: invalid UTF-8 in field 'a'"),
    BAD("overlong three bytes", "{\"a\":\"\xe0\x80\xafSECRET\"}",
        "invalid UTF-8"),
    BAD("encoded surrogate", "{\"x\":\"\xed\xa0\x80SECRET\"}",
        "json: invalid UTF-8 in field 'x'"),
    BAD("truncated sequence", "{\"a\":\"\xe2\x82SECRET\"}", "invalid UTF-8"),
    BAD("above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80SECRET\"}",
        "invalid UTF-8"),
    BAD("lone continuation", "{\"a\":\"\x80SECRET\"}", "invalid UTF-8"),
    BAD("invalid utf-8 after escape", "{\"a\":\"\\n\xffSECRET\"}",
        "json: invalid UTF-8 in field 'a'"),
    BAD("invalid utf-8 in name", "{\"\xff\":1}",
        "json: invalid UTF-8 in name of field 1"),
    BAD("trailing garbage", "{\"a\":\"SECRET\"} x",
        "json: trailing characters after the object"),
    BAD("two objects", "{\"a\":1}{\"b\":2}",
        "json: trailing characters after the object"),
    BAD("leading zero", "{\"a\":01}", "json: field 'a': invalid number"),
    BAD("bare point", "{\"a\":1.}", "json: field 'a': invalid number"),
    BAD("no integer part", "{\"a\":.5}", "json: field 'a': invalid value"),
    BAD("plus sign", "{\"a\":+1}", "json: field 'a': invalid value"),
    BAD("minus alone", "{\"a\":-}", "json: field 'a': invalid number"),
    BAD("empty exponent", "{\"a\":1e}", "json: field 'a': invalid number"),
    BAD("signed empty exponent", "{\"a\":1E+}", "invalid number"),
    BAD("hex", "{\"a\":0x10}", "json: field 'a': invalid number"),
    BAD("two points", "{\"a\":1.2.3}", "invalid number"),
    BAD("double minus", "{\"a\":--1}", "invalid number"),
    BAD("NaN", "{\"a\":NaN}", "json: field 'a': invalid value"),
    BAD("Infinity", "{\"a\":-Infinity}", "invalid number"),
    BAD("unterminated string", "{\"a\":\"SECRET",
        "json: unexpected end of input"),
    BAD("unterminated object", "{\"a\":1", "json: unexpected end of input"),
    BAD("open brace only", "{", "json: unexpected end of input"),
    BAD("empty input", "", "json: unexpected end of input"),
    BAD("blank input", " \r\n", "json: unexpected end of input"),
    BAD("cut in escape", "{\"a\":\"\\u00", "json: unexpected end of input"),
    BAD("array record", "[1]", "json: record is not an object"),
    BAD("string record", "\"SECRET\"", "json: record is not an object"),
    BAD("trailing comma", "{\"a\":1,}", "json: expected a field name"),
    BAD("missing colon", "{\"a\" 1}",
        "json: field 'a': expected ':' after the name"),
    BAD("missing comma", "{\"a\":1 \"b\":2}",
        "json: field 'a': expected ',' or '}'"),
    BAD("missing value", "{\"a\":}", "json: field 'a': invalid value"),
    BAD("single quotes", "{'a':1}", "json: expected a field name"),
    BAD("unquoted name", "{a:1}", "json: expected a field name"),
    BAD("bad escape", "{\"a\":\"\\xSECRET\"}",
        "json: field 'a': invalid escape"),
    BAD("bad unicode escape", "{\"a\":\"\\u12G4SECRET\"}",
        "json: field 'a': invalid escape"),
    BAD("bad literal", "{\"a\":tru}", "json: field 'a': invalid value"),
    BAD("literal with tail", "{\"a\":nullx}", "json: field 'a': invalid value"),
    BAD("capital literal", "{\"a\":True}", "invalid value"),
    BAD("nested unprintable name", "{\"a\\u0001\":{}}",
        "json: field 1: nested objects are not accepted"),
    BAD("long name not shown",
        "{\"x\":1,\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
        "nnnnnnnn\":[]}",
        "json: field 2: nested arrays are not accepted"),
    {"nul after object", "{\"a\":1}\0", 8, CDR_ERR_MALFORMED, NULL, 0, 0, NULL,
     0, 0, "json: trailing characters after the object"},
    {"nul in string", "{\"a\":\"a\0b\"}", 11, CDR_ERR_MALFORMED, NULL, 0, 0,
     NULL, 0, 0, "control character in string"},
    {"escaped nul", "{\"a\":\"x\\u0000y\"}", 0, 0, "x\0y", 3, 0, ABSENT, 0, 1,
     NULL},
};

static void check_slot(const char *name, const char *which, int slot,
                       const char *want, size_t want_len, uint8_t flags)
{
        if (want == ABSENT) {
                cr_expect_null(record.value[slot].p, "%s: %s is absent", name,
                               which);
                return;
        }
        if (want_len == 0)
                want_len = strlen(want);
        cr_expect(view_is(record.value[slot], want, want_len),
                  "%s: %s is '%.*s'", name, which, (int)record.value[slot].n,
                  record.value[slot].p ? record.value[slot].p : "");
        cr_expect_eq(record.flags[slot], flags, "%s: %s flags %u", name, which,
                     record.flags[slot]);
}

Test(json, parse_table)
{
        size_t i;

        for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
                const struct json_case *t = &json_cases[i];
                size_t len = t->len ? t->len : strlen(t->in);
                char err[256] = "";
                int rc;

                rc = parse(t->in, len, err, sizeof(err));
                cr_expect_eq(rc, t->rc, "%s: rc %d, want %d (%s)", t->name, rc,
                             t->rc, err);
                cr_expect_null(strstr(err, "SECRET"),
                               "%s: reason shows a value: %s", t->name, err);
                if (t->rc == 0 && rc == 0) {
                        check_slot(t->name, "a", slot_a, t->a, t->a_len,
                                   t->a_flags);
                        check_slot(t->name, "b", slot_b, t->b, 0, t->b_flags);
                        cr_expect_null(record.value[slot_zz].p, "%s: zz",
                                       t->name);
                        cr_expect_eq(record.nfields, t->nfields,
                                     "%s: nfields %zu, want %zu", t->name,
                                     record.nfields, t->nfields);
                        cr_expect_eq(record.raw.n, len, "%s: raw", t->name);
                }
                if (t->err != NULL)
                        cr_expect_not_null(strstr(err, t->err),
                                           "%s: reason '%s', want '%s'",
                                           t->name, err, t->err);
        }
}

/* Values without escapes are views of the input; only needed values with
 * escapes are decoded into scratch. */
Test(json, unneeded_fields_not_copied)
{
        static const char plain[] =
            "{\"a\":\"plain\",\"x\":\"SE\\u00e9CRET\\n\",\"y\":\"\\t\"}";
        static const char needed[] = "{\"x\":\"\\n\",\"b\":\"x\\ny\"}";
        char err[256] = "";
        char *buf;

        buf = exact_copy(plain, sizeof(plain) - 1);
        cr_assert_eq(cdr_json_parse(schema, buf, sizeof(plain) - 1, &record,
                                    err, sizeof(err)),
                     0, "%s", err);
        cr_expect_eq(record.scratch.len, 0,
                     "an unneeded escaped value was copied");
        cr_expect(record.value[slot_a].p == buf + 6,
                  "a value without escapes is a view of the input");
        cr_expect_eq(record.nfields, 3);
        free(buf);

        buf = exact_copy(needed, sizeof(needed) - 1);
        cr_assert_eq(cdr_json_parse(schema, buf, sizeof(needed) - 1, &record,
                                    err, sizeof(err)),
                     0, "%s", err);
        cr_expect(view_is(record.value[slot_b], "x\ny", 3));
        cr_expect(record.value[slot_b].p == record.scratch.data,
                  "a needed escaped value is decoded into scratch");
        cr_expect_eq(record.scratch.len, 3);
        free(buf);
}

/* A record parsed after another leaves nothing of the first behind. */
Test(json, reuse_clears_slots)
{
        char err[256] = "";

        cr_assert_eq(parse("{\"a\":\"1\",\"b\":null}", 18, err, sizeof(err)), 0,
                     "%s", err);
        cr_expect_eq(record.flags[slot_b], CDR_VAL_NULL);
        cr_assert_eq(parse("{\"b\":2}", 7, err, sizeof(err)), 0, "%s", err);
        cr_expect_null(record.value[slot_a].p);
        cr_expect_eq(record.flags[slot_b], CDR_VAL_NUMBER);
        cr_expect_eq(record.nfields, 1);
}

Test(json, long_names_never_match)
{
        char name[CDR_FIELD_NAME_MAX + 2];
        char rec[CDR_FIELD_NAME_MAX + 32], err[256] = "";
        cdr_schema_t *sch = cdr_schema_new();
        int slot, n;

        cr_assert_not_null(sch);
        memset(name, 'k', sizeof(name));
        slot = cdr_schema_add(sch, name, CDR_FIELD_NAME_MAX);
        cr_assert_geq(slot, 0);

        n = snprintf(rec, sizeof(rec), "{\"%.*s\":1}", CDR_FIELD_NAME_MAX,
                     name);
        cr_assert_eq(
            cdr_json_parse(sch, rec, (size_t)n, &record, err, sizeof(err)), 0,
            "%s", err);
        cr_expect(view_is(record.value[slot], "1", 1),
                  "a name of CDR_FIELD_NAME_MAX bytes matches");

        n = snprintf(rec, sizeof(rec), "{\"%.*s\":1}", CDR_FIELD_NAME_MAX + 1,
                     name);
        cr_assert_eq(
            cdr_json_parse(sch, rec, (size_t)n, &record, err, sizeof(err)), 0,
            "%s", err);
        cr_expect_null(record.value[slot].p,
                       "a longer name whose prefix is in the schema");
        cr_expect_eq(record.nfields, 1);
        cdr_schema_destroy(sch);
}

Test(json, field_limit)
{
        size_t cap = (CDR_JSON_MAX_FIELDS + 1) * 16, len;
        char *buf = malloc(cap), err[256] = "";
        int i;

        cr_assert_not_null(buf);
        len = 0;
        buf[len++] = '{';
        for (i = 0; i < CDR_JSON_MAX_FIELDS; i++)
                len += (size_t)snprintf(buf + len, cap - len, "%s\"f%d\":%d",
                                        i ? "," : "", i, i);
        buf[len++] = '}';
        cr_expect_eq(parse(buf, len, err, sizeof(err)), 0, "%s", err);
        cr_expect_eq(record.nfields, CDR_JSON_MAX_FIELDS);

        len--;
        len += (size_t)snprintf(buf + len, cap - len, ",\"a\":1}");
        cr_expect_eq(parse(buf, len, err, sizeof(err)), CDR_ERR_MALFORMED);
        cr_expect_not_null(strstr(err, "json: more than"), "%s", err);
        free(buf);
}

/* Many distinct names with colliding buckets must not be mistaken for
 * duplicates, and a duplicate far apart is still found. */
Test(json, duplicates_among_many)
{
        size_t cap = CDR_JSON_MAX_FIELDS * 16, len = 0;
        char *buf = malloc(cap), err[256] = "";
        int i;

        cr_assert_not_null(buf);
        buf[len++] = '{';
        for (i = 0; i < CDR_JSON_MAX_FIELDS - 1; i++)
                len += (size_t)snprintf(buf + len, cap - len, "%s\"%d\":0",
                                        i ? "," : "", i);
        len += (size_t)snprintf(buf + len, cap - len, ",\"0\":1}");
        cr_expect_eq(parse(buf, len, err, sizeof(err)), CDR_ERR_MALFORMED);
        cr_expect_str_eq(err, "json: duplicate field '0'");
        len -= 7;
        len += (size_t)snprintf(buf + len, cap - len, ",\"00\":1}");
        cr_expect_eq(parse(buf, len, err, sizeof(err)), 0, "%s", err);
        free(buf);
}

static char *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;

        cr_assert_not_null(f, "%s", path);
        cr_assert_eq(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        cr_assert_geq(n, 0);
        rewind(f);
        buf = malloc((size_t)n + 1);
        cr_assert_not_null(buf);
        cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *len = (size_t)n;
        return buf;
}

Test(json, sample_file)
{
        static const int want_rc[] = {
            0, 0, CDR_ERR_MALFORMED, CDR_ERR_MALFORMED, 0, CDR_ERR_MALFORMED};
        static const char *const want_number[] = {
            "+447700900001", "+447700900003", NULL, NULL, "Zo\xc3\xab", NULL};
        static const char *const want_duration[] = {"12", "0",     NULL,
                                                    NULL, "1.5e2", NULL};
        cdr_schema_t *sch = cdr_schema_new();
        size_t n, pos = 0, i = 0;
        char *file = read_file("tests/data/readers/calls.jsonl", &n);
        char err[256];
        int number, duration;

        cr_assert_not_null(sch);
        number = cdr_schema_add(sch, "calling_number", 14);
        duration = cdr_schema_add(sch, "duration", 8);
        while (pos < n) {
                const char *nl = memchr(file + pos, '\n', n - pos);
                size_t len = nl ? (size_t)(nl - file - pos) + 1 : n - pos;
                char *rec = exact_copy(file + pos, len);
                int rc;

                cr_assert_lt(i, 6);
                err[0] = '\0';
                rc = cdr_json_parse(sch, rec, len, &record, err, sizeof(err));
                cr_expect_eq(rc, want_rc[i], "line %zu: %s", i + 1, err);
                if (rc == 0 && want_rc[i] == 0) {
                        cr_expect(view_is(record.value[number], want_number[i],
                                          strlen(want_number[i])),
                                  "line %zu: calling_number", i + 1);
                        cr_expect(view_is(record.value[duration],
                                          want_duration[i],
                                          strlen(want_duration[i])),
                                  "line %zu: duration", i + 1);
                        cr_expect_eq(record.flags[duration], CDR_VAL_NUMBER);
                }
                free(rec);
                pos += len;
                i++;
        }
        cr_expect_eq(i, 6);
        cdr_schema_destroy(sch);
        free(file);
}

/* The scanner reads many bytes at a time; a byte that ends the fast path
 * must be found at every offset from the start of a string. */
Test(json, special_byte_at_every_offset)
{
        char rec[128], want[64], err[256] = "";
        size_t off, n, tail;
        int kind;

        for (kind = 0; kind < 4; kind++) {
                for (off = 0; off < 40; off++) {
                        tail = 40 - off;
                        n = (size_t)snprintf(rec, sizeof(rec), "{\"a\":\"");
                        memset(rec + n, 'x', off);
                        n += off;
                        switch (kind) {
                        case 0: /* an escape */
                                memcpy(rec + n, "\\n", 2);
                                n += 2;
                                break;
                        case 1: /* two bytes of UTF-8 */
                                memcpy(rec + n, "\xc3\xa9", 2);
                                n += 2;
                                break;
                        case 2: /* a control byte */
                                rec[n++] = '\x1f';
                                break;
                        default: /* a backslash-free end of string */
                                break;
                        }
                        memset(rec + n, 'y', tail);
                        n += tail;
                        memcpy(rec + n, "\"}", 2);
                        n += 2;

                        memset(want, 'x', off);
                        if (kind == 0)
                                want[off] = '\n';
                        if (kind == 1)
                                memcpy(want + off, "\xc3\xa9", 2);
                        memset(want + off +
                                   (kind == 0   ? 1
                                    : kind == 1 ? 2
                                                : 0),
                               'y', tail);

                        if (kind == 2) {
                                cr_expect_eq(parse(rec, n, err, sizeof(err)),
                                             CDR_ERR_MALFORMED,
                                             "control byte at %zu", off);
                                continue;
                        }
                        cr_assert_eq(parse(rec, n, err, sizeof(err)), 0,
                                     "kind %d at %zu: %s", kind, off, err);
                        cr_expect(view_is(record.value[slot_a], want,
                                          off + tail +
                                              (kind == 0   ? 1
                                               : kind == 1 ? 2
                                                           : 0)),
                                  "kind %d at %zu", kind, off);
                }
        }
}
