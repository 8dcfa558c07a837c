/*
 * Sealing raw records to the custodian: see seal.h for the contract and
 * docs/sealed-format.md for the byte layout.
 *
 * Per custodian key the sealer keeps one open epoch: an HPKE
 * encapsulation (enc), the AES-256-GCM context keyed once with the data
 * key the HPKE exporter gives, a 4-byte nonce prefix from the exporter and
 * a record counter.  A record costs one IV change and one GCM pass over
 * header and record; the X25519 and HKDF work happens once per epoch.
 *
 * The nonce is prefix || counter (8 bytes, big-endian).  The GCM context
 * makes it itself: the epoch's first nonce is set as the context's fixed
 * IV, and each record asks for the next one (OpenSSL's IV generation for
 * TLS, which increments the last 8 bytes big-endian after each use).
 * This costs one parameter call instead of the cipher re-initialisation
 * that setting an IV through EVP_EncryptInit_ex does, and the sealer
 * still checks that the nonce used is the one its counter says.
 */
#include "cdranon/seal.h"
#include "cdranon/hpke.h"
#include "sealed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

_Static_assert(SEALED_KEY_ID_LEN == CDR_KEY_ID_LEN &&
                   SEALED_KEY_ID_HEX_SIZE == CDR_KEY_ID_HEX_SIZE,
               "sealed.h and seal.h agree on the key id");

typedef struct {
        uint8_t pk[CDR_HPKE_NPK];
        uint8_t key_id[CDR_KEY_ID_LEN];
        int64_t not_before;
        int64_t not_after;
        char *file;
        int line;
} custodian_key_t;

struct cdr_custodian_set_s {
        custodian_key_t *keys; /* sorted by not_before */
        size_t n;
};

typedef struct {
        EVP_CIPHER_CTX *cctx; /* keyed with the epoch's data key */
        uint8_t enc[CDR_HPKE_NENC];
        uint8_t prefix[SEALED_PREFIX_LEN];
        uint64_t counter; /* the next record's */
        int64_t started;  /* monotonic seconds */
        int open;
} epoch_t;

struct cdr_sealer_s {
        const cdr_custodian_set_t *keys;
        EVP_CIPHER *cipher;
        epoch_t *epochs; /* one per key, opened on first use */
        uint64_t epoch_records;
        int epoch_seconds;
        uint64_t nepochs;
        int64_t swept; /* monotonic second of the last sweep */
        int wall_key;  /* key of the processing time, or CDR_ERR_NOTFOUND */
        cdr_sealer_encap_fn *encap; /* NULL: cdr_hpke_encap */
        void *encap_opaque;
        /* The record being sealed piece by piece (cdr_sealer_begin). */
        int streaming;
        size_t stream_key;   /* its key's index, so its epoch's */
        uint64_t stream_len; /* plaintext bytes so far */
};

/* Errors about spec i: "LINE: keys.custodian_public: FILE: why". */
static void spec_err(char *errstr, size_t errstr_size,
                     const cdr_custodian_spec_t *spec, const char *why)
{
        if (spec->line > 0)
                cdr_errf(errstr, errstr_size,
                         "%d: keys.custodian_public: %s: %s", spec->line,
                         spec->file, why);
        else
                cdr_errf(errstr, errstr_size, "keys.custodian_public: %s: %s",
                         spec->file, why);
}

