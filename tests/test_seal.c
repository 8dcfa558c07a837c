/*
 * Sealing and opening: round trips over a generated corpus across epochs,
 * nonce uniqueness, tampering, wrong keys, key periods, key files, and
 * the worked example of docs/sealed-format.md.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "cdranon/encode.h"
#include "cdranon/hpke.h"
#include "cdranon/seal.h"
#include "cdranon/keyfile.h"
#include "cdranon/unseal.h"
#include "seal_kat.h"

#define DAY ((int64_t)86400)

/* ---- helpers ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/cdranon-test-seal-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(seal, .init = make_tmpdir, .fini = remove_tmpdir);

static const char *tmp_path(const char *name)
{
        static char paths[16][160];
        static int next;
        char *p = paths[next++ % 16];

        snprintf(p, 160, "%s/%s", tmpdir, name);
        return p;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

        cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        cr_assert_eq(fchmod(fd, mode), 0);
        close(fd);
}

static char *read_text(const char *path)
{
        FILE *f = fopen(path, "r");
        char *text;
        long n;

        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        text = calloc(1, (size_t)n + 1);
        cr_assert_not_null(text);
        cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        return text;
}

/* Hex digits of `text` (white space skipped) into out. */
static size_t unhex(const char *text, uint8_t *out, size_t cap)
{
        size_t n = 0;
        int hi = -1;

        for (; *text; text++) {
                int v;

                if (*text == ' ' || *text == '\n' || *text == '\t')
                        continue;
                cr_assert(sscanf((char[]){*text, 0}, "%x", &v) == 1,
                          "not hex: '%c'", *text);
                if (hi < 0) {
                        hi = v;
                        continue;
                }
                cr_assert(n < cap, "hex longer than %zu bytes", cap);
                out[n++] = (uint8_t)(hi << 4 | v);
                hi = -1;
        }
        cr_assert(hi < 0, "odd number of hex digits");
        return n;
}

/* A custodian key pair made by cdr_custodian_keygen, with its period. */
typedef struct {
        const char *priv;
        const char *pub;
        cdr_custodian_spec_t spec;
} pair_t;

static pair_t make_pair(const char *name, int64_t from, int64_t until)
{
        static char paths[16][160]; /* each test makes a few pairs */
        static int next;
        char errstr[256] = "";
        char *priv = paths[next++ % 16], *pub = paths[next++ % 16];
        pair_t pair;

        snprintf(priv, 160, "%s/%s.key", tmpdir, name);
        snprintf(pub, 160, "%s/%s.pub", tmpdir, name);
        pair.priv = priv;
        pair.pub = pub;
        cr_assert_eq(
            cdr_custodian_keygen(pair.priv, pair.pub, errstr, sizeof(errstr)),
            0, "%s", errstr);
        pair.spec.file = (char *)pair.pub;
        pair.spec.not_before = from;
        pair.spec.not_after = until;
        pair.spec.line = 0;
        return pair;
}

static cdr_custodian_set_t *load_set(const cdr_custodian_spec_t *specs,
                                     size_t n)
{
        char errstr[256] = "";
        cdr_custodian_set_t *set;

        set = cdr_custodian_set_load(specs, n, errstr, sizeof(errstr));
        cr_assert_not_null(set, "%s", errstr);
        return set;
}

static cdr_sealer_t *new_sealer(const cdr_custodian_set_t *set,
                                uint64_t epoch_records)
{
        char errstr[256] = "";
        cdr_sealer_t *sealer;

        sealer =
            cdr_sealer_new(set, epoch_records, 3600, errstr, sizeof(errstr));
        cr_assert_not_null(sealer, "%s", errstr);
        return sealer;
}

