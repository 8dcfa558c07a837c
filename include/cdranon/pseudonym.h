/*
 * Keyed pseudonyms (PRODUCT.md, "Pseudonyms", normative):
 *
 *   pseudonym = key_id ":" base32(HMAC-SHA256(key,
 *                  "cdranon.v1." kind 0x00 canonical)[0..16))
 *
 * base32: RFC 4648 alphabet, lower case, no padding (26 characters).
 * The keys come from the key ring (keyring.h).  Key material lives in
 * memory locked with mlock where the system allows, and is wiped with
 * OPENSSL_cleanse when released.
 */
#ifndef CDRANON_PSEUDONYM_H
#define CDRANON_PSEUDONYM_H

#include "cdranon/common.h"
#include "cdranon/keyring.h"
#include "cdranon/number.h"

#define CDR_PSEUDONYM_B32LEN 26
#define CDR_PSEUDONYM_MAX    (CDR_KEY_ID_MAX + 1 + CDR_PSEUDONYM_B32LEN)

/* --- HMAC-SHA256 with precomputed inner and outer states ------------- */

/* The SHA-256 states after absorbing key^ipad and key^opad.  Computing a
 * MAC then costs the message's compressions plus one for the outer hash,
 * with no per-call allocation or key schedule. */
typedef struct cdr_hmac_s cdr_hmac_t;

/* Precomputes states for a key of any length (keys longer than 64 bytes
 * are hashed first, as RFC 2104 says).  Returns NULL on failure. */
cdr_hmac_t *cdr_hmac_new(const unsigned char *key,
                         size_t keylen) CDR_MUST_CHECK;
/* Wipes and frees. */
void cdr_hmac_destroy(cdr_hmac_t *hmac);
/* mac = HMAC-SHA256(key, msg); thread-safe (the states are read only). */
void cdr_hmac_compute(const cdr_hmac_t *hmac, const void *msg, size_t len,
                      unsigned char mac[32]);

/* RFC 4648 base32, lower case, no padding.  out must hold
 * ceil(len*8/5) + 1 bytes; returns the number of characters written
 * (NUL not counted). */
size_t cdr_base32_encode(const unsigned char *in, size_t len, char *out);

/* --- Pseudonymiser (one per thread) --------------------------------- */

typedef struct cdr_pseudonymiser_s cdr_pseudonymiser_t;

/* A pseudonymiser for key `key_index` of the ring (use
 * cdr_keyring_count(ring) - 1 for the active key) with a direct-mapped
 * cache of `cache_entries` recent results (0 = no cache; rounded up to a
 * power of two), keyed with xxHash.  It copies what it needs: the ring may
 * be destroyed afterwards.  Not thread-safe: one per thread. */
cdr_pseudonymiser_t *cdr_pseudonymiser_new(const cdr_keyring_t *ring,
                                           size_t key_index,
                                           size_t cache_entries, char *errstr,
                                           size_t errstr_size) CDR_MUST_CHECK;
void cdr_pseudonymiser_destroy(cdr_pseudonymiser_t *ps);

/* Writes the pseudonym of a canonical value into out (cap
 * CDR_PSEUDONYM_MAX + 1, NUL-terminated) and returns its length. */
size_t cdr_pseudonymise(cdr_pseudonymiser_t *ps, cdr_kind_t kind,
                        const char *canon, size_t len, char *out);

/* Starts loading the cache entry that a cdr_pseudonymise() of the same
 * value would read, so that the lookups of one record wait for memory
 * once, together, rather than one after another.  Only a hint: it
 * changes no result, and does nothing without a cache. */
void cdr_pseudonymise_prefetch(const cdr_pseudonymiser_t *ps, cdr_kind_t kind,
                               const char *canon, size_t len);

/* The key id the pseudonymiser uses. */
/* Pseudonym domains (PRODUCT.md, "Purposes and pseudonym domains"):
 * after this, pseudonyms are v2, HMAC(key, "cdranon.v2." kind 0x00
 * domain 0x00 canonical), domain = purpose "/" period; NULL or "" goes
 * back to v1.  Setting the domain in force costs a comparison; a new one
 * rebuilds the per-kind prefix blocks and empties the cache, so keep one
 * pseudonymiser per purpose (periods change rarely).  Returns 0, or
 * CDR_ERR_INVAL for a domain over CDR_PSEUDONYM_DOMAIN_MAX bytes. */
#define CDR_PSEUDONYM_DOMAIN_MAX 64
int cdr_pseudonymiser_set_domain(cdr_pseudonymiser_t *ps, const char *domain,
                                 char *errstr,
                                 size_t errstr_size) CDR_MUST_CHECK;
/* The domain in force, "" for v1. */
const char *cdr_pseudonymiser_domain(const cdr_pseudonymiser_t *ps);

const char *cdr_pseudonymiser_key_id(const cdr_pseudonymiser_t *ps);

typedef struct {
        uint64_t hits;
        uint64_t misses;
} cdr_pseudonym_stats_t;
void cdr_pseudonymiser_stats(const cdr_pseudonymiser_t *ps,
                             cdr_pseudonym_stats_t *stats);

#endif
