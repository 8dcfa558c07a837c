/*
 * File-mode input: reads a file (or standard input) in large chunks and
 * hands out one framed record at a time, as a view into its buffer, with
 * the line number where the record starts.  CSV records may span lines
 * (quoted line breaks, RFC 4180); JSON records are one per line.  A UTF-8
 * byte-order mark at the start is skipped; blank lines are skipped.
 * Memory is bounded: one buffer of max_record + 64 KiB.
 *
 * A record longer than max_record is not held: cdr_filein_next announces
 * it and cdr_filein_next_piece hands out its bytes in order, so that the
 * caller can seal it in bounded memory.  Its end is found by the same
 * framing as any other record's (for CSV, quotes are followed to the real
 * end of the record), so no byte of it is ever read as a record of its
 * own.  Its end is looked for within its first scan limit bytes; past
 * that, the record runs to the end of the input.
 *
 * Line numbers count line feeds: a record's line is 1 + the number of LF
 * bytes before it (CRLF is one line end, a CR alone is not one; the BOM is
 * not counted).  A record's line end is its final LF, with the CR before
 * it; at the end of input, a last record without LF has no line end but
 * may end in a CR, which is taken as one.  A blank line is a record of
 * nothing but its line end.
 */
#ifndef CDRANON_FILEIN_H
#define CDRANON_FILEIN_H

#include "cdranon/config.h"

typedef struct cdr_filein_s cdr_filein_t;

/* The default scan limit: the end of a record must come within its first
 * 2^30 bytes (line end included). */
#define CDR_FILEIN_SCAN_LIMIT ((uint64_t)1 << 30)

/* Opens `path` (NULL or "-": standard input).  Returns NULL with errstr
 * ("in.csv: No such file or directory") on failure. */
cdr_filein_t *cdr_filein_open(const char *path, cdr_format_t format,
                              char delimiter, size_t max_record, char *errstr,
                              size_t errstr_size);
/* Closes the file (not standard input) and frees the reader. */
void cdr_filein_close(cdr_filein_t *in);

/* Sets the scan limit (default CDR_FILEIN_SCAN_LIMIT; UINT64_MAX: none),
 * raised to max_record + 2 when lower.  Call before the first record. */
void cdr_filein_set_scan_limit(cdr_filein_t *in, uint64_t limit);

/* The next record, line end included, valid until the next call.
 * Returns 1 (a record), 0 (end of input), CDR_ERR_TOOBIG (a record longer
 * than max_record, without its line end, starts at *line: its bytes come
 * from cdr_filein_next_piece) or CDR_ERR_IO (errstr set).  After
 * CDR_ERR_TOOBIG the next call skips what cdr_filein_next_piece has not
 * handed out of the record. */
int cdr_filein_next(cdr_filein_t *in, cdr_view_t *rec, uint64_t *line,
                    char *errstr, size_t errstr_size);

/* The next piece of the record that cdr_filein_next announced with
 * CDR_ERR_TOOBIG: its bytes in order, the last piece ending with its line
 * end.  A piece is valid until the next call.  Returns 1 (a piece), 0
 * (the record is complete, or none was announced) or CDR_ERR_IO. */
int cdr_filein_next_piece(cdr_filein_t *in, cdr_view_t *piece, char *errstr,
                          size_t errstr_size);

/* 1 when the record last announced by CDR_ERR_TOOBIG had no end within the
 * scan limit, so that it ran to the end of the input; else 0.  Valid once
 * cdr_filein_next_piece has returned 0. */
int cdr_filein_to_eof(const cdr_filein_t *in);

/* The name used in dead-letter sources: the path, or "-" for stdin. */
const char *cdr_filein_name(const cdr_filein_t *in);

#endif
