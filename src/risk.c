/*
 * The re-identification risk meter (risk.h, docs/anonymity.md).
 *
 * Reading.  Each record is parsed by the project's JSON reader into
 * views; every value is kept as a 64-bit hash in a column per field
 * (absent and null are values of their own, numbers and strings hash
 * apart).  The low bit of a hash says whether the value has the pseudonym
 * shape, so which fields link records can be decided once every record
 * is in.  A field first seen in a later record gets its column then,
 * filled with "absent" for the records before it; field names are found
 * by jansson on that (rare) record only.
 *
 * Measuring.  Each column's hashes become dense ids (one open-addressing
 * table per column, in place).  A combination of fields becomes one
 * dense id per record by mixed-radix keys, re-densified only when the
 * radix would overflow, and stopping as soon as every record is alone.
 * For a trace field, the (trace, point) pairs are radix sorted and made
 * distinct: each trace's sorted points, and each point's sorted traces.
 * A target trace with p chosen points is unique when no other trace in
 * the shortest of their point lists holds the other p - 1 (a binary
 * search in that trace's points).
 */
#include "cdranon/risk.h"
#include "cdranon/encode.h"
#include "cdranon/json.h"
#include "cdranon/record.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Hashes of the two values that are not bytes; even, like every hash of
 * a value without the pseudonym shape. */
#define H_ABSENT 0x8f1bbcdcca62c1d6ull
#define H_NULL   0x5a827999ed9eba10ull
#define H_PSEUDO 1ull /* low bit: the value has the pseudonym shape */

#define ISO_LEN 20 /* YYYY-MM-DDTHH:MM:SSZ */

#define NO_ID UINT32_MAX

struct cdr_risk_s {
        char **trace_names, **point_names, **kset_specs;
        size_t ntrace_names, npoint_names, nkset_specs;
        uint64_t samples, seed, k;
        unsigned k_subsets;
        int exhaustive;
        char from[ISO_LEN + 1], to[ISO_LEN + 1];
        int have_from, have_to;
        char *time_field;
        int time_slot; /* -1: not known yet */

        cdr_schema_t *schema;
        cdr_record_t record;
        uint64_t *col[CDR_MAX_SLOTS]; /* value hashes, one per record */
        uint8_t pseudo[CDR_MAX_SLOTS];
        size_t ncols, n, cap;
        uint64_t lines, malformed, outside, without_time;
        int spent;
};

/* ---- options ---------------------------------------------------------- */

void cdr_risk_options_init(cdr_risk_options_t *options)
{
        memset(options, 0, sizeof(*options));
        options->samples = CDR_RISK_DEFAULT_SAMPLES;
        options->seed = 1;
        options->k = CDR_RISK_DEFAULT_K;
        options->k_subsets = CDR_RISK_DEFAULT_SUBSETS;
}

static void free_names(char **names, size_t n)
{
        size_t i;

        if (names == NULL)
                return;
        for (i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

static char **copy_names(const char *const *names, size_t n)
{
        char **copy;
        size_t i;

        if (n == 0)
                return NULL;
        copy = calloc(n, sizeof(*copy));
        if (copy == NULL)
                return NULL;
        for (i = 0; i < n; i++) {
                copy[i] = strdup(names[i]);
                if (copy[i] == NULL) {
                        free_names(copy, i);
                        return NULL;
                }
        }
        return copy;
}

static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* 1 when s[0..n) is "YYYY-MM-DDTHH:MM:SSZ" (digits where digits go). */
static int iso_shape(const char *s, size_t n)
{
        static const char form[] = "0000-00-00T00:00:00Z";
        size_t i;

        if (n != ISO_LEN)
                return 0;
        for (i = 0; i < ISO_LEN; i++)
                if (form[i] == '0' ? !is_digit(s[i]) : s[i] != form[i])
                        return 0;
        return 1;
}

cdr_risk_t *cdr_risk_new(const cdr_risk_options_t *options, char *errstr,
                         size_t errstr_size)
{
        cdr_risk_t *risk;

        if (options->k == 0) {
                cdr_errf(errstr, errstr_size, "k must be at least 1");
                return NULL;
        }
        if ((options->from &&
             !iso_shape(options->from, strlen(options->from))) ||
            (options->to && !iso_shape(options->to, strlen(options->to)))) {
                cdr_errf(errstr, errstr_size,
                         "a window end is not YYYY-MM-DDTHH:MM:SSZ");
                return NULL;
        }
        risk = calloc(1, sizeof(*risk));
        if (risk == NULL)
                goto nomem;
        risk->time_slot = -1;
        risk->samples = options->samples;
        risk->seed = options->seed;
        risk->k = options->k;
        risk->k_subsets = options->k_subsets;
        risk->exhaustive = options->exhaustive;
        if (options->from) {
                memcpy(risk->from, options->from, ISO_LEN + 1);
                risk->have_from = 1;
        }
        if (options->to) {
                memcpy(risk->to, options->to, ISO_LEN + 1);
                risk->have_to = 1;
        }
        risk->schema = cdr_schema_new();
        if (risk->schema == NULL)
                goto nomem;
        risk->ntrace_names = options->ntrace_fields;
        risk->npoint_names = options->npoint_fields;
        risk->nkset_specs = options->nk_sets;
        risk->trace_names =
            copy_names(options->trace_fields, options->ntrace_fields);
        risk->point_names =
            copy_names(options->point_fields, options->npoint_fields);
        risk->kset_specs = copy_names(options->k_sets, options->nk_sets);
        if ((options->ntrace_fields && risk->trace_names == NULL) ||
            (options->npoint_fields && risk->point_names == NULL) ||
            (options->nk_sets && risk->kset_specs == NULL))
                goto nomem;
        if (options->time_field &&
            (risk->time_field = strdup(options->time_field)) == NULL)
                goto nomem;
        return risk;
nomem:
        cdr_risk_destroy(risk);
        cdr_errf(errstr, errstr_size, "out of memory");
        return NULL;
}

void cdr_risk_destroy(cdr_risk_t *risk)
{
        size_t i;

        if (risk == NULL)
                return;
        for (i = 0; i < CDR_MAX_SLOTS; i++)
                free(risk->col[i]);
        cdr_record_free(&risk->record);
        cdr_schema_destroy(risk->schema);
        free_names(risk->trace_names, risk->ntrace_names);
        free_names(risk->point_names, risk->npoint_names);
        free_names(risk->kset_specs, risk->nkset_specs);
        free(risk->time_field);
        free(risk);
}

void cdr_risk_count_malformed(cdr_risk_t *risk)
{
        risk->lines++;
        risk->malformed++;
}

size_t cdr_risk_bytes(const cdr_risk_t *risk)
{
        return risk->ncols * risk->cap * sizeof(uint64_t);
}

/* ---- reading ---------------------------------------------------------- */

/* Character classes of the pseudonym shape, by table: the test runs on
 * every string value read. */
#define C_B32 1 /* RFC 4648 base32, lower case */
#define C_KEY 2 /* [A-Za-z0-9_-] */

/* clang-format off */
static const uint8_t char_class[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
        2, 2, 3, 3, 3, 3, 3, 3, 2, 2, 0, 0, 0, 0, 0, 0,
        0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 2,
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
};
/* clang-format on */

#if defined(__SSE2__)
/* 1 when the 16 bytes at p are all base32: [a-z] or [2-7]. */
static inline int b32_16(const char *p)
{
        __m128i x = _mm_loadu_si128((const void *)p);
        __m128i a = _mm_sub_epi8(x, _mm_set1_epi8('a'));
        __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('2'));
        __m128i in_a = _mm_cmpeq_epi8(_mm_min_epu8(a, _mm_set1_epi8(25)), a);
        __m128i in_d = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(5)), d);

        return _mm_movemask_epi8(_mm_or_si128(in_a, in_d)) == 0xffff;
}
#endif

