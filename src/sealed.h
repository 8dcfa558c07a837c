/*
 * The sealed-record format, version 1, shared by the sealer (seal.c) and
 * the opener (unseal.c): its constants and the key schedule of an epoch
 * (sealed.c).  docs/sealed-format.md is the normative text; these must
 * match it.
 */
#ifndef CDRANON_SEALED_H
#define CDRANON_SEALED_H

#include "cdranon/hpke.h"

#include <openssl/evp.h>

/* As CDR_KEY_ID_LEN and CDR_KEY_ID_HEX_SIZE of seal.h, which this file
 * does not include: the sealer depends on the format, not the reverse. */
#define SEALED_KEY_ID_LEN      8
#define SEALED_KEY_ID_HEX_SIZE 17

#define SEALED_MAGIC     "CDRS"
#define SEALED_MAGIC_LEN 4

/* Source kinds (header byte 5). */
#define SEALED_SOURCE_NONE  0
#define SEALED_SOURCE_FILE  1
#define SEALED_SOURCE_KAFKA 2

/* magic, version, source kind, key id, enc, counter */
#define SEALED_OFF_VERSION 4
#define SEALED_OFF_KIND    5
#define SEALED_OFF_KEY_ID  6
#define SEALED_OFF_ENC     (SEALED_OFF_KEY_ID + SEALED_KEY_ID_LEN)
#define SEALED_OFF_COUNTER (SEALED_OFF_ENC + CDR_HPKE_NENC)
#define SEALED_FIXED_LEN   (SEALED_OFF_COUNTER + 8)

#define SEALED_TAG_LEN     16
#define SEALED_PREFIX_LEN  4
#define SEALED_NAME_MAX    65535
#define SEALED_RECORD_MAX  CDR_SEALED_RECORD_MAX
#define SEALED_UPDATE_MAX  ((size_t)1 << 30)   /* EVP lengths are int */
#define SEALED_COUNTER_END ((uint64_t)1 << 32) /* counters stay below */

/* HPKE parameters: suite (X25519, HKDF-SHA256, Export-only), base mode. */
#define SEALED_HPKE_AEAD    CDR_HPKE_AEAD_EXPORT_ONLY
#define SEALED_INFO         "cdranon sealed v1"
#define SEALED_LABEL_KEY    "cdranon sealed v1 data key"
#define SEALED_LABEL_PREFIX "cdranon sealed v1 nonce prefix"

/* A custodian key's id: SHA-256(raw public key)[0..SEALED_KEY_ID_LEN).
 * Returns 0 or CDR_ERR_CRYPTO. */
int cdr_sealed_key_id(const uint8_t pk[CDR_HPKE_NPK],
                      uint8_t id[SEALED_KEY_ID_LEN]) CDR_MUST_CHECK;
/* Its lower-case hex form, NUL-terminated. */
void cdr_sealed_key_id_hex(const uint8_t id[SEALED_KEY_ID_LEN],
                           char hex[SEALED_KEY_ID_HEX_SIZE]);

/* An epoch's keys from the KEM shared secret of its encapsulation (the
 * sealer's Encap or the opener's Decap): KeySchedule with SEALED_INFO in
 * the Export-only suite, then the exporter's data key, which keys `cctx`
 * for AES-256-GCM (`cipher`) to encrypt (`encrypt` 1) or decrypt, and
 * nonce prefix.  The HPKE context and the data key are wiped before
 * returning; only the keyed cipher context keeps the key.  Returns 0,
 * CDR_ERR_CRYPTO or CDR_ERR_INVAL. */
int cdr_sealed_epoch_keys(const uint8_t shared_secret[CDR_HPKE_NSECRET],
                          const EVP_CIPHER *cipher, EVP_CIPHER_CTX *cctx,
                          int encrypt,
                          uint8_t prefix[SEALED_PREFIX_LEN]) CDR_MUST_CHECK;

#endif
