/*
 * The re-identification risk meter (risk.h, docs/anonymity.md): dense ids of
 * the columns and the groups of a set of fields.
 */
#include "risk_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- dense ids -------------------------------------------------------- */

/* Value hashes are uniform but for their low (pseudonym) bit. */
static inline uint64_t itab_hash(const struct itab *t, uint64_t key)
{
        return t->mix ? mix64(key) : key >> 1;
}

/* Empties the table and sizes it for `expect` keys. */
static int itab_reset(struct itab *t, size_t expect, int mix)
{
        size_t want = 64;

        while (want < expect * 2)
                want *= 2;
        if (want > t->cap) {
                free(t->slot);
                t->slot = malloc(want * sizeof(*t->slot));
                t->cap = t->slot ? want : 0;
                if (t->slot == NULL)
                        return CDR_ERR_NOMEM;
        }
        memset(t->slot, 0, want * sizeof(*t->slot));
        t->mask = want - 1;
        t->n = 0;
        t->mix = mix;
        return CDR_OK;
}

static void itab_free(struct itab *t)
{
        free(t->slot);
        memset(t, 0, sizeof(*t));
}

static int itab_grow(struct itab *t)
{
        size_t want = (t->mask + 1) * 2, i, b;
        struct islot *s = calloc(want, sizeof(*s));

        if (s == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i <= t->mask; i++) {
                if (t->slot[i].count == 0)
                        continue;
                b = itab_hash(t, t->slot[i].key) & (want - 1);
                while (s[b].count != 0)
                        b = (b + 1) & (want - 1);
                s[b] = t->slot[i];
        }
        free(t->slot);
        t->slot = s;
        t->mask = want - 1;
        t->cap = want;
        return CDR_OK;
}

/* The dense id of key (a new one when unseen); counts its records. */
static inline uint32_t itab_put(struct itab *t, uint64_t key)
{
        size_t b = itab_hash(t, key) & t->mask;
        struct islot *s;

        for (;;) {
                s = &t->slot[b];
                if (s->count == 0) {
                        s->key = key;
                        s->id = t->n++;
                        s->count = 1;
                        return s->id;
                }
                if (s->key == key) {
                        s->count++;
                        return s->id;
                }
                b = (b + 1) & t->mask;
        }
}

#define PREFETCH_AHEAD 16

/* ids[i] = dense id of keys[i], for i < n.  ids may be the same memory
 * as keys (ids[i] overwrites bytes of keys[i / 2], already read). */
static int itab_put_all(struct itab *t, const uint64_t *keys, size_t n,
                        uint32_t *ids)
{
        size_t i;

        for (i = 0; i < n; i++) {
                if (i + PREFETCH_AHEAD < n)
                        __builtin_prefetch(
                            &t->slot[itab_hash(t, keys[i + PREFETCH_AHEAD]) &
                                     t->mask]);
                if (CDR_UNLIKELY((size_t)t->n * 2 >= t->mask) &&
                    itab_grow(t) != CDR_OK)
                        return CDR_ERR_NOMEM;
                ids[i] = itab_put(t, keys[i]);
        }
        return CDR_OK;
}

/* Linear counting (Whang et al. 1990) over a bitmap of LC_BITS bits: an
 * estimate of the distinct keys, to size a table once. */
#define LC_BITS ((size_t)1 << 20)

static size_t estimate_distinct(const uint64_t *keys, size_t n, int mix,
                                uint64_t *bitmap)
{
        size_t i, set = 0;
        double est;

        if (n <= LC_BITS / 16)
                return n;
        memset(bitmap, 0, LC_BITS / 8);
        for (i = 0; i < n; i++) {
                uint64_t h = mix ? mix64(keys[i]) : keys[i];
                size_t b = (size_t)(h >> 44);

                bitmap[b / 64] |= (uint64_t)1 << (b % 64);
        }
        for (i = 0; i < LC_BITS / 64; i++)
                set += (size_t)__builtin_popcountll(bitmap[i]);
        if (set == LC_BITS)
                return n;
        est = -(double)LC_BITS * log((double)(LC_BITS - set) / LC_BITS);
        est = est * 1.05 + 64;
        return est < (double)n ? (size_t)est : n;
}

/* Radix up to which a combination is counted in a plain array. */
#define DIRECT_MAX ((size_t)1 << 22)

int risk_scratch_init(struct scratch *s, size_t n)
{
        memset(s, 0, sizeof(*s));
        s->count_cap = n > DIRECT_MAX ? n : DIRECT_MAX;
        s->key = malloc((n ? n : 1) * sizeof(*s->key));
        s->alive = malloc((n ? n : 1) * sizeof(*s->alive));
        s->count = malloc(s->count_cap * sizeof(*s->count));
        s->bitmap = malloc(LC_BITS / 8);
        return s->key && s->alive && s->count && s->bitmap ? CDR_OK
                                                           : CDR_ERR_NOMEM;
}

void risk_scratch_free(struct scratch *s)
{
        free(s->key);
        free(s->alive);
        free(s->count);
        free(s->bitmap);
        itab_free(&s->tab);
}

