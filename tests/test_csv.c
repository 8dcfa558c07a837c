/*
 * RFC 4180 reader (csv.h).  Every record is parsed from a heap buffer of
 * exactly its length, with no terminator after it, so that a read past
 * the end shows up under valgrind.  Values in the negative cases hold the
 * marker SECRET, which no reason may contain.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdranon/csv.h"

static cdr_schema_t *schema;
static cdr_csv_t *csv;
static cdr_record_t record;
static int slot_a, slot_c, slot_zz;

/* Columns a,b,c; the schema needs a and c (b is not needed) and zz,
 * which no column provides. */
static void setup(void)
{
        static const char *const columns[] = {"a", "b", "c"};
        char err[256];

        schema = cdr_schema_new();
        cr_assert_not_null(schema);
        slot_a = cdr_schema_add(schema, "a", 1);
        slot_c = cdr_schema_add(schema, "c", 1);
        slot_zz = cdr_schema_add(schema, "zz", 2);
        cr_assert(slot_a >= 0 && slot_c >= 0 && slot_zz >= 0);
        csv = cdr_csv_new(',', schema, err, sizeof(err));
        cr_assert_not_null(csv, "%s", err);
        cr_assert_eq(cdr_csv_set_columns(csv, columns, 3, err, sizeof(err)),
                     CDR_OK, "%s", err);
        memset(&record, 0, sizeof(record));
}

static void teardown(void)
{
        cdr_record_free(&record);
        cdr_csv_destroy(csv);
        cdr_schema_destroy(schema);
}

TestSuite(csv, .init = setup, .fini = teardown);

/* A heap copy of exactly n bytes (one byte is allocated for n == 0 so
 * that the pointer is valid; it is never read). */
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

static int in_scratch(cdr_view_t v)
{
        return v.p >= record.scratch.data &&
               v.p + v.n <= record.scratch.data + record.scratch.len;
}

struct csv_case {
        const char *name;
        const char *in;
        size_t len; /* 0: strlen(in) */
        int rc;
        const char *a; /* expected value of column a (rc == 0) */
        const char *c; /* expected value of column c (rc == 0) */
        size_t a_len;  /* 0: strlen(a) */
        size_t nfields;
        const char *err; /* expected in the reason (rc != 0) */
};

