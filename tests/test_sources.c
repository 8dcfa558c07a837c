/* Lists of source coordinates (sources.h): the line forms, what is
 * refused, repeats, matching. */
#include "cdranon/sources.h"

#include <criterion/criterion.h>
#include <string.h>

static char errstr[256];

/* The one key a single line gives, or NULL when it gives none. */
static const char *key_of(cdr_sources_t *set)
{
        cr_assert_eq(cdr_sources_finish(set), CDR_OK);
        cr_assert_leq(cdr_sources_count(set), 1);
        return cdr_sources_count(set) ? cdr_sources_get(set, 0, NULL) : NULL;
}

Test(sources, line_forms)
{
        static const struct {
                const char *line;
                int rc;
                const char *key; /* NULL: nothing listed */
        } cases[] = {
            /* Dead letters as cdranon writes them. */
            {"{\"reason\":\"csv: 20 columns, expected 18\",\"source\":"
             "{\"file\":\"input\",\"line\":11}}\n",
             CDR_OK, "file input line 11"},
            {"{\"reason\":\"r\",\"source\":{\"topic\":\"cdr.raw\","
             "\"partition\":3,\"offset\":123456}}",
             CDR_OK, "topic cdr.raw [3] offset 123456"},
            /* A reason that quotes the member name is escaped. */
            {"{\"reason\":\"x \\\"source\\\":{\",\"source\":{\"topic\":"
             "\"t\",\"partition\":0,\"offset\":7}}",
             CDR_OK, "topic t [0] offset 7"},
            {"{\"source\":{\"file\":\"a\\u0041\\/b\\\\c d\",\"line\":1}}",
             CDR_OK, "file aA/b\\c d line 1"},
            /* Plain lines, with CRLF, blanks and tabs. */
            {"cdr.raw 0 5\r\n", CDR_OK, "topic cdr.raw [0] offset 5"},
            {"  in.csv\t42", CDR_OK, "file in.csv line 42"},
            {"", CDR_OK, NULL},
            {"   \n", CDR_OK, NULL},
            {"# cdr.raw 0 5", CDR_OK, NULL},
            /* Refused. */
            {"{\"reason\":\"csv: 3 columns, expected 16\"}", CDR_ERR_MALFORMED,
             NULL},
            {"{\"source\":{\"topic\":\"t\",\"offset\":1}}", CDR_ERR_MALFORMED,
             NULL},
            {"{\"source\":{\"topic\":\"t\",\"partition\":1,\"offset\":1,"
             "\"line\":2}}",
             CDR_ERR_MALFORMED, NULL},
            {"{\"source\":{\"file\":\"f\",\"partition\":1,\"line\":2}}",
             CDR_ERR_MALFORMED, NULL},
            {"{\"source\":{\"file\":\"f\",\"line\":-2}}", CDR_ERR_MALFORMED,
             NULL},
            {"{\"source\":{\"file\":\"f\",\"line\":1e3}}", CDR_ERR_MALFORMED,
             NULL},
            {"{\"source\":{\"file\":\"a\\u1\"", CDR_ERR_MALFORMED, NULL},
            {"{\"source\":{\"file\":\"a\\u000a\",\"line\":1}}",
             CDR_ERR_MALFORMED, NULL},
            {"{\"source\":{\"file\":\"a\\n\",\"line\":1}}", CDR_ERR_MALFORMED,
             NULL},
            {"{\"source\":{\"topic\":\"a b\",\"partition\":0,\"offset\":1}}",
             CDR_ERR_MALFORMED, NULL},
            {"{\"source\":{\"file\":\"f\",\"line\":1", CDR_ERR_MALFORMED, NULL},
            {"cdr.raw 2147483648 5", CDR_ERR_MALFORMED, NULL},
            {"cdr.raw 0 5 6", CDR_ERR_MALFORMED, NULL},
            {"cdr.raw x 5", CDR_ERR_MALFORMED, NULL},
            {"cdr/raw 0 5", CDR_ERR_MALFORMED, NULL},
            {"in.csv 9223372036854775808", CDR_ERR_MALFORMED, NULL},
            {"onlyone", CDR_ERR_MALFORMED, NULL},
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cdr_sources_t *set = cdr_sources_new();
                const char *key;
                int rc;

                cr_assert_not_null(set);
                errstr[0] = '\0';
                rc = cdr_sources_add_line(set, cases[i].line,
                                          strlen(cases[i].line), errstr,
                                          sizeof(errstr));
                cr_expect_eq(rc, cases[i].rc, "%s: %d (%s)", cases[i].line, rc,
                             errstr);
                if (rc != CDR_OK)
                        cr_expect_str_eq(errstr,
                                         "not a dead letter with a source, "
                                         "nor TOPIC PARTITION OFFSET, nor "
                                         "FILE LINE",
                                         "%s", cases[i].line);
                key = key_of(set);
                if (cases[i].key == NULL)
                        cr_expect_null(key, "%s: %s", cases[i].line, key);
                else
                        cr_expect(key != NULL && strcmp(key, cases[i].key) == 0,
                                  "%s: got %s", cases[i].line,
                                  key ? key : "nothing");
                cdr_sources_destroy(set);
        }
}