void risk_dcol_free(struct dcol *c)
{
        free(c->lone);
        free(c->id);
        free(c->count);
        free(c->kind);
        memset(c, 0, sizeof(*c));
}

/* Turns column `hashes` (n values; taken over: it becomes c->id) into
 * ids. */
int risk_dcol_make(uint64_t *hashes, size_t n, struct dcol *c,
                   struct scratch *s)
{
        struct itab *t = &s->tab;
        uint32_t *id;
        size_t i;

        memset(c, 0, sizeof(*c));
        if (itab_reset(t, estimate_distinct(hashes, n, 0, s->bitmap), 0) !=
                CDR_OK ||
            itab_put_all(t, hashes, n, (uint32_t *)hashes) != CDR_OK) {
                free(hashes);
                return CDR_ERR_NOMEM;
        }
        id = realloc(hashes, (n ? n : 1) * sizeof(*id));
        c->id = id ? id : (uint32_t *)hashes;
        c->card = t->n;
        c->count = malloc(((size_t)t->n + 1) * sizeof(*c->count));
        c->kind = malloc((size_t)t->n + 1);
        if (c->count == NULL || c->kind == NULL) {
                risk_dcol_free(c);
                return CDR_ERR_NOMEM;
        }
        for (i = 0; i <= t->mask; i++) {
                const struct islot *e = &t->slot[i];

                if (e->count == 0)
                        continue;
                c->count[e->id] = e->count;
                c->singles += e->count == 1;
                c->kind[e->id] =
                    (uint8_t)((e->key & H_PSEUDO ? KIND_PSEUDO : 0) |
                              (e->key == H_ABSENT || e->key == H_NULL
                                   ? KIND_NONE
                                   : 0));
        }
        return CDR_OK;
}

static int dcol_lone(struct dcol *c, size_t n)
{
        size_t i;

        if (c->lone != NULL)
                return CDR_OK;
        c->lone = calloc(n / 64 + 1, sizeof(*c->lone));
        if (c->lone == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < n; i++)
                if (c->count[c->id[i]] == 1)
                        c->lone[i / 64] |= (uint64_t)1 << (i % 64);
        return CDR_OK;
}

static int cmp_card_desc(const void *a, const void *b, void *arg)
{
        const struct dcol *cols = arg;
        uint32_t x = cols[*(const size_t *)a].card;
        uint32_t y = cols[*(const size_t *)b].card;

        return (x < y) - (x > y);
}

static void groups_add(struct groups *g, uint64_t count, uint64_t k)
{
        g->n++;
        if (g->min == 0 || count < g->min)
                g->min = count;
        if (count < k)
                g->below += count;
}

/* Every one of n records in a group of its own. */
static int group_alone(size_t n, uint64_t k, int want_ids, struct groups *g)
{
        size_t i;

        g->n = (uint32_t)n;
        g->min = n ? 1 : 0;
        g->below = k > 1 ? n : 0;
        if (!want_ids)
                return CDR_OK;
        g->id = malloc((n ? n : 1) * sizeof(*g->id));
        if (g->id == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < n; i++)
                g->id[i] = (uint32_t)i;
        return CDR_OK;
}

/* Replaces key[0..n) by dense ids (as uint64_t); returns their number. */
static int densify(struct scratch *s, size_t n, uint64_t *groups)
{
        uint64_t *key = s->key;
        size_t i;

        if (itab_reset(&s->tab, estimate_distinct(key, n, 1, s->bitmap), 1) !=
                CDR_OK ||
            itab_put_all(&s->tab, key, n, (uint32_t *)key) != CDR_OK)
                return CDR_ERR_NOMEM;
        for (i = n; i-- > 0;)
                key[i] = ((uint32_t *)key)[i];
        *groups = s->tab.n;
        return CDR_OK;
}

/* The mixed-radix index of record i's values of fields order[0..nset). */
static inline uint64_t combined(const struct dcol *cols, const size_t *order,
                                size_t nset, size_t i)
{
        uint64_t x = 0;
        size_t j;

        for (j = 0; j < nset; j++)
                x = x * cols[order[j]].card + cols[order[j]].id[i];
        return x;
}

/* The groups of counters count[0..radix): their statistics, and with
 * want_ids count[] turned into the map from combination to group id.
 * Returns want_ids. */
static int direct_groups(uint32_t *count, uint64_t radix, uint64_t k,
                         int want_ids, struct groups *g)
{
        uint64_t i;
        uint32_t j = 0;

        for (i = 0; i < radix; i++)
                if (count[i] != 0)
                        groups_add(g, count[i], k);
        if (want_ids)
                for (i = 0; i < radix; i++)
                        count[i] = count[i] ? j++ : NO_ID;
        return want_ids;
}

/* group_by when every combination has its own counter: radix, the
 * product of the cardinalities, is at most s->count_cap. */
