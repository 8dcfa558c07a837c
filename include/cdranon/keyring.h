/*
 * The key ring of pseudonymisation keys (PRODUCT.md, "Pseudonyms";
 * docs/pseudonyms.md): a file of `KEY_ID HEX64` lines; '#' starts a
 * comment; the last key is active.  A key file readable by group or
 * others is refused (keyfile.h).  Key material lives in memory locked
 * with mlock where the system allows, kept out of core dumps, and is
 * wiped when released.
 */
#ifndef CDRANON_KEYRING_H
#define CDRANON_KEYRING_H

#include "cdranon/common.h"

#define CDR_KEY_ID_MAX   16
#define CDR_HMAC_KEY_LEN 32

typedef struct cdr_keyring_s cdr_keyring_t;

/* Loads a key file.  Refuses (CDR_ERR_PERM) a file readable or writable
 * by group or others, or not owned by the effective user (or root).
 * Errors name the file and line: "keys/hmac.key:3: bad key id".
 * Returns NULL on failure with errstr set.  The caller owns the ring. */
cdr_keyring_t *cdr_keyring_load(const char *path, char *errstr,
                                size_t errstr_size) CDR_MUST_CHECK;
void cdr_keyring_destroy(cdr_keyring_t *ring);
size_t cdr_keyring_count(const cdr_keyring_t *ring);
/* Key id of key i (0 = first in the file); the active key is the last. */
const char *cdr_keyring_id(const cdr_keyring_t *ring, size_t i);
const char *cdr_keyring_active_id(const cdr_keyring_t *ring);
/* The CDR_HMAC_KEY_LEN bytes of key i, in the ring's locked memory (the
 * ring owns them: a pseudonymiser copies what it derives), or NULL when
 * i is out of range. */
const unsigned char *cdr_keyring_key(const cdr_keyring_t *ring, size_t i);

/* Appends a fresh random key (RAND_priv_bytes) with the given id (or a
 * generated one "kYYYYMMDD" when id is NULL; a suffix is added when it
 * is already in use) to `path`, creating it with mode 0600.  Refuses an
 * existing file readable by group or others, and an id already in the
 * file.  *new_id receives the id used (cap CDR_KEY_ID_MAX + 1). */
int cdr_keyring_append_new(const char *path, const char *id, char *new_id,
                           char *errstr, size_t errstr_size) CDR_MUST_CHECK;

#endif
