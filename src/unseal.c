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

/* Ciphertext bytes per pass-2 check of a long record, and base64
 * characters decoded per step of pass 1. */
#define LONG_CHUNK ((size_t)1 << 20)
#define LONG_SLICE ((size_t)64 * 1024)
#define HEADER_MAX (SEALED_FIXED_LEN + 2 + SEALED_NAME_MAX + 12)

/* A long record between cdr_unsealer_long_begin and _long_write. */
typedef struct {
        int active;    /* begun, not written or abandoned */
        int failed;    /* pass 1 failed: the record is abandoned */
        int authentic; /* pass 1 succeeded */
        int fd;        /* the ciphertext, unlinked; -1: none */
        char carry[4]; /* base64 characters of a group not complete yet */
        size_t ncarry;
        int cr;          /* the text so far ended with a CR */
        int padded;      /* a group with '=' was decoded: nothing may follow */
        uint8_t *header; /* HEADER_MAX bytes */
        size_t hlen;     /* header bytes so far */
        size_t hneed;    /* header bytes known to be needed */
        int header_done; /* and the GCM context is set for the record */
        size_t key;
        EVP_CIPHER_CTX *cctx; /* the epoch's, set for this record */
        uint8_t nonce[CDR_HPKE_NN];
        uint8_t tail[SEALED_TAG_LEN]; /* the last bytes: the tag at the end */
        size_t ntail;
        uint64_t ct_len;
        EVP_MD_CTX *md;         /* SHA-256 of the current chunk */
        size_t md_len;          /* bytes in it */
        uint8_t (*digests)[32]; /* one per LONG_CHUNK of ciphertext */
        size_t ndigests, digests_cap;
        cdr_buf_t plain; /* plaintext of one step, wiped after use */
        cdr_buf_t chunk; /* pass 2: one chunk of ciphertext */
} long_record_t;

struct cdr_unsealer_s {
        private_key_t *keys;
        size_t n;
        EVP_CIPHER *cipher;
        epoch_ctx_t cache[EPOCH_CACHE];
        size_t victim; /* next cache slot to replace */
        char *name;    /* the last opened record's file or topic */
        size_t name_cap;
        cdr_buf_t decoded; /* base64 lines, decoded */
        long_record_t lr;  /* a line too long to hold, in two passes */
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
        unsealer->lr.fd = -1;
        unsealer->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
        if (unsealer->cipher == NULL) {
                ERR_clear_error();
                free(unsealer);
                return NULL;
        }
        return unsealer;
}

/* Abandons a long record: closes its temporary file, forgets its state
 * (keeps the buffers). */
