/*
 * Opening sealed records with the custodian's private keys, and the
 * custodian's key generation: see unseal.h and docs/sealed-format.md.
 *
 * Records of one epoch share enc, so the unsealer keeps the last few
 * epochs' keyed GCM contexts, found by (key, enc): a record of a known
 * epoch costs one IV change and one GCM pass, no X25519.
 */
#include "cdranon/unseal.h"
#include "cdranon/keyfile.h"
#include "cdranon/encode.h"
#include "cdranon/hpke.h"
#include "sealed.h"
#include "secmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define EPOCH_CACHE  8
#define KEY_FILE_MAX 16384 /* a PEM X25519 key is about 120 bytes */

_Static_assert(SEALED_KEY_ID_LEN == CDR_KEY_ID_LEN &&
                   SEALED_KEY_ID_HEX_SIZE == CDR_KEY_ID_HEX_SIZE,
               "sealed.h and seal.h agree on the key id");

typedef struct {
        uint8_t sk[CDR_HPKE_NSK];
        uint8_t key_id[CDR_KEY_ID_LEN];
        uint64_t opened;
} private_key_t;

typedef struct {
        EVP_CIPHER_CTX *cctx; /* keyed with the epoch's data key */
        uint8_t enc[CDR_HPKE_NENC];
        uint8_t prefix[SEALED_PREFIX_LEN];
        size_t key;
        int valid;
} epoch_ctx_t;

struct cdr_unsealer_s {
        private_key_t *keys;
        size_t n;
        EVP_CIPHER *cipher;
        epoch_ctx_t cache[EPOCH_CACHE];
        size_t victim; /* next cache slot to replace */
        char *name;    /* the last opened record's file or topic */
        size_t name_cap;
        cdr_buf_t decoded; /* base64 lines, decoded */
};

/* ---- keys ---- */

/* The private keys live in memory kept out of core dumps and locked
 * where the system allows (secmem.h), as the pseudonymisation keys do. */
static size_t keys_size(size_t n)
{
        return n * sizeof(private_key_t);
}

static private_key_t *keys_alloc(size_t n)
{
        return cdr_secmem_alloc(keys_size(n), 1);
}

static void keys_free(private_key_t *keys, size_t n)
{
        cdr_secmem_free(keys, keys_size(n), 1);
}

cdr_unsealer_t *cdr_unsealer_new(void)
{
        cdr_unsealer_t *unsealer = calloc(1, sizeof(*unsealer));

        if (unsealer == NULL)
                return NULL;
        unsealer->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
        if (unsealer->cipher == NULL) {
                ERR_clear_error();
                free(unsealer);
                return NULL;
        }
        return unsealer;
}

void cdr_unsealer_destroy(cdr_unsealer_t *unsealer)
{
        size_t i;

        if (unsealer == NULL)
                return;
        for (i = 0; i < EPOCH_CACHE; i++)
                EVP_CIPHER_CTX_free(unsealer->cache[i].cctx);
        keys_free(unsealer->keys, unsealer->n);
        EVP_CIPHER_free(unsealer->cipher);
        free(unsealer->name);
        cdr_buf_free(&unsealer->decoded);
        OPENSSL_cleanse(unsealer, sizeof(*unsealer));
        free(unsealer);
}

int cdr_unsealer_add_key(cdr_unsealer_t *unsealer, const uint8_t sk[32])
{
        private_key_t key, *keys;
        uint8_t pk[CDR_HPKE_NPK];
        size_t i;

        memset(&key, 0, sizeof(key));
        if (cdr_hpke_public_key(sk, pk) != CDR_OK ||
            cdr_sealed_key_id(pk, key.key_id) != CDR_OK)
                return CDR_ERR_CRYPTO;
        memcpy(key.sk, sk, CDR_HPKE_NSK);
        for (i = 0; i < unsealer->n; i++) {
                if (CRYPTO_memcmp(unsealer->keys[i].sk, sk, CDR_HPKE_NSK) ==
                    0) {
                        OPENSSL_cleanse(&key, sizeof(key));
                        return CDR_OK;
                }
        }
        /* Grown by copy so that no stale copy of a key stays behind in
         * memory realloc let go of. */
        keys = keys_alloc(unsealer->n + 1);
        if (keys == NULL) {
                OPENSSL_cleanse(&key, sizeof(key));
                return CDR_ERR_NOMEM;
        }
        if (unsealer->n > 0)
                memcpy(keys, unsealer->keys, unsealer->n * sizeof(*keys));
        keys_free(unsealer->keys, unsealer->n);
        keys[unsealer->n] = key;
        OPENSSL_cleanse(&key, sizeof(key));
        unsealer->keys = keys;
        unsealer->n++;
        return CDR_OK;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
        (void)buf;
        (void)size;
        (void)rwflag;
        (void)u;
        return -1;
}