static int load_public(const cdr_custodian_spec_t *spec, custodian_key_t *key,
                       char *errstr, size_t errstr_size)
{
        uint8_t ss[CDR_HPKE_NSECRET], enc[CDR_HPKE_NENC];
        EVP_PKEY *pkey = NULL;
        BIO *bio;
        size_t len = CDR_HPKE_NPK;
        char why[256];
        int rc = CDR_ERR_INVAL;

        bio = BIO_new_file(spec->file, "r");
        if (bio == NULL) {
                snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
                spec_err(errstr, errstr_size, spec, why);
                ERR_clear_error();
                return CDR_ERR_IO;
        }
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (pkey == NULL) {
                spec_err(errstr, errstr_size, spec,
                         "not a PEM public key (BEGIN PUBLIC KEY)");
                goto out;
        }
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_X25519) {
                spec_err(errstr, errstr_size, spec, "not an X25519 public key");
                goto out;
        }
        if (EVP_PKEY_get_raw_public_key(pkey, key->pk, &len) != 1 ||
            len != CDR_HPKE_NPK) {
                spec_err(errstr, errstr_size, spec,
                         "cannot read the X25519 public key");
                goto out;
        }
        /* A trial encapsulation refuses low-order points now rather than
         * on the first record. */
        rc = cdr_hpke_encap(key->pk, ss, enc);
        OPENSSL_cleanse(ss, sizeof(ss));
        if (rc == CDR_ERR_INVAL) {
                spec_err(errstr, errstr_size, spec,
                         "a low-order point, not a usable public key");
                goto out;
        }
        if (rc == CDR_OK)
                rc = cdr_sealed_key_id(key->pk, key->key_id);
        if (rc != CDR_OK)
                spec_err(errstr, errstr_size, spec, cdr_strerror(rc));
out:
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return rc;
}

static int by_not_before(const void *a, const void *b)
{
        const custodian_key_t *x = a, *y = b;

        return (x->not_before > y->not_before) -
               (x->not_before < y->not_before);
}

cdr_custodian_set_t *cdr_custodian_set_load(const cdr_custodian_spec_t *specs,
                                            size_t n, char *errstr,
                                            size_t errstr_size)
{
        cdr_custodian_set_t *set;
        size_t i;

        if (n == 0) {
                cdr_errf(errstr, errstr_size,
                         "keys.custodian_public: no custodian public key");
                return NULL;
        }
        set = calloc(1, sizeof(*set));
        if (set == NULL || (set->keys = calloc(n, sizeof(*set->keys))) == NULL)
                goto nomem;
        for (i = 0; i < n; i++) {
                custodian_key_t *key = &set->keys[i];

                if (specs[i].file == NULL) {
                        cdr_errf(errstr, errstr_size,
                                 "keys.custodian_public: a key has no file");
                        goto err;
                }
                if (specs[i].not_before >= specs[i].not_after) {
                        spec_err(errstr, errstr_size, &specs[i],
                                 "the period is empty (it must start before "
                                 "it ends)");
                        goto err;
                }
                key->file = strdup(specs[i].file);
                if (key->file == NULL)
                        goto nomem;
                set->n++;
                key->not_before = specs[i].not_before;
                key->not_after = specs[i].not_after;
                key->line = specs[i].line;
                if (load_public(&specs[i], key, errstr, errstr_size) != CDR_OK)
                        goto err;
        }
        qsort(set->keys, set->n, sizeof(*set->keys), by_not_before);
        for (i = 1; i < set->n; i++) {
                const custodian_key_t *a = &set->keys[i - 1],
                                      *b = &set->keys[i];

                if (a->not_after > b->not_before) {
                        cdr_errf(errstr, errstr_size,
                                 "keys.custodian_public: the periods of %s "
                                 "and %s overlap",
                                 a->file, b->file);
                        goto err;
                }
        }
        return set;

nomem:
        cdr_errf(errstr, errstr_size, "keys.custodian_public: %s",
                 cdr_strerror(CDR_ERR_NOMEM));
err:
        cdr_custodian_set_destroy(set);
        return NULL;
}

void cdr_custodian_set_destroy(cdr_custodian_set_t *set)
{
        size_t i;

        if (set == NULL)
                return;
        for (i = 0; i < set->n; i++)
                free(set->keys[i].file);
        free(set->keys);
        free(set);
}

size_t cdr_custodian_set_count(const cdr_custodian_set_t *set)
{
        return set->n;
}

int cdr_custodian_set_find(const cdr_custodian_set_t *set, int64_t t)
{
        size_t lo = 0, hi = set->n;

        /* The last key with not_before <= t, then its end. */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (set->keys[mid].not_before <= t)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == 0 || t >= set->keys[lo - 1].not_after)
                return CDR_ERR_NOTFOUND;
        return (int)(lo - 1);
}

void cdr_custodian_key_id(const cdr_custodian_set_t *set, size_t i,
                          char hex[CDR_KEY_ID_HEX_SIZE])
{
        cdr_sealed_key_id_hex(set->keys[i].key_id, hex);
}

