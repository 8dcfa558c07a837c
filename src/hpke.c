/*
 * HPKE (RFC 9180), base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256:
 * see hpke.h.  Section numbers below are RFC 9180's.
 */
#include "cdranon/hpke.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define VERSION_LABEL     "HPKE-v1"
#define VERSION_LABEL_LEN (sizeof(VERSION_LABEL) - 1)
#define SUITE_ID_MAX      10
#define LABEL_MAX         16 /* longest label used below, "shared_secret" */
/* "HPKE-v1" || suite_id || label || ikm-or-info, plus I2OSP(L, 2). */
#define LABELED_MAX                                                            \
        (2 + VERSION_LABEL_LEN + SUITE_ID_MAX + LABEL_MAX + CDR_HPKE_INFO_MAX)

typedef struct {
        uint8_t id[SUITE_ID_MAX];
        size_t len;
} suite_t;

/* suite_id = "KEM" || I2OSP(kem_id, 2)  (section 4.1) */
static const suite_t kem_suite = {{'K', 'E', 'M', 0x00, 0x20}, 5};

/* suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2)
 *            || I2OSP(aead_id, 2)  (section 5.1) */
static void hpke_suite(suite_t *suite, uint16_t aead_id)
{
        static const uint8_t head[] = {'H',  'P',  'K',  'E',
                                       0x00, 0x20, 0x00, 0x01};

        memcpy(suite->id, head, sizeof(head));
        suite->id[8] = (uint8_t)(aead_id >> 8);
        suite->id[9] = (uint8_t)aead_id;
        suite->len = 10;
}

/* One HKDF-SHA256 step through EVP_KDF "HKDF" in the given mode.  For
 * extract, `key` is the input keying material and out_len must be 32; for
 * expand, `key` is the pseudorandom key. */
static int hkdf(int mode, const uint8_t *salt, size_t salt_len,
                const uint8_t *key, size_t key_len, const uint8_t *info,
                size_t info_len, uint8_t *out, size_t out_len)
{
        EVP_KDF *kdf = NULL;
        EVP_KDF_CTX *kctx = NULL;
        OSSL_PARAM params[6], *p = params;
        char digest[] = "SHA256";
        int rc = CDR_ERR_CRYPTO;

        *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
        *p++ =
            OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                 (void *)key, key_len);
        if (salt != NULL)
                *p++ = OSSL_PARAM_construct_octet_string(
                    OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
        if (info != NULL)
                *p++ = OSSL_PARAM_construct_octet_string(
                    OSSL_KDF_PARAM_INFO, (void *)info, info_len);
        *p = OSSL_PARAM_construct_end();

        kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        if (kdf == NULL)
                goto out;
        kctx = EVP_KDF_CTX_new(kdf);
        if (kctx == NULL)
                goto out;
        if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
                rc = CDR_OK;
out:
        EVP_KDF_CTX_free(kctx);
        EVP_KDF_free(kdf);
        if (rc != CDR_OK)
                ERR_clear_error();
        return rc;
}

/* Writes "HPKE-v1" || suite_id || label || data at buf + off; returns the
 * end offset. */
static size_t put_labeled(uint8_t *buf, size_t off, const suite_t *suite,
                          const char *label, const void *data, size_t len)
{
        size_t label_len = strlen(label);

        memcpy(buf + off, VERSION_LABEL, VERSION_LABEL_LEN);
        off += VERSION_LABEL_LEN;
        memcpy(buf + off, suite->id, suite->len);
        off += suite->len;
        memcpy(buf + off, label, label_len);
        off += label_len;
        if (len)
                memcpy(buf + off, data, len);
        return off + len;
}

/* LabeledExtract(salt, label, ikm) into prk[0..32).  An empty salt is
 * HashLen zero bytes (RFC 5869 section 2.2). */
