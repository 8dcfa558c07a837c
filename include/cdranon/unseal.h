/*
 * Opening sealed records: the custodian's side (docs/sealed-format.md,
 * docs/custodian.md).  Nothing here is linked into the sealing path: the
 * processor holds public keys only, and an unsealer holds private keys.
 * The custodian's key pairs are made by cdr_custodian_keygen
 * (keyfile.h).
 */
#ifndef CDRANON_UNSEAL_H
#define CDRANON_UNSEAL_H

#include "cdranon/buf.h"
#include "cdranon/record.h"
#include "cdranon/seal.h"

/* Private keys and the per-epoch contexts derived from them. */
typedef struct cdr_unsealer_s cdr_unsealer_t;

/* Returns NULL when out of memory. */
cdr_unsealer_t *cdr_unsealer_new(void);
/* Wipes every key and context and frees the unsealer.  NULL: no-op. */
void cdr_unsealer_destroy(cdr_unsealer_t *unsealer);

/* Adds the X25519 private key in a PEM PKCS#8 file.  A file that group
 * or others may access, or that neither the effective user nor root
 * owns, is refused (CDR_ERR_PERM); so is an encrypted key, or a key of
 * another type (CDR_ERR_INVAL).  Adding a key already held is a no-op.
 * Errors name the file.  Returns 0 or the error.  Keys are held in
 * memory locked where the system allows and wiped when released. */
int cdr_unsealer_add_key_file(cdr_unsealer_t *unsealer, const char *path,
                              char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* Adds a raw 32-byte X25519 private key (copied).  Returns 0,
 * CDR_ERR_NOMEM or CDR_ERR_CRYPTO. */
int cdr_unsealer_add_key(cdr_unsealer_t *unsealer,
                         const uint8_t sk[32]) CDR_MUST_CHECK;

/* Number of keys held, and key i's id (docs/sealed-format.md) and the
 * number of records it has opened so far (for the audit line). */
size_t cdr_unsealer_key_count(const cdr_unsealer_t *unsealer);
void cdr_unsealer_key_id(const cdr_unsealer_t *unsealer, size_t i,
                         char hex[CDR_KEY_ID_HEX_SIZE]);
uint64_t cdr_unsealer_key_opened(const cdr_unsealer_t *unsealer, size_t i);

/* What the authenticated header of an opened record said. */
typedef struct {
        /* file/line or topic/partition/offset; file and topic NULL when
         * the record carries no source.  The strings belong to the
         * unsealer and stay valid until its next open or destroy. */
        cdr_source_t source;
        char key_id[CDR_KEY_ID_HEX_SIZE];
        uint64_t counter; /* the record's number within its epoch */
        uint64_t length;  /* the record's length in bytes */
} cdr_sealed_meta_t;

/* Opens one binary sealed record.  On success `out` (reset first) holds
 * exactly the original record and *meta (may be NULL) its header.  A
 * record that is not a well-formed version 1 record is CDR_ERR_MALFORMED;
 * one that no key held opens, or whose header or ciphertext was altered,
 * truncated or spliced, is CDR_ERR_AUTH.  On failure `out` is empty, no
 * byte of plaintext is released and errstr says why without any record
 * content.  CDR_ERR_NOMEM is possible.  Not thread-safe. */
int cdr_unsealer_open(cdr_unsealer_t *unsealer, const void *sealed, size_t len,
                      cdr_buf_t *out, cdr_sealed_meta_t *meta, char *errstr,
                      size_t errstr_size) CDR_MUST_CHECK;

/* The same for one line of a sealed file (file mode): standard base64
 * with padding; a trailing "\n" or "\r\n" is allowed.  Bad base64 is
 * CDR_ERR_MALFORMED. */
int cdr_unsealer_open_base64(cdr_unsealer_t *unsealer, const char *line,
                             size_t len, cdr_buf_t *out,
                             cdr_sealed_meta_t *meta, char *errstr,
                             size_t errstr_size) CDR_MUST_CHECK;

/*
 * A sealed line too long to hold (a record sealed piece by piece from a
 * file too big for memory): opened in two passes, so that no byte of
 * plaintext is released before the whole record is authenticated, in
 * memory bounded by the pieces.  GCM's tag comes last, so:
 *
 *   1. cdr_unsealer_long_begin, then cdr_unsealer_long_feed with the
 *      line's text in pieces (in order, its line end included or not),
 *      then cdr_unsealer_long_end: the base64 is decoded, the ciphertext
 *      kept in a private unlinked temporary file (ciphertext only: never
 *      plaintext) and authenticated; the plaintext of this pass is wiped
 *      as it is made.
 *   2. Only when pass 1 succeeded, cdr_unsealer_long_write decrypts the
 *      temporary file and hands the plaintext to `write` in pieces.
 *
 * Not thread-safe; one long record at a time per unsealer, and no other
 * open between the two passes.
 */

/* Starts a long record: creates the temporary file in `tmpdir` (mode
 * 0600, unlinked at once).  Abandons a long record not written yet.
 * Returns 0 or CDR_ERR_IO with errstr naming the folder. */
int cdr_unsealer_long_begin(cdr_unsealer_t *unsealer, const char *tmpdir,
                            char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* The next piece of the line's text.  A trailing "\n" or "\r\n" of the
 * line may come in the last pieces.  Returns 0, or CDR_ERR_MALFORMED
 * (not base64, not a version 1 record), CDR_ERR_AUTH (no key held has the
 * record's key id, or a bad encapsulated key) or CDR_ERR_IO (the
 * temporary file), errstr set without record content; after an error the
 * record is abandoned and later feeds return CDR_ERR_INVAL. */
int cdr_unsealer_long_feed(cdr_unsealer_t *unsealer, const char *text,
                           size_t len, char *errstr,
                           size_t errstr_size) CDR_MUST_CHECK;

/* The line is complete: checks its end and the tag.  Returns 0 (the
 * record is authentic; *meta, which may be NULL, says what its header
 * says, as cdr_unsealer_open does), CDR_ERR_MALFORMED (truncated) or
 * CDR_ERR_AUTH (altered, truncated, spliced, or sealed to another key). */
int cdr_unsealer_long_end(cdr_unsealer_t *unsealer, cdr_sealed_meta_t *meta,
                          char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* Pass 2, after a successful cdr_unsealer_long_end: the original record
 * through `write` (opaque, the bytes, their count; it returns 0 or a
 * negative error that stops the pass and is returned).  The bytes are
 * wiped after each call.  Pass 1 kept a SHA-256 of each MiB of the
 * ciphertext it authenticated, and each MiB read back is checked against
 * it before its plaintext is made: should the temporary file have
 * changed, the pass stops with CDR_ERR_AUTH before the first changed MiB,
 * having written only authenticated bytes (but not all of them).  Closes
 * the temporary file in any case. */
int cdr_unsealer_long_write(cdr_unsealer_t *unsealer,
                            int (*write)(void *opaque, const void *p, size_t n),
                            void *opaque, char *errstr,
                            size_t errstr_size) CDR_MUST_CHECK;

#endif
