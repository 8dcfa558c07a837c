/*
 * Keyed pseudonyms and HMAC-SHA256 with precomputed states.  See
 * pseudonym.h and docs/pseudonyms.md; the keys come from keyring.c.
 *
 * HMAC is built from OpenSSL's low-level SHA-256 block function rather
 * than HMAC() or EVP_MAC: those set up the key (two compressions) or
 * duplicate a context on every call, which costs several times the two
 * compressions a short message needs (bench/bench_pseudonym.c).  The low-level
 * functions are deprecated in OpenSSL 3.0 but present, and use SHA-NI or AVX2
 * where the CPU has them; this is the only file that uses them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "cdranon/pseudonym.h"
#include "secmem.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
/* Inlined: a cache lookup hashes a value of a dozen bytes, for which the
 * call into the shared library costs as much as the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdio.h>
#include <string.h>

#define BLOCK         64 /* SHA-256 block */
#define PAD_MAX       55 /* most message bytes in a final block */
#define PSEUDONYM_MAC 16 /* bytes of the MAC kept in a pseudonym */
#define CACHE_VALUE   32 /* longest canonical value the cache holds */
#define CACHE_MAX     ((size_t)1 << 24)
#define DOMAIN        "cdranon.v1."
#define DOMAIN_V2     "cdranon.v2."
#define NKINDS        4

typedef char cdr_key_id_t[CDR_KEY_ID_MAX + 1];

/* --- HMAC-SHA256 ----------------------------------------------------- */

struct cdr_hmac_s {
        SHA256_CTX inner; /* after absorbing key ^ ipad */
        SHA256_CTX outer; /* after absorbing key ^ opad */
};

/* Byte swaps rather than byte-at-a-time stores: compilers otherwise turn
 * the eight-word loops below into long vector shuffles. */
static inline void store_be32(unsigned char *p, uint32_t v)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap32(v);
        memcpy(p, &v, sizeof(v));
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        memcpy(p, &v, sizeof(v));
#else
        p[0] = (unsigned char)(v >> 24);
        p[1] = (unsigned char)(v >> 16);
        p[2] = (unsigned char)(v >> 8);
        p[3] = (unsigned char)v;
#endif
}

static inline void store_be64(unsigned char *p, uint64_t v)
{
        store_be32(p, (uint32_t)(v >> 32));
        store_be32(p + 4, (uint32_t)v);
}

static void hmac_init(struct cdr_hmac_s *hmac, const unsigned char *key,
                      size_t keylen)
{
        unsigned char k0[BLOCK], pad[BLOCK];
        size_t i;

        memset(k0, 0, sizeof(k0));
        if (keylen > BLOCK)
                SHA256(key, keylen, k0);
        else if (keylen > 0)
                memcpy(k0, key, keylen);
        for (i = 0; i < BLOCK; i++)
                pad[i] = k0[i] ^ 0x36;
        SHA256_Init(&hmac->inner);
        SHA256_Update(&hmac->inner, pad, BLOCK);
        for (i = 0; i < BLOCK; i++)
                pad[i] = k0[i] ^ 0x5c;
        SHA256_Init(&hmac->outer);
        SHA256_Update(&hmac->outer, pad, BLOCK);
        OPENSSL_cleanse(k0, sizeof(k0));
        OPENSSL_cleanse(pad, sizeof(pad));
}

/* The outer hash of HMAC: mac[0..maclen) = SHA-256(key ^ opad || inner),
 * maclen <= 32, where block[0..32) holds the inner digest on entry.  The
 * digest always fits one block; the block is overwritten. */
static inline void hmac_outer(const struct cdr_hmac_s *hmac,
                              unsigned char block[BLOCK], unsigned char *mac,
                              size_t maclen)
{
        SHA256_CTX ctx;
        size_t i;

        block[SHA256_DIGEST_LENGTH] = 0x80;
        memset(block + SHA256_DIGEST_LENGTH + 1, 0,
               PAD_MAX - SHA256_DIGEST_LENGTH);
        store_be64(block + PAD_MAX + 1,
                   (uint64_t)(BLOCK + SHA256_DIGEST_LENGTH) * 8);
        memcpy(ctx.h, hmac->outer.h, sizeof(ctx.h));
        SHA256_Transform(&ctx, block);
        for (i = 0; i < 8; i++)
                store_be32(block + 4 * i, ctx.h[i]);
        memcpy(mac, block, maclen);
}

/* HMAC of a message of n <= PAD_MAX bytes already in block[0..n), with
 * block[n..64) zero: two compressions on copies of the precomputed
 * states.  The block is overwritten. */