static int labeled_extract(const suite_t *suite, const uint8_t *salt,
                           size_t salt_len, const char *label, const void *ikm,
                           size_t ikm_len, uint8_t prk[CDR_HPKE_NH])
{
        static const uint8_t zero_salt[CDR_HPKE_NH];
        uint8_t buf[LABELED_MAX];
        size_t n;
        int rc;

        if (ikm_len > CDR_HPKE_INFO_MAX || strlen(label) > LABEL_MAX)
                return CDR_ERR_INVAL;
        n = put_labeled(buf, 0, suite, label, ikm, ikm_len);
        if (salt_len == 0) {
                salt = zero_salt;
                salt_len = sizeof(zero_salt);
        }
        rc = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len, buf, n, NULL,
                  0, prk, CDR_HPKE_NH);
        OPENSSL_cleanse(buf, n);
        return rc;
}

/* LabeledExpand(prk, label, info, L) into out[0..L). */
static int labeled_expand(const suite_t *suite, const uint8_t prk[CDR_HPKE_NH],
                          const char *label, const void *info, size_t info_len,
                          uint8_t *out, size_t L)
{
        uint8_t buf[LABELED_MAX];
        size_t n;

        if (info_len > CDR_HPKE_INFO_MAX || strlen(label) > LABEL_MAX ||
            L == 0 || L > 255 * CDR_HPKE_NH)
                return CDR_ERR_INVAL;
        buf[0] = (uint8_t)(L >> 8);
        buf[1] = (uint8_t)L;
        n = put_labeled(buf, 2, suite, label, info, info_len);
        return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, CDR_HPKE_NH,
                    buf, n, out, L);
}

/* dh = X25519(sk, pk).  An all-zero result (pk of small order) is
 * CDR_ERR_INVAL: OpenSSL's X25519 already refuses it, and the explicit
 * constant-time check keeps the rule whatever the provider does. */
static int x25519(const uint8_t sk[CDR_HPKE_NSK],
                  const uint8_t pk[CDR_HPKE_NPK], uint8_t dh[32])
{
        static const uint8_t zero[32];
        EVP_PKEY *priv = NULL, *peer = NULL;
        EVP_PKEY_CTX *pctx = NULL;
        size_t len = 32;
        int rc = CDR_ERR_CRYPTO;

        priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk,
                                            CDR_HPKE_NSK);
        peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk,
                                           CDR_HPKE_NPK);
        if (priv == NULL || peer == NULL)
                goto out;
        pctx = EVP_PKEY_CTX_new(priv, NULL);
        if (pctx == NULL || EVP_PKEY_derive_init(pctx) != 1 ||
            EVP_PKEY_derive_set_peer(pctx, peer) != 1)
                goto out;
        if (EVP_PKEY_derive(pctx, dh, &len) != 1 || len != 32) {
                rc = CDR_ERR_INVAL;
                goto out;
        }
        if (CRYPTO_memcmp(dh, zero, sizeof(zero)) == 0) {
                rc = CDR_ERR_INVAL;
                goto out;
        }
        rc = CDR_OK;
out:
        if (rc != CDR_OK) {
                OPENSSL_cleanse(dh, 32);
                ERR_clear_error();
        }
        EVP_PKEY_CTX_free(pctx);
        EVP_PKEY_free(peer);
        EVP_PKEY_free(priv);
        return rc;
}

int cdr_hpke_public_key(const uint8_t sk[CDR_HPKE_NSK],
                        uint8_t pk[CDR_HPKE_NPK])
{
        EVP_PKEY *priv;
        size_t len = CDR_HPKE_NPK;
        int rc = CDR_ERR_CRYPTO;

        priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk,
                                            CDR_HPKE_NSK);
        if (priv != NULL && EVP_PKEY_get_raw_public_key(priv, pk, &len) == 1 &&
            len == CDR_HPKE_NPK)
                rc = CDR_OK;
        EVP_PKEY_free(priv);
        if (rc != CDR_OK)
                ERR_clear_error();
        return rc;
}

/* Section 7.1.3: for X25519 the private key is the expanded bytes as they
 * are; X25519 clamps them when it uses them. */
int cdr_hpke_derive_keypair(const uint8_t *ikm, size_t ikm_len,
                            uint8_t sk[CDR_HPKE_NSK], uint8_t pk[CDR_HPKE_NPK])
{
        uint8_t dkp_prk[CDR_HPKE_NH];
        int rc;

        rc = labeled_extract(&kem_suite, NULL, 0, "dkp_prk", ikm, ikm_len,
                             dkp_prk);
        if (rc == CDR_OK)
                rc = labeled_expand(&kem_suite, dkp_prk, "sk", NULL, 0, sk,
                                    CDR_HPKE_NSK);
        if (rc == CDR_OK)
                rc = cdr_hpke_public_key(sk, pk);
        OPENSSL_cleanse(dkp_prk, sizeof(dkp_prk));
        if (rc != CDR_OK)
                OPENSSL_cleanse(sk, CDR_HPKE_NSK);
        return rc;
}

