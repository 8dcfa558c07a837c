/*
 * File-mode input: reads a file (or standard input) in large chunks and
 * hands out one framed record at a time, as a view into its buffer, with
 * the line number where the record starts.  CSV records may span lines
 * (quoted line breaks); JSON records are one per line.  A UTF-8
 * byte-order mark at the start is skipped; blank lines are skipped.
 * Memory is bounded: one buffer of max_record + 64 KiB.
 */
#ifndef CDRANON_FILEIN_H
#define CDRANON_FILEIN_H

#include "cdranon/config.h"

typedef struct cdr_filein_s cdr_filein_t;

/* Opens `path` (NULL or "-": standard input).  Returns NULL with errstr
 * ("in.csv: No such file or directory") on failure. */
cdr_filein_t *cdr_filein_open(const char *path, cdr_format_t format,
                              char delimiter, size_t max_record, char *errstr,
                              size_t errstr_size);
/* Closes the file (not standard input) and frees the reader. */
void cdr_filein_close(cdr_filein_t *in);

/* The next record, line end included, valid until the next call.
 * Returns 1 (a record), 0 (end of input), CDR_ERR_TOOBIG (a record longer
 * than max_record was skipped up to its next line end; *line says where it
 * started) or CDR_ERR_IO (errstr set). */
int cdr_filein_next(cdr_filein_t *in, cdr_view_t *rec, uint64_t *line,
                    char *errstr, size_t errstr_size);

/* The name used in dead-letter sources: the path, or "-" for stdin. */
const char *cdr_filein_name(const cdr_filein_t *in);

#endif
