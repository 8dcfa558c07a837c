/*
 * Sealing raw records to the lawful-retention custodian (PRODUCT.md,
 * "Sealed records"; byte layout in docs/sealed-format.md).
 *
 * Per epoch, one HPKE (RFC 9180) base-mode encapsulation to the
 * custodian's X25519 public key; the epoch's data key comes from the HPKE
 * exporter; each record is AES-256-GCM under that key with a counter
 * nonce, the header authenticated as associated data.  The sealing side
 * holds only public keys: it cannot open what it sealed.
 */
#ifndef CDRANON_SEAL_H
#define CDRANON_SEAL_H

#include "cdranon/buf.h"
#include "cdranon/hpke.h"
#include "cdranon/record.h"

/* One custodian public key and the event-time period it seals:
 * [not_before, not_after) in epoch seconds, INT64_MIN / INT64_MAX when
 * open.  `line` is where the configuration named it (0: not from one). */
typedef struct {
        char *file;
        int64_t not_before;
        int64_t not_after;
        int line;
} cdr_custodian_spec_t;

/* The custodian public keys, each with its period. */
typedef struct cdr_custodian_set_s cdr_custodian_set_t;

#define CDR_SEALED_VERSION  1  /* the format version a sealer writes */
#define CDR_KEY_ID_LEN      8  /* bytes of SHA-256(public key) in a header */
#define CDR_KEY_ID_HEX_SIZE 17 /* its lower-case hex form and a NUL */

/* Loads PEM SubjectPublicKeyInfo X25519 keys (as `openssl pkey -pubout`
 * writes).  Periods must not overlap.  Errors name the file, and start
 * with "LINE: " when the spec has a line, for the caller to prefix with
 * the configuration's path.  A low-order point is refused.  Returns NULL
 * on failure; the caller owns the set. */
cdr_custodian_set_t *cdr_custodian_set_load(const cdr_custodian_spec_t *specs,
                                            size_t n, char *errstr,
                                            size_t errstr_size) CDR_MUST_CHECK;
void cdr_custodian_set_destroy(cdr_custodian_set_t *set);

/* Number of keys in the set. */
size_t cdr_custodian_set_count(const cdr_custodian_set_t *set);

/* Index of the key whose period covers `t` (epoch seconds), or
 * CDR_ERR_NOTFOUND. */
int cdr_custodian_set_find(const cdr_custodian_set_t *set, int64_t t);

/* Key i's id (docs/sealed-format.md) as lower-case hex, NUL-terminated. */
void cdr_custodian_key_id(const cdr_custodian_set_t *set, size_t i,
                          char hex[CDR_KEY_ID_HEX_SIZE]);

typedef struct cdr_sealer_s cdr_sealer_t;

/* A sealer over `keys` (which must outlive it) that starts a new epoch
 * per key after `epoch_records` records (1..2^32) or `epoch_seconds`
 * seconds (>= 1).  Fails when no key covers the current time: a processor
 * must always have a key for records whose event time is unknown.  Not
 * thread-safe: one per thread.  Returns NULL on failure. */
cdr_sealer_t *cdr_sealer_new(const cdr_custodian_set_t *keys,
                             uint64_t epoch_records, int epoch_seconds,
                             char *errstr, size_t errstr_size) CDR_MUST_CHECK;
void cdr_sealer_destroy(cdr_sealer_t *sealer);

/* The longest record the format holds: AES-GCM's limit for one message
 * (NIST SP 800-38D), 2^36 - 32 bytes. */
#define CDR_SEALED_RECORD_MAX (((uint64_t)1 << 36) - 32)

/* Seals rec[0..len) into `out` (reset first: out holds exactly one sealed
 * record in binary).  `source` (may be NULL) goes into the authenticated
 * header; `event_time` (epoch seconds, INT64_MIN when unknown: the
 * processing time is used) picks the custodian key; an event time that no
 * period covers is sealed to the key of the processing time.  Returns 0,
 * CDR_ERR_NOTFOUND when no key covers the processing time either,
 * CDR_ERR_TOOBIG (record over CDR_SEALED_RECORD_MAX bytes, file or topic
 * name over 65535), or CDR_ERR_NOMEM / CDR_ERR_CRYPTO.  Allocates only
 * to grow `out` and when an epoch starts.  The same bytes as
 * cdr_sealer_begin, one cdr_sealer_update and cdr_sealer_finish. */
int cdr_sealer_seal(cdr_sealer_t *sealer, const void *rec, size_t len,
                    const cdr_source_t *source, int64_t event_time,
                    cdr_buf_t *out, char *errstr,
                    size_t errstr_size) CDR_MUST_CHECK;

/* Sealing a record whose bytes come in pieces (a file-mode record too
 * long to hold), in memory bounded by the largest piece: begin resets
 * `out` and writes the header there, each update appends the ciphertext
 * of its piece, finish appends the tag.  The caller may take bytes off
 * the front of `out` between calls (the ciphertext of a piece depends
 * only on what came before).  The concatenation is the same sealed record
 * cdr_sealer_seal makes of the whole record.  One record at a time per
 * sealer: a begin abandons a record not finished (its counter stays
 * spent).  Errors as cdr_sealer_seal's; update returns CDR_ERR_TOOBIG
 * once the record would pass CDR_SEALED_RECORD_MAX, and after any error
 * the record is abandoned. */
int cdr_sealer_begin(cdr_sealer_t *sealer, const cdr_source_t *source,
                     int64_t event_time, cdr_buf_t *out, char *errstr,
                     size_t errstr_size) CDR_MUST_CHECK;
int cdr_sealer_update(cdr_sealer_t *sealer, const void *piece, size_t len,
                      cdr_buf_t *out, char *errstr,
                      size_t errstr_size) CDR_MUST_CHECK;
int cdr_sealer_finish(cdr_sealer_t *sealer, cdr_buf_t *out, char *errstr,
                      size_t errstr_size) CDR_MUST_CHECK;

/* Number of epochs started so far (for metrics). */
uint64_t cdr_sealer_epochs(const cdr_sealer_t *sealer);

/* The encapsulation of a sealer's epochs: Encap(pkR) writing the KEM
 * shared secret and enc, as cdr_hpke_encap does (the default).  Only
 * the known-answer tests set another, which fixes the ephemeral key
 * (tests/seal_kat.c): nothing in the library or the binary calls
 * cdr_sealer_set_encap. */
typedef int cdr_sealer_encap_fn(void *opaque, const uint8_t pkR[CDR_HPKE_NPK],
                                uint8_t shared_secret[CDR_HPKE_NSECRET],
                                uint8_t enc[CDR_HPKE_NENC]);

/* Makes the sealer's epochs encapsulate with `encap` (NULL: the
 * default), and closes every open epoch so that the next record starts
 * one with it.  `opaque` is passed to it and must outlive the sealer. */
void cdr_sealer_set_encap(cdr_sealer_t *sealer, cdr_sealer_encap_fn *encap,
                          void *opaque);

#endif