/* ExtractAndExpand(dh, kem_context), section 4.1. */
static int extract_and_expand(const uint8_t dh[32],
                              const uint8_t kem_context[2 * CDR_HPKE_NPK],
                              uint8_t shared_secret[CDR_HPKE_NSECRET])
{
        uint8_t eae_prk[CDR_HPKE_NH];
        int rc;

        rc = labeled_extract(&kem_suite, NULL, 0, "eae_prk", dh, 32, eae_prk);
        if (rc == CDR_OK)
                rc = labeled_expand(&kem_suite, eae_prk, "shared_secret",
                                    kem_context, 2 * CDR_HPKE_NPK,
                                    shared_secret, CDR_HPKE_NSECRET);
        OPENSSL_cleanse(eae_prk, sizeof(eae_prk));
        return rc;
}

/* enc = pkE, kem_context = enc || pkR. */
int cdr_hpke_encap_with(const uint8_t pkR[CDR_HPKE_NPK],
                        const uint8_t skE[CDR_HPKE_NSK],
                        uint8_t shared_secret[CDR_HPKE_NSECRET],
                        uint8_t enc[CDR_HPKE_NENC])
{
        uint8_t dh[32], kem_context[2 * CDR_HPKE_NPK];
        int rc;

        rc = cdr_hpke_public_key(skE, enc);
        if (rc != CDR_OK)
                return rc;
        rc = x25519(skE, pkR, dh);
        if (rc != CDR_OK)
                return rc;
        memcpy(kem_context, enc, CDR_HPKE_NENC);
        memcpy(kem_context + CDR_HPKE_NENC, pkR, CDR_HPKE_NPK);
        rc = extract_and_expand(dh, kem_context, shared_secret);
        OPENSSL_cleanse(dh, sizeof(dh));
        return rc;
}

int cdr_hpke_encap(const uint8_t pkR[CDR_HPKE_NPK],
                   uint8_t shared_secret[CDR_HPKE_NSECRET],
                   uint8_t enc[CDR_HPKE_NENC])
{
        uint8_t skE[CDR_HPKE_NSK];
        int rc;

        if (RAND_priv_bytes(skE, sizeof(skE)) != 1) {
                ERR_clear_error();
                return CDR_ERR_CRYPTO;
        }
        rc = cdr_hpke_encap_with(pkR, skE, shared_secret, enc);
        OPENSSL_cleanse(skE, sizeof(skE));
        return rc;
}

int cdr_hpke_decap(const uint8_t enc[CDR_HPKE_NENC],
                   const uint8_t skR[CDR_HPKE_NSK],
                   uint8_t shared_secret[CDR_HPKE_NSECRET])
{
        uint8_t dh[32], kem_context[2 * CDR_HPKE_NPK];
        int rc;

        rc = x25519(skR, enc, dh);
        if (rc != CDR_OK)
                return rc;
        memcpy(kem_context, enc, CDR_HPKE_NENC);
        rc = cdr_hpke_public_key(skR, kem_context + CDR_HPKE_NENC);
        if (rc == CDR_OK)
                rc = extract_and_expand(dh, kem_context, shared_secret);
        OPENSSL_cleanse(dh, sizeof(dh));
        return rc;
}

static int aead_nk(uint16_t aead_id, size_t *nk)
{
        switch (aead_id) {
        case CDR_HPKE_AEAD_AES128GCM:
                *nk = 16;
                return CDR_OK;
        case CDR_HPKE_AEAD_AES256GCM:
                *nk = 32;
                return CDR_OK;
        case CDR_HPKE_AEAD_EXPORT_ONLY:
                *nk = 0;
                return CDR_OK;
        default:
                return CDR_ERR_INVAL;
        }
}

