/*
 * Keyed pseudonyms, HMAC-SHA256 with precomputed states, and the key ring.
 * See pseudonym.h and docs/pseudonyms.md.
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
#include "cdranon/keyfile.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
/* Inlined: a cache lookup hashes a value of a dozen bytes, for which the
 * call into the shared library costs as much as the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK         64 /* SHA-256 block */
#define PAD_MAX       55 /* most message bytes in a final block */
#define PSEUDONYM_MAC 16 /* bytes of the MAC kept in a pseudonym */
#define CACHE_VALUE   32 /* longest canonical value the cache holds */
#define CACHE_MAX     ((size_t)1 << 24)
#define HUGE_PAGE     ((size_t)2 << 20)
#define KEYFILE_MAX   ((size_t)1 << 20)
#define KEY_HEX       (2 * CDR_HMAC_KEY_LEN)
#define DOMAIN        "cdranon.v1."
#define NKINDS        4

typedef char cdr_key_id_t[CDR_KEY_ID_MAX + 1];

/* --- Memory for secrets -------------------------------------------- */

/* Key material, the states derived from it, file buffers holding hex keys
 * and the cache of canonical identifiers live in anonymous mappings kept
 * out of core dumps.  Secret regions are also locked in memory when the
 * system allows (a failed mlock is not an error: RLIMIT_MEMLOCK is often
 * small).  Every region is wiped before it is unmapped. */

static void *region_alloc(size_t size, int lock)
{
        void *p;

        if (size == 0)
                size = 1;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
#ifdef MADV_DONTDUMP
        (void)madvise(p, size, MADV_DONTDUMP);
#endif
        if (lock)
                (void)mlock(p, size);
        return p;
}

/* A region for the pseudonym cache: like region_alloc (not locked), and
 * aligned to and backed by 2 MiB pages where the system allows, because
 * the cache is read at random and would otherwise cost a TLB miss per
 * lookup.  Release it with region_free(p, size, 0). */
static void *region_alloc_huge(size_t size)
{
        size_t span, head;
        char *p;

        if (size < HUGE_PAGE)
                return region_alloc(size, 0);
        span = size + HUGE_PAGE;
        p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        head = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
        if (head > 0)
                munmap(p, head);
        munmap(p + head + size, span - head - size); /* never empty */
        p += head;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, size, MADV_HUGEPAGE);
#endif
#ifdef MADV_DONTDUMP
        (void)madvise(p, size, MADV_DONTDUMP);
#endif
        return p;
}

static void region_free(void *p, size_t size, int lock)
{
        if (p == NULL)
                return;
        if (size == 0)
                size = 1;
        OPENSSL_cleanse(p, size);
        if (lock)
                (void)munlock(p, size);
        munmap(p, size);
}

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
        hmac = region_alloc(sizeof(*hmac), 1);
        if (hmac == NULL)
                return NULL;
        hmac_init(hmac, key, keylen);
        return hmac;
}

void cdr_hmac_destroy(cdr_hmac_t *hmac)
{
        region_free(hmac, sizeof(*hmac), 1);
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

/* --- Key ring -------------------------------------------------------- */

struct cdr_keyring_s {
        size_t count;
        cdr_key_id_t *ids;
        unsigned char *keys; /* count * CDR_HMAC_KEY_LEN, locked region */
        size_t keys_size;
};

static int key_id_valid(const char *id, size_t len)
{
        size_t i;

        if (len == 0 || len > CDR_KEY_ID_MAX)
                return 0;
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char)id[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '_' || c == '-'))
                        return 0;
        }
        return 1;
}

