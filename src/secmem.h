/*
 * Memory for secrets, inside the library: key material, the states
 * derived from it, file buffers holding keys and the pseudonym cache of
 * canonical identifiers live in anonymous mappings kept out of core
 * dumps (MADV_DONTDUMP).  Secret regions are also locked in memory when
 * the system allows (a failed mlock is not an error: RLIMIT_MEMLOCK is
 * often small).  Every region is wiped before it is unmapped.
 */
#ifndef CDRANON_SECMEM_H
#define CDRANON_SECMEM_H

#include <stddef.h>

/* A zeroed region of `size` bytes (1 when 0), locked when `lock`.
 * Returns NULL when out of memory.  Release with cdr_secmem_free(p,
 * size, lock). */
void *cdr_secmem_alloc(size_t size, int lock);

/* A region for the pseudonym cache: like cdr_secmem_alloc (not locked),
 * and aligned to and backed by 2 MiB pages where the system allows,
 * because the cache is read at random and would otherwise cost a TLB
 * miss per lookup.  Release it with cdr_secmem_free(p, size, 0). */
void *cdr_secmem_alloc_huge(size_t size);

/* Wipes, unlocks (when `lock`) and unmaps a region.  NULL: no-op. */
void cdr_secmem_free(void *p, size_t size, int lock);

#endif