static void long_reset(cdr_unsealer_t *unsealer)
{
        long_record_t *lr = &unsealer->lr;

        if (lr->fd >= 0)
                close(lr->fd);
        lr->fd = -1;
        free(lr->digests);
        lr->digests = NULL;
        lr->ndigests = lr->digests_cap = 0;
        OPENSSL_cleanse(lr->carry, sizeof(lr->carry));
        OPENSSL_cleanse(lr->tail, sizeof(lr->tail));
        lr->active = lr->failed = lr->authentic = lr->header_done = 0;
        lr->ncarry = lr->hlen = lr->ntail = lr->md_len = 0;
        lr->cr = lr->padded = 0;
        lr->ct_len = 0;
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
        long_reset(unsealer);
        free(unsealer->lr.header);
        EVP_MD_CTX_free(unsealer->lr.md);
        cdr_buf_free(&unsealer->lr.plain);
        cdr_buf_free(&unsealer->lr.chunk);
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

/* Step 1 of docs/sealed-format.md for the fixed part of a header
 * (SEALED_FIXED_LEN bytes at h). */
static int header_fixed_check(const uint8_t *h, char *errstr,
                              size_t errstr_size)
{
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
        if (h[SEALED_OFF_KIND] > SEALED_SOURCE_KAFKA)
                return malformed(errstr, errstr_size, "unknown source kind");
        if (get_be(h + SEALED_OFF_COUNTER, 8) >= SEALED_COUNTER_END)
                return malformed(errstr, errstr_size,
                                 "record counter out of range");
        return CDR_OK;
}

/* Bytes of source coordinates after the name, by kind. */
static size_t header_tail(int kind)
{
        return kind == SEALED_SOURCE_FILE    ? 8
               : kind == SEALED_SOURCE_KAFKA ? 12
                                             : 0;
}

/* Step 2: the held key with the header's key id, into *k. */
static int header_key(const cdr_unsealer_t *unsealer, const uint8_t *h,
                      size_t *k, char *errstr, size_t errstr_size)
{
        char hex[CDR_KEY_ID_HEX_SIZE];

        for (*k = 0; *k < unsealer->n; (*k)++)
                if (memcmp(unsealer->keys[*k].key_id, h + SEALED_OFF_KEY_ID,
                           CDR_KEY_ID_LEN) == 0)
                        return CDR_OK;
        cdr_sealed_key_id_hex(h + SEALED_OFF_KEY_ID, hex);
        cdr_errf(errstr, errstr_size,
                 "sealed record: sealed to custodian key %s, which is not "
                 "among the keys given",
                 hex);
        return CDR_ERR_AUTH;
}

/* Step 3: the epoch's keyed context, with the record's nonce set and the
 * header (hlen bytes, the AAD) fed.  Returns NULL with *rc and errstr. */
static EVP_CIPHER_CTX *header_cipher(cdr_unsealer_t *unsealer, size_t k,
                                     const uint8_t *h, size_t hlen,
                                     uint8_t nonce[CDR_HPKE_NN], int *rc,
                                     char *errstr, size_t errstr_size)
{
        epoch_ctx_t *epoch;
        int n;

        *rc = CDR_OK;
        epoch = epoch_ctx(unsealer, k, h + SEALED_OFF_ENC, rc);
        if (epoch == NULL) {
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         *rc == CDR_ERR_AUTH ? "invalid encapsulated key"
                                             : cdr_strerror(*rc));
                return NULL;
        }
        memcpy(nonce, epoch->prefix, SEALED_PREFIX_LEN);
        memcpy(nonce + SEALED_PREFIX_LEN, h + SEALED_OFF_COUNTER, 8);
        if (EVP_DecryptInit_ex(epoch->cctx, NULL, NULL, NULL, nonce) != 1 ||
            EVP_DecryptUpdate(epoch->cctx, NULL, &n, h, (int)hlen) != 1) {
                ERR_clear_error();
                *rc = CDR_ERR_CRYPTO;
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(*rc));
                return NULL;
        }
        return epoch->cctx;
}

/* Decrypts ct[0..len) to out, in steps EVP's int lengths allow. */
static int decrypt_update(EVP_CIPHER_CTX *cctx, uint8_t *out, const uint8_t *ct,
                          size_t len)
{
        int n;

        while (len > 0) {
                size_t step = len < SEALED_UPDATE_MAX ? len : SEALED_UPDATE_MAX;

                if (EVP_DecryptUpdate(cctx, out, &n, ct, (int)step) != 1 ||
                    (size_t)n != step)
                        return CDR_ERR_AUTH;
                out += step;
                ct += step;
                len -= step;
        }
        return CDR_OK;
}

/* Checks the tag and ends the record's decryption. */
static int decrypt_final(EVP_CIPHER_CTX *cctx,
                         const uint8_t tag[SEALED_TAG_LEN])
{
        uint8_t scratch[16];
        int n;

        if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_TAG, SEALED_TAG_LEN,
                                (void *)tag) != 1 ||
            EVP_DecryptFinal_ex(cctx, scratch, &n) != 1) {
                ERR_clear_error();
                return CDR_ERR_AUTH;
        }
        return CDR_OK;
}

static int auth_failed(char *errstr, size_t errstr_size)
{
        cdr_errf(errstr, errstr_size,
                 "sealed record: authentication failed (altered, "
                 "truncated, spliced, or sealed to another key)");
        return CDR_ERR_AUTH;
}

