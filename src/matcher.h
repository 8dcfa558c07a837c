/*
 * The query on opened records that `unseal --subscriber/--from/--to`
 * and `request` share: parse a record as the processor's configuration
 * does and keep it when it mentions the subscriber and falls in the
 * time window.
 */
#ifndef CDRANON_MATCHER_H
#define CDRANON_MATCHER_H

#include "cdranon/csv.h"
#include "cdranon/number.h"
#include "cdranon/policy.h"
#include "cdranon/record.h"
#include "cdranon/unseal.h"

#include <stddef.h>
#include <stdint.h>

/* Record parsing for --subscriber / --from / --to. */
struct cdr_matcher {
        const cdr_policy_t *policy;
        const char *config_path; /* for messages */
        size_t max_record;       /* input.max_record_bytes */
        cdr_csv_t *csv;
        cdr_record_t record;
        char canon[CDR_CANON_MAX];
        size_t canon_len;
        int have_subscriber;
        int have_from, have_to;
        int64_t from, to;
        /* CSV whose columns each file's header line names: the first
         * sealed record of each file is that header (anonymise seals it
         * first), and a file starts where the source file changes or its
         * line does not follow the last one's. */
        int header_per_file;
        char *file;    /* the current file (malloc), NULL before the first */
        uint64_t line; /* its last record's line */
};

/* Tracks the file of an opened record; when it starts a file, its
 * content is that file's header and sets the columns.  Returns 0, or
 * CDR_ERR_INVAL or CDR_ERR_NOMEM with errstr set (naming no record
 * content). */
int cdr_matcher_follow(struct cdr_matcher *m, const cdr_sealed_meta_t *meta,
                       const cdr_buf_t *plain, char *errstr,
                       size_t errstr_size);

/* 1 when the record matches the query, 0 when not. */
int cdr_matcher_match(struct cdr_matcher *m, const char *rec, size_t len);

/* The CSV columns from the first line of the file at `path`. */
int cdr_matcher_header_from(struct cdr_matcher *m, const char *path,
                            char *errstr, size_t errstr_size);

#endif