static const struct csv_case csv_cases[] = {
    /* positive */
    {"plain", "1,2,3", 0, 0, "1", "3", 0, 3, NULL},
    {"lf", "1,2,3\n", 0, 0, "1", "3", 0, 3, NULL},
    {"crlf", "1,2,3\r\n", 0, 0, "1", "3", 0, 3, NULL},
    {"empty fields", ",,", 0, 0, "", "", 0, 3, NULL},
    {"empty fields crlf", ",,\r\n", 0, 0, "", "", 0, 3, NULL},
    {"quoted", "\"x\",\"y\",\"z\"", 0, 0, "x", "z", 0, 3, NULL},
    {"quoted delimiters", "\"x,1\",2,\"z,,\"", 0, 0, "x,1", "z,,", 0, 3, NULL},
    {"doubled quotes", "\"say \"\"hi\"\"\",2,\"\"\"\"", 0, 0, "say \"hi\"",
     "\"", 0, 3, NULL},
    {"quoted lf", "\"l1\nl2\",2,3\n", 0, 0, "l1\nl2", "3", 0, 3, NULL},
    {"quoted crlf", "\"l1\r\nl2\",2,\"x\r\"\r\n", 0, 0, "l1\r\nl2", "x\r", 0, 3,
     NULL},
    {"quoted line end only", "\"\n\",2,\"\r\n\"", 0, 0, "\n", "\r\n", 0, 3,
     NULL},
    {"empty quoted", "\"\",b,\"\"", 0, 0, "", "", 0, 3, NULL},
    {"utf-8 passes", "Zo\xc3\xab,2,\xe6\x97\xa5", 0, 0, "Zo\xc3\xab",
     "\xe6\x97\xa5", 0, 3, NULL},
    {"spaces kept", " a , b , c ", 0, 0, " a ", " c ", 0, 3, NULL},
    {"trailing empty field", "1,2,\r\n", 0, 0, "1", "", 0, 3, NULL},
    {"quoted last with crlf", "1,2,\"3\"\r\n", 0, 0, "1", "3", 0, 3, NULL},
    {"escaped unneeded column", "1,\"q\"\"q\",3", 0, 0, "1", "3", 0, 3, NULL},
    {"nul byte is data", "a\0b,2,3", 7, 0, "a\0b", "3", 3, 3, NULL},
    /* negative */
    {"too few columns", "SECRET,2", 0, CDR_ERR_MALFORMED, NULL, NULL, 0, 2,
     "csv: 2 columns, expected 3"},
    {"too many columns", "1,2,3,SECRET\r\n", 0, CDR_ERR_MALFORMED, NULL, NULL,
     0, 4, "csv: 4 columns, expected 3"},
    {"unterminated quote", "1,\"SECRET,3", 0, CDR_ERR_MALFORMED, NULL, NULL, 0,
     0, "csv: unterminated quoted field in column 2 (b)"},
    {"unterminated quote last", "1,2,\"SECRET\r\n", 0, CDR_ERR_MALFORMED, NULL,
     NULL, 0, 0, "unterminated quoted field in column 3 (c)"},
    {"unterminated after doubled", "\"SE\"\"CRET,2,3", 0, CDR_ERR_MALFORMED,
     NULL, NULL, 0, 0, "unterminated quoted field in column 1 (a)"},
    {"quote mid field", "1,SE\"CRET,3", 0, CDR_ERR_MALFORMED, NULL, NULL, 0, 0,
     "csv: quote inside unquoted field in column 2 (b)"},
    {"quote after space", "1, \"SECRET\",3", 0, CDR_ERR_MALFORMED, NULL, NULL,
     0, 0, "quote inside unquoted field in column 2"},
    {"quote at field end", "1,2,SECRET\"", 0, CDR_ERR_MALFORMED, NULL, NULL, 0,
     0, "quote inside unquoted field in column 3"},
    {"text after closing quote", "\"SECRET\"x,2,3", 0, CDR_ERR_MALFORMED, NULL,
     NULL, 0, 0,
     "csv: unexpected character after closing quote in column 1 (a)"},
    {"space after closing quote", "1,2,\"SECRET\" ", 0, CDR_ERR_MALFORMED, NULL,
     NULL, 0, 0, "unexpected character after closing quote in column 3"},
    {"bare cr", "SE\rCRET,2,3", 0, CDR_ERR_MALFORMED, NULL, NULL, 0, 0,
     "csv: line break outside quotes in column 1 (a)"},
    {"bare lf", "1,SE\nCRET,3\n", 0, CDR_ERR_MALFORMED, NULL, NULL, 0, 0,
     "line break outside quotes in column 2"},
    {"empty record", "", 0, CDR_ERR_MALFORMED, NULL, NULL, 0, 0,
     "csv: empty record"},
    {"blank line", "\r\n", 0, CDR_ERR_MALFORMED, NULL, NULL, 0, 0,
     "csv: empty record"},
    {"extra column past a bad one", "1,2,3,\"SECRET", 0, CDR_ERR_MALFORMED,
     NULL, NULL, 0, 0, "unterminated quoted field in column 4"},
};

Test(csv, parse_table)
{
        size_t i;

        for (i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++) {
                const struct csv_case *t = &csv_cases[i];
                size_t len = t->len ? t->len : strlen(t->in);
                char *buf = exact_copy(t->in, len);
                char err[256] = "";
                int rc;

                rc = cdr_csv_parse(csv, buf, len, &record, err, sizeof(err));
                cr_expect_eq(rc, t->rc, "%s: rc %d, want %d (%s)", t->name, rc,
                             t->rc, err);
                cr_expect_null(strstr(err, "SECRET"),
                               "%s: reason shows a value: %s", t->name, err);
                if (t->nfields != 0 || rc == 0)
                        cr_expect_eq(record.nfields, t->nfields,
                                     "%s: nfields %zu, want %zu", t->name,
                                     record.nfields, t->nfields);
                if (t->rc == 0 && rc == 0) {
                        size_t alen = t->a_len ? t->a_len : strlen(t->a);

                        cr_expect(view_is(record.value[slot_a], t->a, alen),
                                  "%s: column a", t->name);
                        cr_expect(
                            view_is(record.value[slot_c], t->c, strlen(t->c)),
                            "%s: column c", t->name);
                        cr_expect_null(record.value[slot_zz].p,
                                       "%s: zz has no column", t->name);
                        cr_expect(record.raw.p == buf && record.raw.n == len,
                                  "%s: raw view", t->name);
                }
                if (t->err != NULL)
                        cr_expect_not_null(strstr(err, t->err),
                                           "%s: reason '%s', want '%s'",
                                           t->name, err, t->err);
                free(buf);
        }
}