/* Fills *meta (may be NULL) from an authenticated header. */
static int header_meta(cdr_unsealer_t *unsealer, const uint8_t *h,
                       uint64_t length, cdr_sealed_meta_t *meta, char *errstr,
                       size_t errstr_size)
{
        int kind = h[SEALED_OFF_KIND];
        const uint8_t *name = h + SEALED_FIXED_LEN + 2;
        size_t name_len;

        if (meta == NULL)
                return CDR_OK;
        memset(meta, 0, sizeof(*meta));
        cdr_sealed_key_id_hex(h + SEALED_OFF_KEY_ID, meta->key_id);
        meta->counter = get_be(h + SEALED_OFF_COUNTER, 8);
        meta->length = length;
        if (kind == SEALED_SOURCE_NONE)
                return CDR_OK;
        name_len = (size_t)get_be(h + SEALED_FIXED_LEN, 2);
        if (name_len + 1 > unsealer->name_cap) {
                char *p = realloc(unsealer->name, name_len + 1);

                if (p == NULL) {
                        cdr_errf(errstr, errstr_size, "sealed record: %s",
                                 cdr_strerror(CDR_ERR_NOMEM));
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
                meta->source.line = get_be(name + name_len, 8);
        } else {
                meta->source.topic = unsealer->name;
                meta->source.partition =
                    (int32_t)(uint32_t)get_be(name + name_len, 4);
                meta->source.offset = (int64_t)get_be(name + name_len + 4, 8);
        }
        return CDR_OK;
}

int cdr_unsealer_open(cdr_unsealer_t *unsealer, const void *sealed, size_t len,
                      cdr_buf_t *out, cdr_sealed_meta_t *meta, char *errstr,
                      size_t errstr_size)
{
        const uint8_t *h = sealed;
        const size_t min_len = SEALED_FIXED_LEN + SEALED_TAG_LEN;
        size_t hlen = SEALED_FIXED_LEN, name_len, ct_len, k;
        uint8_t nonce[CDR_HPKE_NN];
        EVP_CIPHER_CTX *cctx;
        int kind, rc;

        cdr_buf_reset(out);
        if (len < min_len) {
                cdr_errf(errstr, errstr_size,
                         "sealed record: truncated (%zu bytes; a sealed "
                         "record has at least %zu)",
                         len, min_len);
                return CDR_ERR_MALFORMED;
        }
        rc = header_fixed_check(h, errstr, errstr_size);
        if (rc != CDR_OK)
                return rc;
        kind = h[SEALED_OFF_KIND];
        if (kind != SEALED_SOURCE_NONE) {
                size_t tail = header_tail(kind);

                name_len = (size_t)get_be(h + hlen, 2);
                if (len - min_len < 2 + name_len + tail)
                        return malformed(errstr, errstr_size,
                                         "truncated (source coordinates)");
                if (memchr(h + hlen + 2, '\0', name_len) != NULL)
                        return malformed(errstr, errstr_size,
                                         "source name holds a NUL byte");
                hlen += 2 + name_len + tail;
        }
        ct_len = len - hlen - SEALED_TAG_LEN;
        if (ct_len > SEALED_RECORD_MAX)
                return malformed(errstr, errstr_size, "too long");

        rc = header_key(unsealer, h, &k, errstr, errstr_size);
        if (rc != CDR_OK)
                return rc;
        cctx = header_cipher(unsealer, k, h, hlen, nonce, &rc, errstr,
                             errstr_size);
        if (cctx == NULL)
                return rc;
        if (cdr_buf_reserve(out, ct_len) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(CDR_ERR_NOMEM));
                return CDR_ERR_NOMEM;
        }
        if (decrypt_update(cctx, (uint8_t *)out->data, h + hlen, ct_len) !=
                CDR_OK ||
            decrypt_final(cctx, h + hlen + ct_len) != CDR_OK) {
                ERR_clear_error();
                OPENSSL_cleanse(out->data, ct_len);
                cdr_buf_reset(out);
                return auth_failed(errstr, errstr_size);
        }
        out->len = ct_len;
        out->data[ct_len] = '\0';
        unsealer->keys[k].opened++;

        rc = header_meta(unsealer, h, ct_len, meta, errstr, errstr_size);
        if (rc != CDR_OK) {
                OPENSSL_cleanse(out->data, ct_len);
                cdr_buf_reset(out);
        }
        return rc;
}

