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

/* The pending ikmE of each sealer given one by
 * cdr_sealer_set_ephemeral_ikm (a test holds a few sealers at most). */
#define KAT_SLOTS 8
static struct kat_slot {
        const cdr_sealer_t *sealer;
        uint8_t ikm[64];
        size_t len;
} slots[KAT_SLOTS];

/* The sealer's encapsulation: its pending ikmE once, then fresh keys. */
static int kat_encap(void *opaque, const uint8_t pkR[CDR_HPKE_NPK],
                     uint8_t shared_secret[CDR_HPKE_NSECRET],
                     uint8_t enc[CDR_HPKE_NENC])
{
        struct kat_slot *slot = opaque;
        int rc;

        if (slot->len == 0)
                return cdr_hpke_encap(pkR, shared_secret, enc);
        rc = cdr_hpke_encap_deterministic(pkR, slot->ikm, slot->len,
                                          shared_secret, enc);
        OPENSSL_cleanse(slot->ikm, sizeof(slot->ikm));
        slot->len = 0;
        return rc;
}

int cdr_sealer_set_ephemeral_ikm(cdr_sealer_t *sealer, const uint8_t *ikmE,
                                 size_t ikmE_len)
{
        struct kat_slot *slot = NULL;
        size_t i;

        if (ikmE_len == 0 || ikmE_len > sizeof(slots[0].ikm))
                return CDR_ERR_INVAL;
        /* The sealer's own slot, else a free one, else the first: a
         * destroyed sealer's address may come back for a new one. */
        for (i = 0; i < KAT_SLOTS && slot == NULL; i++)
                if (slots[i].sealer == sealer)
                        slot = &slots[i];
        for (i = 0; i < KAT_SLOTS && slot == NULL; i++)
                if (slots[i].len == 0)
                        slot = &slots[i];
        if (slot == NULL)
                slot = &slots[0];
        slot->sealer = sealer;
        memcpy(slot->ikm, ikmE, ikmE_len);
        slot->len = ikmE_len;
        cdr_sealer_set_encap(sealer, kat_encap, slot);
        return CDR_OK;
}
