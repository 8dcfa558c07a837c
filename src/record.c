/* Schemas of needed input fields and reusable records: see record.h. */
#include "cdranon/record.h"

#include <stdlib.h>
#include <string.h>

/* Open addressing over a power of two at least twice CDR_MAX_SLOTS, so a
 * probe sequence always meets an empty bucket. */
#define SCHEMA_BUCKETS 128

struct cdr_schema_s {
        size_t count;
        size_t len[CDR_MAX_SLOTS];
        uint32_t hash[CDR_MAX_SLOTS];
        int8_t bucket[SCHEMA_BUCKETS]; /* slot, or -1 when empty */
        char name[CDR_MAX_SLOTS][CDR_FIELD_NAME_MAX + 1];
};

static inline uint64_t schema_load64(const char *p)
{
        uint64_t x;

        memcpy(&x, p, sizeof(x));
        return x;
}

/* A multiplicative hash that reads a name eight bytes at a time: it runs
 * for every field name of every JSON record, and a probe sequence in a
 * table of at most CDR_MAX_SLOTS names is short whatever the input. */
static inline uint32_t schema_hash(const char *p, size_t n)
{
        const uint64_t k = 0x9e3779b97f4a7c15ull;
        uint64_t h = (uint64_t)n * k, t;
        size_t i;

        if (n >= 8) {
                for (i = 0; i + 8 < n; i += 8)
                        h = (h ^ schema_load64(p + i)) * k;
                t = schema_load64(p + n - 8);
        } else if (n >= 4) {
                uint32_t a, b;

                memcpy(&a, p, 4);
                memcpy(&b, p + n - 4, 4);
                t = (uint64_t)a << 32 | b;
        } else if (n > 0) {
                t = (uint64_t)(unsigned char)p[0] << 16 |
                    (uint64_t)(unsigned char)p[n / 2] << 8 |
                    (unsigned char)p[n - 1];
        } else {
                t = 0;
        }
        h = (h ^ t) * k;
        return (uint32_t)(h >> 32);
}

cdr_schema_t *cdr_schema_new(void)
{
        cdr_schema_t *schema = calloc(1, sizeof(*schema));

        if (schema == NULL)
                return NULL;
        memset(schema->bucket, -1, sizeof(schema->bucket));
        return schema;
}

void cdr_schema_destroy(cdr_schema_t *schema)
{
        free(schema);
}

/* memcmp(a, b, n) == 0 for the short names of a schema, without a call:
 * overlapping loads of the first and last bytes cover 4 <= n <= 16. */
static inline int schema_name_eq(const char *a, const char *b, size_t n)
{
        uint64_t x, y, u, v;
        uint32_t x4, y4, u4, v4;

        if (n >= 8 && n <= 16) {
                memcpy(&x, a, 8);
                memcpy(&y, b, 8);
                memcpy(&u, a + n - 8, 8);
                memcpy(&v, b + n - 8, 8);
                return ((x ^ y) | (u ^ v)) == 0;
        }
        if (n >= 4 && n < 8) {
                memcpy(&x4, a, 4);
                memcpy(&y4, b, 4);
                memcpy(&u4, a + n - 4, 4);
                memcpy(&v4, b + n - 4, 4);
                return ((x4 ^ y4) | (u4 ^ v4)) == 0;
        }
        return memcmp(a, b, n) == 0;
}

/* The bucket holding `name`, or the empty bucket where it would go. */
static inline size_t schema_probe(const cdr_schema_t *schema, const char *name,
                                  size_t len, uint32_t h)
{
        size_t b = h & (SCHEMA_BUCKETS - 1);
        int slot;

        while ((slot = schema->bucket[b]) >= 0) {
                if (schema->hash[slot] == h && schema->len[slot] == len &&
                    schema_name_eq(schema->name[slot], name, len))
                        break;
                b = (b + 1) & (SCHEMA_BUCKETS - 1);
        }
        return b;
}

int cdr_schema_add(cdr_schema_t *schema, const char *name, size_t len)
{
        uint32_t h;
        size_t b;
        int slot;

        if (schema == NULL || name == NULL || len == 0 ||
            memchr(name, '\0', len) != NULL)
                return CDR_ERR_INVAL;
        if (len > CDR_FIELD_NAME_MAX)
                return CDR_ERR_TOOBIG;
        h = schema_hash(name, len);
        b = schema_probe(schema, name, len, h);
        if (schema->bucket[b] >= 0)
                return schema->bucket[b];
        if (schema->count >= CDR_MAX_SLOTS)
                return CDR_ERR_TOOBIG;
        slot = (int)schema->count++;
        memcpy(schema->name[slot], name, len);
        schema->name[slot][len] = '\0';
        schema->len[slot] = len;
        schema->hash[slot] = h;
        schema->bucket[b] = (int8_t)slot;
        return slot;
}

int cdr_schema_find(const cdr_schema_t *schema, const char *name, size_t len)
{
        uint32_t h;

        if (schema == NULL || schema->count == 0 || len > CDR_FIELD_NAME_MAX)
                return -1;
        h = schema_hash(name, len);
        return schema->bucket[schema_probe(schema, name, len, h)];
}

size_t cdr_schema_count(const cdr_schema_t *schema)
{
        return schema ? schema->count : 0;
}

const char *cdr_schema_name(const cdr_schema_t *schema, int slot)
{
        if (schema == NULL || slot < 0 || (size_t)slot >= schema->count)
                return NULL;
        return schema->name[slot];
}

int cdr_record_reset(cdr_record_t *record, size_t nslots, size_t len)
{
        if (nslots > CDR_MAX_SLOTS)
                nslots = CDR_MAX_SLOTS;
        memset(record->value, 0, nslots * sizeof(record->value[0]));
        memset(record->flags, 0, nslots * sizeof(record->flags[0]));
        record->raw.p = NULL;
        record->raw.n = 0;
        record->nfields = 0;
        cdr_buf_reset(&record->scratch);
        return cdr_buf_reserve(&record->scratch, len);
}

void cdr_record_free(cdr_record_t *record)
{
        if (record == NULL)
                return;
        cdr_buf_free(&record->scratch);
}