Test(sources, nul_and_long_names_refused)
{
        cdr_sources_t *set = cdr_sources_new();
        static char line[6000];

        cr_assert_eq(
            cdr_sources_add_line(set, "in.csv\0 1", 9, errstr, sizeof(errstr)),
            CDR_ERR_MALFORMED);
        memset(line, 'a', 5000);
        strcpy(line + 5000, " 1");
        cr_assert_eq(cdr_sources_add_line(set, line, strlen(line), errstr,
                                          sizeof(errstr)),
                     CDR_ERR_TOOBIG);
        cr_assert_str_eq(errstr, "a topic or file name over 4096 bytes");
        cr_assert_eq(cdr_sources_finish(set), CDR_OK);
        cr_assert_eq(cdr_sources_count(set), 0);
        cdr_sources_destroy(set);
}

/* The same record named by a dead letter and by a plain line is one
 * source; a match marks it found and nothing else. */
Test(sources, repeats_and_matching)
{
        static const char dead_letter[] =
            "{\"reason\":\"r\",\"source\":{\"topic\":\"cdr.raw\","
            "\"partition\":1,\"offset\":10}}";
        static const char *const lines[] = {dead_letter, "cdr.raw 1 10",
                                            "cdr.raw 1 11", "in.csv 3"};
        cdr_source_t hit = {.topic = "cdr.raw", .partition = 1, .offset = 10};
        cdr_source_t miss = {.topic = "cdr.raw", .partition = 2, .offset = 10};
        cdr_source_t file = {.file = "in.csv", .line = 3};
        cdr_source_t none = {0};
        cdr_sources_t *set = cdr_sources_new();
        size_t i;
        int found, marked = 0;

        for (i = 0; i < 4; i++)
                cr_assert_eq(cdr_sources_add_line(set, lines[i],
                                                  strlen(lines[i]), errstr,
                                                  sizeof(errstr)),
                             CDR_OK, "%s", errstr);
        cr_assert_eq(cdr_sources_finish(set), CDR_OK);
        cr_assert_eq(cdr_sources_count(set), 3);
        cr_expect(cdr_sources_match(set, &hit));
        cr_expect_not(cdr_sources_match(set, &miss));
        cr_expect(cdr_sources_match(set, &file));
        cr_expect_not(cdr_sources_match(set, &none));
        for (i = 0; i < 3; i++) {
                const char *key = cdr_sources_get(set, i, &found);

                if (strcmp(key, "topic cdr.raw [1] offset 11") == 0)
                        cr_expect_not(found, "%s", key);
                else
                        cr_expect(found, "%s", key);
                marked += found;
        }
        cr_expect_eq(marked, 2);
        cdr_sources_destroy(set);
}
