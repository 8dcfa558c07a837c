/*
 * Deterministic encapsulation for the known-answer tests: see
 * seal_kat.h.  Built from the library's public HPKE steps and the
 * sealer's encapsulation hook (src/sealed.h); linked into the tests only.
 */
#include "seal_kat.h"
#include "sealed.h"

#include <string.h>

#include <openssl/crypto.h>

int cdr_hpke_encap_deterministic(const uint8_t pkR[CDR_HPKE_NPK],
                                 const uint8_t *ikmE, size_t ikmE_len,
                                 uint8_t shared_secret[CDR_HPKE_NSECRET],
                                 uint8_t enc[CDR_HPKE_NENC])
{
        uint8_t skE[CDR_HPKE_NSK], pkE[CDR_HPKE_NPK];
        int rc;

        rc = cdr_hpke_derive_keypair(ikmE, ikmE_len, skE, pkE);
        if (rc == CDR_OK)
                rc = cdr_hpke_encap_with(pkR, skE, shared_secret, enc);
        OPENSSL_cleanse(skE, sizeof(skE));
        return rc;
}

int cdr_hpke_setup_base_s_deterministic(cdr_hpke_ctx_t *ctx, uint16_t aead_id,
                                        const uint8_t pkR[CDR_HPKE_NPK],
                                        const void *info, size_t info_len,
                                        const uint8_t *ikmE, size_t ikmE_len,
                                        uint8_t enc[CDR_HPKE_NENC])
{
        uint8_t shared_secret[CDR_HPKE_NSECRET];
        int rc;

        rc = cdr_hpke_encap_deterministic(pkR, ikmE, ikmE_len, shared_secret,
                                          enc);
        if (rc == CDR_OK)
                rc = cdr_hpke_key_schedule(ctx, aead_id, shared_secret, info,
                                           info_len);
        OPENSSL_cleanse(shared_secret, sizeof(shared_secret));
        return rc;
}

/* The one pending ikmE of cdr_sealer_set_ephemeral_ikm. */
static struct {
        uint8_t ikm[64];
        size_t len;
} pending;

/* The sealer's encapsulation: the pending ikmE once, then fresh keys. */
static int kat_encap(void *opaque, const uint8_t pkR[CDR_HPKE_NPK],
                     uint8_t shared_secret[CDR_HPKE_NSECRET],
                     uint8_t enc[CDR_HPKE_NENC])
{
        int rc;

        (void)opaque;
        if (pending.len == 0)
                return cdr_hpke_encap(pkR, shared_secret, enc);
        rc = cdr_hpke_encap_deterministic(pkR, pending.ikm, pending.len,
                                          shared_secret, enc);
        OPENSSL_cleanse(&pending, sizeof(pending));
        return rc;
}

int cdr_sealer_set_ephemeral_ikm(cdr_sealer_t *sealer, const uint8_t *ikmE,
                                 size_t ikmE_len)
{
        if (ikmE_len == 0 || ikmE_len > sizeof(pending.ikm))
                return CDR_ERR_INVAL;
        memcpy(pending.ikm, ikmE, ikmE_len);
        pending.len = ikmE_len;
        cdr_sealer_set_encap(sealer, kat_encap, NULL);
        return CDR_OK;
}
