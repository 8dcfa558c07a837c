/*
 * Keyed tags of the sealed store's index (docs/sealed-format.md,
 * "Index of the sealed store"): for each identifier the policy
 * pseudonymises, a short tag under an index key of its own, so that a
 * subject or lawful request opens only the sealed records whose tags
 * match.  No raw identifier and no analytics pseudonym is in a tag.
 */
#ifndef CDRANON_SEALIDX_H
#define CDRANON_SEALIDX_H

#include "cdranon/common.h"
#include "cdranon/pseudonym.h"

#include <stddef.h>
#include <stdint.h>

#define CDR_IDX_LABEL   "cdranon.index.v1"
#define CDR_IDX_TAG_LEN 8 /* bytes; a false match costs one extra open */
#define CDR_IDX_TAG_HEX (2 * CDR_IDX_TAG_LEN + 1)

/* The index key: HMAC-SHA256(hmac_key, "cdranon.index.v1"), a separate
 * label so that a tag is never a prefix of a pseudonym's MAC.  Returns a
 * precomputed MAC under it, or NULL on failure. */
cdr_hmac_t *cdr_idx_key_new(const unsigned char *hmac_key,
                            size_t keylen) CDR_MUST_CHECK;

/* tag = HMAC-SHA256(index_key, kind || 0x00 || canonical)[0..8).  `kind`
 * is the field's kind ("number", "imsi", "imei"), `canonical` the
 * identifier's canonical form.  Returns 0 or CDR_ERR_INVAL. */
int cdr_idx_tag(const cdr_hmac_t *index_key, const char *kind,
                const char *canonical, size_t len,
                uint8_t tag[CDR_IDX_TAG_LEN]) CDR_MUST_CHECK;

/* The tag's lower-case hex form, NUL-terminated. */
void cdr_idx_tag_hex(const uint8_t tag[CDR_IDX_TAG_LEN],
                     char hex[CDR_IDX_TAG_HEX]);

#endif
