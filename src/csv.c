/*
 * RFC 4180 CSV: framing and parsing, see csv.h.
 *
 * The reader is strict: a quote opens a quoted field only as the first
 * byte of a field, a quote inside an unquoted field or a byte other than
 * the delimiter after a closing quote is malformed, and CR or LF may
 * appear only inside quotes (a record's own line end is stripped first).
 * Framing follows the same rule about where a quote opens a field, so that
 * a stray quote costs one record, not the rest of the input.
 */
#include "cdranon/csv.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bytes that end the fast scan of an unquoted field. */
#define CSV_STOP 1

struct cdr_csv_s {
        char delimiter;
        const cdr_schema_t *schema;
        size_t ncolumns;
        char **names; /* ncolumns NUL-terminated names */
        int *slot;    /* schema slot of each column, or -1 */
        uint8_t stop[256];
};

/* Field-name quoting rule of the error convention: a name appears in a
 * reason only when it is short printable ASCII. */
static int csv_name_printable(const char *s, size_t n)
{
        size_t i;

        if (n == 0 || n > 64)
                return 0;
        for (i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
                        return 0;
        return 1;
}

static void csv_stop_table(uint8_t stop[256], char delimiter)
{
        memset(stop, 0, 256);
        stop[(unsigned char)delimiter] = CSV_STOP;
        stop['"'] = CSV_STOP;
        stop['\r'] = CSV_STOP;
        stop['\n'] = CSV_STOP;
}

cdr_csv_t *cdr_csv_new(char delimiter, const cdr_schema_t *schema, char *errstr,
                       size_t errstr_size)
{
        unsigned char d = (unsigned char)delimiter;
        cdr_csv_t *csv;

        if (d == 0 || d >= 0x80 || d == '"' || d == '\r' || d == '\n') {
                cdr_errf(errstr, errstr_size,
                         "csv: delimiter must be one ASCII character other "
                         "than a quote or a line end");
                return NULL;
        }
        csv = calloc(1, sizeof(*csv));
        if (csv == NULL) {
                cdr_errf(errstr, errstr_size, "csv: out of memory");
                return NULL;
        }
        csv->delimiter = delimiter;
        csv->schema = schema;
        csv_stop_table(csv->stop, delimiter);
        return csv;
}

static void csv_clear_columns(cdr_csv_t *csv)
{
        size_t i;

        for (i = 0; i < csv->ncolumns; i++)
                free(csv->names[i]);
        free(csv->names);
        free(csv->slot);
        csv->names = NULL;
        csv->slot = NULL;
        csv->ncolumns = 0;
}

void cdr_csv_destroy(cdr_csv_t *csv)
{
        if (csv == NULL)
                return;
        csv_clear_columns(csv);
        free(csv);
}

/* Writes "column 3" or "column 3 (name)" for error reasons. */
static void csv_column_label(const cdr_csv_t *csv, size_t col, char *out,
                             size_t out_size)
{
        if (csv != NULL && col < csv->ncolumns &&
            csv_name_printable(csv->names[col], strlen(csv->names[col])))
                cdr_errf(out, out_size, "column %zu (%s)", col + 1,
                         csv->names[col]);
        else
                cdr_errf(out, out_size, "column %zu", col + 1);
}

/* Installs n names given as views; the reader's old columns are kept when
 * this fails. */
static int csv_install(cdr_csv_t *csv, const cdr_view_t *names, size_t n,
                       const char *what, char *errstr, size_t errstr_size)
{
        char **copy = NULL;
        int *slot = NULL;
        size_t i, j;

        if (n == 0) {
                cdr_errf(errstr, errstr_size, "csv: %s: no columns", what);
                return CDR_ERR_INVAL;
        }
        if (n > CDR_CSV_MAX_COLUMNS) {
                cdr_errf(errstr, errstr_size,
                         "csv: %s: too many columns (more than %d)", what,
                         CDR_CSV_MAX_COLUMNS);
                return CDR_ERR_TOOBIG;
        }
        for (i = 0; i < n; i++) {
                if (names[i].n == 0) {
                        cdr_errf(errstr, errstr_size,
                                 "csv: %s: column %zu has an empty name", what,
                                 i + 1);
                        return CDR_ERR_INVAL;
                }
                if (memchr(names[i].p, '\0', names[i].n) != NULL) {
                        cdr_errf(errstr, errstr_size,
                                 "csv: %s: column %zu name holds a NUL byte",
                                 what, i + 1);
                        return CDR_ERR_INVAL;
                }
        }
        /* Quadratic, but only once per reader and bounded by
         * CDR_CSV_MAX_COLUMNS. */
        for (i = 1; i < n; i++) {
                for (j = 0; j < i; j++) {
                        if (names[i].n != names[j].n ||
                            memcmp(names[i].p, names[j].p, names[i].n) != 0)
                                continue;
                        if (csv_name_printable(names[i].p, names[i].n))
                                cdr_errf(errstr, errstr_size,
                                         "csv: %s: duplicate column name "
                                         "'%.*s' (columns %zu and %zu)",
                                         what, (int)names[i].n, names[i].p,
                                         j + 1, i + 1);
                        else
                                cdr_errf(errstr, errstr_size,
                                         "csv: %s: duplicate column name "
                                         "(columns %zu and %zu)",
                                         what, j + 1, i + 1);
                        return CDR_ERR_INVAL;
                }
        }

        copy = calloc(n, sizeof(*copy));
        slot = calloc(n, sizeof(*slot));
        if (copy == NULL || slot == NULL)
                goto nomem;
        for (i = 0; i < n; i++) {
                copy[i] = malloc(names[i].n + 1);
                if (copy[i] == NULL)
                        goto nomem;
                memcpy(copy[i], names[i].p, names[i].n);
                copy[i][names[i].n] = '\0';
                slot[i] = cdr_schema_find(csv->schema, names[i].p, names[i].n);
        }
        csv_clear_columns(csv);
        csv->names = copy;
        csv->slot = slot;
        csv->ncolumns = n;
        return CDR_OK;

nomem:
        if (copy != NULL)
                for (i = 0; i < n; i++)
                        free(copy[i]);
        free(copy);
        free(slot);
        cdr_errf(errstr, errstr_size, "csv: out of memory");
        return CDR_ERR_NOMEM;
}

int cdr_csv_set_columns(cdr_csv_t *csv, const char *const *names, size_t n,
                        char *errstr, size_t errstr_size)
{
        cdr_view_t *views;
        size_t i;
        int err;

        if (n > CDR_CSV_MAX_COLUMNS)
                return csv_install(csv, NULL, n, "columns", errstr,
                                   errstr_size);
        views = calloc(n ? n : 1, sizeof(*views));
        if (views == NULL) {
                cdr_errf(errstr, errstr_size, "csv: out of memory");
                return CDR_ERR_NOMEM;
        }
        for (i = 0; i < n; i++) {
                views[i].p = names[i] ? names[i] : "";
                views[i].n = strlen(views[i].p);
        }
        err = csv_install(csv, views, n, "columns", errstr, errstr_size);
        free(views);
        return err;
}

size_t cdr_csv_skip_bom(const char *buf, size_t len)
{
        if (len >= 3 && (unsigned char)buf[0] == 0xef &&
            (unsigned char)buf[1] == 0xbb && (unsigned char)buf[2] == 0xbf)
                return 3;
        return 0;
}

static size_t csv_count_lf(const char *p, const char *end)
{
        size_t n = 0;

        while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
                n++;
                p++;
        }
        return n;
}

