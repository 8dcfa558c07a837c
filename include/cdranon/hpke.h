/*
 * HPKE (RFC 9180) on OpenSSL 3.0 primitives: base mode only,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, and the AEADs AES-128-GCM,
 * AES-256-GCM and Export-only.
 *
 * The KEM is X25519 through EVP_PKEY_derive, LabeledExtract and
 * LabeledExpand are EVP_KDF "HKDF" in extract-only and expand-only mode,
 * the AEADs are EVP_CIPHER AES-GCM.  A Diffie-Hellman output of all zeros
 * (a low-order public key, RFC 9180 section 7.1.4) is an error.
 *
 * A context (cdr_hpke_ctx_t) holds secrets: wipe it with
 * cdr_hpke_ctx_wipe() when done.  It is a plain struct so that callers can
 * keep it on the stack or inside their own state without allocating; its
 * fields are read by the known-answer tests and are otherwise private.
 * Every function is thread-safe on distinct contexts.
 */
#ifndef CDRANON_HPKE_H
#define CDRANON_HPKE_H

#include "cdranon/common.h"

#define CDR_HPKE_MODE_BASE         0x00
#define CDR_HPKE_KEM_X25519_SHA256 0x0020
#define CDR_HPKE_KDF_HKDF_SHA256   0x0001
#define CDR_HPKE_AEAD_AES128GCM    0x0001
#define CDR_HPKE_AEAD_AES256GCM    0x0002
#define CDR_HPKE_AEAD_EXPORT_ONLY  0xFFFF

#define CDR_HPKE_NPK     32 /* serialized public key */
#define CDR_HPKE_NSK     32 /* serialized private key */
#define CDR_HPKE_NENC    32 /* encapsulated key */
#define CDR_HPKE_NSECRET 32 /* KEM shared secret */
#define CDR_HPKE_NH      32 /* HKDF-SHA256 output */
#define CDR_HPKE_NK_MAX  32 /* AEAD key, largest supported */
#define CDR_HPKE_NN      12 /* AEAD nonce (both AES-GCM) */
#define CDR_HPKE_NT      16 /* AEAD tag (both AES-GCM) */

/* Longest exporter_context or info accepted (OpenSSL's HKDF bounds the
 * labelled info it expands). */
#define CDR_HPKE_INFO_MAX 1024

typedef struct {
        uint16_t aead_id;
        size_t nk; /* 0 for Export-only */
        uint8_t key[CDR_HPKE_NK_MAX];
        uint8_t base_nonce[CDR_HPKE_NN];
        uint8_t exporter_secret[CDR_HPKE_NH];
        uint64_t seq; /* next sequence number for seal or open */
} cdr_hpke_ctx_t;

/* Wipes every secret in ctx (OPENSSL_cleanse).  ctx may be NULL. */
void cdr_hpke_ctx_wipe(cdr_hpke_ctx_t *ctx);

/* pk = X25519(sk, 9): the public key of a serialized private key.
 * Returns 0 or CDR_ERR_CRYPTO. */
int cdr_hpke_public_key(const uint8_t sk[CDR_HPKE_NSK],
                        uint8_t pk[CDR_HPKE_NPK]) CDR_MUST_CHECK;

/* DeriveKeyPair(ikm) for DHKEM(X25519, HKDF-SHA256) (RFC 9180 7.1.3).
 * ikm should hold at least 32 bytes of entropy.  Returns 0,
 * CDR_ERR_INVAL (ikm too long) or CDR_ERR_CRYPTO. */
int cdr_hpke_derive_keypair(const uint8_t *ikm, size_t ikm_len,
                            uint8_t sk[CDR_HPKE_NSK],
                            uint8_t pk[CDR_HPKE_NPK]) CDR_MUST_CHECK;

/* Encap(pkR) with a fresh ephemeral key pair from OpenSSL's DRBG.
 * Writes enc and the KEM shared secret.  Returns 0, CDR_ERR_INVAL when
 * pkR is a low-order point, or CDR_ERR_CRYPTO. */