static int64_t monotonic_seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (int64_t)ts.tv_sec;
}

static int64_t wall_seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME_COARSE, &ts);
        return (int64_t)ts.tv_sec;
}

cdr_sealer_t *cdr_sealer_new(const cdr_custodian_set_t *keys,
                             uint64_t epoch_records, int epoch_seconds,
                             char *errstr, size_t errstr_size)
{
        cdr_sealer_t *sealer;

        if (keys == NULL || keys->n == 0) {
                cdr_errf(errstr, errstr_size, "sealer: no custodian key");
                return NULL;
        }
        if (epoch_records < 1 || epoch_records > SEALED_COUNTER_END ||
            epoch_seconds < 1) {
                cdr_errf(errstr, errstr_size,
                         "sealer: epoch limits out of range (records 1..2^32, "
                         "seconds >= 1)");
                return NULL;
        }
        if (cdr_custodian_set_find(keys, wall_seconds()) < 0) {
                cdr_errf(errstr, errstr_size,
                         "keys.custodian_public: no custodian key covers the "
                         "current time; publish the current period's key");
                return NULL;
        }
        sealer = calloc(1, sizeof(*sealer));
        if (sealer == NULL)
                goto nomem;
        sealer->keys = keys;
        sealer->swept = -1;
        sealer->epoch_records = epoch_records;
        sealer->epoch_seconds = epoch_seconds;
        sealer->epochs = calloc(keys->n, sizeof(*sealer->epochs));
        if (sealer->epochs == NULL)
                goto nomem;
        sealer->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
        if (sealer->cipher == NULL) {
                ERR_clear_error();
                cdr_errf(errstr, errstr_size, "sealer: AES-256-GCM: %s",
                         cdr_strerror(CDR_ERR_CRYPTO));
                goto err;
        }
        return sealer;

nomem:
        cdr_errf(errstr, errstr_size, "sealer: %s",
                 cdr_strerror(CDR_ERR_NOMEM));
err:
        cdr_sealer_destroy(sealer);
        return NULL;
}

void cdr_sealer_destroy(cdr_sealer_t *sealer)
{
        size_t i;

        if (sealer == NULL)
                return;
        if (sealer->epochs != NULL) {
                for (i = 0; i < sealer->keys->n; i++)
                        EVP_CIPHER_CTX_free(sealer->epochs[i].cctx);
                OPENSSL_cleanse(sealer->epochs,
                                sealer->keys->n * sizeof(*sealer->epochs));
                free(sealer->epochs);
        }
        EVP_CIPHER_free(sealer->cipher);
        OPENSSL_cleanse(sealer, sizeof(*sealer));
        free(sealer);
}

uint64_t cdr_sealer_epochs(const cdr_sealer_t *sealer)
{
        return sealer->nepochs;
}

void cdr_sealer_set_encap(cdr_sealer_t *sealer, cdr_sealer_encap_fn *encap,
                          void *opaque)
{
        size_t i;

        sealer->encap = encap;
        sealer->encap_opaque = opaque;
        for (i = 0; i < sealer->keys->n; i++)
                sealer->epochs[i].open = 0;
}

/* Starts a new epoch for key `k`: encapsulate, export the data key and
 * nonce prefix, key the GCM context.  The HPKE context and the data key
 * are wiped before returning; only the keyed cipher context keeps the
 * key. */
