/*
 * The index file of a sealed file (docs/sealed-format.md, "Index of the
 * sealed store"): its lines, written by `anonymise --index` and read by
 * `request`.  Pure: text in, text out.
 *
 *   # cdranon-index v1 key=KEYID
 *   OFFSET h                        a sealed line that is a CSV header
 *   OFFSET [KIND:TAG]...            a sealed record and its tags
 *
 * OFFSET is the byte offset of the sealed line in the sealed file, TAG
 * the hex of cdr_idx_tag under the index key of the HMAC key KEYID.
 */
#ifndef CDRANON_REQUEST_H
#define CDRANON_REQUEST_H

#include "cdranon/buf.h"
#include "cdranon/common.h"
#include "cdranon/sealidx.h"

#include <stddef.h>
#include <stdint.h>

#define CDR_IDX_MAGIC    "# cdranon-index v1 key="
#define CDR_IDX_MAX_TAGS 16 /* tags kept per line; more are dropped twice */

/* Appends the index file's first line for HMAC key `key_id`. */
int cdr_idx_put_header(cdr_buf_t *out, const char *key_id) CDR_MUST_CHECK;

/* One index line: the tags of one sealed line, gathered unique. */
typedef struct {
        size_t ntags;
        const char *kind[CDR_IDX_MAX_TAGS];
        uint8_t tag[CDR_IDX_MAX_TAGS][CDR_IDX_TAG_LEN];
} cdr_idx_entry_t;

/* Adds a tag of `kind` (a static string) unless the entry holds it. */
void cdr_idx_entry_add(cdr_idx_entry_t *e, const char *kind,
                       const uint8_t tag[CDR_IDX_TAG_LEN]);

/* Appends "OFFSET[ h| KIND:TAG...]\n". */
int cdr_idx_put_line(cdr_buf_t *out, uint64_t offset, int header,
                     const cdr_idx_entry_t *e) CDR_MUST_CHECK;

/* Reads the first line: the key id into id[0..cap).  Returns 0 or
 * CDR_ERR_MALFORMED. */
int cdr_idx_parse_header(const char *line, size_t len, char *id,
                         size_t cap) CDR_MUST_CHECK;

/* Reads one line: *offset, *header, and *hit = 1 when it holds the tag
 * `want` of `kind` (want NULL: never).  Returns 0 or CDR_ERR_MALFORMED. */
int cdr_idx_parse_line(const char *line, size_t len, const char *kind,
                       const char *want_hex, uint64_t *offset, int *header,
                       int *hit) CDR_MUST_CHECK;

#endif