/* Section 5.1, mode_base: psk and psk_id are empty. */
int cdr_hpke_key_schedule(cdr_hpke_ctx_t *ctx, uint16_t aead_id,
                          const uint8_t shared_secret[CDR_HPKE_NSECRET],
                          const void *info, size_t info_len)
{
        suite_t suite;
        uint8_t ksc[1 + 2 * CDR_HPKE_NH], secret[CDR_HPKE_NH];
        size_t nk;
        int rc;

        memset(ctx, 0, sizeof(*ctx));
        rc = aead_nk(aead_id, &nk);
        if (rc != CDR_OK)
                return rc;
        if (info_len > CDR_HPKE_INFO_MAX)
                return CDR_ERR_INVAL;
        hpke_suite(&suite, aead_id);
        ksc[0] = CDR_HPKE_MODE_BASE;
        rc = labeled_extract(&suite, NULL, 0, "psk_id_hash", NULL, 0, ksc + 1);
        if (rc == CDR_OK)
                rc = labeled_extract(&suite, NULL, 0, "info_hash", info,
                                     info_len, ksc + 1 + CDR_HPKE_NH);
        if (rc == CDR_OK)
                rc = labeled_extract(&suite, shared_secret, CDR_HPKE_NSECRET,
                                     "secret", NULL, 0, secret);
        if (rc == CDR_OK && nk != 0) {
                rc = labeled_expand(&suite, secret, "key", ksc, sizeof(ksc),
                                    ctx->key, nk);
                if (rc == CDR_OK)
                        rc = labeled_expand(&suite, secret, "base_nonce", ksc,
                                            sizeof(ksc), ctx->base_nonce,
                                            CDR_HPKE_NN);
        }
        if (rc == CDR_OK)
                rc = labeled_expand(&suite, secret, "exp", ksc, sizeof(ksc),
                                    ctx->exporter_secret, CDR_HPKE_NH);
        OPENSSL_cleanse(secret, sizeof(secret));
        if (rc != CDR_OK) {
                cdr_hpke_ctx_wipe(ctx);
                return rc;
        }
        ctx->aead_id = aead_id;
        ctx->nk = nk;
        ctx->seq = 0;
        return CDR_OK;
}

int cdr_hpke_setup_base_s(cdr_hpke_ctx_t *ctx, uint16_t aead_id,
                          const uint8_t pkR[CDR_HPKE_NPK], const void *info,
                          size_t info_len, uint8_t enc[CDR_HPKE_NENC])
{
        uint8_t shared_secret[CDR_HPKE_NSECRET];
        int rc;

        rc = cdr_hpke_encap(pkR, shared_secret, enc);
        if (rc == CDR_OK)
                rc = cdr_hpke_key_schedule(ctx, aead_id, shared_secret, info,
                                           info_len);
        OPENSSL_cleanse(shared_secret, sizeof(shared_secret));
        return rc;
}

int cdr_hpke_setup_base_r(cdr_hpke_ctx_t *ctx, uint16_t aead_id,
                          const uint8_t enc[CDR_HPKE_NENC],
                          const uint8_t skR[CDR_HPKE_NSK], const void *info,
                          size_t info_len)
{
        uint8_t shared_secret[CDR_HPKE_NSECRET];
        int rc;

        rc = cdr_hpke_decap(enc, skR, shared_secret);
        if (rc == CDR_OK)
                rc = cdr_hpke_key_schedule(ctx, aead_id, shared_secret, info,
                                           info_len);
        OPENSSL_cleanse(shared_secret, sizeof(shared_secret));
        return rc;
}

/* ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn), section 5.2. */
static void compute_nonce(const cdr_hpke_ctx_t *ctx, uint8_t nonce[CDR_HPKE_NN])
{
        uint64_t seq = ctx->seq;
        int i;

        memcpy(nonce, ctx->base_nonce, CDR_HPKE_NN);
        for (i = CDR_HPKE_NN - 1; i >= CDR_HPKE_NN - 8; i--) {
                nonce[i] ^= (uint8_t)seq;
                seq >>= 8;
        }
}