/* KEY_ID ":" 26 base32 characters, KEY_ID [A-Za-z0-9_-]{1,16}. */
static inline int pseudonym_shape(const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t i, id;
        unsigned ok = C_B32 | C_KEY;

        if (n < 28 || n > 16 + 27 || s[n - 27] != ':')
                return 0;
        id = n - 27;
        for (i = 0; i < id; i++)
                ok &= char_class[u[i]] | C_B32;
#if defined(__SSE2__)
        /* The 26 characters as two overlapping blocks of 16. */
        return ok == (C_B32 | C_KEY) && b32_16(s + id + 1) &&
               b32_16(s + n - 16);
#else
        for (i = id + 1; i < n; i++)
                ok &= char_class[u[i]] | C_KEY;
        return ok == (C_B32 | C_KEY);
#endif
}

static inline uint64_t value_hash(const cdr_record_t *record, size_t slot)
{
        cdr_view_t v = record->value[slot];
        uint64_t h;

        if (v.p == NULL)
                return H_ABSENT;
        if (record->flags[slot] & CDR_VAL_NULL)
                return H_NULL;
        h = XXH3_64bits_withSeed(v.p, v.n,
                                 record->flags[slot] & CDR_VAL_NUMBER ? 2 : 1);
        return (h & ~H_PSEUDO) |
               (uint64_t)(!(record->flags[slot] & CDR_VAL_NUMBER) &&
                          pseudonym_shape(v.p, v.n));
}

static int grow_columns(cdr_risk_t *risk)
{
        size_t cap = risk->cap ? risk->cap * 2 : 4096, i;
        uint64_t *p;

        for (i = 0; i < risk->ncols; i++) {
                p = realloc(risk->col[i], cap * sizeof(*p));
                if (p == NULL)
                        return CDR_ERR_NOMEM;
                risk->col[i] = p;
        }
        risk->cap = cap;
        return CDR_OK;
}

static int add_column(cdr_risk_t *risk)
{
        size_t cap = risk->cap ? risk->cap : 4096, i;
        uint64_t *p = malloc(cap * sizeof(*p));

        if (p == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < risk->n; i++)
                p[i] = H_ABSENT;
        risk->col[risk->ncols++] = p;
        risk->cap = cap;
        return CDR_OK;
}

/* The record holds fields the schema lacks: adds every name of it. */
static int learn_fields(cdr_risk_t *risk, const char *rec, size_t len,
                        char *errstr, size_t errstr_size)
{
        json_error_t jerr;
        json_t *obj, *value;
        const char *key;
        size_t key_len, before;
        int slot, err = CDR_OK;

        obj = json_loadb(rec, len, 0, &jerr);
        if (obj == NULL || !json_is_object(obj)) {
                json_decref(obj);
                cdr_errf(errstr, errstr_size,
                         "json: a field name that "
                         "cannot be read");
                return CDR_ERR_MALFORMED;
        }
        json_object_keylen_foreach(obj, key, key_len, value)
        {
                (void)value;
                before = cdr_schema_count(risk->schema);
                slot = cdr_schema_add(risk->schema, key, key_len);
                if (slot < 0) {
                        cdr_errf(errstr, errstr_size,
                                 key_len > CDR_FIELD_NAME_MAX
                                     ? "a field name longer than %d bytes"
                                     : "more than %d distinct field names",
                                 key_len > CDR_FIELD_NAME_MAX
                                     ? CDR_FIELD_NAME_MAX
                                     : CDR_MAX_SLOTS);
                        err = CDR_ERR_TOOBIG;
                        break;
                }
                if (cdr_schema_count(risk->schema) > before &&
                    (err = add_column(risk)) != CDR_OK) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        break;
                }
        }
        json_decref(obj);
        return err;
}

static size_t present_fields(const cdr_record_t *record, size_t nslots)
{
        size_t i, n = 0;

        for (i = 0; i < nslots; i++)
                n += record->value[i].p != NULL;
        return n;
}

/* 1 when the record is in the window, 0 when not (counted). */
static int in_window(cdr_risk_t *risk)
{
        const cdr_record_t *record = &risk->record;
        size_t i, nslots = risk->ncols;
        cdr_view_t v;

        if (!risk->have_from && !risk->have_to)
                return 1;
        if (risk->time_slot < 0) {
                if (risk->time_field != NULL) {
                        risk->time_slot =
                            cdr_schema_find(risk->schema, risk->time_field,
                                            strlen(risk->time_field));
                } else {
                        for (i = 0; i < nslots; i++) {
                                v = record->value[i];
                                if (v.p != NULL && iso_shape(v.p, v.n)) {
                                        risk->time_slot = (int)i;
                                        break;
                                }
                        }
                }
        }
        if (risk->time_slot < 0 || (size_t)risk->time_slot >= nslots ||
            record->value[risk->time_slot].p == NULL ||
            !iso_shape(record->value[risk->time_slot].p,
                       record->value[risk->time_slot].n)) {
                risk->without_time++;
                return 0;
        }
        v = record->value[risk->time_slot];
        if ((risk->have_from && memcmp(v.p, risk->from, ISO_LEN) < 0) ||
            (risk->have_to && memcmp(v.p, risk->to, ISO_LEN) >= 0)) {
                risk->outside++;
                return 0;
        }
        return 1;
}