int cdr_unsealer_add_key_file(cdr_unsealer_t *unsealer, const char *path,
                              char *errstr, size_t errstr_size)
{
        char *text = NULL;
        EVP_PKEY *pkey = NULL;
        BIO *bio = NULL;
        struct stat st;
        uint8_t sk[CDR_HPKE_NSK];
        size_t len = 0, sk_len = sizeof(sk);
        int fd, rc = CDR_ERR_INVAL;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                cdr_errf(errstr, errstr_size, "%s: cannot read: %s", path,
                         strerror(errno));
                return CDR_ERR_IO;
        }
        if (fstat(fd, &st) != 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                rc = CDR_ERR_IO;
                goto out;
        }
        rc = cdr_keyfile_check(fd, path, &st, "private key file", errstr,
                               errstr_size);
        if (rc != CDR_OK)
                goto out;
        rc = CDR_ERR_INVAL;
        if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
                cdr_errf(errstr, errstr_size,
                         "%s: not a PEM private key (size)", path);
                goto out;
        }
        text = OPENSSL_secure_malloc((size_t)st.st_size);
        if (text == NULL) {
                rc = CDR_ERR_NOMEM;
                cdr_errf(errstr, errstr_size, "%s: %s", path, cdr_strerror(rc));
                goto out;
        }
        while (len < (size_t)st.st_size) {
                ssize_t r = read(fd, text + len, (size_t)st.st_size - len);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                len += (size_t)r;
        }
        if (len != (size_t)st.st_size) {
                cdr_errf(errstr, errstr_size, "%s: cannot read: %s", path,
                         strerror(errno));
                rc = CDR_ERR_IO;
                goto out;
        }
        bio = BIO_new_mem_buf(text, (int)len);
        if (bio != NULL)
                pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
        if (pkey == NULL) {
                cdr_errf(errstr, errstr_size,
                         "%s: not an unencrypted PEM PKCS#8 private key", path);
                goto out;
        }
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_X25519 ||
            EVP_PKEY_get_raw_private_key(pkey, sk, &sk_len) != 1 ||
            sk_len != sizeof(sk)) {
                cdr_errf(errstr, errstr_size, "%s: not an X25519 private key",
                         path);
                goto out;
        }
        rc = cdr_unsealer_add_key(unsealer, sk);
        if (rc != CDR_OK)
                cdr_errf(errstr, errstr_size, "%s: %s", path, cdr_strerror(rc));
out:
        OPENSSL_cleanse(sk, sizeof(sk));
        EVP_PKEY_free(pkey);
        BIO_free(bio);
        if (text != NULL)
                OPENSSL_secure_clear_free(text, (size_t)st.st_size);
        close(fd);
        ERR_clear_error();
        return rc;
}

size_t cdr_unsealer_key_count(const cdr_unsealer_t *unsealer)
{
        return unsealer->n;
}

void cdr_unsealer_key_id(const cdr_unsealer_t *unsealer, size_t i,
                         char hex[CDR_KEY_ID_HEX_SIZE])
{
        cdr_sealed_key_id_hex(unsealer->keys[i].key_id, hex);
}

uint64_t cdr_unsealer_key_opened(const cdr_unsealer_t *unsealer, size_t i)
{
        return unsealer->keys[i].opened;
}

/* ---- opening ---- */

static uint64_t get_be(const uint8_t *p, int bytes)
{
        uint64_t v = 0;
        int i;

        for (i = 0; i < bytes; i++)
                v = v << 8 | p[i];
        return v;
}

/* The keyed GCM context of (key, enc): from the cache, or set up by
 * Decap and the epoch's key schedule (sealed.h) into the least recently
 * filled slot.  Returns NULL with *rc set when enc is not a usable point
 * (CDR_ERR_AUTH) or a primitive failed. */
