/*
 * Fuzz target: the CSV reader (csv.h), as file mode and stream mode use
 * it: cdr_csv_frame over a byte stream, then cdr_csv_parse of each framed
 * record, with the columns taken from a header record or configured.
 *
 * Input: byte 0 picks the delimiter (bits 0-1) and the column source (bit
 * 2: header); the rest is the stream.  Contracts checked beyond memory
 * safety:
 *   - framing: a record is at least one byte and at most what is left;
 *     with more input to come the answer is 0 or the same record; a
 *     prefix of a record is never a record; *lines counts its LF bytes;
 *     cdr_csv_scan over the same bytes cut into pieces (of sizes drawn
 *     from the input) finds the same end and lines, wherever the cuts;
 *   - parsing: a parsed record has exactly the reader's column count,
 *     every value is a view into the record or its scratch buffer, and
 *     the mapped values are the ones cdr_csv_split returns;
 *   - round trip: the split fields written back as RFC 4180 and split
 *     again give the same fields;
 *   - every error is one line of printable ASCII (no record bytes).
 */
#include "fuzz.h"

#include "cdranon/buf.h"
#include "cdranon/csv.h"
#include "cdranon/record.h"

static const char DELIMITERS[4] = {',', ';', '\t', '|'};

/* Configured columns: some the schema names, some it does not. */
static const char *const COLUMNS[] = {"record_id",     "calling_number",
                                      "called_number", "start_time",
                                      "cell id",       "x"};
static const char *const NEEDED[] = {"calling_number", "called_number",
                                     "start_time", "record_id", "absent"};

static cdr_schema_t *schema;
static cdr_view_t *fields, *again;
static cdr_buf_t scratch = CDR_BUF_INIT, scratch2 = CDR_BUF_INIT;
static cdr_buf_t encoded = CDR_BUF_INIT;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        size_t i;

        (void)argc;
        (void)argv;
        schema = cdr_schema_new();
        FUZZ_ASSERT(schema != NULL);
        for (i = 0; i < sizeof(NEEDED) / sizeof(NEEDED[0]); i++)
                FUZZ_ASSERT(
                    cdr_schema_add(schema, NEEDED[i], strlen(NEEDED[i])) >= 0);
        fields = calloc(CDR_CSV_MAX_COLUMNS, sizeof(*fields));
        again = calloc(CDR_CSV_MAX_COLUMNS, sizeof(*again));
        FUZZ_ASSERT(fields != NULL && again != NULL);
        return 0;
}

static size_t count_lf(const char *p, size_t n)
{
        size_t lines = 0, i;

        for (i = 0; i < n; i++)
                lines += p[i] == '\n';
        return lines;
}

/* cdr_csv_scan over buf[0..len) in pieces of 1 to 16 bytes (or all the
 * rest), the sizes taken from a generator seeded by the bytes: the same
 * answer as cdr_csv_frame without end of input (n0, lines0). */
static void scan_in_pieces(char delimiter, const char *buf, size_t len,
                           size_t n0, size_t lines0)
{
        cdr_csv_scan_t scan = CDR_CSV_SCAN_INIT;
        uint32_t seed = 2166136261u;
        size_t off = 0, i, k, got;

        for (i = 0; i < len && i < 64; i++)
                seed = (seed ^ (uint8_t)buf[i]) * 16777619u;
        while (off < len && !scan.done) {
                seed = seed * 1103515245u + 12345u;
                k = (seed >> 16) % 17 + 1;
                if (k == 17 || k > len - off)
                        k = len - off;
                got = cdr_csv_scan(&scan, delimiter, buf + off, k);
                FUZZ_ASSERT(got == k || (scan.done && got >= 1 && got <= k));
                off += got;
        }
        if (scan.done) /* once done, nothing more belongs to it */
                FUZZ_ASSERT(cdr_csv_scan(&scan, delimiter, buf, len) == 0);
        if (n0 == 0) {
                FUZZ_ASSERT(!scan.done);
        } else {
                FUZZ_ASSERT(scan.done && off == n0);
                FUZZ_ASSERT(scan.lines == lines0);
        }
}

/* Frames the record at the start of buf[0..len) and checks the framing
 * contract; returns its length. */
static size_t frame_checked(char delimiter, const char *buf, size_t len)
{
        size_t n, n0, cut, lines = 0, lines0 = 0;

        n = cdr_csv_frame(delimiter, buf, len, 1, &lines);
        FUZZ_ASSERT(n >= 1 && n <= len);
        FUZZ_ASSERT(lines == count_lf(buf, n));
        n0 = cdr_csv_frame(delimiter, buf, len, 0, &lines0);
        FUZZ_ASSERT(n0 == 0 || n0 == n);
        scan_in_pieces(delimiter, buf, len, n0, lines0);
        if (n0 == 0)
                FUZZ_ASSERT(n == len);
        else
                FUZZ_ASSERT(lines0 == lines);
        /* More input cannot end a record earlier, and a record cut short
         * is not complete until its line end arrives. */
        if (n0 != 0) {
                cut = n - 1;
                FUZZ_ASSERT(cdr_csv_frame(delimiter, buf, cut, 0, NULL) == 0);
                cut = n / 2;
                FUZZ_ASSERT(cdr_csv_frame(delimiter, buf, cut, 0, NULL) == 0);
        }
        return n;
}