static inline void hmac_short(const struct cdr_hmac_s *hmac,
                              unsigned char block[BLOCK], size_t n,
                              unsigned char *mac, size_t maclen)
{
        SHA256_CTX ctx;
        size_t i;

        block[n] = 0x80;
        store_be64(block + PAD_MAX + 1, (uint64_t)(BLOCK + n) * 8);
        memcpy(ctx.h, hmac->inner.h, sizeof(ctx.h));
        SHA256_Transform(&ctx, block);
        for (i = 0; i < 8; i++)
                store_be32(block + 4 * i, ctx.h[i]);
        hmac_outer(hmac, block, mac, maclen);
}

/* mac[0..maclen) = HMAC(key, a || b), maclen <= 32, for any lengths. */
static void hmac_parts(const struct cdr_hmac_s *hmac, const void *a,
                       size_t alen, const void *b, size_t blen,
                       unsigned char *mac, size_t maclen)
{
        unsigned char block[BLOCK];
        SHA256_CTX ctx;

        if (alen + blen <= PAD_MAX) {
                memset(block, 0, sizeof(block));
                if (alen)
                        memcpy(block, a, alen);
                if (blen)
                        memcpy(block + alen, b, blen);
                hmac_short(hmac, block, alen + blen, mac, maclen);
                return;
        }
        ctx = hmac->inner;
        SHA256_Update(&ctx, a, alen);
        SHA256_Update(&ctx, b, blen);
        SHA256_Final(block, &ctx);
        hmac_outer(hmac, block, mac, maclen);
}

cdr_hmac_t *cdr_hmac_new(const unsigned char *key, size_t keylen)
{
        cdr_hmac_t *hmac;

        if (key == NULL && keylen > 0)
                return NULL;
        hmac = cdr_secmem_alloc(sizeof(*hmac), 1);
        if (hmac == NULL)
                return NULL;
        hmac_init(hmac, key, keylen);
        return hmac;
}

void cdr_hmac_destroy(cdr_hmac_t *hmac)
{
        cdr_secmem_free(hmac, sizeof(*hmac), 1);
}

void cdr_hmac_compute(const cdr_hmac_t *hmac, const void *msg, size_t len,
                      unsigned char mac[32])
{
        hmac_parts(hmac, msg, len, NULL, 0, mac, SHA256_DIGEST_LENGTH);
}

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

size_t cdr_base32_encode(const unsigned char *in, size_t len, char *out)
{
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t i, n = 0;

        for (i = 0; i < len; i++) {
                acc = acc << 8 | in[i];
                bits += 8;
                while (bits >= 5) {
                        bits -= 5;
                        out[n++] = alphabet[(acc >> bits) & 31];
                }
        }
        if (bits > 0)
                out[n++] = alphabet[(acc << (5 - bits)) & 31];
        out[n] = '\0';
        return n;
}

/* --- Pseudonymiser --------------------------------------------------- */

/* One direct-mapped slot, a cache line wide.  tag is kind + 1 (0 = empty);
 * an entry is used only when tag, len and every byte of canon match. */
struct cache_entry {
        _Alignas(64) unsigned char tag;
        unsigned char len;
        char canon[CACHE_VALUE];
        char b32[CDR_PSEUDONYM_B32LEN];
};
_Static_assert(sizeof(struct cache_entry) == 64, "a cache entry is one line");

struct cdr_pseudonymiser_s {
        struct cdr_hmac_s hmac;
        struct cache_entry *cache; /* NULL: no cache */
        size_t cache_size;         /* bytes mapped */
        size_t mask;               /* entries - 1 */
        uint64_t seed;             /* xxHash seed, random per instance */
        uint64_t hits;
        uint64_t misses;
        cdr_key_id_t key_id;
        size_t prefix_len;
        char prefix[CDR_KEY_ID_MAX + 2]; /* "key_id:" */
        /* Per kind, a block that starts with "cdranon.v1." kind 0x00
         * (domain_len bytes) followed by zeros. */
        unsigned char domain_len[NKINDS];
        unsigned char domain[NKINDS][BLOCK];
        /* v2: "cdranon.v2." kind 0x00 pseudonym_domain 0x00; empty: v1.
         * Longer prefixes than a block go through hmac_parts(). */
        char pdomain[CDR_PSEUDONYM_DOMAIN_MAX + 1];
        size_t prefix2_len[NKINDS];
        unsigned char prefix2[NKINDS][BLOCK + CDR_PSEUDONYM_DOMAIN_MAX + 16];
        char b32_pairs[1024][2]; /* see base32_mac() */
};

/* base32 of a pseudonym's 16 MAC bytes, two characters per table lookup
 * (b32_pairs[v] spells the 10-bit value v): 3 groups of 5 bytes make 8
 * characters each, and the last byte, padded with 2 zero bits, 2 more. */
