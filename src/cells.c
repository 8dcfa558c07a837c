/*
 * The cell table (cells.h).  The file is read whole and parsed as RFC
 * 4180: fields separated by commas, records by CRLF or LF, a field in
 * double quotes may hold commas, line breaks and doubled quotes.  Every
 * value is stored JSON-encoded (quoted and escaped) in one arena, so a
 * lookup copies bytes.  Cells are found by an open-addressing hash table
 * with linear probing keyed by XXH3 of the cell id; the id itself is
 * compared, so a collision never gives a wrong cell.
 */
#include "cdranon/cells.h"

#include "cdranon/buf.h"
#include "cdranon/encode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define MAX_COLUMNS 64

typedef struct {
        uint32_t off; /* in the arena */
        uint32_t len;
} span_t;

struct cdr_cells_s {
        char *path;
        char **names; /* the header's column names */
        size_t ncols;
        span_t *vals; /* row r, column c at vals[r * ncols + c] */
        span_t *ids;  /* the raw cell_id of row r */
        size_t nrows;
        uint32_t *slots; /* row + 1; 0: empty */
        uint64_t *hashes;
        size_t cap; /* power of two */
        cdr_buf_t arena;
};

/* The parser's position, for errors. */
typedef struct {
        const char *name;
        const char *p, *end;
        size_t line;
        char *errstr;
        size_t errstr_size;
} reader_t;

/* Reads one field into *out (the raw bytes, quotes undone) and sets
 * *last when it ends its record.  Returns 0, 1 at the end of the input
 * (no field), or CDR_ERR_MALFORMED with the error written. */
