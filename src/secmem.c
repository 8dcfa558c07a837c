/*
 * Memory for secrets: see secmem.h.
 */
#include "secmem.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *cdr_secmem_alloc(size_t size, int lock)
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

void *cdr_secmem_alloc_huge(size_t size)
{
        size_t span, head;
        char *p;

        if (size < HUGE_PAGE)
                return cdr_secmem_alloc(size, 0);
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

void cdr_secmem_free(void *p, size_t size, int lock)
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