/* Where the next byte of a record falls, for cdr_csv_scan.  Zero is the
 * start of a record, which is the start of a field. */
enum {
        SCAN_FIELD = 0, /* first byte of a field: a quote opens it */
        SCAN_PLAIN,     /* inside an unquoted field, or after a closing quote */
        SCAN_QUOTED,    /* inside quotes */
        SCAN_QUOTE      /* after a quote inside quotes: doubled, or closing */
};

size_t cdr_csv_scan(cdr_csv_scan_t *scan, char delimiter, const char *buf,
                    size_t len)
{
        const char *end = buf + len, *p = buf, *nl = NULL, *lim, *q;
        int state = scan->state, nl_known = 0;

        if (scan->done)
                return 0;
        while (p < end) {
                switch (state) {
                case SCAN_QUOTE:
                        if (*p == '"') {
                                state = SCAN_QUOTED;
                                p++;
                                break;
                        }
                        state = SCAN_PLAIN; /* *p is read as plain text */
                        break;
                case SCAN_FIELD:
                        if (*p == '"') {
                                state = SCAN_QUOTED;
                                p++;
                                break;
                        }
                        state = SCAN_PLAIN;
                        break;
                case SCAN_PLAIN:
                        /* The record ends at nl unless a quote at the
                         * start of a field comes first.  *p itself is
                         * never such a quote: it follows a byte that is
                         * not the delimiter, or is not a quote. */
                        if (!nl_known || (nl != NULL && nl < p)) {
                                nl = memchr(p, '\n', (size_t)(end - p));
                                nl_known = 1;
                        }
                        lim = nl != NULL ? nl : end;
                        q = memchr(p, '"', (size_t)(lim - p));
                        while (q != NULL && (q == p || q[-1] != delimiter))
                                q = memchr(q + 1, '"', (size_t)(lim - q - 1));
                        if (q != NULL) {
                                state = SCAN_QUOTED;
                                p = q + 1;
                                break;
                        }
                        if (nl != NULL) {
                                scan->lines++;
                                scan->done = 1;
                                scan->state = SCAN_FIELD;
                                return (size_t)(nl - buf) + 1;
                        }
                        /* The piece ends inside this field, or just
                         * after the delimiter that ends it. */
                        state = end[-1] == delimiter ? SCAN_FIELD : SCAN_PLAIN;
                        p = end;
                        break;
                default: /* SCAN_QUOTED */
                        q = memchr(p, '"', (size_t)(end - p));
                        scan->lines += csv_count_lf(p, q != NULL ? q : end);
                        if (q == NULL) {
                                p = end;
                                break;
                        }
                        state = SCAN_QUOTE;
                        p = q + 1;
                        break;
                }
        }
        scan->state = state;
        return len;
}

