/*
 * Fuzz target: lists of source coordinates (sources.h), as `cdranon
 * unseal --sources` reads them: the input is split into lines, each
 * added as it would be from a file.
 *
 * Contracts checked beyond memory safety:
 *   - a line is accepted or refused with one line of printable ASCII;
 *     names hold no control character;
 *   - after cdr_sources_finish, the sources are sorted, distinct, at
 *     most as many as the lines, each "topic T [P] offset O" or "file F
 *     line L", and none is marked found;
 *   - a plain line built from a listed topic source ("T P O", when T has
 *     no blank) is listed already: the same coordinates give the same
 *     key, whatever the form they came in.
 */
#include "fuzz.h"

#include "cdranon/sources.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cdr_sources_t *set = cdr_sources_new(), *again;
        const char *p = (const char *)data, *end = p + size, *prev = NULL;
        char errstr[256];
        size_t lines = 0, i, n;
        int found, rc;

        FUZZ_ASSERT(set != NULL);
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                size_t len =
                    eol != NULL ? (size_t)(eol - p) + 1 : (size_t)(end - p);
                char *line = fuzz_dup(p, len);

                lines++;
                errstr[0] = '\0';
                rc = cdr_sources_add_line(set, line, len, errstr,
                                          sizeof(errstr));
                FUZZ_ASSERT(rc == CDR_OK || fuzz_errstr_ok(errstr));
                free(line);
                p += len;
        }
        FUZZ_ASSERT(cdr_sources_finish(set) == CDR_OK);
        n = cdr_sources_count(set);
        FUZZ_ASSERT(n <= lines);
        again = cdr_sources_new();
        FUZZ_ASSERT(again != NULL);
        for (i = 0; i < n; i++) {
                const char *key = cdr_sources_get(set, i, &found);
                char topic[64], plain[128];
                long partition;
                long long offset;
                int used = 0;
                size_t j;

                FUZZ_ASSERT(!found);
                FUZZ_ASSERT(strncmp(key, "topic ", 6) == 0 ||
                            strncmp(key, "file ", 5) == 0);
                FUZZ_ASSERT(prev == NULL || strcmp(prev, key) < 0);
                for (j = 0; key[j] != '\0'; j++)
                        FUZZ_ASSERT((unsigned char)key[j] >= 0x20 &&
                                    key[j] != 0x7f);
                prev = key;
                if (sscanf(key, "topic %63s [%ld] offset %lld%n", topic,
                           &partition, &offset, &used) == 3 &&
                    (size_t)used == strlen(key)) {
                        snprintf(plain, sizeof(plain), "%s %ld %lld\n", topic,
                                 partition, offset);
                        FUZZ_ASSERT(cdr_sources_add_line(
                                        again, plain, strlen(plain), errstr,
                                        sizeof(errstr)) == CDR_OK);
                }
        }
        FUZZ_ASSERT(cdr_sources_finish(again) == CDR_OK);
        for (i = 0; i < cdr_sources_count(again); i++) {
                const char *key = cdr_sources_get(again, i, NULL);
                size_t j;

                for (j = 0; j < n; j++)
                        if (strcmp(cdr_sources_get(set, j, NULL), key) == 0)
                                break;
                FUZZ_ASSERT(j < n);
        }
        cdr_sources_destroy(again);
        cdr_sources_destroy(set);
        return 0;
}