/* Decodes base64 text into unsealer->decoded (reset first). */
static int decode_base64(cdr_unsealer_t *unsealer, const char *text, size_t len,
                         char *errstr, size_t errstr_size)
{
        int rc;

        cdr_buf_reset(&unsealer->decoded);
        rc = cdr_base64_decode(&unsealer->decoded, text, len);
        if (rc == CDR_ERR_MALFORMED)
                return malformed(errstr, errstr_size, "not valid base64");
        if (rc != CDR_OK)
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(rc));
        return rc;
}

int cdr_unsealer_open_base64(cdr_unsealer_t *unsealer, const char *line,
                             size_t len, cdr_buf_t *out,
                             cdr_sealed_meta_t *meta, char *errstr,
                             size_t errstr_size)
{
        int rc;

        cdr_buf_reset(out);
        rc = decode_base64(unsealer, line, cdr_record_body(line, len), errstr,
                           errstr_size);
        if (rc != CDR_OK)
                return rc;
        return cdr_unsealer_open(unsealer, unsealer->decoded.data,
                                 unsealer->decoded.len, out, meta, errstr,
                                 errstr_size);
}

/* ---- long records: two passes, see unseal.h ---- */

/* Pass 1 failed: the record is abandoned. */
static int long_fail(cdr_unsealer_t *unsealer, int rc)
{
        long_reset(unsealer);
        unsealer->lr.failed = 1;
        return rc;
}

int cdr_unsealer_long_begin(cdr_unsealer_t *unsealer, const char *tmpdir,
                            char *errstr, size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        char path[4096];
        int fd;

        long_reset(unsealer);
        if (lr->header == NULL && (lr->header = malloc(HEADER_MAX)) == NULL)
                goto nomem;
        if (lr->md == NULL && (lr->md = EVP_MD_CTX_new()) == NULL)
                goto nomem;
        if (EVP_DigestInit_ex(lr->md, EVP_sha256(), NULL) != 1) {
                ERR_clear_error();
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(CDR_ERR_CRYPTO));
                return CDR_ERR_CRYPTO;
        }
        /* Ciphertext only, never plaintext; gone when closed. */
        fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
                snprintf(path, sizeof(path), "%s/cdranon-unseal.XXXXXX",
                         tmpdir);
                fd = mkostemp(path, O_CLOEXEC);
                if (fd >= 0)
                        unlink(path);
        }
        if (fd < 0) {
                cdr_errf(errstr, errstr_size,
                         "%s: cannot create a temporary file: %s", tmpdir,
                         strerror(errno));
                return CDR_ERR_IO;
        }
        lr->fd = fd;
        lr->hneed = SEALED_FIXED_LEN;
        lr->active = 1;
        return CDR_OK;

nomem:
        cdr_errf(errstr, errstr_size, "sealed record: %s",
                 cdr_strerror(CDR_ERR_NOMEM));
        return CDR_ERR_NOMEM;
}

/* The header is complete up to lr->hneed: checks what it can, and once
 * whole, finds the key and sets the GCM context. */
static int long_header(cdr_unsealer_t *unsealer, char *errstr,
                       size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        const uint8_t *h = lr->header;
        size_t name_len;
        int rc, kind = h[SEALED_OFF_KIND];

        if (lr->hlen == SEALED_FIXED_LEN) {
                rc = header_fixed_check(h, errstr, errstr_size);
                if (rc != CDR_OK)
                        return rc;
                if (kind != SEALED_SOURCE_NONE) {
                        lr->hneed = SEALED_FIXED_LEN + 2;
                        return CDR_OK;
                }
        } else if (lr->hlen == SEALED_FIXED_LEN + 2) {
                name_len = (size_t)get_be(h + SEALED_FIXED_LEN, 2);
                lr->hneed = SEALED_FIXED_LEN + 2 + name_len + header_tail(kind);
                return CDR_OK;
        }
        if (kind != SEALED_SOURCE_NONE) {
                name_len = (size_t)get_be(h + SEALED_FIXED_LEN, 2);
                if (memchr(h + SEALED_FIXED_LEN + 2, '\0', name_len) != NULL)
                        return malformed(errstr, errstr_size,
                                         "source name holds a NUL byte");
        }
        rc = header_key(unsealer, h, &lr->key, errstr, errstr_size);
        if (rc != CDR_OK)
                return rc;
        lr->cctx = header_cipher(unsealer, lr->key, h, lr->hlen, lr->nonce, &rc,
                                 errstr, errstr_size);
        if (lr->cctx == NULL)
                return rc;
        lr->header_done = 1;
        return CDR_OK;
}