size_t cdr_csv_frame(char delimiter, const char *buf, size_t len, int eof,
                     size_t *lines)
{
        cdr_csv_scan_t scan = CDR_CSV_SCAN_INIT;
        size_t n;

        if (lines != NULL)
                *lines = 0;
        if (len == 0)
                return 0;
        n = cdr_csv_scan(&scan, delimiter, buf, len);
        if (!scan.done && !eof)
                return 0;
        if (lines != NULL)
                *lines = (size_t)scan.lines;
        return n;
}

/* Returns the index of the first byte from rec[i] that ends an unquoted
 * field (the delimiter, a quote, CR or LF), or len.  Never reads at or
 * past len. */
static inline size_t csv_scan_plain(const uint8_t *stop, char delimiter,
                                    const char *rec, size_t len, size_t i)
{
#if defined(__SSE2__)
        const __m128i delim = _mm_set1_epi8(delimiter);
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i cr = _mm_set1_epi8('\r');
        const __m128i lf = _mm_set1_epi8('\n');
        unsigned bits;

        while (len - i >= 16) {
                __m128i x = _mm_loadu_si128((const void *)(rec + i));

                bits = (unsigned)_mm_movemask_epi8(
                    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, delim),
                                              _mm_cmpeq_epi8(x, quote)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, cr),
                                              _mm_cmpeq_epi8(x, lf))));
                if (bits != 0)
                        return i + (size_t)__builtin_ctz(bits);
                i += 16;
        }
#else
        (void)delimiter;
#endif
        while (i < len && !stop[(unsigned char)rec[i]])
                i++;
        return i;
}

/*
 * The one-pass field scanner shared by cdr_csv_parse and cdr_csv_split.
 * Field `col` goes to out[map[col]] when map is given (and the column is
 * mapped), else to out[col] while col < nout.  Unescaped values are
 * written at scratch->data + scratch->len, which the caller reserved to
 * at least len bytes; every unescaped value is shorter than its quoted
 * form, so the buffer never moves.  Returns the number of fields or
 * CDR_ERR_MALFORMED / CDR_ERR_TOOBIG with errstr (and, when malformed,
 * the rule's *code) set.
 */