Test(csv, other_delimiters)
{
        static const char *const columns[] = {"a", "b", "c"};
        struct {
                char delimiter;
                const char *in;
                int rc;
                const char *a;
                const char *c;
        } cases[] = {
            {';', "1;\"x;y\";3", 0, "1", "3"},
            {';', "1,2;b;\"c,d\"", 0, "1,2", "c,d"},
            {';', "1,2,3", CDR_ERR_MALFORMED, NULL, NULL},
            {'\t', "1\t\"a\tb\"\t3\r\n", 0, "1", "3"},
            {'\t', "1 2\t\t", 0, "1 2", ""},
            {'|', "\"|\"|x|\"\"\"|\"", 0, "|", "\"|"},
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char err[256] = "";
                size_t len = strlen(cases[i].in);
                char *buf = exact_copy(cases[i].in, len);
                cdr_csv_t *reader;
                int rc;

                reader =
                    cdr_csv_new(cases[i].delimiter, schema, err, sizeof(err));
                cr_assert_not_null(reader, "%s", err);
                cr_assert_eq(
                    cdr_csv_set_columns(reader, columns, 3, err, sizeof(err)),
                    0);
                rc = cdr_csv_parse(reader, buf, len, &record, err, sizeof(err));
                cr_expect_eq(rc, cases[i].rc, "case %zu: rc %d (%s)", i, rc,
                             err);
                if (rc == 0 && cases[i].rc == 0) {
                        cr_expect(view_is(record.value[slot_a], cases[i].a,
                                          strlen(cases[i].a)),
                                  "case %zu: a", i);
                        cr_expect(view_is(record.value[slot_c], cases[i].c,
                                          strlen(cases[i].c)),
                                  "case %zu: c", i);
                }
                cdr_csv_destroy(reader);
                free(buf);
        }
}

Test(csv, bad_delimiters)
{
        const char bad[] = {'"', '\n', '\r', '\0', (char)0xc3};
        size_t i;

        for (i = 0; i < sizeof(bad); i++) {
                char err[256] = "";

                cr_expect_null(cdr_csv_new(bad[i], schema, err, sizeof(err)),
                               "delimiter 0x%02x", (unsigned char)bad[i]);
                cr_expect_neq(err[0], '\0');
        }
}

Test(csv, column_count_message)
{
        const char *names[18];
        char namebuf[18][8];
        char rec[64], err[256] = "";
        char *buf;
        size_t i, len;

        for (i = 0; i < 18; i++) {
                snprintf(namebuf[i], sizeof(namebuf[i]), "f%zu", i);
                names[i] = namebuf[i];
        }
        cr_assert_eq(cdr_csv_set_columns(csv, names, 18, err, sizeof(err)), 0);
        len = 0;
        for (i = 0; i < 17; i++)
                len += (size_t)snprintf(rec + len, sizeof(rec) - len, "%s%zu",
                                        i ? "," : "", i);
        buf = exact_copy(rec, len);
        cr_expect_eq(cdr_csv_parse(csv, buf, len, &record, err, sizeof(err)),
                     CDR_ERR_MALFORMED);
        cr_expect_str_eq(err, "csv: 17 columns, expected 18");
        cr_expect_eq(record.nfields, 17);
        free(buf);
}

Test(csv, too_many_columns)
{
        size_t n = CDR_CSV_MAX_COLUMNS + 1, len = 2 * n - 1, i;
        char *buf = malloc(len);
        char err[256] = "";

        cr_assert_not_null(buf);
        for (i = 0; i < len; i++)
                buf[i] = i % 2 ? ',' : 'x';
        cr_expect_eq(cdr_csv_parse(csv, buf, len, &record, err, sizeof(err)),
                     CDR_ERR_MALFORMED);
        cr_expect_not_null(strstr(err, "csv: too many columns"), "%s", err);
        /* Exactly the limit is only a column-count mismatch. */
        cr_expect_eq(
            cdr_csv_parse(csv, buf, len - 2, &record, err, sizeof(err)),
            CDR_ERR_MALFORMED);
        cr_expect_str_eq(err, "csv: 4096 columns, expected 3");
        free(buf);
}