static int group_direct(const struct dcol *cols, const size_t *order,
                        size_t nset, size_t n, uint64_t radix, uint64_t k,
                        int want_ids, struct scratch *s, struct groups *g)
{
        uint32_t *count = s->count;
        size_t i;

        memset(count, 0, radix * sizeof(*count));
        if (nset == 2) {
                const uint32_t *a = cols[order[0]].id, *b = cols[order[1]].id;
                uint64_t cb = cols[order[1]].card;

                for (i = 0; i < n; i++)
                        count[a[i] * cb + b[i]]++;
        } else {
                for (i = 0; i < n; i++)
                        count[combined(cols, order, nset, i)]++;
        }
        if (!direct_groups(count, radix, k, want_ids, g))
                return CDR_OK;
        g->id = malloc((n ? n : 1) * sizeof(*g->id));
        if (g->id == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < n; i++)
                g->id[i] = count[combined(cols, order, nset, i)];
        return CDR_OK;
}

/*
 * The groups of records sharing the values of fields set[0..nset) in
 * cols, over n records: their number and size statistics for threshold
 * k, and with want_ids each record's dense group id (g->id, the
 * caller's to free).
 */
int risk_group_by(struct dcol *cols, const size_t *set, size_t nset, size_t n,
                  uint64_t k, int want_ids, struct scratch *s, struct groups *g)
{
        size_t order[CDR_MAX_SLOTS], i, j, all = n, lone = 0;
        uint64_t *key = s->key, radix = 1;
        uint32_t *count = s->count, *alive = NULL;

        memset(g, 0, sizeof(*g));
        if (nset == 1 && !want_ids) {
                for (i = 0; i < cols[set[0]].card; i++)
                        groups_add(g, cols[set[0]].count[i], k);
                return CDR_OK;
        }
        /* A field whose every value is one record's leaves every record
         * alone, whatever the other fields hold. */
        for (j = 0; j < nset && n > 0; j++)
                if (cols[set[j]].card == n)
                        return group_alone(n, k, want_ids, g);
        memcpy(order, set, nset * sizeof(*set));
        qsort_r(order, nset, sizeof(*order), cmp_card_desc, (void *)cols);
        for (j = 0; j < nset && radix <= s->count_cap; j++)
                radix *= cols[order[j]].card ? cols[order[j]].card : 1;
        if (radix <= s->count_cap)
                return group_direct(cols, order, nset, n, radix, k, want_ids, s,
                                    g);
        radix = 1;
        /* Without ids to give, a record alone in one field is alone in
         * the set: only the others are grouped (s->alive), the lone ones
         * counted as groups of one. */
        for (j = 0; j < nset && !want_ids; j++)
                if (cols[order[j]].singles > 0) {
                        if (dcol_lone(&cols[order[j]], n) != CDR_OK)
                                return CDR_ERR_NOMEM;
                        lone = 1;
                }
        if (lone) {
                alive = s->alive;
                for (i = 0, j = 0; i < n; i += 64) {
                        uint64_t bits = 0, b;
                        size_t f;

                        for (f = 0; f < nset; f++)
                                if (cols[order[f]].lone != NULL)
                                        bits |= cols[order[f]].lone[i / 64];
                        for (b = 0; b < 64 && i + b < n; b++)
                                if (!(bits >> b & 1))
                                        alive[j++] = (uint32_t)(i + b);
                }
                lone = n - j;
                n = j;
                for (i = 0; i < lone; i++)
                        groups_add(g, 1, k);
        }
        memset(key, 0, n * sizeof(*key));
        for (j = 0; j < nset; j++) {
                const struct dcol *c = &cols[order[j]];

                if (c->card <= 1)
                        continue;
                if (radix > UINT64_MAX / c->card) {
                        if (densify(s, n, &radix) != CDR_OK)
                                return CDR_ERR_NOMEM;
                        if (radix == n) {
                                memset(g, 0, sizeof(*g));
                                return group_alone(all, k, want_ids, g);
                        }
                }
                if (alive != NULL)
                        for (i = 0; i < n; i++)
                                key[i] = key[i] * c->card + c->id[alive[i]];
                else
                        for (i = 0; i < n; i++)
                                key[i] = key[i] * c->card + c->id[i];
                radix *= c->card;
        }
        if (radix <= s->count_cap) {
                memset(count, 0, radix * sizeof(*count));
                for (i = 0; i < n; i++)
                        count[key[i]]++;
                if (!direct_groups(count, radix, k, want_ids, g))
                        return CDR_OK;
                g->id = malloc((n ? n : 1) * sizeof(*g->id));
                if (g->id == NULL)
                        return CDR_ERR_NOMEM;
                for (i = 0; i < n; i++)
                        g->id[i] = count[key[i]];
                return CDR_OK;
        }
        if (densify(s, n, &radix) != CDR_OK)
                return CDR_ERR_NOMEM;
        for (i = 0; i <= s->tab.mask; i++)
                if (s->tab.slot[i].count != 0)
                        groups_add(g, s->tab.slot[i].count, k);
        if (!want_ids)
                return CDR_OK;
        g->id = malloc((n ? n : 1) * sizeof(*g->id));
        if (g->id == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < n; i++)
                g->id[i] = (uint32_t)key[i];
        return CDR_OK;
}