static int hex_nibble(unsigned char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Two valid lower-case hex digits as a byte. */
static unsigned char hex_byte(const char *p)
{
        return (unsigned char)(hex_nibble((unsigned char)p[0]) << 4 |
                               hex_nibble((unsigned char)p[1]));
}

static int is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

static int find_id(const cdr_key_id_t *ids, size_t count, const char *id)
{
        size_t i;

        for (i = 0; i < count; i++)
                if (strcmp(ids[i], id) == 0)
                        return 1;
        return 0;
}

/* Parses key file text into ids[] and, when keys is not NULL, keys[]
 * (room for one entry per line of text).  Messages
 * name the line and the rule, never the text of a key. */
static int parse_ring(const char *path, const char *text, size_t len,
                      cdr_key_id_t *ids, unsigned char *keys, size_t *count,
                      char *errstr, size_t errstr_size)
{
        const char *p = text, *end = text + len;
        size_t lineno = 0, n = 0;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *q, *id, *hex;
                size_t idlen, hexlen, i;

                if (eol == NULL)
                        eol = end;
                lineno++;
                q = memchr(p, '#', (size_t)(eol - p));
                if (q == NULL)
                        q = eol;
                while (q > p && is_blank(q[-1]))
                        q--;
                while (p < q && is_blank(*p))
                        p++;
                if (p == q)
                        goto next;

                id = p;
                while (p < q && !is_blank(*p))
                        p++;
                idlen = (size_t)(p - id);
                if (idlen > CDR_KEY_ID_MAX) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: key id longer than %d characters",
                                 path, lineno, CDR_KEY_ID_MAX);
                        return CDR_ERR_INVAL;
                }
                if (!key_id_valid(id, idlen)) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: bad key id (allowed: A-Z a-z 0-9 "
                                 "_ -)",
                                 path, lineno);
                        return CDR_ERR_INVAL;
                }
                while (p < q && is_blank(*p))
                        p++;
                hex = p;
                while (p < q && !is_blank(*p))
                        p++;
                hexlen = (size_t)(p - hex);
                if (hexlen == 0) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: missing key after key id", path,
                                 lineno);
                        return CDR_ERR_INVAL;
                }
                if (p != q) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: unexpected text after key", path,
                                 lineno);
                        return CDR_ERR_INVAL;
                }
                if (hexlen != KEY_HEX) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: key is not %d hex digits", path,
                                 lineno, KEY_HEX);
                        return CDR_ERR_INVAL;
                }
                for (i = 0; i < KEY_HEX; i++) {
                        if (hex_nibble((unsigned char)hex[i]) < 0) {
                                cdr_errf(errstr, errstr_size,
                                         "%s:%zu: key is not lower-case "
                                         "hex",
                                         path, lineno);
                                return CDR_ERR_INVAL;
                        }
                }
                memcpy(ids[n], id, idlen);
                ids[n][idlen] = '\0';
                if (find_id(ids, n, ids[n])) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: duplicate key id '%s'", path, lineno,
                                 ids[n]);
                        return CDR_ERR_INVAL;
                }
                if (keys != NULL) {
                        unsigned char *key = keys + n * CDR_HMAC_KEY_LEN;
                        for (i = 0; i < CDR_HMAC_KEY_LEN; i++)
                                key[i] = hex_byte(hex + 2 * i);
                }
                n++;
        next:
                p = eol + 1;
        }
        *count = n;
        return CDR_OK;
}

/* Reads an open key file (whose size fstat gave) into a locked region
 * that the caller releases with region_free(*text, *size, 1). */