static const EVP_CIPHER *gcm_cipher(size_t nk)
{
        return nk == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

/* EVP's update takes an int length: feed long inputs in pieces. */
static int gcm_update(EVP_CIPHER_CTX *cctx, int enc, uint8_t *out,
                      const uint8_t *in, size_t len)
{
        const size_t step = (size_t)1 << 30;
        int n;

        do {
                size_t part = len < step ? len : step;
                int ok = enc ? EVP_EncryptUpdate(cctx, out, &n, in, (int)part)
                             : EVP_DecryptUpdate(cctx, out, &n, in, (int)part);
                if (ok != 1)
                        return CDR_ERR_CRYPTO;
                if (out != NULL)
                        out += n;
                in += part;
                len -= part;
        } while (len > 0);
        return CDR_OK;
}

int cdr_hpke_seal(cdr_hpke_ctx_t *ctx, const void *aad, size_t aad_len,
                  const void *pt, size_t pt_len, uint8_t *ct)
{
        EVP_CIPHER_CTX *cctx;
        uint8_t nonce[CDR_HPKE_NN], final[16];
        int n, rc = CDR_ERR_CRYPTO;

        if (ctx->nk == 0 || ctx->seq == UINT64_MAX)
                return CDR_ERR_INVAL;
        compute_nonce(ctx, nonce);
        cctx = EVP_CIPHER_CTX_new();
        if (cctx == NULL || EVP_EncryptInit_ex(cctx, gcm_cipher(ctx->nk), NULL,
                                               ctx->key, nonce) != 1)
                goto out;
        if (aad_len && gcm_update(cctx, 1, NULL, aad, aad_len) != CDR_OK)
                goto out;
        if (pt_len && gcm_update(cctx, 1, ct, pt, pt_len) != CDR_OK)
                goto out;
        if (EVP_EncryptFinal_ex(cctx, final, &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, CDR_HPKE_NT,
                                ct + pt_len) != 1)
                goto out;
        ctx->seq++;
        rc = CDR_OK;
out:
        EVP_CIPHER_CTX_free(cctx);
        if (rc != CDR_OK)
                ERR_clear_error();
        return rc;
}

int cdr_hpke_open(cdr_hpke_ctx_t *ctx, const void *aad, size_t aad_len,
                  const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
        EVP_CIPHER_CTX *cctx;
        uint8_t nonce[CDR_HPKE_NN], tag[CDR_HPKE_NT], final[16];
        size_t pt_len;
        int n, rc = CDR_ERR_CRYPTO;

        if (ctx->nk == 0 || ctx->seq == UINT64_MAX)
                return CDR_ERR_INVAL;
        if (ct_len < CDR_HPKE_NT)
                return CDR_ERR_AUTH;
        pt_len = ct_len - CDR_HPKE_NT;
        memcpy(tag, ct + pt_len, CDR_HPKE_NT);
        compute_nonce(ctx, nonce);
        cctx = EVP_CIPHER_CTX_new();
        if (cctx == NULL || EVP_DecryptInit_ex(cctx, gcm_cipher(ctx->nk), NULL,
                                               ctx->key, nonce) != 1)
                goto out;
        if (aad_len && gcm_update(cctx, 0, NULL, aad, aad_len) != CDR_OK)
                goto out;
        if (pt_len && gcm_update(cctx, 0, pt, ct, pt_len) != CDR_OK)
                goto out;
        if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_TAG, CDR_HPKE_NT, tag) !=
            1)
                goto out;
        if (EVP_DecryptFinal_ex(cctx, final, &n) != 1) {
                OPENSSL_cleanse(pt, pt_len);
                rc = CDR_ERR_AUTH;
                goto out;
        }
        ctx->seq++;
        rc = CDR_OK;
out:
        EVP_CIPHER_CTX_free(cctx);
        if (rc != CDR_OK)
                ERR_clear_error();
        return rc;
}

int cdr_hpke_export(const cdr_hpke_ctx_t *ctx, const void *exporter_context,
                    size_t exporter_context_len, uint8_t *out, size_t L)
{
        suite_t suite;

        hpke_suite(&suite, ctx->aead_id);
        return labeled_expand(&suite, ctx->exporter_secret, "sec",
                              exporter_context, exporter_context_len, out, L);
}

void cdr_hpke_ctx_wipe(cdr_hpke_ctx_t *ctx)
{
        if (ctx != NULL)
                OPENSSL_cleanse(ctx, sizeof(*ctx));
}
