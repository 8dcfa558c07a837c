/* Schemas of needed input fields and reusable records: see record.h. */
#include "cdranon/record.h"
#include "namehash.h"

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
        h = cdr_namehash(name, len);
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
        h = cdr_namehash(name, len);
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
        record->reason = CDR_REASON_OTHER;
        cdr_buf_reset(&record->scratch);
        return cdr_buf_reserve(&record->scratch, len);
}

size_t cdr_record_body(const char *rec, size_t len)
{
        if (len > 0 && rec[len - 1] == '\n')
                len--;
        if (len > 0 && rec[len - 1] == '\r')
                len--;
        return len;
}

void cdr_record_free(cdr_record_t *record)
{
        if (record == NULL)
                return;
        cdr_buf_free(&record->scratch);
}