static int read_file(const char *path, int fd, const struct stat *st,
                     char **text, size_t *len, size_t *size, char *errstr,
                     size_t errstr_size)
{
        size_t cap, n = 0;
        char *buf;

        if ((uintmax_t)st->st_size > KEYFILE_MAX) {
                cdr_errf(errstr, errstr_size, "%s: larger than %zu bytes", path,
                         KEYFILE_MAX);
                return CDR_ERR_TOOBIG;
        }
        cap = (size_t)st->st_size;
        buf = region_alloc(cap, 1);
        if (buf == NULL) {
                cdr_errf(errstr, errstr_size, "%s: out of memory", path);
                return CDR_ERR_NOMEM;
        }
        while (n < cap) {
                ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        cdr_errf(errstr, errstr_size, "%s: %s", path,
                                 strerror(errno));
                        region_free(buf, cap, 1);
                        return CDR_ERR_IO;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        *text = buf;
        *len = n;
        *size = cap;
        return CDR_OK;
}

static size_t count_lines(const char *text, size_t len)
{
        size_t n = 1, i;

        for (i = 0; i < len; i++)
                n += text[i] == '\n';
        return n;
}

void cdr_keyring_destroy(cdr_keyring_t *ring)
{
        if (ring == NULL)
                return;
        region_free(ring->keys, ring->keys_size, 1);
        free(ring->ids);
        free(ring);
}

cdr_keyring_t *cdr_keyring_load(const char *path, char *errstr,
                                size_t errstr_size)
{
        cdr_keyring_t *ring = NULL;
        char *text = NULL;
        size_t len = 0, text_size = 0, cap;
        struct stat st;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) != 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                goto err;
        }
        if (cdr_keyfile_check(fd, path, &st, "key file", errstr, errstr_size) !=
            CDR_OK)
                goto err;
        if (read_file(path, fd, &st, &text, &len, &text_size, errstr,
                      errstr_size) != CDR_OK)
                goto err;

        ring = calloc(1, sizeof(*ring));
        if (ring == NULL)
                goto nomem;
        cap = count_lines(text, len);
        ring->ids = calloc(cap, sizeof(*ring->ids));
        ring->keys_size = cap * CDR_HMAC_KEY_LEN;
        ring->keys = region_alloc(ring->keys_size, 1);
        if (ring->ids == NULL || ring->keys == NULL)
                goto nomem;
        if (parse_ring(path, text, len, ring->ids, ring->keys, &ring->count,
                       errstr, errstr_size) != CDR_OK)
                goto err;
        if (ring->count == 0) {
                cdr_errf(errstr, errstr_size, "%s: no keys", path);
                goto err;
        }
        region_free(text, text_size, 1);
        close(fd);
        return ring;

nomem:
        cdr_errf(errstr, errstr_size, "%s: out of memory", path);
err:
        cdr_keyring_destroy(ring);
        region_free(text, text_size, 1);
        close(fd);
        return NULL;
}

size_t cdr_keyring_count(const cdr_keyring_t *ring)
{
        return ring->count;
}

const char *cdr_keyring_id(const cdr_keyring_t *ring, size_t i)
{
        return i < ring->count ? ring->ids[i] : NULL;
}

const char *cdr_keyring_active_id(const cdr_keyring_t *ring)
{
        return ring->ids[ring->count - 1];
}

/* The first of kYYYYMMDD, kYYYYMMDD-2, kYYYYMMDD-3, ... (today, UTC) not
 * in ids. */
static int default_id(const cdr_key_id_t *ids, size_t count, cdr_key_id_t out)
{
        char base[CDR_KEY_ID_MAX + 1];
        time_t now = time(NULL);
        struct tm tm;
        unsigned k;

        if (gmtime_r(&now, &tm) == NULL ||
            strftime(base, sizeof(base), "k%Y%m%d", &tm) == 0)
                return CDR_ERR_INVAL;
        snprintf(out, CDR_KEY_ID_MAX + 1, "%s", base);
        for (k = 2; find_id(ids, count, out); k++) {
                int w = snprintf(out, CDR_KEY_ID_MAX + 1, "%s-%u", base, k);
                if (w < 0 || w > CDR_KEY_ID_MAX)
                        return CDR_ERR_INVAL;
        }
        return CDR_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Makes a new directory entry durable; failure is not reported because
 * the key itself has already been written and synced. */
static void sync_parent_dir(const char *path)
{
        char *copy = strdup(path);
        int dfd;

        if (copy == NULL)
                return;
        dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void)fsync(dfd);
                close(dfd);
        }
        free(copy);
}