static int epoch_start(cdr_sealer_t *sealer, size_t k, char *errstr,
                       size_t errstr_size)
{
        const custodian_key_t *key = &sealer->keys->keys[k];
        epoch_t *epoch = &sealer->epochs[k];
        uint8_t shared_secret[CDR_HPKE_NSECRET];
        int rc;

        epoch->open = 0;
        if (sealer->encap != NULL)
                rc = sealer->encap(sealer->encap_opaque, key->pk, shared_secret,
                                   epoch->enc);
        else
                rc = cdr_hpke_encap(key->pk, shared_secret, epoch->enc);
        if (rc == CDR_OK && epoch->cctx == NULL &&
            (epoch->cctx = EVP_CIPHER_CTX_new()) == NULL)
                rc = CDR_ERR_NOMEM;
        if (rc == CDR_OK)
                rc = cdr_sealed_epoch_keys(shared_secret, sealer->cipher,
                                           epoch->cctx, 1, epoch->prefix);
        OPENSSL_cleanse(shared_secret, sizeof(shared_secret));
        if (rc == CDR_OK) {
                uint8_t first[CDR_HPKE_NN];

                /* Length -1: the whole IV is given, none of it random. */
                memcpy(first, epoch->prefix, SEALED_PREFIX_LEN);
                memset(first + SEALED_PREFIX_LEN, 0,
                       CDR_HPKE_NN - SEALED_PREFIX_LEN);
                if (EVP_CIPHER_CTX_ctrl(epoch->cctx, EVP_CTRL_GCM_SET_IV_FIXED,
                                        -1, first) != 1) {
                        ERR_clear_error();
                        rc = CDR_ERR_CRYPTO;
                }
        }
        if (rc != CDR_OK) {
                cdr_errf(errstr, errstr_size,
                         "sealer: starting an epoch for custodian key %s: %s",
                         key->file, cdr_strerror(rc));
                return rc;
        }
        epoch->counter = 0;
        epoch->started = monotonic_seconds();
        epoch->open = 1;
        sealer->nepochs++;
        return CDR_OK;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes)
{
        int i;

        for (i = bytes - 1; i >= 0; i--) {
                p[i] = (uint8_t)v;
                v >>= 8;
        }
        return p + bytes;
}

/* Once a second: reads the processing time and finds its key, and closes
 * every epoch older than epoch_seconds, so that an epoch no record needs
 * any more does not keep its data key in memory: a live compromise of the
 * processor exposes only the records of epochs younger than
 * epoch_seconds.  Between sweeps a record costs one coarse clock read. */
static void sweep(cdr_sealer_t *sealer, int64_t now)
{
        size_t i;

        if (now == sealer->swept)
                return;
        sealer->swept = now;
        sealer->wall_key = cdr_custodian_set_find(sealer->keys, wall_seconds());
        for (i = 0; i < sealer->keys->n; i++) {
                epoch_t *epoch = &sealer->epochs[i];

                if (epoch->open &&
                    now - epoch->started >= sealer->epoch_seconds) {
                        EVP_CIPHER_CTX_reset(epoch->cctx);
                        epoch->open = 0;
                }
        }
}

/* The custodian key for a record: its event time's, else the processing
 * time's. */
static int pick_key(const cdr_sealer_t *sealer, int64_t event_time)
{
        int k = CDR_ERR_NOTFOUND;

        if (event_time != INT64_MIN)
                k = cdr_custodian_set_find(sealer->keys, event_time);
        if (k < 0)
                k = sealer->wall_key;
        return k;
}

/* A failure half-way through a record: the epoch is closed (its cipher
 * context is in an unknown state) and `out` wiped. */
static int seal_fail(cdr_sealer_t *sealer, cdr_buf_t *out, char *errstr,
                     size_t errstr_size)
{
        ERR_clear_error();
        sealer->epochs[sealer->stream_key].open = 0;
        sealer->streaming = 0;
        if (out->data != NULL)
                OPENSSL_cleanse(out->data, out->cap);
        cdr_buf_reset(out);
        cdr_errf(errstr, errstr_size, "sealer: AES-256-GCM: %s",
                 cdr_strerror(CDR_ERR_CRYPTO));
        return CDR_ERR_CRYPTO;
}

/* Abandons the record being sealed piece by piece, for `rc` (TOOBIG or
 * NOMEM): its epoch is closed, as its cipher context is half-way through
 * a message. */
static int stream_abandon(cdr_sealer_t *sealer, int rc, char *errstr,
                          size_t errstr_size)
{
        sealer->epochs[sealer->stream_key].open = 0;
        sealer->streaming = 0;
        if (rc == CDR_ERR_TOOBIG)
                cdr_errf(errstr, errstr_size,
                         "sealer: record longer than the format's limit of "
                         "%llu bytes",
                         (unsigned long long)SEALED_RECORD_MAX);
        else
                cdr_errf(errstr, errstr_size, "sealer: %s", cdr_strerror(rc));
        return rc;
}

