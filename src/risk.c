/*
 * The re-identification risk meter (risk.h, docs/anonymity.md): the
 * options, the meter, and reading each JSON line into one hashed column
 * per field.  The measuring is in risk_measure.c (src/risk_int.h).
 */
#include "risk_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- options ---------------------------------------------------------- */

void cdr_risk_options_init(cdr_risk_options_t *options)
{
        memset(options, 0, sizeof(*options));
        options->samples = CDR_RISK_DEFAULT_SAMPLES;
        options->seed = 1;
        options->k = CDR_RISK_DEFAULT_K;
        options->k_subsets = CDR_RISK_DEFAULT_SUBSETS;
}

void risk_free_names(char **names, size_t n)
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
                        risk_free_names(copy, i);
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
        risk_free_names(risk->trace_names, risk->ntrace_names);
        risk_free_names(risk->point_names, risk->npoint_names);
        risk_free_names(risk->kset_specs, risk->nkset_specs);
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