static cdr_unsealer_t *unsealer_with(const char *priv)
{
        char errstr[256] = "";
        cdr_unsealer_t *unsealer = cdr_unsealer_new();

        cr_assert_not_null(unsealer);
        if (priv != NULL)
                cr_assert_eq(cdr_unsealer_add_key_file(unsealer, priv, errstr,
                                                       sizeof(errstr)),
                             0, "%s", errstr);
        return unsealer;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static void seal_one(cdr_sealer_t *sealer, const char *rec,
                     const cdr_source_t *source, int64_t event_time,
                     cdr_buf_t *out)
{
        char errstr[256] = "";

        cr_assert_eq(cdr_sealer_seal(sealer, rec, strlen(rec), source,
                                     event_time, out, errstr, sizeof(errstr)),
                     0, "%s", errstr);
}

/* Rewrites a sealed record's key id to that of the unsealer's key i. */
static void set_key_id(cdr_buf_t *sealed, const cdr_unsealer_t *unsealer,
                       size_t i)
{
        char id[CDR_KEY_ID_HEX_SIZE];

        cdr_unsealer_key_id(unsealer, i, id);
        cr_assert_eq(unhex(id, (uint8_t *)sealed->data + 6, 8), 8);
}

/* ---- round trip ---- */

Test(seal, round_trip_corpus_across_epochs)
{
        enum { N = 260, EPOCH = 37, MAXLEN = 65536 };
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_sealer_t *sealer = new_sealer(set, EPOCH);
        cdr_unsealer_t *unsealer = unsealer_with(pair.priv);
        static uint8_t encs[N][32];
        static uint64_t counters[N];
        cdr_buf_t sealed = CDR_BUF_INIT, opened = CDR_BUF_INIT;
        uint8_t *rec = malloc(MAXLEN);
        char errstr[256];
        size_t i, j;

        cr_assert_not_null(rec);
        for (i = 0; i < N; i++) {
                size_t len;
                cdr_source_t source = {0};
                cdr_sealed_meta_t meta;

                /* Sizes 0 and 64 KiB, then mostly CDR-sized, some big. */
                len = i == 0        ? 0
                      : i == 1      ? MAXLEN
                      : i % 10 == 0 ? rnd() % (MAXLEN + 1)
                                    : rnd() % 600;
                for (j = 0; j < len; j++)
                        rec[j] = (uint8_t)rnd();
                if (i % 3 == 1) {
                        source.file = "in/cdrs.csv";
                        source.line = i + 1;
                } else if (i % 3 == 2) {
                        source.topic = "cdr.raw";
                        source.partition = (int32_t)(i % 7) - 1;
                        source.offset = (int64_t)(i * 1000003) - 5;
                }
                cr_assert_eq(cdr_sealer_seal(sealer, rec, len,
                                             i % 3 ? &source : NULL, INT64_MIN,
                                             &sealed, errstr, sizeof(errstr)),
                             0, "%s", errstr);
                cr_assert_eq(sealed.len, 70 + len +
                                             (i % 3 == 1   ? 2 + 11 + 8
                                              : i % 3 == 2 ? 2 + 7 + 12
                                                           : 0));
                /* The plaintext does not appear in the output. */
                if (len >= 16)
                        cr_assert_null(
                            memmem(sealed.data, sealed.len, rec, 16));
                memcpy(encs[i], sealed.data + 14, 32);
                counters[i] = 0;
                for (j = 0; j < 8; j++)
                        counters[i] =
                            counters[i] << 8 | (uint8_t)sealed.data[46 + j];

                cr_assert_eq(cdr_unsealer_open(unsealer, sealed.data,
                                               sealed.len, &opened, &meta,
                                               errstr, sizeof(errstr)),
                             0, "record %zu: %s", i, errstr);
                cr_assert_eq(opened.len, len);
                cr_assert(len == 0 || memcmp(opened.data, rec, len) == 0);
                cr_assert_eq(meta.counter, counters[i]);
                if (i % 3 == 1) {
                        cr_assert_str_eq(meta.source.file, "in/cdrs.csv");
                        cr_assert_eq(meta.source.line, i + 1);
                        cr_assert_null(meta.source.topic);
                } else if (i % 3 == 2) {
                        cr_assert_str_eq(meta.source.topic, "cdr.raw");
                        cr_assert_eq(meta.source.partition, source.partition);
                        cr_assert_eq(meta.source.offset, source.offset);
                        cr_assert_null(meta.source.file);
                } else {
                        cr_assert_null(meta.source.file);
                        cr_assert_null(meta.source.topic);
                }
        }
        cr_assert_eq(cdr_sealer_epochs(sealer), (N + EPOCH - 1) / EPOCH);
        cr_assert_eq(cdr_unsealer_key_opened(unsealer, 0), N);

        /* Nonce uniqueness: counters run 0..EPOCH-1 within an epoch, and
         * every epoch has its own enc (so its own data key and prefix). */
        for (i = 0; i < N; i++) {
                cr_assert_eq(counters[i], i % EPOCH);
                for (j = 0; j < i; j++) {
                        int same_enc = memcmp(encs[i], encs[j], 32) == 0;

                        cr_assert_eq(same_enc, i / EPOCH == j / EPOCH,
                                     "records %zu and %zu", j, i);
                        cr_assert(!same_enc || counters[i] != counters[j]);
                }
        }
        free(rec);
        cdr_buf_free(&sealed);
        cdr_buf_free(&opened);
        cdr_unsealer_destroy(unsealer);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
}

Test(seal, epoch_limits)
{
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_sealer_t *sealer;
        cdr_buf_t a = CDR_BUF_INIT, b = CDR_BUF_INIT;
        char errstr[256];

        cr_assert_null(cdr_sealer_new(set, 0, 3600, errstr, sizeof(errstr)));
        cr_assert_null(cdr_sealer_new(set, ((uint64_t)1 << 32) + 1, 3600,
                                      errstr, sizeof(errstr)));
        cr_assert_null(cdr_sealer_new(set, 10, 0, errstr, sizeof(errstr)));
        sealer = new_sealer(set, (uint64_t)1 << 32);
        cdr_sealer_destroy(sealer);

        /* One record per epoch: the same record seals differently. */
        sealer = new_sealer(set, 1);
        seal_one(sealer, "same record", NULL, INT64_MIN, &a);
        seal_one(sealer, "same record", NULL, INT64_MIN, &b);
        cr_assert_eq(cdr_sealer_epochs(sealer), 2);
        cr_assert_eq(a.len, b.len);
        cr_assert(memcmp(a.data + 14, b.data + 14, 32) != 0);
        cr_assert(memcmp(a.data + 54, b.data + 54, a.len - 54) != 0);

        /* Too big is refused before the record is read. */
        cr_assert_eq(cdr_sealer_seal(sealer, "",
                                     (size_t)CDR_SEALED_RECORD_MAX + 1, NULL,
                                     INT64_MIN, &a, errstr, sizeof(errstr)),
                     CDR_ERR_TOOBIG);
        cdr_buf_free(&a);
        cdr_buf_free(&b);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
}

/* An epoch ends after epoch_seconds even when records keep coming; the
 * test waits for the coarse monotonic clock to pass one second. */
Test(seal, epoch_seconds)
{
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_unsealer_t *unsealer = unsealer_with(pair.priv);
        cdr_buf_t a = CDR_BUF_INIT, b = CDR_BUF_INIT, opened = CDR_BUF_INIT;
        char errstr[256];
        struct timespec start, now;
        cdr_sealer_t *sealer;

        sealer = cdr_sealer_new(set, 1000, 1, errstr, sizeof(errstr));
        cr_assert_not_null(sealer, "%s", errstr);
        seal_one(sealer, "first", NULL, INT64_MIN, &a);
        clock_gettime(CLOCK_MONOTONIC_COARSE, &start);
        do {
                struct timespec pause = {0, 50 * 1000 * 1000};

                nanosleep(&pause, NULL);
                clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
        } while (now.tv_sec < start.tv_sec + 1);
        seal_one(sealer, "second", NULL, INT64_MIN, &b);
        cr_assert_eq(cdr_sealer_epochs(sealer), 2);
        cr_assert(memcmp(a.data + 14, b.data + 14, 32) != 0);
        cr_assert_eq(cdr_unsealer_open(unsealer, a.data, a.len, &opened, NULL,
                                       errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cr_assert_str_eq(opened.data, "first");
        cr_assert_eq(cdr_unsealer_open(unsealer, b.data, b.len, &opened, NULL,
                                       errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cr_assert_str_eq(opened.data, "second");
        cdr_buf_free(&a);
        cdr_buf_free(&b);
        cdr_buf_free(&opened);
        cdr_unsealer_destroy(unsealer);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
}

/* ---- tampering ---- */

static void expect_rejected(cdr_unsealer_t *unsealer, const void *sealed,
                            size_t len, const char *plaintext, const char *what,
                            size_t at)
{
        cdr_buf_t opened = CDR_BUF_INIT;
        char errstr[256] = "";
        int rc;

        rc = cdr_unsealer_open(unsealer, sealed, len, &opened, NULL, errstr,
                               sizeof(errstr));
        cr_assert(rc == CDR_ERR_AUTH || rc == CDR_ERR_MALFORMED,
                  "%s at %zu: rc %d", what, at, rc);
        cr_assert_eq(opened.len, 0, "%s at %zu: plaintext released", what, at);
        cr_assert(errstr[0] != '\0', "%s at %zu: no message", what, at);
        cr_assert_null(strstr(errstr, plaintext), "%s: message leaks", what);
        cr_assert_null(strstr(errstr, "447700"), "%s: message leaks", what);
        cdr_buf_free(&opened);
}

Test(seal, tampering_fails_closed)
{
        const char *rec = "2026-11-27T21:04:05Z,+447700900123,+447700900456,"
                          "62,234150999999999";
        cdr_source_t source = {
            .topic = "cdr.raw", .partition = 3, .offset = 123456};
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_sealer_t *sealer = new_sealer(set, 1000);
        cdr_unsealer_t *unsealer = unsealer_with(pair.priv);
        cdr_buf_t a = CDR_BUF_INIT, b = CDR_BUF_INIT, c = CDR_BUF_INIT;
        cdr_buf_t opened = CDR_BUF_INIT;
        uint8_t *m;
        size_t hlen, i, len;
        char errstr[256];
        int bit;

        seal_one(sealer, rec, &source, INT64_MIN, &a);
        source.offset++;
        seal_one(sealer, rec, &source, INT64_MIN, &b); /* same epoch */
        cr_assert_eq(
            cdr_sealer_set_ephemeral_ikm(sealer,
                                         (const uint8_t *)"0123456789"
                                                          "abcdef0123"
                                                          "456789abcdef",
                                         32),
            0);
        seal_one(sealer, rec, &source, INT64_MIN, &c); /* next epoch */
        len = a.len;
        hlen = len - strlen(rec) - 16;
        cr_assert_eq(hlen, 54 + 2 + 7 + 12);
        m = malloc(len + 1);
        cr_assert_not_null(m);

        /* The untouched record opens. */
        cr_assert_eq(cdr_unsealer_open(unsealer, a.data, len, &opened, NULL,
                                       errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cr_assert_str_eq(opened.data, rec);

        /* Every bit of the header, every byte of the tag, and every
         * fifth byte of the ciphertext. */
        for (i = 0; i < len; i++) {
                if (i >= hlen && i < len - 16 && (i - hlen) % 5 != 0)
                        continue;
                for (bit = 0; bit < 8; bit++) {
                        if (i >= hlen && bit != 0 && bit != 7)
                                continue;
                        memcpy(m, a.data, len);
                        m[i] ^= (uint8_t)(1u << bit);
                        expect_rejected(unsealer, m, len, rec, "bit flip", i);
                }
        }
        /* Truncated at every length, and extended by one byte. */
        for (i = 0; i < len; i++)
                expect_rejected(unsealer, a.data, i, rec, "truncated", i);
        memcpy(m, a.data, len);
        m[len] = 0;
        expect_rejected(unsealer, m, len + 1, rec, "extended", len);

        /* Re-ordered: b's counter (1) in a's header, and a's counter in
         * b's. */
        memcpy(m, a.data, len);
        memcpy(m + 46, b.data + 46, 8);
        expect_rejected(unsealer, m, len, rec, "counter from b", 46);
        memcpy(m, b.data, len);
        memcpy(m + 46, a.data + 46, 8);
        expect_rejected(unsealer, m, len, rec, "counter from a", 46);
        /* Spliced: a's header on b's ciphertext and tag. */
        memcpy(m, a.data, hlen);
        memcpy(m + hlen, b.data + hlen, len - hlen);
        expect_rejected(unsealer, m, len, rec, "splice a|b", hlen);
        /* Another epoch's enc. */
        memcpy(m, a.data, len);
        memcpy(m + 14, c.data + 14, 32);
        expect_rejected(unsealer, m, len, rec, "enc of another epoch", 14);
        /* Source coordinates of another record. */
        memcpy(m, a.data, len);
        m[hlen - 1] ^= 1; /* offset 123456 -> 123457, b's */
        expect_rejected(unsealer, m, len, rec, "source of b", hlen - 1);
        /* Bad base64 and a valid line with a CRLF end. */
        cr_assert_eq(cdr_unsealer_open_base64(unsealer, "Q0RS!", 5, &opened,
                                              NULL, errstr, sizeof(errstr)),
                     CDR_ERR_MALFORMED);
        {
                cdr_buf_t line = CDR_BUF_INIT;

                cr_assert_eq(cdr_base64_append(
                                 &line, (const unsigned char *)a.data, a.len),
                             0);
                cr_assert_eq(cdr_buf_puts(&line, "\r\n"), 0);
                cr_assert_eq(cdr_unsealer_open_base64(unsealer, line.data,
                                                      line.len, &opened, NULL,
                                                      errstr, sizeof(errstr)),
                             0, "%s", errstr);
                cr_assert_str_eq(opened.data, rec);
                cdr_buf_free(&line);
        }
        /* After all that, the originals still open. */
        cr_assert_eq(cdr_unsealer_open(unsealer, b.data, b.len, &opened, NULL,
                                       errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cr_assert_eq(cdr_unsealer_open(unsealer, c.data, c.len, &opened, NULL,
                                       errstr, sizeof(errstr)),
                     0, "%s", errstr);
        free(m);
        cdr_buf_free(&a);
        cdr_buf_free(&b);
        cdr_buf_free(&c);
        cdr_buf_free(&opened);
        cdr_unsealer_destroy(unsealer);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
}

/* ---- keys ---- */

Test(seal, wrong_key_fails)
{
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        pair_t other = make_pair("other", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_sealer_t *sealer = new_sealer(set, 1000);
        cdr_unsealer_t *wrong = unsealer_with(other.priv);
        cdr_unsealer_t *both = unsealer_with(other.priv);
        cdr_buf_t sealed = CDR_BUF_INIT, opened = CDR_BUF_INIT;
        char errstr[256] = "", id[CDR_KEY_ID_HEX_SIZE];

        seal_one(sealer, "a record", NULL, INT64_MIN, &sealed);
        cr_assert_eq(cdr_unsealer_open(wrong, sealed.data, sealed.len, &opened,
                                       NULL, errstr, sizeof(errstr)),
                     CDR_ERR_AUTH);
        cr_assert_eq(opened.len, 0);
        cdr_custodian_key_id(set, 0, id);
        cr_assert_not_null(strstr(errstr, id), "%s", errstr);

        /* Relabelled with the wrong key's id: the id only picks the key,
         * the tag decides. */
        set_key_id(&sealed, wrong, 0);
        cr_assert_eq(cdr_unsealer_open(wrong, sealed.data, sealed.len, &opened,
                                       NULL, errstr, sizeof(errstr)),
                     CDR_ERR_AUTH);
        cr_assert_not_null(strstr(errstr, "authentication failed"), "%s",
                           errstr);
        cr_assert_eq(opened.len, 0);

        seal_one(sealer, "a record", NULL, INT64_MIN, &sealed);
        cr_assert_eq(
            cdr_unsealer_add_key_file(both, pair.priv, errstr, sizeof(errstr)),
            0, "%s", errstr);
        cr_assert_eq(cdr_unsealer_key_count(both), 2);
        cr_assert_eq(cdr_unsealer_open(both, sealed.data, sealed.len, &opened,
                                       NULL, errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cr_assert_str_eq(opened.data, "a record");
        cr_assert_eq(cdr_unsealer_key_opened(both, 0), 0);
        cr_assert_eq(cdr_unsealer_key_opened(both, 1), 1);
        /* Adding the same key again changes nothing. */
        cr_assert_eq(
            cdr_unsealer_add_key_file(both, pair.priv, errstr, sizeof(errstr)),
            0);
        cr_assert_eq(cdr_unsealer_key_count(both), 2);
        cdr_buf_free(&sealed);
        cdr_buf_free(&opened);
        cdr_unsealer_destroy(wrong);
        cdr_unsealer_destroy(both);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
}

/* The processor holds the public key file and the sealer.  The sealing
 * interface has no way to open, the public key file is not a private
 * key, and no freshly made private key opens what was sealed. */
Test(seal, processor_cannot_open)
{
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_sealer_t *sealer = new_sealer(set, 1000);
        cdr_unsealer_t *unsealer = cdr_unsealer_new();
        cdr_buf_t sealed = CDR_BUF_INIT, opened = CDR_BUF_INIT;
        char *header = read_text("include/cdranon/seal.h");
        char errstr[256];
        uint8_t ikm[32], sk[32], pk[32];
        int i;

        cr_assert_null(strstr(header, "unseal"));
        cr_assert_null(strstr(header, "open("));
        cr_assert_null(strstr(header, "_open"));
        cr_assert_null(strstr(header, "private"));
        free(header);

        seal_one(sealer, "a record", NULL, INT64_MIN, &sealed);
        cr_assert_not_null(unsealer);
        cr_assert_eq(chmod(pair.pub, 0600), 0);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer, pair.pub, errstr,
                                               sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_unsealer_key_count(unsealer), 0);
        for (i = 0; i < 8; i++) {
                cr_assert_eq(RAND_bytes(ikm, sizeof(ikm)), 1);
                cr_assert_eq(cdr_hpke_derive_keypair(ikm, 32, sk, pk), 0);
                cr_assert_eq(cdr_unsealer_add_key(unsealer, sk), 0);
        }
        cr_assert_eq(cdr_unsealer_open(unsealer, sealed.data, sealed.len,
                                       &opened, NULL, errstr, sizeof(errstr)),
                     CDR_ERR_AUTH);
        cr_assert_eq(opened.len, 0);
        /* Nor with the record relabelled for each of those keys, so that
         * the key is tried and the tag decides. */
        for (i = 0; i < 8; i++) {
                set_key_id(&sealed, unsealer, (size_t)i);
                cr_assert_eq(cdr_unsealer_open(unsealer, sealed.data,
                                               sealed.len, &opened, NULL,
                                               errstr, sizeof(errstr)),
                             CDR_ERR_AUTH);
                cr_assert_not_null(strstr(errstr, "authentication failed"),
                                   "%s", errstr);
                cr_assert_eq(opened.len, 0);
        }
        cdr_buf_free(&sealed);
        cdr_buf_free(&opened);
        cdr_unsealer_destroy(unsealer);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
}

Test(seal, key_periods)
{
        int64_t now = time(NULL);
        pair_t past = make_pair("past", now - 2 * DAY, now - DAY);
        pair_t current = make_pair("current", now - DAY, now + DAY);
        pair_t future = make_pair("future", now + DAY, now + 2 * DAY);
        cdr_custodian_spec_t specs[3] = {future.spec, past.spec, current.spec};
        cdr_custodian_set_t *set = load_set(specs, 3);
        cdr_sealer_t *sealer = new_sealer(set, 1000);
        cdr_unsealer_t *u_past = unsealer_with(past.priv);
        cdr_unsealer_t *u_current = unsealer_with(current.priv);
        cdr_unsealer_t *u_future = unsealer_with(future.priv);
        cdr_buf_t sealed = CDR_BUF_INIT, opened = CDR_BUF_INIT;
        char errstr[256], id[CDR_KEY_ID_HEX_SIZE];
        static const struct {
                int64_t event_offset; /* from now; INT64_MIN: unknown */
                int opener;           /* 0 past, 1 current, 2 future */
        } cases[] = {
            {-2 * DAY, 0},    {-DAY - 1, 0},  {-DAY, 1},
            {0, 1},           {DAY - 1, 1},   {DAY, 2},
            {2 * DAY - 1, 2}, {INT64_MIN, 1}, /* unknown: now */
            {-30 * DAY, 1},   {2 * DAY, 1},   /* uncovered: now */
        };
        cdr_unsealer_t *openers[3] = {u_past, u_current, u_future};
        size_t i;
        int j;

        cr_assert_eq(cdr_custodian_set_count(set), 3);
        cr_assert_eq(cdr_custodian_set_find(set, now - 3 * DAY),
                     CDR_ERR_NOTFOUND);
        cr_assert_eq(cdr_custodian_set_find(set, now + 2 * DAY),
                     CDR_ERR_NOTFOUND);
        cr_assert_eq(cdr_custodian_set_find(set, now - 2 * DAY), 0);
        cr_assert_eq(cdr_custodian_set_find(set, now), 1);
        cr_assert_eq(cdr_custodian_set_find(set, now + DAY), 2);

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int64_t t = cases[i].event_offset == INT64_MIN
                                ? INT64_MIN
                                : now + cases[i].event_offset;

                seal_one(sealer, "record", NULL, t, &sealed);
                for (j = 0; j < 3; j++) {
                        int rc = cdr_unsealer_open(openers[j], sealed.data,
                                                   sealed.len, &opened, NULL,
                                                   errstr, sizeof(errstr));

                        cr_assert_eq(rc,
                                     j == cases[i].opener ? 0 : CDR_ERR_AUTH,
                                     "case %zu, key %d: %s", i, j, errstr);
                }
                cdr_custodian_key_id(set, (size_t)cases[i].opener, id);
                for (j = 0; j < 8; j++) {
                        unsigned v;

                        cr_assert_eq(sscanf(id + 2 * j, "%2x", &v), 1);
                        cr_assert_eq((uint8_t)sealed.data[6 + j], v);
                }
        }
        cr_assert_eq(cdr_sealer_epochs(sealer), 3);
        cdr_buf_free(&sealed);
        cdr_buf_free(&opened);
        for (j = 0; j < 3; j++)
                cdr_unsealer_destroy(openers[j]);
        cdr_sealer_destroy(sealer);

        /* Without a key for the current time the sealer does not start. */
        cdr_custodian_set_destroy(set);
        specs[0] = past.spec;
        specs[1] = future.spec;
        set = load_set(specs, 2);
        cr_assert_null(cdr_sealer_new(set, 1000, 3600, errstr, sizeof(errstr)));
        cr_assert_not_null(strstr(errstr, "current time"), "%s", errstr);
        cdr_custodian_set_destroy(set);
}

Test(seal, custodian_set_errors)
{
        pair_t a = make_pair("a", 0, 1000);
        pair_t b = make_pair("b", 999, 2000);
        cdr_custodian_spec_t specs[2] = {a.spec, b.spec};
        char errstr[256];
        EVP_PKEY *ed;
        FILE *f;

        cr_assert_null(
            cdr_custodian_set_load(specs, 0, errstr, sizeof(errstr)));
        cr_assert_null(
            cdr_custodian_set_load(specs, 2, errstr, sizeof(errstr)));
        cr_assert_not_null(strstr(errstr, "overlap"), "%s", errstr);
        specs[1].not_before = 1000; /* touching is not overlapping */
        cdr_custodian_set_destroy(load_set(specs, 2));
        specs[1].not_before = 2000;
        cr_assert_null(
            cdr_custodian_set_load(specs, 2, errstr, sizeof(errstr)));
        cr_assert_not_null(strstr(errstr, "empty"), "%s", errstr);

        /* An Ed25519 key and a low-order X25519 point. */
        ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        cr_assert_not_null(ed);
        f = fopen(tmp_path("ed.pub"), "w");
        cr_assert_eq(PEM_write_PUBKEY(f, ed), 1);
        fclose(f);
        EVP_PKEY_free(ed);
        write_file(
            tmp_path("low.pub"),
            "-----BEGIN PUBLIC KEY-----\n"
            "MCowBQYDK2VuAyEAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
            "-----END PUBLIC KEY-----\n",
            0644);
        write_file(tmp_path("junk.pub"), "not a key\n", 0644);

        static const struct {
                const char *file;
                int line;
                const char *want;
        } bad[] = {
            {"missing.pub", 7, "7: keys.custodian_public: "},
            {"junk.pub", 0, "not a PEM public key"},
            {"a.key", 0, "not a PEM public key"},
            {"ed.pub", 0, "not an X25519 public key"},
            {"low.pub", 3, "low-order"},
        };
        size_t i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cdr_custodian_spec_t spec = {(char *)tmp_path(bad[i].file),
                                             INT64_MIN, INT64_MAX, bad[i].line};

                errstr[0] = '\0';
                cr_assert_null(
                    cdr_custodian_set_load(&spec, 1, errstr, sizeof(errstr)),
                    "%s loaded", bad[i].file);
                cr_assert_not_null(strstr(errstr, bad[i].want), "%s: %s",
                                   bad[i].file, errstr);
                cr_assert_not_null(strstr(errstr, bad[i].file), "%s", errstr);
        }
}

Test(seal, keygen_and_private_key_files)
{
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_unsealer_t *unsealer = cdr_unsealer_new();
        char errstr[256], *text;
        struct stat st;
        EVP_PKEY *pkey;
        FILE *f;

        cr_assert_eq(stat(pair.priv, &st), 0);
        cr_assert_eq(st.st_mode & 0777, 0600);
        text = read_text(pair.priv);
        cr_assert_eq(strncmp(text, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
        free(text);
        text = read_text(pair.pub);
        cr_assert_eq(strncmp(text, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
        free(text);

        /* Existing files are never overwritten, and a failed run leaves
         * no private key behind. */
        cr_assert_eq(cdr_custodian_keygen(pair.priv, tmp_path("new.pub"),
                                          errstr, sizeof(errstr)),
                     CDR_ERR_IO);
        cr_assert_not_null(strstr(errstr, "already exists"), "%s", errstr);
        cr_assert_neq(access(tmp_path("new.pub"), F_OK), 0);
        cr_assert_eq(cdr_custodian_keygen(tmp_path("new.key"), pair.pub, errstr,
                                          sizeof(errstr)),
                     CDR_ERR_IO);
        cr_assert_neq(access(tmp_path("new.key"), F_OK), 0);

        /* Group- or world-accessible private keys are refused. */
        cr_assert_eq(chmod(pair.priv, 0640), 0);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer, pair.priv, errstr,
                                               sizeof(errstr)),
                     CDR_ERR_PERM);
        cr_assert_not_null(strstr(errstr, pair.priv));
        cr_assert_eq(chmod(pair.priv, 0604), 0);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer, pair.priv, errstr,
                                               sizeof(errstr)),
                     CDR_ERR_PERM);
        cr_assert_eq(chmod(pair.priv, 0600), 0);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer, pair.priv, errstr,
                                               sizeof(errstr)),
                     0, "%s", errstr);

        /* An encrypted PKCS#8 key, another key type, a missing file. */
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        f = fopen(tmp_path("enc.key"), "w");
        cr_assert_eq(PEM_write_PKCS8PrivateKey(f, pkey, EVP_aes_256_cbc(), NULL,
                                               0, NULL, "secret"),
                     1);
        fclose(f);
        EVP_PKEY_free(pkey);
        cr_assert_eq(chmod(tmp_path("enc.key"), 0600), 0);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer, tmp_path("enc.key"),
                                               errstr, sizeof(errstr)),
                     CDR_ERR_INVAL);
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        f = fopen(tmp_path("ed.key"), "w");
        cr_assert_eq(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL),
                     1);
        fclose(f);
        EVP_PKEY_free(pkey);
        cr_assert_eq(chmod(tmp_path("ed.key"), 0600), 0);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer, tmp_path("ed.key"),
                                               errstr, sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_assert_not_null(strstr(errstr, "X25519"), "%s", errstr);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer,
                                               tmp_path("missing.key"), errstr,
                                               sizeof(errstr)),
                     CDR_ERR_IO);
        cr_assert_eq(cdr_unsealer_key_count(unsealer), 1);
        cdr_unsealer_destroy(unsealer);
}

/* ---- the worked example of docs/sealed-format.md ---- */

/* The fenced block after "<!-- example:NAME -->", NUL-terminated. */
static char *doc_block(const char *doc, const char *name)
{
        char marker[64], *block;
        const char *p, *end;

        snprintf(marker, sizeof(marker), "<!-- example:%s -->\n```\n", name);
        p = strstr(doc, marker);
        cr_assert_not_null(p, "docs/sealed-format.md: no block %s", name);
        p += strlen(marker);
        end = strstr(p, "```");
        cr_assert_not_null(end);
        block = strndup(p, (size_t)(end - p));
        cr_assert_not_null(block);
        return block;
}

static size_t doc_hex(const char *doc, const char *name, uint8_t *out,
                      size_t cap)
{
        char *block = doc_block(doc, name);
        size_t n = unhex(block, out, cap);

        free(block);
        return n;
}

Test(seal, documented_example)
{
        char *doc = read_text("docs/sealed-format.md");
        char *plaintext = doc_block(doc, "plaintext");
        char *pem = doc_block(doc, "private-key-pem");
        char *pub_pem = doc_block(doc, "public-key-pem");
        char *source = doc_block(doc, "source");
        char *b64 = doc_block(doc, "sealed-base64");
        char *key_id = doc_block(doc, "key-id");
        uint8_t sk[32], pk[32], pk_doc[32], ikmE[64], sealed[1024];
        uint8_t enc[32], ss[32], data_key[32], data_key_doc[32], prefix[4],
            prefix_doc[4];
        char file[64], errstr[256] = "", id[CDR_KEY_ID_HEX_SIZE];
        unsigned long line;
        size_t sealed_len, ikm_len, pt_len;
        cdr_buf_t opened = CDR_BUF_INIT, bin = CDR_BUF_INIT;
        cdr_sealed_meta_t meta;
        cdr_unsealer_t *unsealer = cdr_unsealer_new();
        cdr_hpke_ctx_t ctx;

        cr_assert_eq(doc_hex(doc, "private-key-hex", sk, sizeof(sk)), 32);
        cr_assert_eq(doc_hex(doc, "public-key-hex", pk_doc, sizeof(pk_doc)),
                     32);
        ikm_len = doc_hex(doc, "ikm-e", ikmE, sizeof(ikmE));
        sealed_len = doc_hex(doc, "sealed-hex", sealed, sizeof(sealed));
        cr_assert_eq(doc_hex(doc, "data-key", data_key_doc, 32), 32);
        cr_assert_eq(doc_hex(doc, "nonce-prefix", prefix_doc, 4), 4);
        cr_assert_eq(sscanf(source, "file %63s\nline %lu", file, &line), 2);
        /* The record with its line end, as file mode seals it. */
        pt_len = strlen(plaintext);
        cr_assert(pt_len > 0 && plaintext[pt_len - 1] == '\n');

        /* The sealed hex opens with the documented private key to the
         * documented record and source. */
        cr_assert_eq(cdr_unsealer_add_key(unsealer, sk), 0);
        cr_assert_eq(cdr_unsealer_open(unsealer, sealed, sealed_len, &opened,
                                       &meta, errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cr_assert_eq(opened.len, pt_len);
        cr_assert_str_eq(opened.data, plaintext);
        cr_assert_str_eq(meta.source.file, file);
        cr_assert_eq(meta.source.line, line);
        cr_assert_eq(meta.counter, 0);
        cr_assert_eq(strncmp(meta.key_id, key_id, 16), 0);
        cr_assert_eq(key_id[16], '\n');

        /* The base64 line is the same record. */
        cr_assert_eq(cdr_base64_decode(&bin, b64, strcspn(b64, "\n")), 0);
        cr_assert_eq(bin.len, sealed_len);
        cr_assert(memcmp(bin.data, sealed, sealed_len) == 0);
        cr_assert_eq(cdr_unsealer_open_base64(unsealer, b64, strlen(b64),
                                              &opened, NULL, errstr,
                                              sizeof(errstr)),
                     0, "%s", errstr);
        cr_assert_str_eq(opened.data, plaintext);
        cdr_unsealer_destroy(unsealer);

        /* The PEM private key is the same key and loads from a file. */
        write_file(tmp_path("doc.key"), pem, 0600);
        unsealer = unsealer_with(tmp_path("doc.key"));
        cr_assert_eq(cdr_unsealer_open(unsealer, sealed, sealed_len, &opened,
                                       NULL, errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cdr_unsealer_key_id(unsealer, 0, id);
        cr_assert_eq(strncmp(id, key_id, 16), 0);
        cdr_unsealer_destroy(unsealer);
        cr_assert_eq(cdr_hpke_public_key(sk, pk), 0);
        cr_assert(memcmp(pk, pk_doc, 32) == 0);

        /* The intermediate values. */
        cr_assert_eq(cdr_hpke_encap_deterministic(pk, ikmE, ikm_len, ss, enc),
                     0);
        cr_assert(memcmp(enc, sealed + 14, 32) == 0);
        cr_assert_eq(cdr_hpke_setup_base_r(&ctx, CDR_HPKE_AEAD_EXPORT_ONLY, enc,
                                           sk, "cdranon sealed v1", 17),
                     0);
        cr_assert_eq(cdr_hpke_export(&ctx, "cdranon sealed v1 data key", 26,
                                     data_key, 32),
                     0);
        cr_assert_eq(cdr_hpke_export(&ctx, "cdranon sealed v1 nonce prefix", 30,
                                     prefix, 4),
                     0);
        cr_assert(memcmp(data_key, data_key_doc, 32) == 0);
        cr_assert(memcmp(prefix, prefix_doc, 4) == 0);

        /* The sealer regenerates the example byte for byte. */
        {
                cdr_custodian_spec_t spec = {(char *)tmp_path("doc.pub"),
                                             INT64_MIN, INT64_MAX, 0};
                cdr_source_t src = {.file = file, .line = line};
                cdr_custodian_set_t *set;
                cdr_sealer_t *sealer;
                cdr_buf_t out = CDR_BUF_INIT;

                write_file(spec.file, pub_pem, 0644);
                set = load_set(&spec, 1);
                cdr_custodian_key_id(set, 0, id);
                cr_assert_eq(strncmp(id, key_id, 16), 0);
                sealer = new_sealer(set, 1000);
                cr_assert_eq(
                    cdr_sealer_set_ephemeral_ikm(sealer, ikmE, ikm_len), 0);
                cr_assert_eq(cdr_sealer_seal(sealer, plaintext, pt_len, &src,
                                             INT64_MIN, &out, errstr,
                                             sizeof(errstr)),
                             0, "%s", errstr);
                cr_assert_eq(out.len, sealed_len);
                cr_assert(memcmp(out.data, sealed, sealed_len) == 0,
                          "the sealer no longer reproduces the example");
                cdr_buf_free(&out);
                cdr_sealer_destroy(sealer);
                cdr_custodian_set_destroy(set);
        }
        cdr_buf_free(&opened);
        cdr_buf_free(&bin);
        free(doc);
        free(plaintext);
        free(pem);
        free(pub_pem);
        free(source);
        free(b64);
        free(key_id);
}

/* ---- records sealed in pieces, and opened in two passes ---- */

static const uint8_t fixed_ikm[32] = {1, 2, 3, 4, 5, 6, 7, 8};

/* A record of n random bytes with line feeds and CRs among them. */
static char *random_record(size_t n)
{
        char *rec = malloc(n + 1);
        size_t i;

        cr_assert_not_null(rec);
        for (i = 0; i < n; i++) {
                uint64_t r = rnd();

                rec[i] = r % 53 == 0 ? '\n' : r % 59 == 0 ? '\r' : (char)r;
        }
        rec[n] = '\0';
        return rec;
}

/* Seals rec in pieces of the sizes given (in turn), taking all but the
 * last few bytes off the front of `out` after each, as a writer of a
 * base64 line does; the sealed record is gathered in `all`. */
static void seal_pieces(cdr_sealer_t *sealer, const char *rec, size_t n,
                        const cdr_source_t *src, const size_t *sizes,
                        size_t nsizes, cdr_buf_t *all)
{
        char errstr[256] = "";
        cdr_buf_t out = CDR_BUF_INIT;
        size_t off = 0, i = 0, keep;

        cdr_buf_reset(all);
        cr_assert_eq(cdr_sealer_begin(sealer, src, INT64_MIN, &out, errstr,
                                      sizeof(errstr)),
                     0, "%s", errstr);
        while (off < n) {
                size_t k = sizes[i++ % nsizes];

                if (k > n - off)
                        k = n - off;
                cr_assert_eq(cdr_sealer_update(sealer, rec + off, k, &out,
                                               errstr, sizeof(errstr)),
                             0, "%s", errstr);
                off += k;
                keep = out.len % 3;
                cr_assert_eq(cdr_buf_append(all, out.data, out.len - keep), 0);
                memmove(out.data, out.data + out.len - keep, keep);
                out.len = keep;
        }
        cr_assert_eq(cdr_sealer_finish(sealer, &out, errstr, sizeof(errstr)), 0,
                     "%s", errstr);
        cr_assert_eq(cdr_buf_append(all, out.data, out.len), 0);
        cdr_buf_free(&out);
}

Test(seal, pieces_make_the_same_sealed_record)
{
        static const size_t sizes[][4] = {{1, 1, 1, 1},
                                          {7, 1, 3, 5},
                                          {4096, 4096, 4096, 4096},
                                          {65537, 3, 1 << 20, 2}};
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_source_t src = {.file = "big.csv", .line = 12};
        cdr_buf_t whole = CDR_BUF_INIT, pieced = CDR_BUF_INIT;
        const size_t lens[] = {0, 1, 100, 3 << 20};
        char errstr[256] = "";
        size_t i, j;

        for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                char *rec = random_record(lens[i]);

                for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
                        cdr_sealer_t *a, *b;

                        if (lens[i] > (1 << 16) && j == 0)
                                continue; /* byte by byte: too slow */
                        a = new_sealer(set, 1000);
                        b = new_sealer(set, 1000);
                        cr_assert_eq(cdr_sealer_set_ephemeral_ikm(
                                         a, fixed_ikm, sizeof(fixed_ikm)),
                                     0);
                        cr_assert_eq(cdr_sealer_set_ephemeral_ikm(
                                         b, fixed_ikm, sizeof(fixed_ikm)),
                                     0);
                        cr_assert_eq(cdr_sealer_seal(a, rec, lens[i], &src,
                                                     INT64_MIN, &whole, errstr,
                                                     sizeof(errstr)),
                                     0, "%s", errstr);
                        seal_pieces(b, rec, lens[i], &src, sizes[j], 4,
                                    &pieced);
                        cr_assert_eq(pieced.len, whole.len);
                        cr_assert(memcmp(pieced.data, whole.data, whole.len) ==
                                      0,
                                  "record of %zu bytes, pieces %zu: other "
                                  "bytes",
                                  lens[i], j);
                        /* The next record of the same epoch too. */
                        seal_one(a, "next", &src, INT64_MIN, &whole);
                        seal_one(b, "next", &src, INT64_MIN, &pieced);
                        cr_assert(whole.len == pieced.len &&
                                  memcmp(whole.data, pieced.data, whole.len) ==
                                      0);
                        cdr_sealer_destroy(a);
                        cdr_sealer_destroy(b);
                }
                free(rec);
        }
        cdr_buf_free(&whole);
        cdr_buf_free(&pieced);
        cdr_custodian_set_destroy(set);
}

Test(seal, pieces_stop_at_the_format_limit)
{
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_sealer_t *sealer = new_sealer(set, 1000);
        cdr_buf_t out = CDR_BUF_INIT;
        char errstr[256] = "";

        cr_assert_eq(
            cdr_sealer_update(sealer, "x", 1, &out, errstr, sizeof(errstr)),
            CDR_ERR_INVAL, "no record begun");
        cr_assert_eq(cdr_sealer_begin(sealer, NULL, INT64_MIN, &out, errstr,
                                      sizeof(errstr)),
                     0);
        /* Refused before a byte is read. */
        cr_assert_eq(cdr_sealer_update(sealer, "",
                                       (size_t)CDR_SEALED_RECORD_MAX + 1, &out,
                                       errstr, sizeof(errstr)),
                     CDR_ERR_TOOBIG);
        cr_assert_eq(cdr_sealer_finish(sealer, &out, errstr, sizeof(errstr)),
                     CDR_ERR_INVAL, "the record is abandoned");
        seal_one(sealer, "still seals", NULL, INT64_MIN, &out);
        cdr_buf_free(&out);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
}

/* Collects what cdr_unsealer_long_write releases. */
static int collect(void *opaque, const void *p, size_t n)
{
        return cdr_buf_append(opaque, p, n);
}

/* Feeds a base64 line to the long opener in pieces of the sizes given;
 * returns the first error of feed or end. */
static int long_open(cdr_unsealer_t *unsealer, const char *line, size_t n,
                     const size_t *sizes, size_t nsizes,
                     cdr_sealed_meta_t *meta, char *errstr, size_t errstr_size)
{
        size_t off = 0, i = 0;
        int rc;

        cr_assert_eq(
            cdr_unsealer_long_begin(unsealer, tmpdir, errstr, errstr_size), 0,
            "%s", errstr);
        while (off < n) {
                size_t k = sizes[i++ % nsizes];

                if (k > n - off)
                        k = n - off;
                rc = cdr_unsealer_long_feed(unsealer, line + off, k, errstr,
                                            errstr_size);
                if (rc != CDR_OK)
                        return rc;
                off += k;
        }
        return cdr_unsealer_long_end(unsealer, meta, errstr, errstr_size);
}

/* A sealed record of n random bytes as a base64 line with `eol`. */
static void sealed_line(const cdr_custodian_set_t *set, size_t n,
                        const char *eol, char **rec, cdr_buf_t *line)
{
        cdr_sealer_t *sealer = new_sealer(set, 1000);
        cdr_source_t src = {.file = "in.csv", .line = 7};
        cdr_buf_t bin = CDR_BUF_INIT;
        char errstr[256] = "";

        *rec = random_record(n);
        cr_assert_eq(cdr_sealer_seal(sealer, *rec, n, &src, INT64_MIN, &bin,
                                     errstr, sizeof(errstr)),
                     0, "%s", errstr);
        cdr_buf_reset(line);
        cr_assert_eq(
            cdr_base64_append(line, (const unsigned char *)bin.data, bin.len),
            0);
        cr_assert_eq(cdr_buf_puts(line, eol), 0);
        cdr_buf_free(&bin);
        cdr_sealer_destroy(sealer);
}

Test(seal, long_records_open_in_two_passes)
{
        static const size_t sizes[][3] = {
            {1, 2, 3}, {4093, 1, 4099}, {65536, 65536, 65536}, {1 << 22, 1, 1}};
        static const char *const eols[] = {"\n", "\r\n", ""};
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_unsealer_t *unsealer = unsealer_with(pair.priv);
        const size_t lens[] = {0, 1, 2, 3, 15, 16, 17, 1000, (5 << 20) + 1};
        cdr_buf_t line = CDR_BUF_INIT, got = CDR_BUF_INIT;
        cdr_sealed_meta_t meta;
        char errstr[256] = "", *rec;
        size_t i, j, e;

        for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                for (e = 0; e < 3; e++) {
                        sealed_line(set, lens[i], eols[e], &rec, &line);
                        for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
                                if (lens[i] > (1 << 16) && j == 0)
                                        continue;
                                cr_assert_eq(long_open(unsealer, line.data,
                                                       line.len, sizes[j], 3,
                                                       &meta, errstr,
                                                       sizeof(errstr)),
                                             0, "%zu bytes, pieces %zu: %s",
                                             lens[i], j, errstr);
                                cr_assert_eq(meta.length, lens[i]);
                                cr_assert_str_eq(meta.source.file, "in.csv");
                                cr_assert_eq(meta.source.line, 7);
                                cdr_buf_reset(&got);
                                cr_assert_eq(cdr_unsealer_long_write(
                                                 unsealer, collect, &got,
                                                 errstr, sizeof(errstr)),
                                             0, "%s", errstr);
                                cr_assert_eq(got.len, lens[i]);
                                cr_assert(lens[i] == 0 ||
                                          memcmp(got.data, rec, lens[i]) == 0);
                        }
                        free(rec);
                }
        }
        cdr_buf_free(&line);
        cdr_buf_free(&got);
        cdr_unsealer_destroy(unsealer);
        cdr_custodian_set_destroy(set);
}

/* Every way a long line can be wrong: refused in pass 1, and then there
 * is nothing to write. */
Test(seal, long_records_fail_closed)
{
        static const size_t sizes[] = {4093, 7, 65536};
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        pair_t other = make_pair("o", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_unsealer_t *unsealer = unsealer_with(pair.priv);
        cdr_unsealer_t *stranger = unsealer_with(other.priv);
        cdr_buf_t line = CDR_BUF_INIT, bad = CDR_BUF_INIT, got = CDR_BUF_INIT;
        char errstr[256] = "", *rec;
        size_t n, at;

        sealed_line(set, 300000, "\n", &rec, &line);
        n = line.len;
#define REFUSED(u_, text_, len_, want_)                                        \
        do {                                                                   \
                cr_assert_eq(long_open(u_, text_, len_, sizes, 3, NULL,        \
                                       errstr, sizeof(errstr)),                \
                             want_, "%s", errstr);                             \
                cr_assert_eq(strncmp(errstr, "sealed record: ", 15), 0);       \
                cdr_buf_reset(&got);                                           \
                cr_assert_eq(cdr_unsealer_long_write(unsealer, collect, &got,  \
                                                     errstr, sizeof(errstr)),  \
                             CDR_ERR_INVAL);                                   \
                cr_assert_eq(got.len, 0, "plaintext released");                \
        } while (0)

        /* One base64 character changed, at the start, the middle, the
         * tag. */
        for (at = 0; at < n - 1; at += (n - 1) / 7) {
                cdr_buf_reset(&bad);
                cr_assert_eq(cdr_buf_append(&bad, line.data, n), 0);
                bad.data[at] = bad.data[at] == 'A' ? 'B' : 'A';
                if (at < 8) /* the magic: malformed, not forged */
                        REFUSED(unsealer, bad.data, n, CDR_ERR_MALFORMED);
                else if (bad.data[at + 1] != '=' && at < n - 4)
                        REFUSED(unsealer, bad.data, n, CDR_ERR_AUTH);
        }
        /* Truncated by a group; by one character. */
        REFUSED(unsealer, line.data, n - 5, CDR_ERR_AUTH);
        REFUSED(unsealer, line.data, n - 2, CDR_ERR_MALFORMED);
        /* A header only. */
        REFUSED(unsealer, line.data, 96, CDR_ERR_MALFORMED);
        /* A character outside the alphabet; a CR inside the line. */
        cdr_buf_reset(&bad);
        cr_assert_eq(cdr_buf_append(&bad, line.data, n), 0);
        bad.data[n / 2] = '*';
        REFUSED(unsealer, bad.data, n, CDR_ERR_MALFORMED);
        bad.data[n / 2] = '\r';
        REFUSED(unsealer, bad.data, n, CDR_ERR_MALFORMED);
        /* Data after the padding. */
        cdr_buf_reset(&bad);
        cr_assert_eq(cdr_buf_append(&bad, line.data, n - 1), 0);
        cr_assert_eq(cdr_buf_puts(&bad, "AAAA\n"), 0);
        if (line.data[n - 2] == '=')
                REFUSED(unsealer, bad.data, bad.len, CDR_ERR_MALFORMED);
        /* Another custodian's key. */
        cr_assert_eq(long_open(stranger, line.data, n, sizes, 3, NULL, errstr,
                               sizeof(errstr)),
                     CDR_ERR_AUTH);
        cr_assert(strstr(errstr, "not among the keys given") != NULL, "%s",
                  errstr);
        /* And the right line still opens. */
        cr_assert_eq(long_open(unsealer, line.data, n, sizes, 3, NULL, errstr,
                               sizeof(errstr)),
                     0, "%s", errstr);
        cdr_buf_reset(&got);
        cr_assert_eq(cdr_unsealer_long_write(unsealer, collect, &got, errstr,
                                             sizeof(errstr)),
                     0);
        cr_assert(got.len == 300000 && memcmp(got.data, rec, got.len) == 0);
#undef REFUSED
        free(rec);
        cdr_buf_free(&line);
        cdr_buf_free(&bad);
        cdr_buf_free(&got);
        cdr_unsealer_destroy(unsealer);
        cdr_unsealer_destroy(stranger);
        cdr_custodian_set_destroy(set);
}

/* The temporary file of pass 1 is open here and unlinked: found through
 * /proc/self/fd by its folder. */
static int find_temporary(void)
{
        char link[64], target[256];
        int fd;

        for (fd = 3; fd < 1024; fd++) {
                ssize_t n;

                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                n = readlink(link, target, sizeof(target) - 1);
                if (n <= 0)
                        continue;
                target[n] = '\0';
                if (strncmp(target, tmpdir, strlen(tmpdir)) == 0 &&
                    strstr(target, "(deleted)") != NULL)
                        return fd;
        }
        return -1;
}

/* Should the ciphertext change between the passes, pass 2 stops before
 * the first changed MiB: what it wrote is authenticated, and no more. */
Test(seal, long_records_second_pass_checks_each_mib)
{
        static const size_t sizes[] = {65536};
        pair_t pair = make_pair("k", INT64_MIN, INT64_MAX);
        cdr_custodian_set_t *set = load_set(&pair.spec, 1);
        cdr_unsealer_t *unsealer = unsealer_with(pair.priv);
        cdr_buf_t line = CDR_BUF_INIT, got = CDR_BUF_INIT;
        char errstr[256] = "", *rec;
        uint8_t byte;
        int fd;

        sealed_line(set, 3 << 20, "\n", &rec, &line);
        cr_assert_eq(long_open(unsealer, line.data, line.len, sizes, 1, NULL,
                               errstr, sizeof(errstr)),
                     0, "%s", errstr);
        fd = find_temporary();
        cr_assert_geq(fd, 0, "no temporary file in %s", tmpdir);
        /* A byte of the second MiB of ciphertext. */
        cr_assert_eq(pread(fd, &byte, 1, (1 << 20) + 5), 1);
        byte ^= 1;
        cr_assert_eq(pwrite(fd, &byte, 1, (1 << 20) + 5), 1);
        cr_assert_eq(cdr_unsealer_long_write(unsealer, collect, &got, errstr,
                                             sizeof(errstr)),
                     CDR_ERR_AUTH);
        cr_assert(strstr(errstr, "changed") != NULL, "%s", errstr);
        cr_assert_eq(got.len, 1 << 20, "only the first MiB, checked");
        cr_assert(memcmp(got.data, rec, got.len) == 0);
        cr_assert_lt(find_temporary(), 0, "the temporary file is closed");
        free(rec);
        cdr_buf_free(&line);
        cdr_buf_free(&got);
        cdr_unsealer_destroy(unsealer);
        cdr_custodian_set_destroy(set);
}