/* The current chunk's digest into the list. */
static int long_digest_push(long_record_t *lr)
{
        if (lr->ndigests == lr->digests_cap) {
                size_t cap = lr->digests_cap ? 2 * lr->digests_cap : 64;
                void *d = realloc(lr->digests, cap * sizeof(*lr->digests));

                if (d == NULL)
                        return CDR_ERR_NOMEM;
                lr->digests = d;
                lr->digests_cap = cap;
        }
        if (EVP_DigestFinal_ex(lr->md, lr->digests[lr->ndigests++], NULL) !=
                1 ||
            EVP_DigestInit_ex(lr->md, EVP_sha256(), NULL) != 1) {
                ERR_clear_error();
                return CDR_ERR_CRYPTO;
        }
        lr->md_len = 0;
        return CDR_OK;
}

/* Ciphertext of pass 1: into the temporary file and its chunk digests,
 * through GCM (the plaintext wiped at once). */
static int long_ciphertext(cdr_unsealer_t *unsealer, const uint8_t *ct,
                           size_t len, char *errstr, size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        const uint8_t *p = ct;
        size_t left = len;

        if (len == 0)
                return CDR_OK;
        if (len > SEALED_RECORD_MAX - lr->ct_len)
                return malformed(errstr, errstr_size, "too long");
        lr->ct_len += len;
        while (left > 0) {
                ssize_t w = write(lr->fd, p, left);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        cdr_errf(errstr, errstr_size,
                                 "sealed record: temporary file: %s",
                                 w < 0 ? strerror(errno) : "short write");
                        return CDR_ERR_IO;
                }
                p += w;
                left -= (size_t)w;
        }
        for (p = ct, left = len; left > 0;) {
                size_t step = LONG_CHUNK - lr->md_len;

                if (step > left)
                        step = left;
                if (EVP_DigestUpdate(lr->md, p, step) != 1)
                        goto crypto;
                lr->md_len += step;
                p += step;
                left -= step;
                if (lr->md_len == LONG_CHUNK) {
                        int rc = long_digest_push(lr);

                        if (rc != CDR_OK) {
                                cdr_errf(errstr, errstr_size,
                                         "sealed record: %s", cdr_strerror(rc));
                                return rc;
                        }
                }
        }
        if (cdr_buf_reserve(&lr->plain, len) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(CDR_ERR_NOMEM));
                return CDR_ERR_NOMEM;
        }
        if (decrypt_update(lr->cctx, (uint8_t *)lr->plain.data, ct, len) !=
            CDR_OK) {
                OPENSSL_cleanse(lr->plain.data, len);
                goto crypto;
        }
        OPENSSL_cleanse(lr->plain.data, len);
        return CDR_OK;

crypto:
        ERR_clear_error();
        cdr_errf(errstr, errstr_size, "sealed record: %s",
                 cdr_strerror(CDR_ERR_CRYPTO));
        return CDR_ERR_CRYPTO;
}

/* Decoded bytes of pass 1: header first, then ciphertext, holding back
 * the last SEALED_TAG_LEN bytes (the tag, once the line ends). */
