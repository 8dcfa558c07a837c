/*
 * What the sealer and the opener share beyond the format's constants:
 * key ids and an epoch's key schedule.  See sealed.h.
 */
#include "sealed.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

int cdr_sealed_key_id(const uint8_t pk[CDR_HPKE_NPK],
                      uint8_t id[SEALED_KEY_ID_LEN])
{
        uint8_t md[32];
        unsigned int len = 0;

        if (EVP_Digest(pk, CDR_HPKE_NPK, md, &len, EVP_sha256(), NULL) != 1 ||
            len != sizeof(md)) {
                ERR_clear_error();
                return CDR_ERR_CRYPTO;
        }
        memcpy(id, md, SEALED_KEY_ID_LEN);
        return CDR_OK;
}

void cdr_sealed_key_id_hex(const uint8_t id[SEALED_KEY_ID_LEN],
                           char hex[SEALED_KEY_ID_HEX_SIZE])
{
        static const char digits[] = "0123456789abcdef";
        size_t i;

        for (i = 0; i < SEALED_KEY_ID_LEN; i++) {
                hex[2 * i] = digits[id[i] >> 4];
                hex[2 * i + 1] = digits[id[i] & 15];
        }
        hex[2 * SEALED_KEY_ID_LEN] = '\0';
}

int cdr_sealed_epoch_keys(const uint8_t shared_secret[CDR_HPKE_NSECRET],
                          const EVP_CIPHER *cipher, EVP_CIPHER_CTX *cctx,
                          int encrypt, uint8_t prefix[SEALED_PREFIX_LEN])
{
        cdr_hpke_ctx_t hpke;
        uint8_t data_key[32];
        int rc;

        rc = cdr_hpke_key_schedule(&hpke, SEALED_HPKE_AEAD, shared_secret,
                                   SEALED_INFO, sizeof(SEALED_INFO) - 1);
        if (rc == CDR_OK)
                rc = cdr_hpke_export(&hpke, SEALED_LABEL_KEY,
                                     sizeof(SEALED_LABEL_KEY) - 1, data_key,
                                     sizeof(data_key));
        if (rc == CDR_OK)
                rc = cdr_hpke_export(&hpke, SEALED_LABEL_PREFIX,
                                     sizeof(SEALED_LABEL_PREFIX) - 1, prefix,
                                     SEALED_PREFIX_LEN);
        cdr_hpke_ctx_wipe(&hpke);
        if (rc == CDR_OK && EVP_CipherInit_ex(cctx, cipher, NULL, data_key,
                                              NULL, encrypt ? 1 : 0) != 1) {
                ERR_clear_error();
                rc = CDR_ERR_CRYPTO;
        }
        OPENSSL_cleanse(data_key, sizeof(data_key));
        return rc;
}
