/*
 * The hash of a field name, shared by the schema (record.c) and the JSON
 * reader's duplicate-name check (json.c): a multiplicative hash that
 * reads a name eight bytes at a time.  It runs for every field name of
 * every JSON record; it is only a bucket index, and names are always
 * compared in full, so a collision costs a probe, never a wrong answer.
 */
#ifndef CDRANON_NAMEHASH_H
#define CDRANON_NAMEHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t cdr_namehash_load64(const char *p)
{
        uint64_t x;

        memcpy(&x, p, sizeof(x));
        return x;
}

static inline uint32_t cdr_namehash(const char *p, size_t n)
{
        const uint64_t k = 0x9e3779b97f4a7c15ull;
        uint64_t h = (uint64_t)n * k, t;
        size_t i;

        if (n >= 8) {
                for (i = 0; i + 8 < n; i += 8)
                        h = (h ^ cdr_namehash_load64(p + i)) * k;
                t = cdr_namehash_load64(p + n - 8);
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

#endif