static int long_bytes(cdr_unsealer_t *unsealer, const uint8_t *p, size_t n,
                      char *errstr, size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        uint8_t tail[SEALED_TAG_LEN];
        size_t k, release, from_tail;
        int rc;

        while (n > 0 && !lr->header_done) {
                k = lr->hneed - lr->hlen;
                if (k > n)
                        k = n;
                memcpy(lr->header + lr->hlen, p, k);
                lr->hlen += k;
                p += k;
                n -= k;
                if (lr->hlen == lr->hneed) {
                        rc = long_header(unsealer, errstr, errstr_size);
                        if (rc != CDR_OK)
                                return rc;
                }
        }
        if (n == 0)
                return CDR_OK;
        if (lr->ntail + n <= SEALED_TAG_LEN) {
                memcpy(lr->tail + lr->ntail, p, n);
                lr->ntail += n;
                return CDR_OK;
        }
        release = lr->ntail + n - SEALED_TAG_LEN;
        from_tail = release < lr->ntail ? release : lr->ntail;
        /* The new tail: the last SEALED_TAG_LEN bytes of tail || p. */
        if (n >= SEALED_TAG_LEN) {
                memcpy(tail, p + n - SEALED_TAG_LEN, SEALED_TAG_LEN);
        } else {
                memcpy(tail, lr->tail + lr->ntail - (SEALED_TAG_LEN - n),
                       SEALED_TAG_LEN - n);
                memcpy(tail + SEALED_TAG_LEN - n, p, n);
        }
        rc =
            long_ciphertext(unsealer, lr->tail, from_tail, errstr, errstr_size);
        if (rc == CDR_OK)
                rc = long_ciphertext(unsealer, p, release - from_tail, errstr,
                                     errstr_size);
        memcpy(lr->tail, tail, SEALED_TAG_LEN);
        lr->ntail = SEALED_TAG_LEN;
        OPENSSL_cleanse(tail, sizeof(tail));
        return rc;
}

/* Decodes text[0..len), a whole number of base64 groups, and feeds it. */
static int long_decode(cdr_unsealer_t *unsealer, const char *text, size_t len,
                       char *errstr, size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        int rc;

        if (len == 0)
                return CDR_OK;
        if (lr->padded)
                return malformed(errstr, errstr_size, "not valid base64");
        rc = decode_base64(unsealer, text, len, errstr, errstr_size);
        if (rc != CDR_OK)
                return rc;
        lr->padded = text[len - 1] == '=';
        return long_bytes(unsealer, (const uint8_t *)unsealer->decoded.data,
                          unsealer->decoded.len, errstr, errstr_size);
}

int cdr_unsealer_long_feed(cdr_unsealer_t *unsealer, const char *text,
                           size_t len, char *errstr, size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        size_t k, whole;
        int rc = CDR_OK;

        if (!lr->active || lr->failed || lr->authentic) {
                cdr_errf(errstr, errstr_size,
                         "sealed record: no long record open");
                return CDR_ERR_INVAL;
        }
        /* A CR is allowed only just before the line's end. */
        if (len > 0 && text[len - 1] == '\n')
                len--;
        if (len > 0 && lr->cr)
                return long_fail(unsealer, malformed(errstr, errstr_size,
                                                     "not valid base64"));
        if (len > 0 && text[len - 1] == '\r') {
                lr->cr = 1;
                len--;
        }
        if (lr->ncarry > 0) {
                k = 4 - lr->ncarry < len ? 4 - lr->ncarry : len;
                memcpy(lr->carry + lr->ncarry, text, k);
                lr->ncarry += k;
                text += k;
                len -= k;
                if (lr->ncarry < 4)
                        return CDR_OK;
                rc = long_decode(unsealer, lr->carry, 4, errstr, errstr_size);
                lr->ncarry = 0;
        }
        whole = len / 4 * 4;
        while (rc == CDR_OK && whole > 0) {
                k = whole < LONG_SLICE ? whole : LONG_SLICE;
                rc = long_decode(unsealer, text, k, errstr, errstr_size);
                text += k;
                len -= k;
                whole -= k;
        }
        if (rc != CDR_OK)
                return long_fail(unsealer, rc);
        memcpy(lr->carry, text, len);
        lr->ncarry = len;
        return CDR_OK;
}

