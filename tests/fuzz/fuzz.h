/*
 * Shared by the libFuzzer targets under tests/fuzz/ (docs/reliability.md
 * says how they are run).  Each target checks the contracts of the module
 * it drives, not only memory safety: FUZZ_ASSERT turns a broken contract
 * into a crash, which libFuzzer reports and saves as a reproducer.
 */
#ifndef CDRANON_FUZZ_H
#define CDRANON_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond)                                                      \
        do {                                                                   \
                if (!(cond)) {                                                 \
                        fprintf(stderr, "%s:%d: contract broken: %s\n",        \
                                __FILE__, __LINE__, #cond);                    \
                        abort();                                               \
                }                                                              \
        } while (0)

/* A copy of p[0..n) in an allocation of exactly n bytes (1 when n is 0),
 * so that AddressSanitizer sees any read past the end of a record, as it
 * would past the end of a Kafka message.  Aborts when out of memory. */
static inline char *fuzz_dup(const void *p, size_t n)
{
        char *copy = malloc(n ? n : 1);

        FUZZ_ASSERT(copy != NULL);
        if (n)
                memcpy(copy, p, n);
        return copy;
}

/* 1 when the view v lies inside [base, base + n). */
static inline int fuzz_within(const char *vp, size_t vn, const char *base,
                              size_t n)
{
        uintptr_t v = (uintptr_t)vp, b = (uintptr_t)base;

        return v >= b && v <= b + n && vn <= b + n - v;
}

/* The error convention: one line of printable ASCII.  Reasons about
 * records name fields and rules, so no byte of a record that is not
 * printable ASCII can appear in one. */
static inline int fuzz_errstr_ok(const char *errstr)
{
        const unsigned char *p = (const unsigned char *)errstr;

        if (*p == '\0')
                return 0;
        for (; *p; p++)
                if (*p < 0x20 || *p > 0x7e)
                        return 0;
        return 1;
}

#endif