int cdr_hpke_encap(const uint8_t pkR[CDR_HPKE_NPK],
                   uint8_t shared_secret[CDR_HPKE_NSECRET],
                   uint8_t enc[CDR_HPKE_NENC]) CDR_MUST_CHECK;

/* Encap(pkR) with the ephemeral private key skE given, as RFC 9180's
 * test vectors fix it (cdr_hpke_encap draws skE itself); enc = pkE.
 * Whoever knows skE can open what is sealed with it: production code
 * never passes anything but a fresh random key.  Returns as
 * cdr_hpke_encap. */
int cdr_hpke_encap_with(const uint8_t pkR[CDR_HPKE_NPK],
                        const uint8_t skE[CDR_HPKE_NSK],
                        uint8_t shared_secret[CDR_HPKE_NSECRET],
                        uint8_t enc[CDR_HPKE_NENC]) CDR_MUST_CHECK;

/* Decap(enc, skR).  Returns 0, CDR_ERR_INVAL when enc is a low-order
 * point, or CDR_ERR_CRYPTO. */
int cdr_hpke_decap(const uint8_t enc[CDR_HPKE_NENC],
                   const uint8_t skR[CDR_HPKE_NSK],
                   uint8_t shared_secret[CDR_HPKE_NSECRET]) CDR_MUST_CHECK;

/* KeySchedule(mode_base, shared_secret, info, "", "") for the suite
 * (X25519, HKDF-SHA256, aead_id).  Returns 0, CDR_ERR_INVAL (unknown
 * aead_id, info too long) or CDR_ERR_CRYPTO. */
int cdr_hpke_key_schedule(cdr_hpke_ctx_t *ctx, uint16_t aead_id,
                          const uint8_t shared_secret[CDR_HPKE_NSECRET],
                          const void *info, size_t info_len) CDR_MUST_CHECK;

/* SetupBaseS(pkR, info): Encap then KeySchedule.  Writes enc. */
int cdr_hpke_setup_base_s(cdr_hpke_ctx_t *ctx, uint16_t aead_id,
                          const uint8_t pkR[CDR_HPKE_NPK], const void *info,
                          size_t info_len,
                          uint8_t enc[CDR_HPKE_NENC]) CDR_MUST_CHECK;

/* SetupBaseR(enc, skR, info): Decap then KeySchedule. */
int cdr_hpke_setup_base_r(cdr_hpke_ctx_t *ctx, uint16_t aead_id,
                          const uint8_t enc[CDR_HPKE_NENC],
                          const uint8_t skR[CDR_HPKE_NSK], const void *info,
                          size_t info_len) CDR_MUST_CHECK;

/* ContextS.Seal: ct[0 .. pt_len + CDR_HPKE_NT) = AEAD seal under the
 * nonce for ctx->seq, which then advances.  ct may not overlap pt.
 * Returns 0, CDR_ERR_INVAL (Export-only context, sequence exhausted) or
 * CDR_ERR_CRYPTO. */
int cdr_hpke_seal(cdr_hpke_ctx_t *ctx, const void *aad, size_t aad_len,
                  const void *pt, size_t pt_len, uint8_t *ct) CDR_MUST_CHECK;

/* ContextR.Open: pt[0 .. ct_len - CDR_HPKE_NT) from ct.  On success
 * ctx->seq advances; on CDR_ERR_AUTH it does not, and pt is wiped. */
int cdr_hpke_open(cdr_hpke_ctx_t *ctx, const void *aad, size_t aad_len,
                  const uint8_t *ct, size_t ct_len, uint8_t *pt) CDR_MUST_CHECK;

/* Context.Export(exporter_context, L) into out[0..L).  L is at most
 * 255 * 32.  Returns 0, CDR_ERR_INVAL or CDR_ERR_CRYPTO. */
int cdr_hpke_export(const cdr_hpke_ctx_t *ctx, const void *exporter_context,
                    size_t exporter_context_len, uint8_t *out,
                    size_t L) CDR_MUST_CHECK;

#endif
