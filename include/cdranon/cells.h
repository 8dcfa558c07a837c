/*
 * The cell table: what the network knows of each radio cell, loaded from
 * an RFC 4180 CSV file whose header names the columns, the first of which
 * is cell_id (area, district, region, town, latitude, longitude ...).
 * The policy's `cell COLUMN` action publishes a column's value for the
 * record's cell instead of the cell itself.  Errors name
 * file:line: column N (name): the rule broken.  A cell_id may appear
 * once.  Lookups are a hash probe; the table is read only once loaded and
 * so thread-safe.
 */
#ifndef CDRANON_CELLS_H
#define CDRANON_CELLS_H

#include "cdranon/common.h"

typedef struct cdr_cells_s cdr_cells_t;

cdr_cells_t *cdr_cells_load(const char *path, char *errstr,
                            size_t errstr_size) CDR_MUST_CHECK;
/* The same from bytes in memory, `name` standing for the file in errors. */
cdr_cells_t *cdr_cells_parse(const char *name, const char *data, size_t len,
                             char *errstr, size_t errstr_size) CDR_MUST_CHECK;
void cdr_cells_destroy(cdr_cells_t *cells);

size_t cdr_cells_count(const cdr_cells_t *cells);
const char *cdr_cells_path(const cdr_cells_t *cells);
/* The index of the column named `name` (0 is cell_id), or -1. */
int cdr_cells_column(const cdr_cells_t *cells, const char *name);
/* The value in column `col` of cell id[0..n), as a JSON string (quoted
 * and escaped) in *json.  Returns 1, or 0 when the cell is not in the
 * table. */
int cdr_cells_lookup(const cdr_cells_t *cells, const char *id, size_t n,
                     int col, cdr_view_t *json);

#endif