int cdr_risk_add(cdr_risk_t *risk, const char *rec, size_t len, char *errstr,
                 size_t errstr_size)
{
        cdr_record_t *record = &risk->record;
        size_t i;
        int err;

        if (CDR_UNLIKELY(risk->spent)) {
                cdr_errf(errstr, errstr_size, "the meter was used already");
                return CDR_ERR_INVAL;
        }
        risk->lines++;
        err =
            cdr_json_parse(risk->schema, rec, len, record, errstr, errstr_size);
        if (err == CDR_OK && CDR_UNLIKELY(present_fields(record, risk->ncols) !=
                                          record->nfields)) {
                err = learn_fields(risk, rec, len, errstr, errstr_size);
                if (err == CDR_OK)
                        err = cdr_json_parse(risk->schema, rec, len, record,
                                             errstr, errstr_size);
        }
        if (err != CDR_OK) {
                if (err == CDR_ERR_MALFORMED)
                        risk->malformed++;
                return err;
        }
        if (!in_window(risk))
                return CDR_OK;
        if (risk->n == risk->cap && grow_columns(risk) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        for (i = 0; i < risk->ncols; i++) {
                uint64_t h = value_hash(record, i);

                risk->col[i][risk->n] = h;
                risk->pseudo[i] |= (uint8_t)(h & H_PSEUDO);
        }
        risk->n++;
        return CDR_OK;
}

/* ---- dense ids -------------------------------------------------------- */

struct islot {
        uint64_t key;
        uint32_t id;
        uint32_t count; /* 0: empty */
};

/* Dense ids of 64-bit keys: open addressing, linear probing, on a buffer
 * kept from one use to the next (fresh pages cost more than the work). */
struct itab {
        struct islot *slot;
        size_t mask; /* slots in use - 1 */
        size_t cap;  /* slots allocated */
        uint32_t n;  /* ids given */
        int mix;     /* keys are not hashes already: mix them */
};

static inline uint64_t mix64(uint64_t x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ull;
        x ^= x >> 33;
        return x;
}

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

/* Work memory of one measurement, used again and again. */
struct scratch {
        uint64_t *key;   /* one per record */
        uint32_t *alive; /* one per record: records left to group */
        uint32_t *count; /* direct counts: DIRECT_MAX or one per record */
        size_t count_cap;
        uint64_t *bitmap; /* LC_BITS bits */
        struct itab tab;
};

/* Radix up to which a combination is counted in a plain array. */
#define DIRECT_MAX ((size_t)1 << 22)

static int scratch_init(struct scratch *s, size_t n)
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

static void scratch_free(struct scratch *s)
{
        free(s->key);
        free(s->alive);
        free(s->count);
        free(s->bitmap);
        itab_free(&s->tab);
}

/* A field's values as dense ids. */
#define KIND_PSEUDO 1 /* the value has the pseudonym shape */
#define KIND_NONE   2 /* absent or null */

struct dcol {
        uint32_t *id;    /* per record */
        uint32_t card;   /* distinct values */
        uint32_t *count; /* records per value */
        uint8_t *kind;   /* KIND_* per value */
        size_t singles;  /* values of one record */
        uint64_t *lone;  /* bit i: record i's value is one of those (made
                            when first needed) */
};

static void dcol_free(struct dcol *c)
{
        free(c->lone);
        free(c->id);
        free(c->count);
        free(c->kind);
        memset(c, 0, sizeof(*c));
}

/* Turns column `hashes` (n values; taken over: it becomes c->id) into
 * ids. */
static int dcol_make(uint64_t *hashes, size_t n, struct dcol *c,
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
                dcol_free(c);
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

/* Groups of a set of fields. */
struct groups {
        uint32_t *id; /* per record, when asked for (the caller's) */
        uint32_t n;   /* distinct combinations */
        uint64_t min, below;
};

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
static int group_by(struct dcol *cols, const size_t *set, size_t nset, size_t n,
                    uint64_t k, int want_ids, struct scratch *s,
                    struct groups *g)
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

/* ---- unicity ---------------------------------------------------------- */

/* Every trace's distinct points and every point's distinct traces. */
struct traces {
        uint32_t ntraces, npoints;
        uint64_t *toff; /* trace t's points: tpt[toff[t] .. toff[t + 1]) */
        uint32_t *tpt;
        uint64_t *poff; /* point q's traces: ptr[poff[q] .. poff[q + 1]) */
        uint32_t *ptr;
        uint64_t records, pairs;
};

static void traces_free(struct traces *tr)
{
        free(tr->toff);
        free(tr->tpt);
        free(tr->poff);
        free(tr->ptr);
        memset(tr, 0, sizeof(*tr));
}

/* Builds the traces of field `f` whose values of kind `want` (KIND_PSEUDO,
 * or 0: present and not null) are trace keys, over point ids: two
 * counting sorts, by point then by trace, and each trace's points made
 * distinct. */
static int traces_make(const struct dcol *f, int want, const uint32_t *point,
                       uint32_t npoints, size_t n, struct scratch *s,
                       struct traces *tr)
{
        uint32_t *trace_of = s->count, *by_point = s->alive, t, *p;
        uint64_t *next = s->key, m = 0, w, start, end, i, x;

        memset(tr, 0, sizeof(*tr));
        for (i = 0; i < f->card; i++) {
                int key = want ? (f->kind[i] & KIND_PSEUDO) != 0
                               : !(f->kind[i] & KIND_NONE);

                trace_of[i] = key ? tr->ntraces++ : NO_ID;
        }
        tr->npoints = npoints;
        tr->toff = calloc((size_t)tr->ntraces + 1, sizeof(*tr->toff));
        tr->poff = calloc((size_t)npoints + 1, sizeof(*tr->poff));
        if (tr->toff == NULL || tr->poff == NULL)
                goto nomem;
        for (i = 0; i < n; i++) {
                t = trace_of[f->id[i]];
                if (t != NO_ID) {
                        tr->toff[t + 1]++;
                        m++;
                }
        }
        tr->records = m;
        for (t = 0; t < tr->ntraces; t++)
                tr->toff[t + 1] += tr->toff[t];
        tr->tpt = malloc((m ? m : 1) * sizeof(*tr->tpt));
        if (tr->tpt == NULL)
                goto nomem;
        /* The records in point order (a counting sort by point, poff as
         * its cursors), then dealt to their traces: each trace's points
         * come out sorted. */
        for (i = 0; i < n; i++)
                if (trace_of[f->id[i]] != NO_ID)
                        tr->poff[point[i] + 1]++;
        for (i = 0; i < npoints; i++)
                tr->poff[i + 1] += tr->poff[i];
        for (i = 0; i < n; i++)
                if (trace_of[f->id[i]] != NO_ID)
                        by_point[tr->poff[point[i]]++] = (uint32_t)i;
        memcpy(next, tr->toff, (size_t)tr->ntraces * sizeof(*next));
        for (x = 0; x < m; x++) {
                i = by_point[x];
                tr->tpt[next[trace_of[f->id[i]]]++] = point[i];
        }
        /* Distinct in place: trace t moves down to w. */
        for (t = 0, w = 0, start = 0; t < tr->ntraces; t++) {
                end = tr->toff[t + 1];
                tr->toff[t] = w;
                for (x = start; x < end; x++)
                        if (x == start || tr->tpt[x] != tr->tpt[x - 1])
                                tr->tpt[w++] = tr->tpt[x];
                start = end;
        }
        tr->toff[tr->ntraces] = w;
        tr->pairs = w;
        p = realloc(tr->tpt, (w ? w : 1) * sizeof(*p));
        if (p != NULL)
                tr->tpt = p;

        tr->ptr = malloc((w ? w : 1) * sizeof(*tr->ptr));
        if (tr->ptr == NULL)
                goto nomem;
        memset(tr->poff, 0, ((size_t)npoints + 1) * sizeof(*tr->poff));
        for (i = 0; i < w; i++)
                tr->poff[tr->tpt[i] + 1]++;
        for (i = 0; i < npoints; i++)
                tr->poff[i + 1] += tr->poff[i];
        /* Walking the traces in order, each point's traces come out
         * sorted. */
        memcpy(next, tr->poff, (size_t)npoints * sizeof(*next));
        for (t = 0; t < tr->ntraces; t++)
                for (i = tr->toff[t]; i < tr->toff[t + 1]; i++)
                        tr->ptr[next[tr->tpt[i]]++] = t;
        return CDR_OK;
nomem:
        traces_free(tr);
        return CDR_ERR_NOMEM;
}

static int has_point(const struct traces *tr, uint32_t t, uint32_t q)
{
        uint64_t lo = tr->toff[t], hi = tr->toff[t + 1], mid;

        while (lo < hi) {
                mid = lo + (hi - lo) / 2;
                if (tr->tpt[mid] < q)
                        lo = mid + 1;
                else if (tr->tpt[mid] > q)
                        hi = mid;
                else
                        return 1;
        }
        return 0;
}

/* 1 when trace t is the only trace holding every point of q[0..p). */
static int singled_out(const struct traces *tr, uint32_t t, const uint32_t *q,
                       unsigned p)
{
        unsigned j, best = 0, i;
        uint64_t len, best_len = UINT64_MAX, x;
        uint32_t u;

        for (j = 0; j < p; j++) {
                len = tr->poff[q[j] + 1] - tr->poff[q[j]];
                if (len < best_len) {
                        best_len = len;
                        best = j;
                }
        }
        if (best_len <= 1)
                return 1;
        for (x = tr->poff[q[best]]; x < tr->poff[q[best] + 1]; x++) {
                u = tr->ptr[x];
                if (u == t)
                        continue;
                for (i = 0; i < p; i++)
                        if (i != best && !has_point(tr, u, q[i]))
                                break;
                if (i == p)
                        return 0;
        }
        return 1;
}

/* splitmix64: a small, well-mixed generator; the figures depend only on
 * the seed. */
static uint64_t rng_next(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply; bias below 2^-32 for the
 * sizes here). */
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
        return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* p distinct indexes of 0..m-1 (Floyd's algorithm). */
static void draw_indexes(uint64_t *s, uint64_t m, unsigned p, uint64_t *out)
{
        unsigned got = 0, i;
        uint64_t j, r;

        for (j = m - p; j < m; j++) {
                r = rng_below(s, j + 1);
                for (i = 0; i < got; i++)
                        if (out[i] == r)
                                break;
                out[got] = i < got ? j : r;
                got++;
        }
}

static uint64_t choose(uint64_t m, unsigned p)
{
        uint64_t c = 1;
        unsigned i;

        if (p > m)
                return 0;
        for (i = 1; i <= p; i++) {
                if (c > UINT64_MAX / (m - p + i))
                        return UINT64_MAX;
                c = c * (m - p + i) / i;
        }
        return c;
}

static void wilson(uint64_t x, uint64_t n, cdr_risk_unicity_t *u)
{
        const double z = 1.959963984540054, z2 = z * z;
        double p, den, c, h;

        if (n == 0)
                return;
        p = (double)x / (double)n;
        den = 1 + z2 / (double)n;
        c = (p + z2 / (2.0 * (double)n)) / den;
        h = z * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * n)) /
            den;
        u->lo = c - h < 0 ? 0 : c - h;
        u->hi = c + h > 1 ? 1 : c + h;
        u->se = sqrt(p * (1 - p) / (double)n);
}

static void unicity_sampled(const struct traces *tr, uint64_t samples,
                            uint64_t seed, cdr_risk_trace_t *out)
{
        uint64_t s = seed, idx[CDR_RISK_POINTS], m, n, x;
        uint32_t *perm, t, q[CDR_RISK_POINTS];
        unsigned p, j;

        n = samples == 0 || samples > tr->ntraces ? tr->ntraces : samples;
        out->targets = n;
        perm = malloc(((size_t)tr->ntraces + 1) * sizeof(*perm));
        if (perm != NULL)
                for (x = 0; x < tr->ntraces; x++)
                        perm[x] = (uint32_t)x;
        for (x = 0; x < n; x++) {
                if (perm != NULL) {
                        /* Partial Fisher-Yates: targets without
                         * replacement. */
                        uint64_t r = x + rng_below(&s, tr->ntraces - x);

                        t = perm[r];
                        perm[r] = perm[x];
                        perm[x] = t;
                } else {
                        t = (uint32_t)x;
                }
                m = tr->toff[t + 1] - tr->toff[t];
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        cdr_risk_unicity_t *u = &out->at[p - 1];

                        if (m < p) {
                                u->short_traces++;
                                continue;
                        }
                        draw_indexes(&s, m, p, idx);
                        for (j = 0; j < p; j++)
                                q[j] = tr->tpt[tr->toff[t] + idx[j]];
                        u->tested++;
                        u->unique += (uint64_t)singled_out(tr, t, q, p);
                }
        }
        free(perm);
        for (p = 0; p < CDR_RISK_POINTS; p++) {
                cdr_risk_unicity_t *u = &out->at[p];

                u->share =
                    u->tested ? (double)u->unique / (double)u->tested : 0;
                wilson(u->unique, u->tested, u);
        }
}

