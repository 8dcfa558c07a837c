/*
 * RFC 4180 CSV reader.
 *
 * Two steps, so that the same parser serves files and Kafka messages:
 * cdr_csv_frame() finds where a record ends in a byte stream (a quoted
 * field may hold separators, doubled quotes and line breaks; CRLF or LF);
 * cdr_csv_parse() turns one framed record into a cdr_record_t of views.
 * A UTF-8 byte-order mark at the start of a file is skipped by the caller
 * (cdr_csv_skip_bom).
 */
#ifndef CDRANON_CSV_H
#define CDRANON_CSV_H

#include "cdranon/record.h"

#define CDR_CSV_MAX_COLUMNS 4096

typedef struct cdr_csv_s cdr_csv_t;

/* A reader for records with the given delimiter whose needed fields are
 * the schema's; the schema must outlive the reader.  Columns must be set
 * (cdr_csv_set_columns or cdr_csv_set_header) before parsing.
 * Returns NULL on failure with errstr set. */
cdr_csv_t *cdr_csv_new(char delimiter, const cdr_schema_t *schema, char *errstr,
                       size_t errstr_size);
void cdr_csv_destroy(cdr_csv_t *csv);

/* Sets the column names (configured `columns:`); copies them and maps
 * each to its schema slot, so the schema must be complete by then.
 * Fails with CDR_ERR_INVAL on a duplicate or empty name. */
int cdr_csv_set_columns(cdr_csv_t *csv, const char *const *names, size_t n,
                        char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* Sets the column names from a header record (as framed by cdr_csv_frame,
 * line end included or not). */
int cdr_csv_set_header(cdr_csv_t *csv, const char *rec, size_t len,
                       char *errstr, size_t errstr_size) CDR_MUST_CHECK;

size_t cdr_csv_column_count(const cdr_csv_t *csv);
/* NUL-terminated name of column i; owned by the reader. */
const char *cdr_csv_column_name(const cdr_csv_t *csv, size_t i);

/* Returns the number of bytes at the start of buf that skip a UTF-8 BOM
 * (3 or 0). */
size_t cdr_csv_skip_bom(const char *buf, size_t len);

/* Finds the end of the first record in buf[0..len).  Returns the record's
 * length including its line end (LF or CRLF), or 0 when the buffer holds no
 * complete record yet.  At end of input (eof != 0) the rest of the buffer
 * is one record even without a line end, and an unterminated quote ends
 * there.  *lines receives the number of line ends the record spans (so
 * the caller can keep line numbers).  The same as one cdr_csv_scan over
 * the buffer. */
size_t cdr_csv_frame(char delimiter, const char *buf, size_t len, int eof,
                     size_t *lines);

/* Framing state of one record whose bytes arrive in pieces, for records
 * too long to hold (file mode).  Zeroed (CDR_CSV_SCAN_INIT) at the start
 * of each record. */
typedef struct {
        int state;      /* where the next byte falls (private) */
        int done;       /* 1 once the record's line end has been scanned */
        uint64_t lines; /* line feeds scanned so far, the line end's too */
} cdr_csv_scan_t;

#define CDR_CSV_SCAN_INIT                                                      \
        {                                                                      \
                0, 0, 0                                                        \
        }

/* Scans the next piece of a record, buf[0..len), by the rule of
 * cdr_csv_frame: a quote opens a quoted field only as the first byte of a
 * field, inside quotes a doubled quote is one quote and a line feed is
 * data, and outside quotes the first line feed ends the record.  Returns
 * the number of bytes of the piece that belong to the record: all of
 * them while its end is still to come, or up to and including the line
 * feed that ends it, and then sets scan->done.  Any split of a record
 * into pieces gives the same answer as the whole record (a quote that is
 * the last byte of a piece is resolved by the next one).  Once done it
 * returns 0. */
size_t cdr_csv_scan(cdr_csv_scan_t *scan, char delimiter, const char *buf,
                    size_t len);

/* Parses one record (line end optional) into `record`, which it resets
 * first (cdr_record_reset); its views point into `rec` or into
 * record->scratch.  The caller keeps `rec` alive while
 * the record is used.  Returns 0, or CDR_ERR_MALFORMED with a reason in
 * errstr that never contains field bytes ("unterminated quoted field in
 * column 3", "17 columns, expected 18").  Thread-safe for distinct
 * records once the columns are set. */
int cdr_csv_parse(const cdr_csv_t *csv, const char *rec, size_t len,
                  cdr_record_t *record, char *errstr,
                  size_t errstr_size) CDR_MUST_CHECK;

/* Splits one record into all its fields, unescaped, for callers that need
 * every column (the header, `unseal --subscriber`).  Fills up to `max`
 * views; returns the number of fields or a negative error.  Views point
 * into rec or into *scratch, which is reserved to len first. */
int cdr_csv_split(char delimiter, const char *rec, size_t len,
                  cdr_view_t *fields, size_t max, cdr_buf_t *scratch,
                  char *errstr, size_t errstr_size);

#endif
