/*
 * Deterministic encapsulation, for known-answer tests and the worked
 * example in docs/sealed-format.md only (tests/seal_kat.c).
 *
 * RFC 9180's test vectors fix the ephemeral key through
 * DeriveKeyPair(ikmE); these functions do the same.  Whoever knows ikmE
 * can open what is sealed with it, so they live in tests/ and are linked
 * into the test programs only, never into the library or the binary.
 */
#ifndef CDRANON_SEAL_KAT_H
#define CDRANON_SEAL_KAT_H

#include "cdranon/hpke.h"
#include "cdranon/seal.h"

/* Encap(pkR) with (skE, pkE) = DeriveKeyPair(ikmE). */
int cdr_hpke_encap_deterministic(const uint8_t pkR[CDR_HPKE_NPK],
                                 const uint8_t *ikmE, size_t ikmE_len,
                                 uint8_t shared_secret[CDR_HPKE_NSECRET],
                                 uint8_t enc[CDR_HPKE_NENC]) CDR_MUST_CHECK;

/* SetupBaseS(pkR, info) with the ephemeral key derived from ikmE. */
int cdr_hpke_setup_base_s_deterministic(
    cdr_hpke_ctx_t *ctx, uint16_t aead_id, const uint8_t pkR[CDR_HPKE_NPK],
    const void *info, size_t info_len, const uint8_t *ikmE, size_t ikmE_len,
    uint8_t enc[CDR_HPKE_NENC]) CDR_MUST_CHECK;

/* Makes the sealer's next epoch (for whichever key it is) encapsulate
 * with DeriveKeyPair(ikmE) instead of a fresh random key, once; ikmE is
 * copied (into one of a few slots, one per sealer).  Also
 * closes every open epoch so that the next record starts one.  Returns 0
 * or CDR_ERR_INVAL (ikmE empty or longer than 64 bytes). */
int cdr_sealer_set_ephemeral_ikm(cdr_sealer_t *sealer, const uint8_t *ikmE,
                                 size_t ikmE_len) CDR_MUST_CHECK;

#endif