int cdr_sealer_begin(cdr_sealer_t *sealer, const cdr_source_t *source,
                     int64_t event_time, cdr_buf_t *out, char *errstr,
                     size_t errstr_size)
{
        const custodian_key_t *key;
        epoch_t *epoch;
        uint8_t nonce[CDR_HPKE_NN], used[CDR_HPKE_NN], *h, *p;
        OSSL_PARAM gen[2];
        const char *name = NULL;
        size_t name_len = 0, hlen;
        int kind = SEALED_SOURCE_NONE, k, n, rc;

        cdr_buf_reset(out);
        sealer->streaming = 0;
        hlen = SEALED_FIXED_LEN;
        if (source != NULL && (source->file != NULL || source->topic != NULL)) {
                kind = source->file != NULL ? SEALED_SOURCE_FILE
                                            : SEALED_SOURCE_KAFKA;
                name =
                    kind == SEALED_SOURCE_FILE ? source->file : source->topic;
                name_len = strlen(name);
                if (name_len > SEALED_NAME_MAX) {
                        cdr_errf(errstr, errstr_size,
                                 "sealer: source name longer than %d bytes",
                                 SEALED_NAME_MAX);
                        return CDR_ERR_TOOBIG;
                }
                hlen += 2 + name_len + (kind == SEALED_SOURCE_FILE ? 8 : 12);
        }

        sweep(sealer, monotonic_seconds());
        k = pick_key(sealer, event_time);
        if (k < 0) {
                cdr_errf(errstr, errstr_size,
                         "sealer: no custodian key covers the record's event "
                         "time or the current time");
                return CDR_ERR_NOTFOUND;
        }
        key = &sealer->keys->keys[k];
        epoch = &sealer->epochs[k];
        if (!epoch->open || epoch->counter >= sealer->epoch_records) {
                rc = epoch_start(sealer, (size_t)k, errstr, errstr_size);
                if (rc != CDR_OK)
                        return rc;
        }

        if (cdr_buf_reserve(out, hlen) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "sealer: %s",
                         cdr_strerror(CDR_ERR_NOMEM));
                return CDR_ERR_NOMEM;
        }
        h = (uint8_t *)out->data;
        memcpy(h, SEALED_MAGIC, SEALED_MAGIC_LEN);
        h[SEALED_OFF_VERSION] = CDR_SEALED_VERSION;
        h[SEALED_OFF_KIND] = (uint8_t)kind;
        memcpy(h + SEALED_OFF_KEY_ID, key->key_id, CDR_KEY_ID_LEN);
        memcpy(h + SEALED_OFF_ENC, epoch->enc, CDR_HPKE_NENC);
        p = put_be(h + SEALED_OFF_COUNTER, epoch->counter, 8);
        if (kind != SEALED_SOURCE_NONE) {
                p = put_be(p, name_len, 2);
                memcpy(p, name, name_len);
                p += name_len;
                if (kind == SEALED_SOURCE_FILE) {
                        p = put_be(p, source->line, 8);
                } else {
                        p = put_be(p, (uint32_t)source->partition, 4);
                        put_be(p, (uint64_t)source->offset, 8);
                }
        }

        memcpy(nonce, epoch->prefix, SEALED_PREFIX_LEN);
        put_be(nonce + SEALED_PREFIX_LEN, epoch->counter, 8);
        /* The counter is spent before encrypting: a nonce is never used
         * twice, even after a failure half-way. */
        epoch->counter++;
        sealer->stream_key = (size_t)k;
        gen[0] = OSSL_PARAM_construct_octet_string(
            OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, used, sizeof(used));
        gen[1] = OSSL_PARAM_construct_end();
        if (EVP_CIPHER_CTX_get_params(epoch->cctx, gen) != 1 ||
            memcmp(used, nonce, sizeof(nonce)) != 0 ||
            EVP_EncryptUpdate(epoch->cctx, NULL, &n, h, (int)hlen) != 1)
                return seal_fail(sealer, out, errstr, errstr_size);
        out->len = hlen;
        out->data[out->len] = '\0';
        sealer->streaming = 1;
        sealer->stream_len = 0;
        return CDR_OK;
}