static int csv_scan(const cdr_csv_t *csv, const uint8_t *stop, char delimiter,
                    const char *rec, size_t len, const int *map, size_t nmap,
                    cdr_view_t *out, size_t nout, cdr_buf_t *scratch,
                    cdr_reason_t *code, char *errstr, size_t errstr_size)
{
        char label[96];
        size_t pos = 0, col = 0, i;
        cdr_view_t v;
        cdr_view_t *dst;

        for (;;) {
                if (map != NULL)
                        dst =
                            col < nmap && map[col] >= 0 ? &out[map[col]] : NULL;
                else
                        dst = col < nout ? &out[col] : NULL;

                if (pos < len && rec[pos] == '"') {
                        const char *q;
                        size_t start = pos + 1, seg = start;
                        char *w = NULL;

                        for (i = start;; i = (size_t)(q - rec) + 2) {
                                q = memchr(rec + i, '"', len - i);
                                if (q == NULL) {
                                        csv_column_label(csv, col, label,
                                                         sizeof(label));
                                        cdr_errf(errstr, errstr_size,
                                                 "csv: unterminated quoted "
                                                 "field in %s",
                                                 label);
                                        *code = CDR_REASON_CSV_SYNTAX;
                                        return CDR_ERR_MALFORMED;
                                }
                                if ((size_t)(q - rec) + 1 >= len || q[1] != '"')
                                        break;
                                /* A doubled quote: keep one of the two. */
                                if (dst != NULL) {
                                        size_t n = (size_t)(q - rec) + 1 - seg;

                                        if (w == NULL)
                                                w = scratch->data +
                                                    scratch->len;
                                        memcpy(w, rec + seg, n);
                                        w += n;
                                }
                                seg = (size_t)(q - rec) + 2;
                        }
                        i = (size_t)(q - rec);
                        if (w != NULL) {
                                char *begin = scratch->data + scratch->len;

                                memcpy(w, rec + seg, i - seg);
                                w += i - seg;
                                v.p = begin;
                                v.n = (size_t)(w - begin);
                                scratch->len += v.n;
                        } else {
                                v.p = rec + start;
                                v.n = i - start;
                        }
                        pos = i + 1;
                        if (pos < len && rec[pos] != delimiter) {
                                csv_column_label(csv, col, label,
                                                 sizeof(label));
                                cdr_errf(errstr, errstr_size,
                                         "csv: unexpected character after "
                                         "closing quote in %s",
                                         label);
                                *code = CDR_REASON_CSV_SYNTAX;
                                return CDR_ERR_MALFORMED;
                        }
                } else {
                        i = csv_scan_plain(stop, delimiter, rec, len, pos);
                        if (i < len && rec[i] != delimiter) {
                                csv_column_label(csv, col, label,
                                                 sizeof(label));
                                cdr_errf(errstr, errstr_size,
                                         rec[i] == '"' ? "csv: quote inside "
                                                         "unquoted field in %s"
                                                       : "csv: line break "
                                                         "outside quotes in %s",
                                         label);
                                *code = CDR_REASON_CSV_SYNTAX;
                                return CDR_ERR_MALFORMED;
                        }
                        v.p = rec + pos;
                        v.n = i - pos;
                        pos = i;
                }
                if (dst != NULL)
                        *dst = v;
                col++;
                if (pos >= len)
                        break;
                /* rec[pos] is a delimiter: another field follows. */
                pos++;
                if (col >= CDR_CSV_MAX_COLUMNS) {
                        cdr_errf(errstr, errstr_size,
                                 "csv: too many columns (more than %d)",
                                 CDR_CSV_MAX_COLUMNS);
                        *code = CDR_REASON_CSV_COLUMN_COUNT;
                        return CDR_ERR_MALFORMED;
                }
        }
        return (int)col;
}

int cdr_csv_split(char delimiter, const char *rec, size_t len,
                  cdr_view_t *fields, size_t max, cdr_buf_t *scratch,
                  char *errstr, size_t errstr_size)
{
        cdr_reason_t code;
        uint8_t stop[256];
        int n;

        cdr_buf_reset(scratch);
        if (cdr_buf_reserve(scratch, len) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "csv: out of memory");
                return CDR_ERR_NOMEM;
        }
        csv_stop_table(stop, delimiter);
        len = cdr_record_body(rec, len);
        n = csv_scan(NULL, stop, delimiter, rec, len, NULL, 0, fields, max,
                     scratch, &code, errstr, errstr_size);
        if (n > 0 && (size_t)n > max) {
                cdr_errf(errstr, errstr_size,
                         "csv: %d columns, more than the %zu expected", n, max);
                return CDR_ERR_TOOBIG;
        }
        return n;
}