int cdr_keyring_append_new(const char *path, const char *id, char *new_id,
                           char *errstr, size_t errstr_size)
{
        unsigned char key[CDR_HMAC_KEY_LEN];
        char line[CDR_KEY_ID_MAX + KEY_HEX + 4];
        cdr_key_id_t *ids = NULL, chosen;
        char *text = NULL;
        size_t len = 0, text_size = 0, cap, count = 0, n, i;
        struct stat st;
        int fd, created = 0, rc;

        if (id != NULL && !key_id_valid(id, strlen(id))) {
                cdr_errf(errstr, errstr_size,
                         "bad key id (1 to %d of A-Z a-z 0-9 _ -)",
                         CDR_KEY_ID_MAX);
                return CDR_ERR_INVAL;
        }
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
                created = 1;
                if (fchmod(fd, 0600) != 0) {
                        cdr_errf(errstr, errstr_size, "%s: chmod: %s", path,
                                 strerror(errno));
                        rc = CDR_ERR_IO;
                        goto out;
                }
        } else if (errno == EEXIST) {
                fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY |
                                    O_NONBLOCK);
        }
        if (fd < 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return CDR_ERR_IO;
        }
        /* Two writers appending at once could both pick the same id. */
        if (flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                rc = CDR_ERR_IO;
                goto out;
        }
        rc = cdr_keyfile_check(fd, path, &st, "key file", errstr, errstr_size);
        if (rc != CDR_OK)
                goto out;
        rc = read_file(path, fd, &st, &text, &len, &text_size, errstr,
                       errstr_size);
        if (rc != CDR_OK)
                goto out;
        cap = count_lines(text, len);
        ids = calloc(cap, sizeof(*ids));
        if (ids == NULL) {
                cdr_errf(errstr, errstr_size, "%s: out of memory", path);
                rc = CDR_ERR_NOMEM;
                goto out;
        }
        rc =
            parse_ring(path, text, len, ids, NULL, &count, errstr, errstr_size);
        if (rc != CDR_OK)
                goto out;

        if (id == NULL) {
                rc = default_id(ids, count, chosen);
                if (rc != CDR_OK) {
                        cdr_errf(errstr, errstr_size,
                                 "%s: no free default key id", path);
                        goto out;
                }
        } else {
                snprintf(chosen, sizeof(chosen), "%s", id);
                if (find_id(ids, count, chosen)) {
                        cdr_errf(errstr, errstr_size,
                                 "%s: key id '%s' is already in use", path,
                                 chosen);
                        rc = CDR_ERR_INVAL;
                        goto out;
                }
        }

        if (RAND_priv_bytes(key, sizeof(key)) != 1) {
                cdr_errf(errstr, errstr_size, "no random bytes for a new key");
                rc = CDR_ERR_CRYPTO;
                goto out;
        }
        n = 0;
        if (len > 0 && text[len - 1] != '\n')
                line[n++] = '\n';
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s ", chosen);
        for (i = 0; i < sizeof(key); i++) {
                line[n++] = "0123456789abcdef"[key[i] >> 4];
                line[n++] = "0123456789abcdef"[key[i] & 15];
        }
        line[n++] = '\n';
        if (write_all(fd, line, n) != 0 || fsync(fd) != 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                rc = CDR_ERR_IO;
                goto out;
        }
        if (created)
                sync_parent_dir(path);
        if (new_id != NULL)
                memcpy(new_id, chosen, strlen(chosen) + 1);
        rc = CDR_OK;

out:
        OPENSSL_cleanse(key, sizeof(key));
        OPENSSL_cleanse(line, sizeof(line));
        region_free(text, text_size, 1);
        free(ids);
        if (fd >= 0)
                close(fd);
        if (rc != CDR_OK && created)
                unlink(path);
        return rc;
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

cdr_pseudonymiser_t *cdr_pseudonymiser_new(const cdr_keyring_t *ring,
                                           size_t key_index,
                                           size_t cache_entries, char *errstr,
                                           size_t errstr_size)
{
        cdr_pseudonymiser_t *ps;
        size_t entries, k;

        if (ring == NULL || key_index >= ring->count) {
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
        ps = region_alloc(sizeof(*ps), 1);
        if (ps == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        hmac_init(&ps->hmac, ring->keys + key_index * CDR_HMAC_KEY_LEN,
                  CDR_HMAC_KEY_LEN);
        memcpy(ps->key_id, ring->ids[key_index], sizeof(ps->key_id));
        ps->prefix_len = (size_t)snprintf(ps->prefix, sizeof(ps->prefix),
                                          "%s:", ring->ids[key_index]);
        for (k = 0; k < NKINDS; k++) {
                int w = snprintf((char *)ps->domain[k], BLOCK, "%s%s", DOMAIN,
                                 kind_names[k]);
                ps->domain_len[k] = (unsigned char)(w + 1); /* with NUL */
        }
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
                ps->cache = region_alloc_huge(ps->cache_size);
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
        region_free(ps->cache, ps->cache_size, 0);
        region_free(ps, sizeof(*ps), 1);
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
        if (ps->domain_len[kind] + len <= PAD_MAX) {
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
