/*
 * Fuzz target: the sealed-record parser (unseal.h), with the fixed test
 * key of fuzz_unseal.h.  The whole input is opened as one binary record,
 * twice (the second time through the unsealer's epoch cache), and each
 * of its lines as a base64 line of a sealed file.  The seed corpus holds
 * valid records made by the sealer (seed_unseal.c).
 *
 * Contracts checked beyond memory safety and leaks: an error is
 * CDR_ERR_MALFORMED or CDR_ERR_AUTH, leaves the output empty and is one
 * line of printable ASCII; the second open gives the same answer as the
 * first; an opened record is shorter than the sealed one, carries the
 * key's id, a counter below 2^32 and a source of the kind it says.  Each
 * line is also opened as a line too long to hold is (the two passes of
 * cdr_unsealer_long_*, fed in pieces of sizes drawn from the input): it
 * opens exactly when the in-memory open does, to the same record and
 * header, and releases nothing when it does not.
 */
#include "fuzz.h"
#include "fuzz_unseal.h"

#include "cdranon/unseal.h"

static cdr_buf_t out = CDR_BUF_INIT, first = CDR_BUF_INIT;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

/* Opens p[0..n) and checks the result; returns the error code. */
static int open_checked(cdr_unsealer_t *unsealer, const char *p, size_t n,
                        int base64, cdr_sealed_meta_t *meta_out)
{
        char errstr[512] = "";
        cdr_sealed_meta_t meta;
        char *rec = fuzz_dup(p, n);
        int rc;

        memset(&meta, 0xa5, sizeof(meta));
        if (base64)
                rc = cdr_unsealer_open_base64(unsealer, rec, n, &out, &meta,
                                              errstr, sizeof(errstr));
        else
                rc = cdr_unsealer_open(unsealer, rec, n, &out, &meta, errstr,
                                       sizeof(errstr));
        if (meta_out != NULL)
                *meta_out = meta;
        free(rec);
        if (rc != 0) {
                FUZZ_ASSERT(rc == CDR_ERR_MALFORMED || rc == CDR_ERR_AUTH);
                FUZZ_ASSERT(out.len == 0);
                FUZZ_ASSERT(fuzz_errstr_ok(errstr));
                return rc;
        }
        FUZZ_ASSERT(out.len < n);
        FUZZ_ASSERT(out.data != NULL && out.data[out.len] == '\0');
        FUZZ_ASSERT(strcmp(meta.key_id, FUZZ_UNSEAL_KEY_ID) == 0);
        FUZZ_ASSERT(meta.counter < ((uint64_t)1 << 32));
        FUZZ_ASSERT(meta.source.file == NULL || meta.source.topic == NULL);
        if (meta.source.file != NULL)
                FUZZ_ASSERT(strlen(meta.source.file) <= 65535);
        if (meta.source.topic != NULL)
                FUZZ_ASSERT(strlen(meta.source.topic) <= 65535);
        return rc;
}

static int collect(void *opaque, const void *p, size_t n)
{
        return cdr_buf_append(opaque, p, n);
}

/* The line p[0..n) through the two passes, checked against the in-memory
 * open's answer (rc, out, meta). */
static void long_checked(cdr_unsealer_t *unsealer, const char *p, size_t n,
                         int rc, const cdr_sealed_meta_t *want)
{
        static cdr_buf_t got = CDR_BUF_INIT;
        char errstr[512] = "";
        cdr_sealed_meta_t meta;
        uint32_t seed = (uint32_t)n * 2654435761u;
        size_t off = 0, k;
        int lrc;

        FUZZ_ASSERT(cdr_unsealer_long_begin(unsealer, "/tmp", errstr,
                                            sizeof(errstr)) == 0);
        lrc = CDR_OK;
        while (lrc == CDR_OK && off < n) {
                seed = seed * 1103515245u + 12345u;
                k = 1 + (seed >> 16) % 97;
                if (k > n - off)
                        k = n - off;
                lrc = cdr_unsealer_long_feed(unsealer, p + off, k, errstr,
                                             sizeof(errstr));
                off += k;
        }
        if (lrc == CDR_OK)
                lrc = cdr_unsealer_long_end(unsealer, &meta, errstr,
                                            sizeof(errstr));
        cdr_buf_reset(&got);
        if (lrc != CDR_OK) {
                FUZZ_ASSERT(rc != CDR_OK);
                FUZZ_ASSERT(lrc == CDR_ERR_MALFORMED || lrc == CDR_ERR_AUTH);
                FUZZ_ASSERT(fuzz_errstr_ok(errstr));
                FUZZ_ASSERT(cdr_unsealer_long_write(unsealer, collect, &got,
                                                    errstr, sizeof(errstr)) ==
                            CDR_ERR_INVAL);
                FUZZ_ASSERT(got.len == 0);
                return;
        }
        FUZZ_ASSERT(rc == CDR_OK);
        FUZZ_ASSERT(meta.counter == want->counter &&
                    meta.length == want->length &&
                    strcmp(meta.key_id, want->key_id) == 0);
        FUZZ_ASSERT((meta.source.file == NULL) == (want->source.file == NULL));
        FUZZ_ASSERT(meta.source.line == want->source.line &&
                    meta.source.offset == want->source.offset &&
                    meta.source.partition == want->source.partition);
        FUZZ_ASSERT(cdr_unsealer_long_write(unsealer, collect, &got, errstr,
                                            sizeof(errstr)) == 0);
        FUZZ_ASSERT(
            got.len == first.len &&
            (got.len == 0 || memcmp(got.data, first.data, got.len) == 0));
        cdr_buf_free(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data, *nl;
        cdr_unsealer_t *unsealer;
        size_t pos = 0, n;
        int rc, rc2;

        unsealer = cdr_unsealer_new();
        FUZZ_ASSERT(unsealer != NULL);
        FUZZ_ASSERT(cdr_unsealer_add_key(unsealer, FUZZ_UNSEAL_SK) == 0);

        rc = open_checked(unsealer, buf, size, 0, NULL);
        cdr_buf_reset(&first);
        if (rc == 0)
                FUZZ_ASSERT(cdr_buf_append(&first, out.data, out.len) == 0);
        rc2 = open_checked(unsealer, buf, size, 0, NULL);
        FUZZ_ASSERT(rc2 == rc);
        if (rc == 0)
                FUZZ_ASSERT(out.len == first.len &&
                            (out.len == 0 ||
                             memcmp(out.data, first.data, out.len) == 0));
        FUZZ_ASSERT(cdr_unsealer_key_opened(unsealer, 0) ==
                    (rc == 0 ? 2u : 0u));
        cdr_buf_reset(&first);

        while (pos < size) {
                cdr_sealed_meta_t meta;

                nl = memchr(buf + pos, '\n', size - pos);
                n = nl != NULL ? (size_t)(nl - (buf + pos)) + 1 : size - pos;
                rc = open_checked(unsealer, buf + pos, n, 1, &meta);
                cdr_buf_reset(&first);
                if (rc == 0)
                        FUZZ_ASSERT(cdr_buf_append(&first, out.data, out.len) ==
                                    0);
                long_checked(unsealer, buf + pos, n, rc, &meta);
                pos += n;
        }
        cdr_unsealer_destroy(unsealer);
        return 0;
}