static int csv_is_blank(char c)
{
        return c == ' ' || c == '\t';
}

int cdr_csv_set_header(cdr_csv_t *csv, const char *rec, size_t len,
                       char *errstr, size_t errstr_size)
{
        cdr_buf_t scratch = CDR_BUF_INIT;
        cdr_view_t *fields;
        size_t skip, i;
        int n, err;

        fields = calloc(CDR_CSV_MAX_COLUMNS, sizeof(*fields));
        if (fields == NULL) {
                cdr_errf(errstr, errstr_size, "csv: out of memory");
                return CDR_ERR_NOMEM;
        }
        /* Harmless when the caller has already skipped it. */
        skip = cdr_csv_skip_bom(rec, len);
        n = cdr_csv_split(csv->delimiter, rec + skip, len - skip, fields,
                          CDR_CSV_MAX_COLUMNS, &scratch, errstr, errstr_size);
        if (n < 0) {
                /* "csv: why" becomes "csv: header: why". */
                if (errstr != NULL && errstr_size > 5 &&
                    strncmp(errstr, "csv: ", 5) == 0) {
                        char why[256];

                        cdr_errf(why, sizeof(why), "%s", errstr + 5);
                        cdr_errf(errstr, errstr_size, "csv: header: %s", why);
                }
                err = n == CDR_ERR_NOMEM ? n : CDR_ERR_INVAL;
                goto out;
        }
        for (i = 0; i < (size_t)n; i++) {
                while (fields[i].n > 0 && csv_is_blank(fields[i].p[0])) {
                        fields[i].p++;
                        fields[i].n--;
                }
                while (fields[i].n > 0 &&
                       csv_is_blank(fields[i].p[fields[i].n - 1]))
                        fields[i].n--;
        }
        err =
            csv_install(csv, fields, (size_t)n, "header", errstr, errstr_size);
out:
        cdr_buf_free(&scratch);
        free(fields);
        return err;
}

size_t cdr_csv_column_count(const cdr_csv_t *csv)
{
        return csv->ncolumns;
}

const char *cdr_csv_column_name(const cdr_csv_t *csv, size_t i)
{
        return i < csv->ncolumns ? csv->names[i] : NULL;
}

/* A record the reader refuses, for rule `code`. */
static int refused(cdr_record_t *record, cdr_reason_t code)
{
        record->reason = code;
        return CDR_ERR_MALFORMED;
}

int cdr_csv_parse(const cdr_csv_t *csv, const char *rec, size_t len,
                  cdr_record_t *record, char *errstr, size_t errstr_size)
{
        size_t nslots = cdr_schema_count(csv->schema);
        size_t body;
        int n;

        if (CDR_UNLIKELY(csv->ncolumns == 0)) {
                cdr_errf(errstr, errstr_size, "csv: columns are not set");
                return CDR_ERR_INVAL;
        }
        if (cdr_record_reset(record, nslots, len) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "csv: out of memory");
                return CDR_ERR_NOMEM;
        }
        record->raw.p = rec;
        record->raw.n = len;
        body = cdr_record_body(rec, len);
        if (body == 0 && csv->ncolumns != 1) {
                cdr_errf(errstr, errstr_size, "csv: empty record");
                return refused(record, CDR_REASON_CSV_EMPTY_RECORD);
        }
        n = csv_scan(csv, csv->stop, csv->delimiter, rec, body, csv->slot,
                     csv->ncolumns, record->value, nslots, &record->scratch,
                     &record->reason, errstr, errstr_size);
        if (n < 0)
                return n;
        record->nfields = (size_t)n;
        if (CDR_UNLIKELY((size_t)n != csv->ncolumns)) {
                cdr_errf(errstr, errstr_size, "csv: %d columns, expected %zu",
                         n, csv->ncolumns);
                return refused(record, CDR_REASON_CSV_COLUMN_COUNT);
        }
        return CDR_OK;
}
