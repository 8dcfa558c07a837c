/*
 * Lists of source coordinates: which records `cdranon unseal --sources`
 * opens.  A line of a list is one of
 *
 *   a dead letter as cdranon writes it, whose "source" member names the
 *   record: {"reason":...,"source":{"topic":T,"partition":P,"offset":O}}
 *   or {"reason":...,"source":{"file":F,"line":L}};
 *   TOPIC PARTITION OFFSET (a topic name as Kafka allows it);
 *   FILE LINE;
 *
 * or a blank line, or a comment starting with '#'.  Coordinates are not
 * record content: they may appear in messages.
 */
#ifndef CDRANON_SOURCES_H
#define CDRANON_SOURCES_H

#include "cdranon/common.h"
#include "cdranon/record.h"

typedef struct cdr_sources_s cdr_sources_t;

cdr_sources_t *cdr_sources_new(void);
void cdr_sources_destroy(cdr_sources_t *set);

/* Adds the source one line names (`len` bytes; a line end is allowed).
 * Returns 0 (a blank or comment line adds nothing), CDR_ERR_MALFORMED
 * (errstr says which form was expected), CDR_ERR_TOOBIG (a name over
 * 4096 bytes) or CDR_ERR_NOMEM. */
int cdr_sources_add_line(cdr_sources_t *set, const char *line, size_t len,
                         char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* Sorts the list and drops repeats; call after the last add and before
 * the first match.  Returns 0 or CDR_ERR_NOMEM. */
int cdr_sources_finish(cdr_sources_t *set) CDR_MUST_CHECK;

/* Distinct sources listed (after cdr_sources_finish). */
size_t cdr_sources_count(const cdr_sources_t *set);

/* 1 when `src` is listed (it is then marked found), else 0. */
int cdr_sources_match(cdr_sources_t *set, const cdr_source_t *src);

/* Source i (0 <= i < count, sorted) as text, "topic T [P] offset O" or
 * "file F line L"; *found (may be NULL) whether a match marked it. */
const char *cdr_sources_get(const cdr_sources_t *set, size_t i, int *found);

#endif
