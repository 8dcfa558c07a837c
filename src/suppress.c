/*
 * The suppression list (opt-outs): a set of canonical msisdns loaded from
 * a file, see suppress.h.
 *
 * The set is an open-addressing hash table with linear probing, keyed by
 * XXH3 of the canonical string; entries keep the full string, so a hash
 * collision never makes a false hit.  The table and the string arena hold
 * raw subscriber numbers: every block is wiped before it is freed,
 * including the old blocks when they grow, and so are the read buffers
 * used at load.
 */
#include "cdranon/suppress.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct {
        uint64_t hash;
        uint32_t off; /* in the arena */
        uint32_t len; /* 0: empty slot */
} entry_t;

struct cdr_suppress_s {
        entry_t *slots;
        size_t cap; /* power of two */
        size_t count;
        char *arena;
        size_t arena_len;
        size_t arena_cap;
};

/* Moves a block of `used` bytes into a new one of `newsize`, wiping and
 * freeing the old one. */
static void *grow_wiped(void *old, size_t used, size_t oldsize, size_t newsize)
{
        void *p = calloc(1, newsize);

        if (p == NULL)
                return NULL;
        if (old) {
                memcpy(p, old, used);
                OPENSSL_cleanse(old, oldsize);
                free(old);
        }
        return p;
}

static int set_rehash(cdr_suppress_t *set, size_t newcap)
{
        entry_t *slots = calloc(newcap, sizeof(*slots));
        size_t i;

        if (slots == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < set->cap; i++) {
                size_t j;

                if (set->slots[i].len == 0)
                        continue;
                j = (size_t)set->slots[i].hash & (newcap - 1);
                while (slots[j].len != 0)
                        j = (j + 1) & (newcap - 1);
                slots[j] = set->slots[i];
        }
        if (set->slots) {
                OPENSSL_cleanse(set->slots, set->cap * sizeof(*set->slots));
                free(set->slots);
        }
        set->slots = slots;
        set->cap = newcap;
        return CDR_OK;
}

/* Index of the slot holding canon, or of the empty slot where it would
 * go. */
static size_t set_probe(const cdr_suppress_t *set, uint64_t hash,
                        const char *canon, size_t len)
{
        size_t j = (size_t)hash & (set->cap - 1);

        while (set->slots[j].len != 0) {
                const entry_t *e = &set->slots[j];

                if (e->hash == hash && e->len == len &&
                    memcmp(set->arena + e->off, canon, len) == 0)
                        return j;
                j = (j + 1) & (set->cap - 1);
        }
        return j;
}

static int set_insert(cdr_suppress_t *set, const char *canon, size_t len)
{
        uint64_t hash = XXH3_64bits(canon, len);
        size_t j;

        if (len == 0 || len > UINT32_MAX)
                return CDR_ERR_INVAL;
        /* Load factor at most 1/2 keeps probe sequences short. */
        if ((set->count + 1) * 2 > set->cap &&
            set_rehash(set, set->cap ? set->cap * 2 : 64) != CDR_OK)
                return CDR_ERR_NOMEM;
        j = set_probe(set, hash, canon, len);
        if (set->slots[j].len != 0)
                return CDR_OK; /* listed twice */
        if (set->arena_len + len > set->arena_cap) {
                size_t cap = set->arena_cap ? set->arena_cap * 2 : 4096;
                char *p;

                while (cap < set->arena_len + len)
                        cap *= 2;
                if (cap > UINT32_MAX)
                        return CDR_ERR_TOOBIG;
                p = grow_wiped(set->arena, set->arena_len, set->arena_cap, cap);
                if (p == NULL)
                        return CDR_ERR_NOMEM;
                set->arena = p;
                set->arena_cap = cap;
        }
        memcpy(set->arena + set->arena_len, canon, len);
        set->slots[j].hash = hash;
        set->slots[j].off = (uint32_t)set->arena_len;
        set->slots[j].len = (uint32_t)len;
        set->arena_len += len;
        set->count++;
        return CDR_OK;
}

static int is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
               c == '\f';
}

cdr_suppress_t *cdr_suppress_load(const char *path, const cdr_numbering_t *plan,
                                  char *errstr, size_t errstr_size)
{
        cdr_suppress_t *set = NULL;
        char iobuf[BUFSIZ];
        char canon[CDR_CANON_MAX];
        char *line = NULL;
        size_t linecap = 0, lineno = 0;
        FILE *f = NULL;
        ssize_t got;
        int rc;

        set = calloc(1, sizeof(*set));
        if (set == NULL) {
                cdr_errf(errstr, errstr_size, "%s: out of memory", path);
                goto err;
        }
        f = fopen(path, "r");
        if (f == NULL) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                goto err;
        }
        /* stdio's buffer holds raw numbers: use one that is wiped. */
        setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
        while ((got = getline(&line, &linecap, f)) >= 0) {
                size_t len = (size_t)got, start = 0, outlen = 0;
                cdr_numclass_t cls = CDR_NUM_PERSONAL;
                const cdr_rule_t *rule = NULL;
                char *hash;

                lineno++;
                hash = memchr(line, '#', len);
                if (hash)
                        len = (size_t)(hash - line);
                while (start < len && is_space(line[start]))
                        start++;
                while (len > start && is_space(line[len - 1]))
                        len--;
                if (len == start)
                        continue;
                if (cdr_number_canonical(plan, CDR_KIND_MSISDN, line + start,
                                         len - start, canon, &outlen, &cls,
                                         &rule) != CDR_OK) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: not a valid number", path, lineno);
                        goto err;
                }
                if (cls != CDR_NUM_PERSONAL) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%zu: not a subscriber number (a "
                                 "service number or withheld)",
                                 path, lineno);
                        goto err;
                }
                rc = set_insert(set, canon, outlen);
                if (rc != CDR_OK) {
                        cdr_errf(errstr, errstr_size, "%s:%zu: %s", path,
                                 lineno, cdr_strerror(rc));
                        goto err;
                }
        }
        if (ferror(f)) {
                cdr_errf(errstr, errstr_size, "%s: read error", path);
                goto err;
        }
        fclose(f);
        OPENSSL_cleanse(iobuf, sizeof(iobuf));
        if (line) {
                OPENSSL_cleanse(line, linecap);
                free(line);
        }
        OPENSSL_cleanse(canon, sizeof(canon));
        return set;
err:
        if (f) {
                fclose(f);
                OPENSSL_cleanse(iobuf, sizeof(iobuf));
        }
        if (line) {
                OPENSSL_cleanse(line, linecap);
                free(line);
        }
        OPENSSL_cleanse(canon, sizeof(canon));
        cdr_suppress_destroy(set);
        return NULL;
}

void cdr_suppress_destroy(cdr_suppress_t *set)
{
        if (set == NULL)
                return;
        if (set->slots) {
                OPENSSL_cleanse(set->slots, set->cap * sizeof(*set->slots));
                free(set->slots);
        }
        if (set->arena) {
                OPENSSL_cleanse(set->arena, set->arena_cap);
                free(set->arena);
        }
        OPENSSL_cleanse(set, sizeof(*set));
        free(set);
}

size_t cdr_suppress_count(const cdr_suppress_t *set)
{
        return set ? set->count : 0;
}

int cdr_suppress_contains(const cdr_suppress_t *set, const char *canon,
                          size_t len)
{
        if (set == NULL || set->count == 0 || len == 0)
                return 0;
        return set->slots[set_probe(set, XXH3_64bits(canon, len), canon, len)]
                   .len != 0;
}