/* Appends one field as RFC 4180 text: always quoted, quotes doubled. */
static void encode_field(cdr_buf_t *out, cdr_view_t v)
{
        size_t i;

        FUZZ_ASSERT(cdr_buf_putc(out, '"') == 0);
        for (i = 0; i < v.n; i++) {
                if (v.p[i] == '"')
                        FUZZ_ASSERT(cdr_buf_putc(out, '"') == 0);
                FUZZ_ASSERT(cdr_buf_putc(out, v.p[i]) == 0);
        }
        FUZZ_ASSERT(cdr_buf_putc(out, '"') == 0);
}

static void check_round_trip(char delimiter, int n)
{
        char errstr[256] = "";
        char *copy;
        int i, m;

        cdr_buf_reset(&encoded);
        for (i = 0; i < n; i++) {
                if (i > 0)
                        FUZZ_ASSERT(cdr_buf_putc(&encoded, delimiter) == 0);
                encode_field(&encoded, fields[i]);
        }
        copy = fuzz_dup(encoded.data, encoded.len);
        m = cdr_csv_split(delimiter, copy, encoded.len, again,
                          CDR_CSV_MAX_COLUMNS, &scratch2, errstr,
                          sizeof(errstr));
        FUZZ_ASSERT(m == n);
        for (i = 0; i < n; i++)
                FUZZ_ASSERT(again[i].n == fields[i].n &&
                            (fields[i].n == 0 || memcmp(again[i].p, fields[i].p,
                                                        fields[i].n) == 0));
        free(copy);
}

static void parse_checked(const cdr_csv_t *csv, char delimiter, const char *rec,
                          size_t len, cdr_record_t *record)
{
        char errstr[256] = "";
        size_t ncol = cdr_csv_column_count(csv), nslots, i;
        int err, n, slot;

        err = cdr_csv_parse(csv, rec, len, record, errstr, sizeof(errstr));
        n = cdr_csv_split(delimiter, rec, len, fields, CDR_CSV_MAX_COLUMNS,
                          &scratch, errstr, sizeof(errstr));
        if (err != 0) {
                FUZZ_ASSERT(err == CDR_ERR_MALFORMED);
                FUZZ_ASSERT(fuzz_errstr_ok(errstr));
                return;
        }
        FUZZ_ASSERT(record->nfields == ncol);
        FUZZ_ASSERT(record->raw.p == rec && record->raw.n == len);
        FUZZ_ASSERT(n >= 0 && (size_t)n == ncol);
        nslots = cdr_schema_count(schema);
        for (i = 0; i < nslots; i++) {
                cdr_view_t v = record->value[i];

                if (v.p == NULL)
                        continue;
                FUZZ_ASSERT(fuzz_within(v.p, v.n, rec, len) ||
                            fuzz_within(v.p, v.n, record->scratch.data,
                                        record->scratch.len));
        }
        for (i = 0; i < ncol; i++) {
                const char *name = cdr_csv_column_name(csv, i);

                slot = cdr_schema_find(schema, name, strlen(name));
                if (slot < 0)
                        continue;
                FUZZ_ASSERT(record->value[slot].p != NULL);
                FUZZ_ASSERT(record->value[slot].n == fields[i].n);
                FUZZ_ASSERT(fields[i].n == 0 ||
                            memcmp(record->value[slot].p, fields[i].p,
                                   fields[i].n) == 0);
        }
        check_round_trip(delimiter, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char errstr[256] = "";
        const char *buf = (const char *)data + 1;
        size_t len, pos = 0, n;
        cdr_record_t record;
        cdr_csv_t *csv;
        char delimiter, *rec;
        int header, err;

        if (size < 1)
                return 0;
        delimiter = DELIMITERS[data[0] & 3];
        header = (data[0] & 4) != 0;
        len = size - 1;
        memset(&record, 0, sizeof(record));

        csv = cdr_csv_new(delimiter, schema, errstr, sizeof(errstr));
        FUZZ_ASSERT(csv != NULL);
        if (header) {
                if (len == 0)
                        goto out;
                pos = cdr_csv_skip_bom(buf, len);
                if (pos == len)
                        goto out;
                n = frame_checked(delimiter, buf + pos, len - pos);
                rec = fuzz_dup(buf + pos, n);
                err = cdr_csv_set_header(csv, rec, n, errstr, sizeof(errstr));
                free(rec);
                pos += n;
                if (err != 0) {
                        FUZZ_ASSERT(err == CDR_ERR_INVAL ||
                                    err == CDR_ERR_TOOBIG);
                        FUZZ_ASSERT(fuzz_errstr_ok(errstr));
                        FUZZ_ASSERT(cdr_csv_column_count(csv) == 0);
                        goto out;
                }
                FUZZ_ASSERT(cdr_csv_column_count(csv) >= 1 &&
                            cdr_csv_column_count(csv) <= CDR_CSV_MAX_COLUMNS);
        } else {
                FUZZ_ASSERT(
                    cdr_csv_set_columns(csv, COLUMNS,
                                        sizeof(COLUMNS) / sizeof(COLUMNS[0]),
                                        errstr, sizeof(errstr)) == 0);
        }
        while (pos < len) {
                n = frame_checked(delimiter, buf + pos, len - pos);
                rec = fuzz_dup(buf + pos, n);
                parse_checked(csv, delimiter, rec, n, &record);
                free(rec);
                pos += n;
        }
out:
        cdr_record_free(&record);
        cdr_csv_destroy(csv);
        return 0;
}