static void unicity_exhaustive(const struct traces *tr, cdr_risk_trace_t *out)
{
        double sum[CDR_RISK_POINTS] = {0};
        uint32_t t, q[CDR_RISK_POINTS];
        uint64_t m, c[CDR_RISK_POINTS], uniq;
        unsigned p, j;

        out->targets = tr->ntraces;
        for (t = 0; t < tr->ntraces; t++) {
                const uint32_t *pts = tr->tpt + tr->toff[t];

                m = tr->toff[t + 1] - tr->toff[t];
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        cdr_risk_unicity_t *u = &out->at[p - 1];
                        uint64_t subsets = 0;

                        if (m < p) {
                                u->short_traces++;
                                continue;
                        }
                        /* Every p-combination c[0] < ... < c[p-1] of
                         * 0..m-1, in lexicographic order. */
                        for (j = 0; j < p; j++)
                                c[j] = j;
                        uniq = 0;
                        for (;;) {
                                for (j = 0; j < p; j++)
                                        q[j] = pts[c[j]];
                                uniq += (uint64_t)singled_out(tr, t, q, p);
                                subsets++;
                                j = p;
                                while (j-- > 0 && c[j] == m - p + j)
                                        ;
                                if (j == (unsigned)-1)
                                        break;
                                c[j]++;
                                for (j++; j < p; j++)
                                        c[j] = c[j - 1] + 1;
                        }
                        u->tested++;
                        u->subsets += subsets;
                        u->unique_subsets += uniq;
                        sum[p - 1] += (double)uniq / (double)subsets;
                }
        }
        for (p = 0; p < CDR_RISK_POINTS; p++) {
                cdr_risk_unicity_t *u = &out->at[p];

                u->share = u->tested ? sum[p] / (double)u->tested : 0;
                u->lo = u->hi = u->share;
        }
}