Test(csv, columns_not_set)
{
        cdr_csv_t *reader = cdr_csv_new(',', schema, NULL, 0);
        char err[256] = "";

        cr_assert_not_null(reader);
        cr_expect_eq(cdr_csv_column_count(reader), 0);
        cr_expect_eq(cdr_csv_parse(reader, "1", 1, &record, err, sizeof(err)),
                     CDR_ERR_INVAL);
        cdr_csv_destroy(reader);
        cdr_csv_destroy(NULL);
}

Test(csv, unneeded_fields_not_copied)
{
        static const char plain_b[] = "x,\"q\"\"SECRET\"\"\",\"z\"\r\n";
        static const char needed_a[] = "\"a\"\"b\",\"q\"\"q\",\"c\"\"\"\r\n";
        char err[256] = "";
        char *buf;

        buf = exact_copy(plain_b, sizeof(plain_b) - 1);
        cr_assert_eq(cdr_csv_parse(csv, buf, sizeof(plain_b) - 1, &record, err,
                                   sizeof(err)),
                     0, "%s", err);
        cr_expect_eq(record.scratch.len, 0,
                     "an unneeded escaped column was copied");
        cr_expect(view_is(record.value[slot_a], "x", 1));
        cr_expect(record.value[slot_c].p == buf + sizeof(plain_b) - 5,
                  "a quoted value without doubled quotes is a view");
        free(buf);

        buf = exact_copy(needed_a, sizeof(needed_a) - 1);
        cr_assert_eq(cdr_csv_parse(csv, buf, sizeof(needed_a) - 1, &record, err,
                                   sizeof(err)),
                     0, "%s", err);
        cr_expect(view_is(record.value[slot_a], "a\"b", 3));
        cr_expect(view_is(record.value[slot_c], "c\"", 2));
        cr_expect(in_scratch(record.value[slot_a]));
        cr_expect(in_scratch(record.value[slot_c]));
        cr_expect_eq(record.scratch.len, 5, "only a and c are unescaped");
        free(buf);
}

Test(csv, split_all_fields)
{
        static const char rec[] = "a,\"b\"\"c\",,\"d\ne\"\r\n";
        cdr_buf_t scratch = CDR_BUF_INIT;
        cdr_view_t fields[4];
        char err[256] = "";
        char *buf = exact_copy(rec, sizeof(rec) - 1);

        cr_assert_eq(cdr_csv_split(',', buf, sizeof(rec) - 1, fields, 4,
                                   &scratch, err, sizeof(err)),
                     4, "%s", err);
        cr_expect(view_is(fields[0], "a", 1));
        cr_expect(view_is(fields[1], "b\"c", 3));
        cr_expect(view_is(fields[2], "", 0));
        cr_expect(view_is(fields[3], "d\ne", 3));
        cr_expect_eq(cdr_csv_split(',', buf, sizeof(rec) - 1, fields, 3,
                                   &scratch, err, sizeof(err)),
                     CDR_ERR_TOOBIG);
        cr_expect_eq(cdr_csv_split(',', "a,\"b", 4, fields, 4, &scratch, err,
                                   sizeof(err)),
                     CDR_ERR_MALFORMED);
        cdr_buf_free(&scratch);
        free(buf);
}

struct header_case {
        const char *name;
        const char *in;
        int rc;
        size_t n;
        const char *names[4];
        const char *err;
};

static const struct header_case header_cases[] = {
    {"plain", "a,b,c", 0, 3, {"a", "b", "c"}, NULL},
    {"crlf and trimmed", " a ,\tb\t, c\r\n", 0, 3, {"a", "b", "c"}, NULL},
    {"bom",
     "\xef\xbb\xbf"
     "a,b\n",
     0,
     2,
     {"a", "b"},
     NULL},
    {"quoted names",
     "\"a,1\",\" b \",\"c\"\"\"",
     0,
     3,
     {"a,1", "b", "c\""},
     NULL},
    {"inner space kept", "call id,b", 0, 2, {"call id", "b"}, NULL},
    {"duplicate",
     "a,b,a",
     CDR_ERR_INVAL,
     0,
     {NULL},
     "csv: header: duplicate column name 'a' (columns 1 and 3)"},
    {"duplicate after trim",
     "a,b, b ",
     CDR_ERR_INVAL,
     0,
     {NULL},
     "duplicate column name 'b' (columns 2 and 3)"},
    {"empty name",
     "a,,c",
     CDR_ERR_INVAL,
     0,
     {NULL},
     "csv: header: column 2 has an empty name"},
    {"blank name",
     "a,  ",
     CDR_ERR_INVAL,
     0,
     {NULL},
     "column 2 has an empty name"},
    {"empty header",
     "\r\n",
     CDR_ERR_INVAL,
     0,
     {NULL},
     "column 1 has an empty name"},
    {"unterminated",
     "a,\"b",
     CDR_ERR_INVAL,
     0,
     {NULL},
     "csv: header: unterminated quoted field in column 2"},
    {"stray quote",
     "a,b\"",
     CDR_ERR_INVAL,
     0,
     {NULL},
     "csv: header: quote inside unquoted field in column 2"},
};

