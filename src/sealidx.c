/*
 * Keyed tags of the sealed store's index: the index key and one tag.
 */
#include "cdranon/sealidx.h"

#include <openssl/crypto.h>
#include <string.h>

#define KIND_MAX  32
#define CANON_MAX 256

cdr_hmac_t *cdr_idx_key_new(const unsigned char *hmac_key, size_t keylen)
{
        cdr_hmac_t *base, *idx;
        unsigned char k[32];

        base = cdr_hmac_new(hmac_key, keylen);
        if (base == NULL)
                return NULL;
        cdr_hmac_compute(base, CDR_IDX_LABEL, strlen(CDR_IDX_LABEL), k);
        cdr_hmac_destroy(base);
        idx = cdr_hmac_new(k, sizeof(k));
        OPENSSL_cleanse(k, sizeof(k));
        return idx;
}

int cdr_idx_tag(const cdr_hmac_t *index_key, const char *kind,
                const char *canonical, size_t len, uint8_t tag[CDR_IDX_TAG_LEN])
{
        unsigned char msg[KIND_MAX + 1 + CANON_MAX], mac[32];
        size_t klen = strlen(kind);

        if (klen == 0 || klen > KIND_MAX || len == 0 || len > CANON_MAX)
                return CDR_ERR_INVAL;
        memcpy(msg, kind, klen);
        msg[klen] = 0x00;
        memcpy(msg + klen + 1, canonical, len);
        cdr_hmac_compute(index_key, msg, klen + 1 + len, mac);
        memcpy(tag, mac, CDR_IDX_TAG_LEN);
        OPENSSL_cleanse(msg, sizeof(msg));
        OPENSSL_cleanse(mac, sizeof(mac));
        return 0;
}

void cdr_idx_tag_hex(const uint8_t tag[CDR_IDX_TAG_LEN],
                     char hex[CDR_IDX_TAG_HEX])
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < CDR_IDX_TAG_LEN; i++) {
                hex[2 * i] = digits[tag[i] >> 4];
                hex[2 * i + 1] = digits[tag[i] & 15];
        }
        hex[CDR_IDX_TAG_HEX - 1] = '\0';
}