static uint64_t exhaustive_subsets(const struct traces *tr)
{
        uint64_t total = 0, c;
        uint32_t t;
        unsigned p;

        for (t = 0; t < tr->ntraces; t++)
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        c = choose(tr->toff[t + 1] - tr->toff[t], p);
                        if (c > CDR_RISK_MAX_SUBSETS - total)
                                return CDR_RISK_MAX_SUBSETS + 1;
                        total += c;
                }
        return total;
}

/* ---- the report ------------------------------------------------------- */

void cdr_risk_report_destroy(cdr_risk_report_t *report)
{
        size_t i;

        if (report == NULL)
                return;
        free_names(report->fields, report->nfields);
        free(report->point_fields);
        for (i = 0; i < report->ntraces; i++)
                free(report->traces[i].field);
        free(report->traces);
        for (i = 0; i < report->nksets; i++)
                free(report->ksets[i].fields);
        free(report->ksets);
        free(report->time_field);
        free(report);
}

static int find_field(const cdr_risk_report_t *r, const char *name, size_t len)
{
        size_t i;

        for (i = 0; i < r->nfields; i++)
                if (strlen(r->fields[i]) == len &&
                    memcmp(r->fields[i], name, len) == 0)
                        return (int)i;
        return -1;
}

static int add_kset(cdr_risk_report_t *r, const size_t *fields, size_t n,
                    size_t *cap)
{
        cdr_risk_kset_t *s;
        size_t i, j;

        for (i = 0; i < r->nksets; i++) {
                if (r->ksets[i].nfields != n)
                        continue;
                for (j = 0; j < n; j++)
                        if (r->ksets[i].fields[j] != fields[j])
                                break;
                if (j == n)
                        return CDR_OK; /* named twice */
        }
        if (r->nksets == CDR_RISK_MAX_SETS)
                return CDR_ERR_TOOBIG;
        if (r->nksets == *cap) {
                size_t ncap = *cap ? *cap * 2 : 16;

                s = realloc(r->ksets, ncap * sizeof(*s));
                if (s == NULL)
                        return CDR_ERR_NOMEM;
                r->ksets = s;
                *cap = ncap;
        }
        s = &r->ksets[r->nksets];
        memset(s, 0, sizeof(*s));
        s->fields = malloc((n ? n : 1) * sizeof(*s->fields));
        if (s->fields == NULL)
                return CDR_ERR_NOMEM;
        memcpy(s->fields, fields, n * sizeof(*fields));
        s->nfields = n;
        r->nksets++;
        return CDR_OK;
}

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;

        return (x > y) - (x < y);
}

/* The sets whose k-anonymity is reported: all point fields, every subset
 * of at most k_subsets of them, then the sets named. */