Test(csv, header_table)
{
        size_t i, j;

        for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
                const struct header_case *t = &header_cases[i];
                size_t len = strlen(t->in);
                char *buf = exact_copy(t->in, len);
                cdr_csv_t *reader = cdr_csv_new(',', schema, NULL, 0);
                char err[256] = "";
                int rc;

                cr_assert_not_null(reader);
                rc = cdr_csv_set_header(reader, buf, len, err, sizeof(err));
                cr_expect_eq(rc, t->rc, "%s: rc %d (%s)", t->name, rc, err);
                if (rc == 0 && t->rc == 0) {
                        cr_expect_eq(cdr_csv_column_count(reader), t->n, "%s",
                                     t->name);
                        for (j = 0; j < t->n; j++)
                                cr_expect_str_eq(cdr_csv_column_name(reader, j),
                                                 t->names[j], "%s: column %zu",
                                                 t->name, j + 1);
                        cr_expect_null(cdr_csv_column_name(reader, t->n));
                }
                if (t->err != NULL)
                        cr_expect_not_null(strstr(err, t->err),
                                           "%s: reason '%s', want '%s'",
                                           t->name, err, t->err);
                cdr_csv_destroy(reader);
                free(buf);
        }
}

Test(csv, header_maps_slots)
{
        static const char header[] = "\xef\xbb\xbf"
                                     "c , x,a\r\n";
        static const char rec[] = "3,x,1\r\n";
        char err[256] = "";

        cr_assert_eq(cdr_csv_set_header(csv, header, sizeof(header) - 1, err,
                                        sizeof(err)),
                     0, "%s", err);
        cr_assert_eq(
            cdr_csv_parse(csv, rec, sizeof(rec) - 1, &record, err, sizeof(err)),
            0, "%s", err);
        cr_expect(view_is(record.value[slot_a], "1", 1));
        cr_expect(view_is(record.value[slot_c], "3", 1));
        /* A failed header keeps the columns in force. */
        cr_expect_eq(cdr_csv_set_header(csv, "a,a", 3, err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_eq(cdr_csv_column_count(csv), 3);
        cr_expect_str_eq(cdr_csv_column_name(csv, 0), "c");
}

Test(csv, set_columns_errors)
{
        static const char *const dup[] = {"a", "b", "a"};
        static const char *const empty[] = {"a", ""};
        const char **many;
        char err[256] = "";
        size_t i;

        cr_expect_eq(cdr_csv_set_columns(csv, dup, 3, err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_not_null(strstr(err, "duplicate column name 'a'"), "%s", err);
        cr_expect_eq(cdr_csv_set_columns(csv, empty, 2, err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_not_null(strstr(err, "column 2 has an empty name"), "%s",
                           err);
        cr_expect_eq(cdr_csv_set_columns(csv, dup, 0, err, sizeof(err)),
                     CDR_ERR_INVAL);
        many = calloc(CDR_CSV_MAX_COLUMNS + 1, sizeof(*many));
        cr_assert_not_null(many);
        for (i = 0; i <= CDR_CSV_MAX_COLUMNS; i++)
                many[i] = "x";
        cr_expect_eq(cdr_csv_set_columns(csv, many, CDR_CSV_MAX_COLUMNS + 1,
                                         err, sizeof(err)),
                     CDR_ERR_TOOBIG);
        cr_expect_not_null(strstr(err, "too many columns"), "%s", err);
        free(many);
        cr_expect_eq(cdr_csv_column_count(csv), 3,
                     "failed calls keep the columns");
}

Test(csv, skip_bom)
{
        cr_expect_eq(cdr_csv_skip_bom("\xef\xbb\xbf"
                                      "a",
                                      4),
                     3);
        cr_expect_eq(cdr_csv_skip_bom("\xef\xbb\xbf", 3), 3);
        cr_expect_eq(cdr_csv_skip_bom("\xef\xbb", 2), 0);
        cr_expect_eq(cdr_csv_skip_bom("\xef\xbb\xbe", 3), 0);
        cr_expect_eq(cdr_csv_skip_bom("abc", 3), 0);
        cr_expect_eq(cdr_csv_skip_bom("", 0), 0);
}

/*
 * Framing: five records, the last without a line end.
 */
static const char stream[] = "a,b,c\r\n"
                             "\"x\ny\",\"q\"\"r\",z\n"
                             "\"m\r\n\",,\"n\"\r\n"
                             "1,2,3\n"
                             "last,\"no \"\"eol\"\"\",x";
static const size_t stream_len[] = {7, 15, 12, 6, 19};
static const size_t stream_lines[] = {1, 2, 2, 1, 0};

Test(csv, frame_stream)
{
        size_t n = sizeof(stream) - 1, off = 0, i, lines;
        char *buf = exact_copy(stream, n);

        for (i = 0; i < 5; i++) {
                size_t len = cdr_csv_frame(',', buf + off, n - off, 1, &lines);

                cr_expect_eq(len, stream_len[i], "record %zu: %zu bytes", i,
                             len);
                cr_expect_eq(lines, stream_lines[i], "record %zu: %zu lines", i,
                             lines);
                cr_assert_eq(len, stream_len[i]);
                off += len;
        }
        cr_expect_eq(off, n);
        cr_expect_eq(cdr_csv_frame(',', buf + off, 0, 1, &lines), 0);
        free(buf);
}

/* Every prefix of the stream that ends before a record is complete must
 * frame nothing, and a complete record must frame exactly. */
Test(csv, frame_incomplete_buffers)
{
        size_t n = sizeof(stream) - 1, off = 0, i, k, lines;

        for (i = 0; i < 5; i++) {
                for (k = 0; k <= n - off; k++) {
                        char *buf = exact_copy(stream + off, k);
                        size_t want =
                            k >= stream_len[i] && i < 4 ? stream_len[i] : 0;
                        size_t len = cdr_csv_frame(',', buf, k, 0, &lines);

                        cr_expect_eq(len, want,
                                     "record %zu, %zu bytes: framed %zu", i, k,
                                     len);
                        free(buf);
                }
                off += stream_len[i];
        }
}

Test(csv, frame_edge_cases)
{
        struct {
                const char *name;
                const char *in;
                int eof;
                size_t len;
                size_t lines;
        } cases[] = {
            {"stray quote does not open", "ab\"c\nd,e\n", 0, 5, 1},
            {"quote after text", "a,b\"\nc\"\n", 0, 5, 1},
            {"quote after delimiter opens", "a,\"b\nc\"\n", 0, 8, 2},
            {"open quote at end", "a,\"b\n", 0, 0, 0},
            {"open quote at eof", "a,\"b\nc", 1, 6, 1},
            {"closing quote is last byte", "a,\"b\"", 0, 0, 0},
            {"closing quote at eof", "a,\"b\"", 1, 5, 0},
            {"doubled quote is last", "a,\"b\"\"", 0, 0, 0},
            {"no line end", "a,b", 0, 0, 0},
            {"no line end at eof", "a,b", 1, 3, 0},
            {"cr without lf", "a,b\r", 0, 0, 0},
            {"blank line", "\nx\n", 0, 1, 1},
            {"crlf blank line", "\r\nx\n", 0, 2, 1},
            {"empty", "", 1, 0, 0},
            {"quoted crlf", "\"\r\n\"\r\n", 0, 6, 2},
            {"delimiter inside quotes", "\",\n\"\"\",x\n", 0, 9, 2},
        };
        size_t i, lines;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t n = strlen(cases[i].in);
                char *buf = exact_copy(cases[i].in, n);
                size_t len = cdr_csv_frame(',', buf, n, cases[i].eof, &lines);

                cr_expect_eq(len, cases[i].len, "%s: %zu bytes", cases[i].name,
                             len);
                cr_expect_eq(lines, cases[i].lines, "%s: %zu lines",
                             cases[i].name, lines);
                free(buf);
        }
        cr_expect_eq(cdr_csv_frame(';', "a;\"b\nc\"\n", 8, 0, NULL), 8,
                     "the delimiter decides where a field starts");
        cr_expect_eq(cdr_csv_frame(';', "a,\"b\nc\"\n", 8, 0, NULL), 5);
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

/* A file with a BOM, a padded header, CRLF and LF, quoted line ends and
 * no final newline, framed and parsed as file mode does it. */
Test(csv, sample_file)
{
        static const uint64_t want_line[] = {2, 3, 5, 6, 7, 8};
        static const int want_rc[] = {
            0, 0, 0, CDR_ERR_MALFORMED, CDR_ERR_MALFORMED, 0};
        static const char *const want_note[] = {
            "plain", "multi\r\nline, with comma", "say \"hi\"", NULL,
            NULL,    "last \"one\"\nno newline"};
        cdr_schema_t *sch = cdr_schema_new();
        cdr_csv_t *reader;
        size_t n, pos, len, lines, i = 0;
        uint64_t line = 1;
        char err[256] = "";
        char *file = read_file("tests/data/readers/calls.csv", &n);
        int note, called, rc;

        cr_assert_not_null(sch);
        note = cdr_schema_add(sch, "note", 4);
        called = cdr_schema_add(sch, "called_number", 13);
        reader = cdr_csv_new(',', sch, err, sizeof(err));
        cr_assert_not_null(reader);

        pos = cdr_csv_skip_bom(file, n);
        cr_expect_eq(pos, 3);
        len = cdr_csv_frame(',', file + pos, n - pos, 1, &lines);
        cr_assert_gt(len, 0);
        cr_assert_eq(
            cdr_csv_set_header(reader, file + pos, len, err, sizeof(err)), 0,
            "%s", err);
        cr_expect_str_eq(cdr_csv_column_name(reader, 2), "called_number");
        pos += len;
        line += lines;

        while (pos < n) {
                char *rec;

                len = cdr_csv_frame(',', file + pos, n - pos, 1, &lines);
                cr_assert_gt(len, 0);
                cr_assert_lt(i, 6);
                cr_expect_eq(line, want_line[i], "record %zu at line %llu", i,
                             (unsigned long long)line);
                rec = exact_copy(file + pos, len);
                rc = cdr_csv_parse(reader, rec, len, &record, err, sizeof(err));
                cr_expect_eq(rc, want_rc[i], "record %zu: %s", i, err);
                if (rc == 0 && want_note[i] != NULL) {
                        cr_expect(view_is(record.value[note], want_note[i],
                                          strlen(want_note[i])),
                                  "record %zu: note", i);
                        cr_expect_not_null(record.value[called].p);
                }
                free(rec);
                pos += len;
                line += lines;
                i++;
        }
        cr_expect_eq(i, 6);
        cdr_csv_destroy(reader);
        cdr_schema_destroy(sch);
        free(file);
}

/* The scanner reads many bytes at a time; the byte that ends a field
 * must be found at every offset. */
Test(csv, field_end_at_every_offset)
{
        char rec[128], err[256] = "";
        size_t off, n;

        for (off = 0; off < 40; off++) {
                n = 0;
                memset(rec, 'a', off);
                n += off;
                n += (size_t)snprintf(rec + n, sizeof(rec) - n, ",b,c");
                cr_assert_eq(
                    cdr_csv_parse(csv, rec, n, &record, err, sizeof(err)), 0,
                    "at %zu: %s", off, err);
                cr_expect_eq(record.value[slot_a].n, off, "at %zu", off);
                cr_expect(view_is(record.value[slot_c], "c", 1));

                memset(rec, 'a', 40);
                rec[off] = '"';
                memcpy(rec + 40, ",b,c", 4);
                cr_expect_eq(
                    cdr_csv_parse(csv, rec, 44, &record, err, sizeof(err)),
                    CDR_ERR_MALFORMED, "quote at %zu", off);
                cr_expect_not_null(
                    strstr(err, off == 0 ? "unterminated" : "quote inside"),
                    "quote at %zu: %s", off, err);

                rec[off] = '\r';
                cr_expect_eq(
                    cdr_csv_parse(csv, rec, 44, &record, err, sizeof(err)),
                    CDR_ERR_MALFORMED, "cr at %zu", off);
        }
}