static inline void base32_mac(const cdr_pseudonymiser_t *ps,
                              const unsigned char in[PSEUDONYM_MAC], char *out)
{
        int g;

        for (g = 0; g < 3; g++, in += 5, out += 8) {
                uint64_t acc = (uint64_t)in[0] << 32 | (uint64_t)in[1] << 24 |
                               (uint64_t)in[2] << 16 | (uint64_t)in[3] << 8 |
                               in[4];
                memcpy(out, ps->b32_pairs[(acc >> 30) & 1023], 2);
                memcpy(out + 2, ps->b32_pairs[(acc >> 20) & 1023], 2);
                memcpy(out + 4, ps->b32_pairs[(acc >> 10) & 1023], 2);
                memcpy(out + 6, ps->b32_pairs[acc & 1023], 2);
        }
        memcpy(out, ps->b32_pairs[(unsigned)in[0] << 2], 2);
        out[2] = '\0';
}

static const char *const kind_names[NKINDS] = {
    [CDR_KIND_MSISDN] = "msisdn",
    [CDR_KIND_IMSI] = "imsi",
    [CDR_KIND_IMEI] = "imei",
    [CDR_KIND_ID] = "id",
};

static void set_v1(cdr_pseudonymiser_t *ps);

cdr_pseudonymiser_t *cdr_pseudonymiser_new(const cdr_keyring_t *ring,
                                           size_t key_index,
                                           size_t cache_entries, char *errstr,
                                           size_t errstr_size)
{
        cdr_pseudonymiser_t *ps;
        size_t entries, k;

        if (ring == NULL || key_index >= cdr_keyring_count(ring)) {
                cdr_errf(errstr, errstr_size,
                         "key index %zu is not in the key ring", key_index);
                return NULL;
        }
        if (cache_entries > CACHE_MAX) {
                cdr_errf(errstr, errstr_size,
                         "pseudonym cache of %zu entries is over the limit "
                         "of %zu",
                         cache_entries, CACHE_MAX);
                return NULL;
        }
        ps = cdr_secmem_alloc(sizeof(*ps), 1);
        if (ps == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        hmac_init(&ps->hmac, cdr_keyring_key(ring, key_index),
                  CDR_HMAC_KEY_LEN);
        snprintf(ps->key_id, sizeof(ps->key_id), "%s",
                 cdr_keyring_id(ring, key_index));
        ps->prefix_len =
            (size_t)snprintf(ps->prefix, sizeof(ps->prefix), "%s:", ps->key_id);
        set_v1(ps);
        for (k = 0; k < 1024; k++) {
                ps->b32_pairs[k][0] = alphabet[k >> 5];
                ps->b32_pairs[k][1] = alphabet[k & 31];
        }
        if (cache_entries > 0) {
                for (entries = 1; entries < cache_entries; entries <<= 1)
                        ;
                ps->mask = entries - 1;
                ps->cache_size = entries * sizeof(struct cache_entry);
                /* Anonymous pages are zero: every tag starts empty. */
                ps->cache = cdr_secmem_alloc_huge(ps->cache_size);
                if (ps->cache == NULL || RAND_bytes((unsigned char *)&ps->seed,
                                                    sizeof(ps->seed)) != 1) {
                        cdr_errf(errstr, errstr_size,
                                 "cannot set up a pseudonym cache of %zu "
                                 "entries",
                                 entries);
                        cdr_pseudonymiser_destroy(ps);
                        return NULL;
                }
        }
        return ps;
}

void cdr_pseudonymiser_destroy(cdr_pseudonymiser_t *ps)
{
        if (ps == NULL)
                return;
        cdr_secmem_free(ps->cache, ps->cache_size, 0);
        cdr_secmem_free(ps, sizeof(*ps), 1);
}

/* The slot that may hold canon[0..len) as kind.  The seed keeps chosen
 * values from all landing in one slot; the kind is mixed in so that equal
 * values of two kinds do not share one. */
static inline struct cache_entry *cache_slot(const cdr_pseudonymiser_t *ps,
                                             cdr_kind_t kind, const char *canon,
                                             size_t len)
{
        uint64_t h =
            XXH3_64bits_withSeed(canon, len, ps->seed + (unsigned)kind);

        return &ps->cache[h & ps->mask];
}

void cdr_pseudonymise_prefetch(const cdr_pseudonymiser_t *ps, cdr_kind_t kind,
                               const char *canon, size_t len)
{
#if defined(__GNUC__)
        if (ps->cache != NULL && (unsigned)kind < NKINDS && len <= CACHE_VALUE)
                __builtin_prefetch(cache_slot(ps, kind, canon, len));
#else
        (void)ps;
        (void)kind;
        (void)canon;
        (void)len;
#endif
}

/* An unknown kind yields the empty string and length 0. */
size_t cdr_pseudonymise(cdr_pseudonymiser_t *ps, cdr_kind_t kind,
                        const char *canon, size_t len, char *out)
{
        unsigned char mac[PSEUDONYM_MAC];
        struct cache_entry *e = NULL;
        char *b32 = out + ps->prefix_len;

        if ((unsigned)kind >= NKINDS) {
                out[0] = '\0';
                return 0;
        }
        /* A fixed-size copy (out has room for it); the base32 text
         * overwrites whatever follows the prefix. */
        memcpy(out, ps->prefix, sizeof(ps->prefix));
        if (ps->cache != NULL && len <= CACHE_VALUE) {
                e = cache_slot(ps, kind, canon, len);
                if (e->tag == (unsigned)kind + 1 && e->len == len &&
                    memcmp(e->canon, canon, len) == 0) {
                        ps->hits++;
                        memcpy(b32, e->b32, CDR_PSEUDONYM_B32LEN);
                        b32[CDR_PSEUDONYM_B32LEN] = '\0';
                        return ps->prefix_len + CDR_PSEUDONYM_B32LEN;
                }
        }
        ps->misses++;
        if (ps->prefix2_len[kind] >= BLOCK) {
                hmac_parts(&ps->hmac, ps->prefix2[kind], ps->prefix2_len[kind],
                           canon, len, mac, sizeof(mac));
        } else if (ps->domain_len[kind] + len <= PAD_MAX) {
                unsigned char block[BLOCK];
                memcpy(block, ps->domain[kind], BLOCK);
                memcpy(block + ps->domain_len[kind], canon, len);
                hmac_short(&ps->hmac, block, ps->domain_len[kind] + len, mac,
                           sizeof(mac));
        } else {
                hmac_parts(&ps->hmac, ps->domain[kind], ps->domain_len[kind],
                           canon, len, mac, sizeof(mac));
        }
        base32_mac(ps, mac, b32);
        if (e != NULL) {
                e->tag = (unsigned char)(kind + 1);
                e->len = (unsigned char)len;
                memcpy(e->canon, canon, len);
                memcpy(e->b32, b32, CDR_PSEUDONYM_B32LEN);
        }
        return ps->prefix_len + CDR_PSEUDONYM_B32LEN;
}

static void set_v1(cdr_pseudonymiser_t *ps)
{
        size_t k;

        for (k = 0; k < NKINDS; k++) {
                int w = snprintf((char *)ps->domain[k], BLOCK, "%s%s", DOMAIN,
                                 kind_names[k]);
                memset(ps->domain[k] + w, 0, (size_t)(BLOCK - w));
                ps->domain_len[k] = (unsigned char)(w + 1); /* with NUL */
                ps->prefix2_len[k] = 0;
        }
        ps->pdomain[0] = '\0';
}

int cdr_pseudonymiser_set_domain(cdr_pseudonymiser_t *ps, const char *domain,
                                 char *errstr, size_t errstr_size)
{
        size_t dlen = domain != NULL ? strlen(domain) : 0, k;

        if (dlen > CDR_PSEUDONYM_DOMAIN_MAX) {
                cdr_errf(errstr, errstr_size,
                         "pseudonym domain of %zu bytes is over the limit of "
                         "%d",
                         dlen, CDR_PSEUDONYM_DOMAIN_MAX);
                return CDR_ERR_INVAL;
        }
        if (strcmp(ps->pdomain, dlen ? domain : "") == 0)
                return 0;
        /* Cached pseudonyms belong to the old domain. */
        if (ps->cache != NULL)
                memset(ps->cache, 0, ps->cache_size);
        if (dlen == 0) {
                set_v1(ps);
                return 0;
        }
        memcpy(ps->pdomain, domain, dlen + 1);
        for (k = 0; k < NKINDS; k++) {
                unsigned char *p = ps->prefix2[k];
                size_t kl = strlen(kind_names[k]), n = 0;

                memcpy(p, DOMAIN_V2, sizeof(DOMAIN_V2) - 1);
                n += sizeof(DOMAIN_V2) - 1;
                memcpy(p + n, kind_names[k], kl);
                n += kl;
                p[n++] = 0x00;
                memcpy(p + n, domain, dlen);
                n += dlen;
                p[n++] = 0x00;
                ps->prefix2_len[k] = n;
                if (n < BLOCK) {
                        memset(ps->domain[k], 0, BLOCK);
                        memcpy(ps->domain[k], p, n);
                        ps->domain_len[k] = (unsigned char)n;
                } else {
                        ps->domain_len[k] = BLOCK; /* never the short path */
                }
        }
        return 0;
}

const char *cdr_pseudonymiser_domain(const cdr_pseudonymiser_t *ps)
{
        return ps->pdomain;
}

const char *cdr_pseudonymiser_key_id(const cdr_pseudonymiser_t *ps)
{
        return ps->key_id;
}

void cdr_pseudonymiser_stats(const cdr_pseudonymiser_t *ps,
                             cdr_pseudonym_stats_t *stats)
{
        stats->hits = ps->hits;
        stats->misses = ps->misses;
}