static int plan_ksets(cdr_risk_t *risk, cdr_risk_report_t *r, char *errstr,
                      size_t errstr_size)
{
        size_t cap = 0, np = r->npoint_fields, idx[CDR_MAX_SLOTS],
               set[CDR_MAX_SLOTS], size, i, j, n;
        int err;

        if (np > 0 && (err = add_kset(r, r->point_fields, np, &cap)) != CDR_OK)
                goto fail;
        for (size = 1; size <= risk->k_subsets && size < np; size++) {
                for (i = 0; i < size; i++)
                        idx[i] = i;
                for (;;) {
                        for (i = 0; i < size; i++)
                                set[i] = r->point_fields[idx[i]];
                        if ((err = add_kset(r, set, size, &cap)) != CDR_OK)
                                goto fail;
                        i = size;
                        while (i-- > 0 && idx[i] == np - size + i)
                                ;
                        if (i == (size_t)-1)
                                break;
                        idx[i]++;
                        for (i++; i < size; i++)
                                idx[i] = idx[i - 1] + 1;
                }
        }
        for (i = 0; i < risk->nkset_specs; i++) {
                const char *spec = risk->kset_specs[i], *p = spec, *end;
                int f;

                n = 0;
                for (;;) {
                        end = strchr(p, ',');
                        if (end == NULL)
                                end = p + strlen(p);
                        f = find_field(r, p, (size_t)(end - p));
                        if (f < 0 || n == CDR_MAX_SLOTS) {
                                cdr_errf(errstr, errstr_size,
                                         "k-anonymity set '%s': field '%.*s' "
                                         "is not in the input",
                                         spec, (int)(end - p), p);
                                return CDR_ERR_INVAL;
                        }
                        for (j = 0; j < n && set[j] != (size_t)f; j++)
                                ;
                        if (j == n)
                                set[n++] = (size_t)f;
                        if (*end == '\0')
                                break;
                        p = end + 1;
                }
                qsort(set, n, sizeof(*set), cmp_size);
                if ((err = add_kset(r, set, n, &cap)) != CDR_OK)
                        goto fail;
        }
        return CDR_OK;
fail:
        cdr_errf(errstr, errstr_size,
                 err == CDR_ERR_TOOBIG
                     ? "more than %d k-anonymity field sets (lower the "
                       "subset size)"
                     : "out of memory",
                 CDR_RISK_MAX_SETS);
        return err;
}