static epoch_ctx_t *epoch_ctx(cdr_unsealer_t *unsealer, size_t k,
                              const uint8_t enc[CDR_HPKE_NENC], int *rc)
{
        uint8_t shared_secret[CDR_HPKE_NSECRET];
        epoch_ctx_t *slot;
        size_t i;
        int err;

        for (i = 0; i < EPOCH_CACHE; i++) {
                slot = &unsealer->cache[i];
                if (slot->valid && slot->key == k &&
                    memcmp(slot->enc, enc, CDR_HPKE_NENC) == 0)
                        return slot;
        }
        slot = &unsealer->cache[unsealer->victim];
        unsealer->victim = (unsealer->victim + 1) % EPOCH_CACHE;
        slot->valid = 0;
        err = cdr_hpke_decap(enc, unsealer->keys[k].sk, shared_secret);
        if (err == CDR_ERR_INVAL)
                err = CDR_ERR_AUTH;
        if (err == CDR_OK && slot->cctx == NULL &&
            (slot->cctx = EVP_CIPHER_CTX_new()) == NULL)
                err = CDR_ERR_NOMEM;
        if (err == CDR_OK)
                err = cdr_sealed_epoch_keys(shared_secret, unsealer->cipher,
                                            slot->cctx, 0, slot->prefix);
        OPENSSL_cleanse(shared_secret, sizeof(shared_secret));
        if (err != CDR_OK) {
                *rc = err;
                return NULL;
        }
        memcpy(slot->enc, enc, CDR_HPKE_NENC);
        slot->key = k;
        slot->valid = 1;
        return slot;
}

static int malformed(char *errstr, size_t errstr_size, const char *why)
{
        cdr_errf(errstr, errstr_size, "sealed record: %s", why);
        return CDR_ERR_MALFORMED;
}

