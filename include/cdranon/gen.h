/*
 * Synthetic CDRs for demos, tests and benchmarks (`cdranon gen`).
 *
 * A generator holds a subscriber population whose activity follows a
 * Zipf-like law (sampled in O(1) through an alias table), and writes
 * voice, SMS and data records in one of four layouts: the generic CSV
 * layout, JSON lines with the same field names, Asterisk Master.csv and a
 * Cisco CUCM CDR export.  Output is a pure function of the options: the
 * same seed gives the same bytes, on every run.
 *
 * The cell_id of a record is where its subscriber is: subscribers move
 * through a synthetic network of towns and cells as CDR studies of human
 * mobility describe (home at night, work on weekdays, exploration and
 * preferential return; docs/generator.md), and the network's cell table
 * can be written beside the records.
 *
 * Every telephone number written is fictitious: Ofcom's drama ranges
 * (07700 900xxx, 020 7946 0xxx, 0113 496 0xxx, ...), the UK 04 range that
 * the National Telephone Numbering Plan keeps reserved (subscribers past
 * the first thousand), NANP 555-01xx and the Australian 5550 ranges.
 * config/README.md lists them.
 *
 * A configurable share of records is malformed in the ways real feeds
 * are: letters in a number, too many digits, broken CSV quoting, a wrong
 * column count, bytes that are not UTF-8, broken JSON.
 *
 * The generator does no I/O: records are appended to a cdr_buf_t.
 */
#ifndef CDRANON_GEN_H
#define CDRANON_GEN_H

#include "cdranon/buf.h"
#include "cdranon/common.h"
#include "cdranon/gen_formats.h"
#include "cdranon/gen_types.h"

/* Fills opts with the defaults above (format CSV, seed 1). */
void cdr_gen_options_default(cdr_gen_options_t *opts);

/* "csv", "json", "asterisk", "cucm".  Returns 0, or CDR_ERR_INVAL for an
 * unknown name. */
int cdr_gen_format_parse(const char *name, cdr_gen_format_t *format);
const char *cdr_gen_format_name(cdr_gen_format_t format);

/* "well-formed", "letters", "digits", "quote", "columns", "utf8",
 * "json". */
const char *cdr_gen_defect_name(cdr_gen_defect_t defect);

/* 1 when the layout's files start with a header line (CSV and CUCM). */
int cdr_gen_default_header(cdr_gen_format_t format);

/* Builds a generator and its population (memory: about 8 bytes per
 * subscriber, twice that while building, and 16 more for the layouts
 * with a cell column).  Returns NULL with errstr set
 * on a bad option or when memory runs out.  The caller owns the result.
 * Not thread-safe: one generator per thread. */
cdr_gen_t *cdr_gen_new(const cdr_gen_options_t *opts, char *errstr,
                       size_t errstr_size);
void cdr_gen_destroy(cdr_gen_t *gen);

/* Appends the header line (line end included) of the generator's layout:
 * the column names, quoted for CUCM as CUCM writes them.  JSON has none:
 * nothing is appended.  Returns 0 or CDR_ERR_NOMEM. */
int cdr_gen_header(const cdr_gen_t *gen, cdr_buf_t *out) CDR_MUST_CHECK;

/* Appends the next record with its line end.  A CSV record may span
 * lines (a quoted address holding a line break).  *defect (may be NULL)
 * receives what is wrong with the record.  Returns 0 or CDR_ERR_NOMEM
 * (the buffer is then unchanged and the generator has not advanced). */
int cdr_gen_record(cdr_gen_t *gen, cdr_buf_t *out,
                   cdr_gen_defect_t *defect) CDR_MUST_CHECK;

/* The network the records' cell_id values come from: its cell count,
 * and its cell table appended to out: a header line
 * "cell_id,area,district,region,town,latitude,longitude" and one line
 * per cell (RFC 4180, the records' line ends).  area is the location
 * area identity (the cell id's first three parts), district and region
 * group areas, town is "town-N" (N-th largest) or "rural".  Returns 0 or
 * CDR_ERR_NOMEM. */
size_t cdr_gen_cell_count(const cdr_gen_t *gen);
int cdr_gen_cells_csv(const cdr_gen_t *gen, cdr_buf_t *out) CDR_MUST_CHECK;

/* Records generated so far, and how many of them are malformed. */
uint64_t cdr_gen_records(const cdr_gen_t *gen);
uint64_t cdr_gen_malformed(const cdr_gen_t *gen);

#endif