/* Trace and point fields, by name or by what the data holds. */
static int plan_fields(cdr_risk_t *risk, cdr_risk_report_t *r,
                       uint8_t *is_trace, char *errstr, size_t errstr_size)
{
        uint8_t ident[CDR_MAX_SLOTS] = {0};
        size_t i;
        int f;

        for (i = 0; i < risk->ntrace_names; i++) {
                f = find_field(r, risk->trace_names[i],
                               strlen(risk->trace_names[i]));
                if (f < 0) {
                        cdr_errf(errstr, errstr_size,
                                 "trace field '%s' is not in the input",
                                 risk->trace_names[i]);
                        return CDR_ERR_INVAL;
                }
                is_trace[f] = ident[f] = 1;
        }
        for (i = 0; i < r->nfields; i++) {
                if (risk->ntrace_names == 0 && risk->pseudo[i])
                        is_trace[i] = 1;
                if (risk->pseudo[i])
                        ident[i] = 1;
        }
        r->point_fields = calloc(r->nfields + 1, sizeof(*r->point_fields));
        if (r->point_fields == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        if (risk->npoint_names == 0) {
                for (i = 0; i < r->nfields; i++)
                        if (!ident[i])
                                r->point_fields[r->npoint_fields++] = i;
                return CDR_OK;
        }
        for (i = 0; i < risk->npoint_names; i++) {
                size_t j;

                f = find_field(r, risk->point_names[i],
                               strlen(risk->point_names[i]));
                if (f < 0 || is_trace[f]) {
                        cdr_errf(errstr, errstr_size,
                                 f < 0 ? "point field '%s' is not in the input"
                                       : "point field '%s' is a trace field",
                                 risk->point_names[i]);
                        return CDR_ERR_INVAL;
                }
                for (j = 0; j < r->npoint_fields; j++)
                        if (r->point_fields[j] == (size_t)f)
                                break;
                if (j == r->npoint_fields)
                        r->point_fields[r->npoint_fields++] = (size_t)f;
        }
        qsort(r->point_fields, r->npoint_fields, sizeof(size_t), cmp_size);
        return CDR_OK;
}

int cdr_risk_compute(cdr_risk_t *risk, cdr_risk_report_t **report, char *errstr,
                     size_t errstr_size)
{
        struct dcol cols[CDR_MAX_SLOTS];
        uint8_t is_trace[CDR_MAX_SLOTS] = {0};
        cdr_risk_report_t *r;
        struct groups pts = {0}, g;
        struct traces tr;
        struct scratch s;
        size_t i, n = risk->n;
        int err = CDR_ERR_NOMEM;

        *report = NULL;
        memset(cols, 0, sizeof(cols));
        memset(&s, 0, sizeof(s));
        if (risk->spent) {
                cdr_errf(errstr, errstr_size, "the meter was used already");
                return CDR_ERR_INVAL;
        }
        risk->spent = 1;
        r = calloc(1, sizeof(*r));
        if (r == NULL)
                goto nomem;
        r->lines = risk->lines;
        r->records = n;
        r->malformed = risk->malformed;
        r->outside_window = risk->outside;
        r->without_time = risk->without_time;
        r->k = risk->k;
        r->samples = risk->samples;
        r->seed = risk->seed;
        r->exhaustive = risk->exhaustive;
        r->windowed = risk->have_from || risk->have_to;
        if (r->windowed && risk->time_slot >= 0 &&
            (size_t)risk->time_slot < risk->ncols &&
            (r->time_field = strdup(
                 cdr_schema_name(risk->schema, risk->time_slot))) == NULL)
                goto nomem;
        r->nfields = risk->ncols;
        r->fields = calloc(r->nfields + 1, sizeof(*r->fields));
        if (r->fields == NULL)
                goto nomem;
        for (i = 0; i < r->nfields; i++)
                if ((r->fields[i] =
                         strdup(cdr_schema_name(risk->schema, (int)i))) == NULL)
                        goto nomem;

        if ((err = plan_fields(risk, r, is_trace, errstr, errstr_size)) !=
                CDR_OK ||
            (err = plan_ksets(risk, r, errstr, errstr_size)) != CDR_OK)
                goto fail;

        if (scratch_init(&s, n) != CDR_OK)
                goto nomem;
        /* Columns to dense ids, in place. */
        for (i = 0; i < risk->ncols; i++) {
                err = dcol_make(risk->col[i], n, &cols[i], &s);
                risk->col[i] = NULL;
                if (err != CDR_OK)
                        goto nomem;
        }

        for (i = 0; i < r->nksets; i++) {
                cdr_risk_kset_t *set = &r->ksets[i];

                if ((err = group_by(cols, set->fields, set->nfields, n, risk->k,
                                    0, &s, &g)) != CDR_OK)
                        goto nomem;
                set->groups = g.n;
                set->min_k = g.min;
                set->below = g.below;
                set->below_share = n ? (double)g.below / (double)n : 0;
        }

        for (i = 0; i < r->nfields; i++)
                r->ntraces += is_trace[i];
        r->traces = calloc(r->ntraces + 1, sizeof(*r->traces));
        if (r->traces == NULL)
                goto nomem;
        if (r->ntraces > 0 &&
            (err = group_by(cols, r->point_fields, r->npoint_fields, n, risk->k,
                            1, &s, &pts)) != CDR_OK)
                goto nomem;
        r->ntraces = 0;
        for (i = 0; i < r->nfields; i++) {
                cdr_risk_trace_t *t;
                unsigned p;

                if (!is_trace[i])
                        continue;
                t = &r->traces[r->ntraces++];
                if ((t->field = strdup(r->fields[i])) == NULL)
                        goto nomem;
                t->pseudonymous = risk->pseudo[i];
                for (p = 0; p < CDR_RISK_POINTS; p++)
                        t->at[p].points = p + 1;
                if ((err = traces_make(&cols[i], t->pseudonymous, pts.id, pts.n,
                                       n, &s, &tr)) != CDR_OK)
                        goto nomem;
                t->records = tr.records;
                t->traces = tr.ntraces;
                t->points = tr.pairs;
                if (risk->exhaustive) {
                        if (exhaustive_subsets(&tr) > CDR_RISK_MAX_SUBSETS) {
                                traces_free(&tr);
                                cdr_errf(
                                    errstr, errstr_size,
                                    "exhaustive: field '%s' has more "
                                    "than %llu p-subsets to test (use "
                                    "sampling)",
                                    t->field,
                                    (unsigned long long)CDR_RISK_MAX_SUBSETS);
                                err = CDR_ERR_TOOBIG;
                                goto fail;
                        }
                        unicity_exhaustive(&tr, t);
                } else {
                        unicity_sampled(&tr, risk->samples,
                                        risk->seed ^ mix64(i + 1), t);
                }
                traces_free(&tr);
        }
        free(pts.id);
        scratch_free(&s);
        for (i = 0; i < risk->ncols; i++)
                dcol_free(&cols[i]);
        *report = r;
        return CDR_OK;
nomem:
        err = CDR_ERR_NOMEM;
        cdr_errf(errstr, errstr_size, "out of memory");
fail:
        free(pts.id);
        scratch_free(&s);
        for (i = 0; i < CDR_MAX_SLOTS; i++)
                dcol_free(&cols[i]);
        cdr_risk_report_destroy(r);
        return err;
}

const cdr_risk_trace_t *cdr_risk_gate(const cdr_risk_report_t *report,
                                      unsigned points, double max_share)
{
        const cdr_risk_trace_t *worst = NULL;
        size_t i;

        if (points < 1 || points > CDR_RISK_POINTS)
                return NULL;
        for (i = 0; i < report->ntraces; i++) {
                const cdr_risk_unicity_t *u = &report->traces[i].at[points - 1];

                if (u->tested > 0 && u->hi > max_share &&
                    (worst == NULL || u->hi > worst->at[points - 1].hi))
                        worst = &report->traces[i];
        }
        return worst;
}

/* ---- formatting ------------------------------------------------------- */

static int put_names(cdr_buf_t *out, const cdr_risk_report_t *r,
                     const size_t *idx, size_t n, const char *sep)
{
        size_t i;
        int err = CDR_OK;

        for (i = 0; i < n && err == CDR_OK; i++)
                err = cdr_buf_printf(out, "%s%s", i ? sep : "",
                                     r->fields[idx[i]]);
        return err;
}

#define TRY(x)                                                                 \
        do {                                                                   \
                if ((x) != CDR_OK)                                             \
                        return CDR_ERR_NOMEM;                                  \
        } while (0)

int cdr_risk_report_table(const cdr_risk_report_t *r, cdr_buf_t *out)
{
        size_t i, width = 5;
        unsigned p;

        TRY(cdr_buf_printf(out,
                           "records: %llu measured of %llu (%llu malformed, "
                           "skipped",
                           (unsigned long long)r->records,
                           (unsigned long long)r->lines,
                           (unsigned long long)r->malformed));
        if (r->windowed)
                TRY(cdr_buf_printf(
                    out, "; %llu outside the window, %llu without a time",
                    (unsigned long long)r->outside_window,
                    (unsigned long long)r->without_time));
        TRY(cdr_buf_puts(out, ")\n"));
        if (r->windowed)
                TRY(cdr_buf_printf(out, "window on: %s\n",
                                   r->time_field ? r->time_field : "(none)"));
        TRY(cdr_buf_puts(out, "point fields: "));
        TRY(put_names(out, r, r->point_fields, r->npoint_fields, ", "));
        TRY(cdr_buf_puts(out, r->npoint_fields ? "\n" : "(none)\n"));

        for (i = 0; i < r->ntraces; i++)
                if (strlen(r->traces[i].field) > width)
                        width = strlen(r->traces[i].field);
        TRY(cdr_buf_printf(
            out,
            "\nunicity: share of traces that p random points of their own\n"
            "single out (%s; 95%% interval; a trace with fewer than p "
            "distinct\npoints is not tested at p)\n\n",
            r->exhaustive     ? "exhaustive: every trace, every p-subset"
            : r->samples == 0 ? "every trace as a target"
                              : "sampled targets"));
        if (r->ntraces == 0)
                TRY(cdr_buf_puts(out, "  no field holds pseudonyms\n"));
        else
                TRY(cdr_buf_printf(out,
                                   "%-*s  %7s %7s %8s  p  unicity   95%% "
                                   "interval      tested  short\n",
                                   (int)width, "field", "records", "traces",
                                   "targets"));
        for (i = 0; i < r->ntraces; i++) {
                const cdr_risk_trace_t *t = &r->traces[i];

                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        const cdr_risk_unicity_t *u = &t->at[p];

                        if (p == 0)
                                TRY(cdr_buf_printf(
                                    out, "%-*s  %7llu %7llu %8llu", (int)width,
                                    t->field, (unsigned long long)t->records,
                                    (unsigned long long)t->traces,
                                    (unsigned long long)t->targets));
                        else
                                TRY(cdr_buf_printf(out, "%*s", (int)width + 26,
                                                   ""));
                        if (u->tested == 0)
                                TRY(cdr_buf_printf(
                                    out,
                                    "  %u        -   "
                                    "                 %7llu "
                                    "%6llu\n",
                                    u->points, 0ull,
                                    (unsigned long long)u->short_traces));
                        else
                                TRY(cdr_buf_printf(
                                    out,
                                    "  %u  %6.2f%%  [%6.2f%%, %6.2f%%]  "
                                    "%7llu %6llu\n",
                                    u->points, 100 * u->share, 100 * u->lo,
                                    100 * u->hi, (unsigned long long)u->tested,
                                    (unsigned long long)u->short_traces));
                }
        }

        TRY(cdr_buf_printf(out,
                           "\nk-anonymity over %llu records: groups of records "
                           "sharing the values of\nthe fields; 'below' = "
                           "records in groups of fewer than k = %llu\n\n",
                           (unsigned long long)r->records,
                           (unsigned long long)r->k));
        TRY(cdr_buf_printf(out, "%9s %7s %9s %8s  fields\n", "groups", "min k",
                           "below", "share"));
        for (i = 0; i < r->nksets; i++) {
                const cdr_risk_kset_t *s = &r->ksets[i];

                TRY(cdr_buf_printf(
                    out, "%9llu %7llu %9llu %7.2f%%  ",
                    (unsigned long long)s->groups, (unsigned long long)s->min_k,
                    (unsigned long long)s->below, 100 * s->below_share));
                TRY(put_names(out, r, s->fields, s->nfields, ","));
                TRY(cdr_buf_puts(out, "\n"));
        }
        return CDR_OK;
}