static int read_field(reader_t *r, cdr_buf_t *out, size_t col, int *last)
{
        out->len = 0;
        if (r->p == r->end)
                return 1;
        if (*r->p == '"') {
                size_t start = r->line;

                r->p++;
                for (;;) {
                        if (r->p == r->end) {
                                cdr_errf(r->errstr, r->errstr_size,
                                         "%s:%zu: column %zu: quoted field "
                                         "not closed",
                                         r->name, start, col + 1);
                                return CDR_ERR_MALFORMED;
                        }
                        if (*r->p == '"') {
                                if (r->p + 1 < r->end && r->p[1] == '"') {
                                        if (cdr_buf_putc(out, '"') != CDR_OK)
                                                return CDR_ERR_NOMEM;
                                        r->p += 2;
                                        continue;
                                }
                                r->p++;
                                break;
                        }
                        if (*r->p == '\n')
                                r->line++;
                        if (cdr_buf_putc(out, *r->p) != CDR_OK)
                                return CDR_ERR_NOMEM;
                        r->p++;
                }
                if (r->p < r->end && *r->p != ',' && *r->p != '\n' &&
                    !(*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')) {
                        cdr_errf(r->errstr, r->errstr_size,
                                 "%s:%zu: column %zu: text after a closing "
                                 "quote",
                                 r->name, r->line, col + 1);
                        return CDR_ERR_MALFORMED;
                }
        } else {
                const char *s = r->p;

                while (r->p < r->end && *r->p != ',' && *r->p != '\n') {
                        if (*r->p == '"') {
                                cdr_errf(r->errstr, r->errstr_size,
                                         "%s:%zu: column %zu: quote inside an "
                                         "unquoted field",
                                         r->name, r->line, col + 1);
                                return CDR_ERR_MALFORMED;
                        }
                        r->p++;
                }
                if (r->p > s && r->p[-1] == '\r' &&
                    (r->p == r->end || *r->p == '\n')) {
                        if (cdr_buf_append(out, s, (size_t)(r->p - s - 1)) !=
                            CDR_OK)
                                return CDR_ERR_NOMEM;
                } else if (cdr_buf_append(out, s, (size_t)(r->p - s)) !=
                           CDR_OK) {
                        return CDR_ERR_NOMEM;
                }
        }
        if (r->p < r->end && *r->p == ',') {
                r->p++;
                *last = 0;
                return 0;
        }
        if (r->p < r->end && *r->p == '\r')
                r->p++;
        if (r->p < r->end && *r->p == '\n') {
                r->p++;
                r->line++;
        }
        *last = 1;
        return 0;
}

static int table_insert(cdr_cells_t *t, size_t row, uint64_t h)
{
        size_t mask = t->cap - 1, i = (size_t)h & mask;

        while (t->slots[i] != 0)
                i = (i + 1) & mask;
        t->slots[i] = (uint32_t)(row + 1);
        t->hashes[i] = h;
        return 0;
}

static const char *arena_at(const cdr_cells_t *t, span_t s)
{
        return t->arena.data + s.off;
}

/* The row of cell id[0..n), or -1. */
static long find_row(const cdr_cells_t *t, const char *id, size_t n, uint64_t h)
{
        size_t mask = t->cap - 1, i = (size_t)h & mask;

        if (t->cap == 0)
                return -1;
        while (t->slots[i] != 0) {
                size_t row = t->slots[i] - 1;
                span_t s = t->ids[row];

                if (t->hashes[i] == h && s.len == n &&
                    memcmp(arena_at(t, s), id, n) == 0)
                        return (long)row;
                i = (i + 1) & mask;
        }
        return -1;
}

static int arena_put(cdr_cells_t *t, const char *p, size_t n, int json,
                     span_t *s)
{
        size_t off = t->arena.len;
        int rc = json ? cdr_json_put_string(&t->arena, p, n)
                      : cdr_buf_append(&t->arena, p, n);

        if (rc != CDR_OK)
                return rc;
        if (t->arena.len > UINT32_MAX)
                return CDR_ERR_NOMEM;
        s->off = (uint32_t)off;
        s->len = (uint32_t)(t->arena.len - off);
        return CDR_OK;
}

static int parse_header(cdr_cells_t *t, reader_t *r, cdr_buf_t *field)
{
        int last = 0, rc;
        size_t i;

        t->names = calloc(MAX_COLUMNS, sizeof(*t->names));
        if (t->names == NULL)
                return CDR_ERR_NOMEM;
        while (!last) {
                rc = read_field(r, field, t->ncols, &last);
                if (rc == 1) {
                        cdr_errf(r->errstr, r->errstr_size,
                                 "%s:1: empty file: a header line naming the "
                                 "columns, cell_id first, is needed",
                                 r->name);
                        return CDR_ERR_MALFORMED;
                }
                if (rc != CDR_OK)
                        return rc;
                if (t->ncols == MAX_COLUMNS) {
                        cdr_errf(r->errstr, r->errstr_size,
                                 "%s:1: more than %d columns", r->name,
                                 MAX_COLUMNS);
                        return CDR_ERR_MALFORMED;
                }
                if (field->len == 0 || memchr(field->data, '\0', field->len)) {
                        cdr_errf(r->errstr, r->errstr_size,
                                 "%s:1: column %zu: empty column name", r->name,
                                 t->ncols + 1);
                        return CDR_ERR_MALFORMED;
                }
                t->names[t->ncols] = strndup(field->data, field->len);
                if (t->names[t->ncols] == NULL)
                        return CDR_ERR_NOMEM;
                for (i = 0; i < t->ncols; i++) {
                        if (strcmp(t->names[i], t->names[t->ncols]) == 0) {
                                cdr_errf(r->errstr, r->errstr_size,
                                         "%s:1: column %zu (%s): column name "
                                         "repeated",
                                         r->name, t->ncols + 1, t->names[i]);
                                t->ncols++;
                                return CDR_ERR_MALFORMED;
                        }
                }
                t->ncols++;
        }
        if (strcmp(t->names[0], "cell_id") != 0) {
                cdr_errf(r->errstr, r->errstr_size,
                         "%s:1: column 1: the first column must be cell_id",
                         r->name);
                return CDR_ERR_MALFORMED;
        }
        return CDR_OK;
}

static int grow_rows(cdr_cells_t *t, size_t *rowcap)
{
        size_t ncap = *rowcap ? *rowcap * 2 : 1024;
        span_t *v = realloc(t->vals, ncap * t->ncols * sizeof(*v));
        span_t *ids;

        if (v == NULL)
                return CDR_ERR_NOMEM;
        t->vals = v;
        ids = realloc(t->ids, ncap * sizeof(*ids));
        if (ids == NULL)
                return CDR_ERR_NOMEM;
        t->ids = ids;
        *rowcap = ncap;
        return CDR_OK;
}

static int parse_rows(cdr_cells_t *t, reader_t *r, cdr_buf_t *field)
{
        size_t rowcap = 0, i;
        int rc;

        while (r->p < r->end) {
                size_t line = r->line, col = 0;
                int last = 0;

                if (t->nrows == rowcap && grow_rows(t, &rowcap) != CDR_OK)
                        return CDR_ERR_NOMEM;
                if (t->nrows >= UINT32_MAX - 1)
                        return CDR_ERR_NOMEM;
                while (!last) {
                        rc = read_field(r, field, col, &last);
                        if (rc != CDR_OK)
                                return rc;
                        if (col >= t->ncols) {
                                cdr_errf(r->errstr, r->errstr_size,
                                         "%s:%zu: column %zu: more columns "
                                         "than the header's %zu",
                                         r->name, line, col + 1, t->ncols);
                                return CDR_ERR_MALFORMED;
                        }
                        if (col == 0 && last && field->len == 0)
                                break; /* an empty line */
                        if (!cdr_utf8_valid(field->data, field->len)) {
                                cdr_errf(r->errstr, r->errstr_size,
                                         "%s:%zu: column %zu (%s): invalid "
                                         "UTF-8",
                                         r->name, line, col + 1, t->names[col]);
                                return CDR_ERR_MALFORMED;
                        }
                        if (col == 0) {
                                if (field->len == 0) {
                                        cdr_errf(r->errstr, r->errstr_size,
                                                 "%s:%zu: column 1 (cell_id): "
                                                 "empty cell_id",
                                                 r->name, line);
                                        return CDR_ERR_MALFORMED;
                                }
                                rc = arena_put(t, field->data, field->len, 0,
                                               &t->ids[t->nrows]);
                                if (rc != CDR_OK)
                                        return rc;
                        }
                        rc = arena_put(t, field->data, field->len, 1,
                                       &t->vals[t->nrows * t->ncols + col]);
                        if (rc != CDR_OK)
                                return CDR_ERR_NOMEM;
                        col++;
                }
                if (col == 0)
                        continue;
                if (col != t->ncols) {
                        cdr_errf(r->errstr, r->errstr_size,
                                 "%s:%zu: column %zu (%s): missing; the "
                                 "header has %zu columns",
                                 r->name, line, col + 1, t->names[col],
                                 t->ncols);
                        return CDR_ERR_MALFORMED;
                }
                t->nrows++;
        }
        for (t->cap = 16; t->cap < t->nrows * 2; t->cap *= 2)
                ;
        t->slots = calloc(t->cap, sizeof(*t->slots));
        t->hashes = calloc(t->cap, sizeof(*t->hashes));
        if (t->slots == NULL || t->hashes == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < t->nrows; i++) {
                span_t s = t->ids[i];
                uint64_t h = XXH3_64bits(arena_at(t, s), s.len);
                long dup = find_row(t, arena_at(t, s), s.len, h);

                if (dup >= 0) {
                        cdr_errf(r->errstr, r->errstr_size,
                                 "%s: column 1 (cell_id): duplicate cell_id: "
                                 "data rows %ld and %zu",
                                 r->name, dup + 1, i + 1);
                        return CDR_ERR_MALFORMED;
                }
                table_insert(t, i, h);
        }
        return CDR_OK;
}

cdr_cells_t *cdr_cells_parse(const char *name, const char *data, size_t len,
                             char *errstr, size_t errstr_size)
{
        cdr_cells_t *t = calloc(1, sizeof(*t));
        cdr_buf_t field = CDR_BUF_INIT;
        reader_t r = {name, data, data + len, 1, errstr, errstr_size};
        int rc = CDR_ERR_NOMEM;

        if (t == NULL)
                goto nomem;
        t->arena = (cdr_buf_t)CDR_BUF_INIT;
        t->path = strdup(name);
        if (t->path == NULL)
                goto nomem;
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                r.p += 3; /* a byte-order mark */
        rc = parse_header(t, &r, &field);
        if (rc == CDR_OK)
                rc = parse_rows(t, &r, &field);
        cdr_buf_free(&field);
        if (rc == CDR_OK)
                return t;
nomem:
        if (rc == CDR_ERR_NOMEM)
                cdr_errf(errstr, errstr_size, "%s: out of memory", name);
        cdr_buf_free(&field);
        cdr_cells_destroy(t);
        return NULL;
}

cdr_cells_t *cdr_cells_load(const char *path, char *errstr, size_t errstr_size)
{
        FILE *f = fopen(path, "rb");
        cdr_buf_t data = CDR_BUF_INIT;
        char chunk[65536];
        cdr_cells_t *t;
        size_t n;

        if (f == NULL) {
                cdr_errf(errstr, errstr_size, "%s: cannot open: %s", path,
                         strerror(errno));
                return NULL;
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                if (cdr_buf_append(&data, chunk, n) != CDR_OK) {
                        cdr_errf(errstr, errstr_size, "%s: out of memory",
                                 path);
                        fclose(f);
                        cdr_buf_free(&data);
                        return NULL;
                }
        }
        if (ferror(f)) {
                cdr_errf(errstr, errstr_size, "%s: read error: %s", path,
                         strerror(errno));
                fclose(f);
                cdr_buf_free(&data);
                return NULL;
        }
        fclose(f);
        t = cdr_cells_parse(path, data.data ? data.data : "", data.len, errstr,
                            errstr_size);
        cdr_buf_free(&data);
        return t;
}

void cdr_cells_destroy(cdr_cells_t *cells)
{
        size_t i;

        if (cells == NULL)
                return;
        for (i = 0; cells->names != NULL && i < cells->ncols; i++)
                free(cells->names[i]);
        free(cells->names);
        free(cells->vals);
        free(cells->ids);
        free(cells->slots);
        free(cells->hashes);
        free(cells->path);
        cdr_buf_free(&cells->arena);
        free(cells);
}

size_t cdr_cells_count(const cdr_cells_t *cells)
{
        return cells->nrows;
}

const char *cdr_cells_path(const cdr_cells_t *cells)
{
        return cells->path;
}

int cdr_cells_column(const cdr_cells_t *cells, const char *name)
{
        size_t i;

        for (i = 0; i < cells->ncols; i++) {
                if (strcmp(cells->names[i], name) == 0)
                        return (int)i;
        }
        return -1;
}

int cdr_cells_lookup(const cdr_cells_t *cells, const char *id, size_t n,
                     int col, cdr_view_t *json)
{
        long row = find_row(cells, id, n, XXH3_64bits(id, n));
        span_t s;

        if (row < 0 || col < 0 || (size_t)col >= cells->ncols)
                return 0;
        s = cells->vals[(size_t)row * cells->ncols + (size_t)col];
        json->p = arena_at(cells, s);
        json->n = s.len;
        return 1;
}