int cdr_unsealer_open(cdr_unsealer_t *unsealer, const void *sealed, size_t len,
                      cdr_buf_t *out, cdr_sealed_meta_t *meta, char *errstr,
                      size_t errstr_size)
{
        const uint8_t *h = sealed, *name = NULL;
        const size_t min_len = SEALED_FIXED_LEN + SEALED_TAG_LEN;
        size_t hlen = SEALED_FIXED_LEN, name_len = 0, ct_len, k;
        uint8_t nonce[CDR_HPKE_NN], tag[SEALED_TAG_LEN];
        char hex[CDR_KEY_ID_HEX_SIZE];
        epoch_ctx_t *epoch;
        uint64_t counter, line = 0;
        int64_t offset = 0;
        int32_t partition = 0;
        int kind, n, rc = CDR_OK;

        cdr_buf_reset(out);
        if (len < min_len) {
                cdr_errf(errstr, errstr_size,
                         "sealed record: truncated (%zu bytes; a sealed "
                         "record has at least %zu)",
                         len, min_len);
                return CDR_ERR_MALFORMED;
        }
        if (memcmp(h, SEALED_MAGIC, SEALED_MAGIC_LEN) != 0)
                return malformed(errstr, errstr_size,
                                 "not a cdranon sealed record (bad magic)");
        if (h[SEALED_OFF_VERSION] != CDR_SEALED_VERSION) {
                cdr_errf(errstr, errstr_size,
                         "sealed record: format version %u is not supported "
                         "(this build reads version %d)",
                         h[SEALED_OFF_VERSION], CDR_SEALED_VERSION);
                return CDR_ERR_MALFORMED;
        }
        kind = h[SEALED_OFF_KIND];
        if (kind > SEALED_SOURCE_KAFKA)
                return malformed(errstr, errstr_size, "unknown source kind");
        counter = get_be(h + SEALED_OFF_COUNTER, 8);
        if (counter >= SEALED_COUNTER_END)
                return malformed(errstr, errstr_size,
                                 "record counter out of range");
        if (kind != SEALED_SOURCE_NONE) {
                size_t tail = kind == SEALED_SOURCE_FILE ? 8 : 12;

                name_len = (size_t)get_be(h + hlen, 2);
                if (len - min_len < 2 + name_len + tail)
                        return malformed(errstr, errstr_size,
                                         "truncated (source coordinates)");
                name = h + hlen + 2;
                if (memchr(name, '\0', name_len) != NULL)
                        return malformed(errstr, errstr_size,
                                         "source name holds a NUL byte");
                if (kind == SEALED_SOURCE_FILE) {
                        line = get_be(name + name_len, 8);
                } else {
                        partition =
                            (int32_t)(uint32_t)get_be(name + name_len, 4);
                        offset = (int64_t)get_be(name + name_len + 4, 8);
                }
                hlen += 2 + name_len + tail;
        }
        ct_len = len - hlen - SEALED_TAG_LEN;
        if (ct_len > SEALED_RECORD_MAX)
                return malformed(errstr, errstr_size, "too long");

        for (k = 0; k < unsealer->n; k++)
                if (memcmp(unsealer->keys[k].key_id, h + SEALED_OFF_KEY_ID,
                           CDR_KEY_ID_LEN) == 0)
                        break;
        if (k == unsealer->n) {
                cdr_sealed_key_id_hex(h + SEALED_OFF_KEY_ID, hex);
                cdr_errf(errstr, errstr_size,
                         "sealed record: sealed to custodian key %s, which "
                         "is not among the keys given",
                         hex);
                return CDR_ERR_AUTH;
        }
        epoch = epoch_ctx(unsealer, k, h + SEALED_OFF_ENC, &rc);
        if (epoch == NULL) {
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         rc == CDR_ERR_AUTH ? "invalid encapsulated key"
                                            : cdr_strerror(rc));
                return rc;
        }
        if (cdr_buf_reserve(out, ct_len) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(CDR_ERR_NOMEM));
                return CDR_ERR_NOMEM;
        }

        memcpy(nonce, epoch->prefix, SEALED_PREFIX_LEN);
        memcpy(nonce + SEALED_PREFIX_LEN, h + SEALED_OFF_COUNTER, 8);
        memcpy(tag, h + hlen + ct_len, SEALED_TAG_LEN);
        if (EVP_DecryptInit_ex(epoch->cctx, NULL, NULL, NULL, nonce) != 1 ||
            EVP_DecryptUpdate(epoch->cctx, NULL, &n, h, (int)hlen) != 1 ||
            (ct_len > 0 && EVP_DecryptUpdate(epoch->cctx, (uint8_t *)out->data,
                                             &n, h + hlen, (int)ct_len) != 1) ||
            EVP_CIPHER_CTX_ctrl(epoch->cctx, EVP_CTRL_GCM_SET_TAG,
                                SEALED_TAG_LEN, tag) != 1 ||
            EVP_DecryptFinal_ex(epoch->cctx, nonce, &n) != 1) {
                ERR_clear_error();
                OPENSSL_cleanse(out->data, ct_len);
                cdr_buf_reset(out);
                cdr_errf(errstr, errstr_size,
                         "sealed record: authentication failed (altered, "
                         "truncated, spliced, or sealed to another key)");
                return CDR_ERR_AUTH;
        }
        out->len = ct_len;
        out->data[ct_len] = '\0';
        unsealer->keys[k].opened++;

        if (meta == NULL)
                return CDR_OK;
        memset(meta, 0, sizeof(*meta));
        cdr_sealed_key_id_hex(h + SEALED_OFF_KEY_ID, meta->key_id);
        meta->counter = counter;
        if (kind == SEALED_SOURCE_NONE)
                return CDR_OK;
        if (name_len + 1 > unsealer->name_cap) {
                char *p = realloc(unsealer->name, name_len + 1);

                if (p == NULL) {
                        cdr_errf(errstr, errstr_size, "sealed record: %s",
                                 cdr_strerror(CDR_ERR_NOMEM));
                        OPENSSL_cleanse(out->data, ct_len);
                        cdr_buf_reset(out);
                        return CDR_ERR_NOMEM;
                }
                unsealer->name = p;
                unsealer->name_cap = name_len + 1;
        }
        if (name_len)
                memcpy(unsealer->name, name, name_len);
        unsealer->name[name_len] = '\0';
        if (kind == SEALED_SOURCE_FILE) {
                meta->source.file = unsealer->name;
                meta->source.line = line;
        } else {
                meta->source.topic = unsealer->name;
                meta->source.partition = partition;
                meta->source.offset = offset;
        }
        return CDR_OK;
}

int cdr_unsealer_open_base64(cdr_unsealer_t *unsealer, const char *line,
                             size_t len, cdr_buf_t *out,
                             cdr_sealed_meta_t *meta, char *errstr,
                             size_t errstr_size)
{
        int rc;

        cdr_buf_reset(out);
        if (len > 0 && line[len - 1] == '\n')
                len--;
        if (len > 0 && line[len - 1] == '\r')
                len--;
        cdr_buf_reset(&unsealer->decoded);
        rc = cdr_base64_decode(&unsealer->decoded, line, len);
        if (rc == CDR_ERR_MALFORMED)
                return malformed(errstr, errstr_size, "not valid base64");
        if (rc != CDR_OK) {
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(rc));
                return rc;
        }
        return cdr_unsealer_open(unsealer, unsealer->decoded.data,
                                 unsealer->decoded.len, out, meta, errstr,
                                 errstr_size);
}