static int put_string(cdr_buf_t *out, const char *s)
{
        if (cdr_json_put_string(out, s, strlen(s)) == CDR_OK)
                return CDR_OK;
        return cdr_json_put_string(out, "?", 1);
}

/* Field names come from the data: written through the JSON encoder. */
static int put_name_array(cdr_buf_t *out, const cdr_risk_report_t *r,
                          const size_t *idx, size_t n)
{
        size_t i;

        TRY(cdr_buf_putc(out, '['));
        for (i = 0; i < n; i++) {
                if (i)
                        TRY(cdr_buf_putc(out, ','));
                TRY(put_string(out, r->fields[idx ? idx[i] : i]));
        }
        return cdr_buf_putc(out, ']');
}

int cdr_risk_report_json(const cdr_risk_report_t *r, cdr_buf_t *out)
{
        size_t i;
        unsigned p;

        TRY(cdr_buf_printf(
            out,
            "{\"lines\":%llu,\"records\":%llu,\"malformed\":%llu,"
            "\"outside_window\":%llu,\"without_time\":%llu,"
            "\"time_field\":",
            (unsigned long long)r->lines, (unsigned long long)r->records,
            (unsigned long long)r->malformed,
            (unsigned long long)r->outside_window,
            (unsigned long long)r->without_time));
        TRY(r->time_field ? put_string(out, r->time_field)
                          : cdr_buf_puts(out, "null"));
        TRY(cdr_buf_puts(out, ",\"fields\":"));
        TRY(put_name_array(out, r, NULL, r->nfields));
        TRY(cdr_buf_puts(out, ",\"point_fields\":"));
        TRY(put_name_array(out, r, r->point_fields, r->npoint_fields));
        TRY(cdr_buf_printf(out,
                           ",\"unicity\":{\"mode\":\"%s\",\"samples\":%llu,"
                           "\"seed\":%llu,\"fields\":[",
                           r->exhaustive ? "exhaustive" : "sampled",
                           (unsigned long long)r->samples,
                           (unsigned long long)r->seed));
        for (i = 0; i < r->ntraces; i++) {
                const cdr_risk_trace_t *t = &r->traces[i];

                TRY(cdr_buf_puts(out, i ? ",{\"field\":" : "{\"field\":"));
                TRY(put_string(out, t->field));
                TRY(cdr_buf_printf(out,
                                   ",\"pseudonymous\":%s,\"records\":%llu,"
                                   "\"traces\":%llu,\"targets\":%llu,"
                                   "\"trace_points\":%llu,\"at\":[",
                                   t->pseudonymous ? "true" : "false",
                                   (unsigned long long)t->records,
                                   (unsigned long long)t->traces,
                                   (unsigned long long)t->targets,
                                   (unsigned long long)t->points));
                for (p = 0; p < CDR_RISK_POINTS; p++) {
                        const cdr_risk_unicity_t *u = &t->at[p];

                        TRY(cdr_buf_printf(
                            out,
                            "%s{\"points\":%u,\"tested\":%llu,\"short\":%llu,"
                            "\"share\":%.17g,\"se\":%.17g,\"lo\":%.17g,"
                            "\"hi\":%.17g",
                            p ? "," : "", u->points,
                            (unsigned long long)u->tested,
                            (unsigned long long)u->short_traces, u->share,
                            u->se, u->lo, u->hi));
                        if (r->exhaustive)
                                TRY(cdr_buf_printf(
                                    out,
                                    ",\"subsets\":%llu,\"unique_subsets\":%"
                                    "llu}",
                                    (unsigned long long)u->subsets,
                                    (unsigned long long)u->unique_subsets));
                        else
                                TRY(cdr_buf_printf(
                                    out, ",\"unique\":%llu}",
                                    (unsigned long long)u->unique));
                }
                TRY(cdr_buf_puts(out, "]}"));
        }
        TRY(cdr_buf_printf(out, "]},\"k_anonymity\":{\"k\":%llu,\"sets\":[",
                           (unsigned long long)r->k));
        for (i = 0; i < r->nksets; i++) {
                const cdr_risk_kset_t *s = &r->ksets[i];

                TRY(cdr_buf_puts(out, i ? ",{\"fields\":" : "{\"fields\":"));
                TRY(put_name_array(out, r, s->fields, s->nfields));
                TRY(cdr_buf_printf(
                    out,
                    ",\"groups\":%llu,\"min_k\":%llu,"
                    "\"below\":%llu,\"below_share\":%.17g}",
                    (unsigned long long)s->groups, (unsigned long long)s->min_k,
                    (unsigned long long)s->below, s->below_share));
        }
        return cdr_buf_puts(out, "]}}\n");
}
