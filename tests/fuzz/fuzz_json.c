/*
 * Fuzz target: the JSON-lines reader (json.h).  The input is split at
 * line feeds as file mode frames JSON records; each line is parsed into a
 * record of the schema below, and the whole input is parsed once more as
 * one record (stream mode: one Kafka message, line breaks and all).
 *
 * Contracts checked beyond memory safety: a parsed record has at most
 * CDR_JSON_MAX_FIELDS fields; every value is a view into the line or the
 * record's scratch buffer; a null is flagged and empty; a string value is
 * valid UTF-8; a bare number holds only number characters; every error is
 * one line of printable ASCII that starts "json: ".
 */
#include "fuzz.h"

#include "cdranon/encode.h"
#include "cdranon/json.h"
#include "cdranon/record.h"

static const char *const NEEDED[] = {
    "calling_number", "called_number",
    "imsi",           "record_id",
    "start_time",     "a",
    "\xc3\xa9",       "",
};

static cdr_schema_t *schema;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        size_t i;

        (void)argc;
        (void)argv;
        schema = cdr_schema_new();
        FUZZ_ASSERT(schema != NULL);
        /* The empty name is refused by the schema; the others are kept. */
        for (i = 0; i < sizeof(NEEDED) / sizeof(NEEDED[0]); i++)
                (void)cdr_schema_add(schema, NEEDED[i], strlen(NEEDED[i]));
        return 0;
}

static int number_char(char c)
{
        return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
               c == 'e' || c == 'E';
}

static void parse_checked(const char *p, size_t n, cdr_record_t *record)
{
        char errstr[256] = "";
        size_t nslots = cdr_schema_count(schema), i, j;
        char *rec = fuzz_dup(p, n);
        int err;

        err = cdr_json_parse(schema, rec, n, record, errstr, sizeof(errstr));
        if (err != 0) {
                FUZZ_ASSERT(err == CDR_ERR_MALFORMED);
                FUZZ_ASSERT(fuzz_errstr_ok(errstr));
                FUZZ_ASSERT(strncmp(errstr, "json: ", 6) == 0);
                free(rec);
                return;
        }
        FUZZ_ASSERT(record->nfields <= CDR_JSON_MAX_FIELDS);
        for (i = 0; i < nslots; i++) {
                cdr_view_t v = record->value[i];
                uint8_t flags = record->flags[i];

                if (v.p == NULL) {
                        FUZZ_ASSERT(flags == 0);
                        continue;
                }
                FUZZ_ASSERT(fuzz_within(v.p, v.n, rec, n) ||
                            fuzz_within(v.p, v.n, record->scratch.data,
                                        record->scratch.len));
                FUZZ_ASSERT((flags & (CDR_VAL_NULL | CDR_VAL_NUMBER)) !=
                            (CDR_VAL_NULL | CDR_VAL_NUMBER));
                if (flags & CDR_VAL_NULL) {
                        FUZZ_ASSERT(v.n == 0);
                } else if (flags & CDR_VAL_NUMBER) {
                        FUZZ_ASSERT(v.n > 0);
                        for (j = 0; j < v.n; j++)
                                FUZZ_ASSERT(number_char(v.p[j]));
                } else {
                        FUZZ_ASSERT(cdr_utf8_valid(v.p, v.n));
                }
        }
        free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data, *nl;
        size_t pos = 0, n;
        cdr_record_t record;

        memset(&record, 0, sizeof(record));
        while (pos < size) {
                nl = memchr(buf + pos, '\n', size - pos);
                n = nl != NULL ? (size_t)(nl - (buf + pos)) + 1 : size - pos;
                parse_checked(buf + pos, n, &record);
                pos += n;
        }
        parse_checked(buf, size, &record);
        cdr_record_free(&record);
        return 0;
}
