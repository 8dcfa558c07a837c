/*
 * The key ring: see keyring.h and docs/pseudonyms.md.
 */
#include "cdranon/keyring.h"
#include "cdranon/keyfile.h"
#include "cdranon/util.h"
#include "secmem.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEYFILE_MAX ((size_t)1 << 20)
#define KEY_HEX     (2 * CDR_HMAC_KEY_LEN)

typedef char cdr_key_id_t[CDR_KEY_ID_MAX + 1];

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
 * that the caller releases with cdr_secmem_free(*text, *size, 1). */
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
        buf = cdr_secmem_alloc(cap, 1);
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
                        cdr_secmem_free(buf, cap, 1);
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
        cdr_secmem_free(ring->keys, ring->keys_size, 1);
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
        ring->keys = cdr_secmem_alloc(ring->keys_size, 1);
        if (ring->ids == NULL || ring->keys == NULL)
                goto nomem;
        if (parse_ring(path, text, len, ring->ids, ring->keys, &ring->count,
                       errstr, errstr_size) != CDR_OK)
                goto err;
        if (ring->count == 0) {
                cdr_errf(errstr, errstr_size, "%s: no keys", path);
                goto err;
        }
        cdr_secmem_free(text, text_size, 1);
        close(fd);
        return ring;

nomem:
        cdr_errf(errstr, errstr_size, "%s: out of memory", path);
err:
        cdr_keyring_destroy(ring);
        cdr_secmem_free(text, text_size, 1);
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

const unsigned char *cdr_keyring_key(const cdr_keyring_t *ring, size_t i)
{
        return i < ring->count ? ring->keys + i * CDR_HMAC_KEY_LEN : NULL;
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
        if (cdr_write_all(fd, line, n) != 0 || fsync(fd) != 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                rc = CDR_ERR_IO;
                goto out;
        }
        if (created)
                cdr_keyfile_sync_dir(path);
        if (new_id != NULL)
                memcpy(new_id, chosen, strlen(chosen) + 1);
        rc = CDR_OK;

out:
        OPENSSL_cleanse(key, sizeof(key));
        OPENSSL_cleanse(line, sizeof(line));
        cdr_secmem_free(text, text_size, 1);
        free(ids);
        if (fd >= 0)
                close(fd);
        if (rc != CDR_OK && created)
                unlink(path);
        return rc;
}