int cdr_unsealer_long_end(cdr_unsealer_t *unsealer, cdr_sealed_meta_t *meta,
                          char *errstr, size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        int rc;

        if (!lr->active || lr->failed || lr->authentic) {
                cdr_errf(errstr, errstr_size,
                         "sealed record: no long record open");
                return CDR_ERR_INVAL;
        }
        if (lr->ncarry != 0)
                return long_fail(unsealer, malformed(errstr, errstr_size,
                                                     "not valid base64"));
        if (!lr->header_done || lr->ntail < SEALED_TAG_LEN)
                return long_fail(unsealer,
                                 malformed(errstr, errstr_size, "truncated"));
        if (decrypt_final(lr->cctx, lr->tail) != CDR_OK)
                return long_fail(unsealer, auth_failed(errstr, errstr_size));
        if (lr->md_len > 0 && (rc = long_digest_push(lr)) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(rc));
                return long_fail(unsealer, rc);
        }
        rc = header_meta(unsealer, lr->header, lr->ct_len, meta, errstr,
                         errstr_size);
        if (rc != CDR_OK)
                return long_fail(unsealer, rc);
        unsealer->keys[lr->key].opened++;
        lr->authentic = 1;
        return CDR_OK;
}

/* Reads up to n bytes; fewer only at the end of the file. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
        size_t got = 0;

        while (got < n) {
                ssize_t r = read(fd, (char *)buf + got, n - got);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        return (ssize_t)got;
}

int cdr_unsealer_long_write(cdr_unsealer_t *unsealer,
                            int (*write_fn)(void *opaque, const void *p,
                                            size_t n),
                            void *opaque, char *errstr, size_t errstr_size)
{
        long_record_t *lr = &unsealer->lr;
        uint8_t nonce[CDR_HPKE_NN], md[32];
        EVP_CIPHER_CTX *cctx;
        uint64_t left = lr->ct_len;
        size_t i = 0;
        ssize_t n;
        int rc = CDR_OK;

        if (!lr->authentic) {
                cdr_errf(errstr, errstr_size,
                         "sealed record: no authenticated long record");
                return CDR_ERR_INVAL;
        }
        if (lseek(lr->fd, 0, SEEK_SET) != 0) {
                cdr_errf(errstr, errstr_size,
                         "sealed record: temporary file: %s", strerror(errno));
                rc = CDR_ERR_IO;
                goto out;
        }
        cctx = header_cipher(unsealer, lr->key, lr->header, lr->hlen, nonce,
                             &rc, errstr, errstr_size);
        if (cctx == NULL)
                goto out;
        if (cdr_buf_reserve(&lr->chunk, LONG_CHUNK) != CDR_OK ||
            cdr_buf_reserve(&lr->plain, LONG_CHUNK) != CDR_OK) {
                rc = CDR_ERR_NOMEM;
                cdr_errf(errstr, errstr_size, "sealed record: %s",
                         cdr_strerror(rc));
                goto out;
        }
        while (left > 0) {
                size_t want = left < LONG_CHUNK ? (size_t)left : LONG_CHUNK;

                n = read_full(lr->fd, lr->chunk.data, want);
                if (n != (ssize_t)want || i >= lr->ndigests ||
                    EVP_Digest(lr->chunk.data, want, md, NULL, EVP_sha256(),
                               NULL) != 1 ||
                    CRYPTO_memcmp(md, lr->digests[i], sizeof(md)) != 0) {
                        ERR_clear_error();
                        rc = CDR_ERR_AUTH;
                        cdr_errf(errstr, errstr_size,
                                 "sealed record: the temporary copy of the "
                                 "ciphertext changed between the two passes");
                        goto out;
                }
                i++;
                if (decrypt_update(cctx, (uint8_t *)lr->plain.data,
                                   (const uint8_t *)lr->chunk.data,
                                   want) != CDR_OK) {
                        rc = auth_failed(errstr, errstr_size);
                        goto out;
                }
                rc = write_fn(opaque, lr->plain.data, want);
                OPENSSL_cleanse(lr->plain.data, want);
                if (rc != CDR_OK)
                        goto out;
                left -= want;
        }
        if (decrypt_final(cctx, lr->tail) != CDR_OK)
                rc = auth_failed(errstr, errstr_size);
out:
        long_reset(unsealer);
        return rc;
}