int cdr_sealer_update(cdr_sealer_t *sealer, const void *piece, size_t len,
                      cdr_buf_t *out, char *errstr, size_t errstr_size)
{
        const uint8_t *in = piece;
        EVP_CIPHER_CTX *cctx;
        uint8_t *p;
        int n;

        if (!sealer->streaming) {
                cdr_errf(errstr, errstr_size, "sealer: no record begun");
                return CDR_ERR_INVAL;
        }
        if (len > SEALED_RECORD_MAX - sealer->stream_len)
                return stream_abandon(sealer, CDR_ERR_TOOBIG, errstr,
                                      errstr_size);
        if (cdr_buf_reserve(out, len) != CDR_OK)
                return stream_abandon(sealer, CDR_ERR_NOMEM, errstr,
                                      errstr_size);
        cctx = sealer->epochs[sealer->stream_key].cctx;
        p = (uint8_t *)out->data + out->len;
        while (len > 0) {
                size_t step = len < SEALED_UPDATE_MAX ? len : SEALED_UPDATE_MAX;

                if (EVP_EncryptUpdate(cctx, p, &n, in, (int)step) != 1 ||
                    (size_t)n != step)
                        return seal_fail(sealer, out, errstr, errstr_size);
                p += step;
                in += step;
                len -= step;
                out->len += step;
                sealer->stream_len += step;
        }
        out->data[out->len] = '\0';
        return CDR_OK;
}

int cdr_sealer_finish(cdr_sealer_t *sealer, cdr_buf_t *out, char *errstr,
                      size_t errstr_size)
{
        EVP_CIPHER_CTX *cctx;
        OSSL_PARAM tag[2];
        uint8_t *p;
        int n;

        if (!sealer->streaming) {
                cdr_errf(errstr, errstr_size, "sealer: no record begun");
                return CDR_ERR_INVAL;
        }
        if (cdr_buf_reserve(out, SEALED_TAG_LEN) != CDR_OK)
                return stream_abandon(sealer, CDR_ERR_NOMEM, errstr,
                                      errstr_size);
        cctx = sealer->epochs[sealer->stream_key].cctx;
        p = (uint8_t *)out->data + out->len;
        tag[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                                   p, SEALED_TAG_LEN);
        tag[1] = OSSL_PARAM_construct_end();
        if (EVP_EncryptFinal_ex(cctx, p, &n) != 1 || n != 0 ||
            EVP_CIPHER_CTX_get_params(cctx, tag) != 1)
                return seal_fail(sealer, out, errstr, errstr_size);
        out->len += SEALED_TAG_LEN;
        out->data[out->len] = '\0';
        sealer->streaming = 0;
        return CDR_OK;
}

int cdr_sealer_seal(cdr_sealer_t *sealer, const void *rec, size_t len,
                    const cdr_source_t *source, int64_t event_time,
                    cdr_buf_t *out, char *errstr, size_t errstr_size)
{
        int rc;

        if (len > SEALED_RECORD_MAX) {
                cdr_buf_reset(out);
                cdr_errf(errstr, errstr_size,
                         "sealer: record of %zu bytes exceeds the format's "
                         "limit",
                         len);
                return CDR_ERR_TOOBIG;
        }
        rc = cdr_sealer_begin(sealer, source, event_time, out, errstr,
                              errstr_size);
        /* One allocation for the whole record, when the buffer grows. */
        if (rc == CDR_OK &&
            cdr_buf_reserve(out, len + SEALED_TAG_LEN) != CDR_OK) {
                sealer->streaming = 0;
                cdr_buf_reset(out);
                cdr_errf(errstr, errstr_size, "sealer: %s",
                         cdr_strerror(CDR_ERR_NOMEM));
                rc = CDR_ERR_NOMEM;
        }
        if (rc == CDR_OK && len > 0)
                rc = cdr_sealer_update(sealer, rec, len, out, errstr,
                                       errstr_size);
        if (rc == CDR_OK)
                rc = cdr_sealer_finish(sealer, out, errstr, errstr_size);
        return rc;
}
