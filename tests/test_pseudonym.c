/*
 * Tests for src/pseudonym.c: HMAC-SHA256 (RFC 4231), base32 (RFC 4648),
 * the key ring file, key generation and the pseudonymiser with and
 * without its cache.  Expected pseudonyms were computed with the openssl
 * command line as docs/pseudonyms.md shows, not with this code.
 */
#include "cdranon/pseudonym.h"

#include <criterion/criterion.h>
#include <openssl/hmac.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEST_KEYS "tests/data/keys/test.key"
#define KEY_2025                                                               \
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_2026                                                               \
        "ec753b8e2d9ebf66b57889354b08dd278171f75230e56250652e30d030bdf3ad"

/* --- helpers --------------------------------------------------------- */

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
        return remove(path);
}

static void tmpdir_setup(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/cdranon-test-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmpdir_teardown(void)
{
        nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void tmp_path(char *out, size_t size, const char *name)
{
        snprintf(out, size, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f, "cannot create %s", path);
        cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
        static char buf[4096];
        FILE *f = fopen(path, "r");
        size_t n;

        cr_assert_not_null(f, "cannot read %s", path);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

/* Copies the committed test key file into the temp dir with mode 0600
 * (git keeps no mode bits but the executable one). */
static void copy_test_keys(char *out, size_t size)
{
        tmp_path(out, size, "test.key");
        write_file(out, read_text(TEST_KEYS), 0600);
}

static size_t unhex(const char *hex, unsigned char *out)
{
        size_t n = strlen(hex) / 2, i;

        for (i = 0; i < n; i++) {
                unsigned v;
                cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
                out[i] = (unsigned char)v;
        }
        return n;
}

static void tohex(const unsigned char *in, size_t n, char *out)
{
        size_t i;

        for (i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", in[i]);
        out[2 * n] = '\0';
}

/* --- HMAC-SHA256: RFC 4231 section 4 --------------------------------- */

struct rfc4231_case {
        int number;
        unsigned char key_byte; /* key = key_len bytes of key_byte ... */
        size_t key_len;
        const char *key_hex; /* ... unless given in hex */
        const char *data;    /* ASCII data, or */
        unsigned char data_byte;
        size_t data_len; /* data_len bytes of data_byte */
        const char *mac; /* hex; test case 5 is truncated to 128 bits */
};

static const struct rfc4231_case rfc4231[] = {
    {1, 0x0b, 20, NULL, "Hi There", 0, 0,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {2, 0, 0, "4a656665", "what do ya want for nothing?", 0, 0,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {3, 0xaa, 20, NULL, NULL, 0xdd, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {4, 0, 0, "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL, 0xcd,
     50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {5, 0x0c, 20, NULL, "Test With Truncation", 0, 0,
     "a3b6167473100ee06e0c796c2955552b"},
    {6, 0xaa, 131, NULL,
     "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {7, 0xaa, 131, NULL,
     "This is a test using a larger than block-size key and a larger "
     "than block-size data. The key needs to be hashed before being "
     "used by the HMAC algorithm.",
     0, 0, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

Test(hmac, rfc4231_test_cases_1_to_7)
{
        size_t c;

        for (c = 0; c < sizeof(rfc4231) / sizeof(rfc4231[0]); c++) {
                const struct rfc4231_case *t = &rfc4231[c];
                unsigned char key[200], data[200], mac[32];
                char hex[65];
                size_t keylen, datalen;
                cdr_hmac_t *hmac;

                if (t->key_hex != NULL) {
                        keylen = unhex(t->key_hex, key);
                } else {
                        memset(key, t->key_byte, t->key_len);
                        keylen = t->key_len;
                }
                if (t->data != NULL) {
                        datalen = strlen(t->data);
                        memcpy(data, t->data, datalen);
                } else {
                        memset(data, t->data_byte, t->data_len);
                        datalen = t->data_len;
                }
                hmac = cdr_hmac_new(key, keylen);
                cr_assert_not_null(hmac);
                cdr_hmac_compute(hmac, data, datalen, mac);
                cdr_hmac_destroy(hmac);
                tohex(mac, strlen(t->mac) / 2, hex);
                cr_expect_str_eq(hex, t->mac, "RFC 4231 test case %d",
                                 t->number);
        }
}

/* Every message length around the one-block fast path and every key
 * length around the block size, against OpenSSL's HMAC(). */
Test(hmac, agrees_with_openssl_for_all_lengths)
{
        static const size_t keylens[] = {0, 1, 20, 32, 63, 64, 65, 131};
        unsigned char key[131], msg[200], mine[32], ref[32];
        unsigned reflen;
        size_t k, n;

        for (n = 0; n < sizeof(msg); n++)
                msg[n] = (unsigned char)(n * 7 + 3);
        for (n = 0; n < sizeof(key); n++)
                key[n] = (unsigned char)(n * 13 + 1);
        for (k = 0; k < sizeof(keylens) / sizeof(keylens[0]); k++) {
                cdr_hmac_t *hmac = cdr_hmac_new(key, keylens[k]);
                cr_assert_not_null(hmac);
                for (n = 0; n <= sizeof(msg); n++) {
                        cdr_hmac_compute(hmac, msg, n, mine);
                        cr_assert_not_null(HMAC(EVP_sha256(), key,
                                                (int)keylens[k], msg, n, ref,
                                                &reflen));
                        cr_assert_eq(memcmp(mine, ref, 32), 0,
                                     "key length %zu, message length %zu",
                                     keylens[k], n);
                }
                cdr_hmac_destroy(hmac);
        }
        cdr_hmac_destroy(NULL);
}

/* --- base32: RFC 4648 section 10, lower case, no padding ------------- */

Test(base32, rfc4648_test_vectors)
{
        static const char *const vec[][2] = {
            {"", ""},
            {"f", "my"},
            {"fo", "mzxq"},
            {"foo", "mzxw6"},
            {"foob", "mzxw6yq"},
            {"fooba", "mzxw6ytb"},
            {"foobar", "mzxw6ytboi"},
        };
        size_t i;

        for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
                char out[16];
                size_t n = cdr_base32_encode((const unsigned char *)vec[i][0],
                                             strlen(vec[i][0]), out);
                cr_expect_str_eq(out, vec[i][1], "base32(\"%s\")", vec[i][0]);
                cr_expect_eq(n, strlen(vec[i][1]));
        }
}

Test(base32, sixteen_bytes_make_26_characters)
{
        unsigned char in[16];
        char out[32];

        memset(in, 0xff, sizeof(in));
        cr_assert_eq(cdr_base32_encode(in, sizeof(in), out),
                     CDR_PSEUDONYM_B32LEN);
        cr_assert_str_eq(out, "77777777777777777777777774");
}

/* --- key ring -------------------------------------------------------- */

struct parse_case {
        const char *text;
        const char *error; /* after "PATH:"; NULL: the file loads */
};

static const struct parse_case parse_errors[] = {
    {"", " no keys"},
    {"# only a comment\n\n   \n", " no keys"},
    {"k1\n", "1: missing key after key id"},
    {"k1 " KEY_2025 " extra\n", "1: unexpected text after key"},
    {"# c\nk!1 " KEY_2025 "\n", "2: bad key id (allowed: A-Z a-z 0-9 _ -)"},
    {"k.1 " KEY_2025 "\n", "1: bad key id (allowed: A-Z a-z 0-9 _ -)"},
    {"abcdefghijklmnopq " KEY_2025 "\n", "1: key id longer than 16 characters"},
    {KEY_2025 "\n", "1: key id longer than 16 characters"},
    {"k1 0001020304\n", "1: key is not 64 hex digits"},
    {"k1 " KEY_2025 "00\n", "1: key is not 64 hex digits"},
    {"k1 000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f\n",
     "1: key is not lower-case hex"},
    {"k1 000102030405060708090g0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
     "1: key is not lower-case hex"},
    {"k1 " KEY_2025 "\nk2 " KEY_2026 "\n\nk1 " KEY_2026 "\n",
     "4: duplicate key id 'k1'"},
    {"k1 # the key went missing\n", "1: missing key after key id"},
    /* Accepted: a last line without '\n'; a 16-character id. */
    {"k1 " KEY_2025 "\nk2 " KEY_2026 "\nk3 " KEY_2025, NULL},
    {"abcdefghijklmnop " KEY_2025 "\n", NULL},
};

Test(keyring, parse_errors_table, .init = tmpdir_setup, .fini = tmpdir_teardown)
{
        size_t i;

        for (i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
                const struct parse_case *t = &parse_errors[i];
                char path[128], err[256], want[256];
                cdr_keyring_t *ring;

                snprintf(path, sizeof(path), "%s/case%zu.key", tmpdir, i);
                write_file(path, t->text, 0600);
                err[0] = '\0';
                ring = cdr_keyring_load(path, err, sizeof(err));
                if (t->error == NULL) {
                        cr_expect_not_null(ring, "case %zu: %s", i, err);
                        cdr_keyring_destroy(ring);
                        continue;
                }
                cr_expect_null(ring, "case %zu loaded", i);
                cdr_keyring_destroy(ring);
                snprintf(want, sizeof(want), "%s:%s", path, t->error);
                cr_expect_str_eq(err, want, "case %zu", i);
                /* No error shows key material, even part of it. */
                cr_expect_null(strstr(err, "0001020304"), "case %zu", i);
                cr_expect_null(strstr(err, "ec753b8e"), "case %zu", i);
        }
}

Test(keyring, comments_blanks_crlf_and_tabs, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        char path[128], err[256] = "";
        cdr_keyring_t *ring;

        tmp_path(path, sizeof(path), "k.key");
        write_file(path,
                   "# header\r\n"
                   "\r\n"
                   "  old_1\t" KEY_2025 "  # retired\r\n"
                   "\t\n"
                   "New-2 " KEY_2026 "\r\n",
                   0600);
        ring = cdr_keyring_load(path, err, sizeof(err));
        cr_assert_not_null(ring, "%s", err);
        cr_expect_eq(cdr_keyring_count(ring), 2);
        cr_expect_str_eq(cdr_keyring_id(ring, 0), "old_1");
        cr_expect_str_eq(cdr_keyring_id(ring, 1), "New-2");
        cr_expect_null(cdr_keyring_id(ring, 2));
        cr_expect_str_eq(cdr_keyring_active_id(ring), "New-2");
        cdr_keyring_destroy(ring);
        cdr_keyring_destroy(NULL);
}

Test(keyring, missing_file_names_the_path)
{
        char err[256] = "";

        cr_assert_null(
            cdr_keyring_load("tests/data/keys/no-such.key", err, sizeof(err)));
        cr_expect_str_eq(err, "tests/data/keys/no-such.key: No such file or "
                              "directory");
}

Test(keyring, refuses_group_or_other_permissions, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        static const mode_t bad[] = {0640, 0620, 0610, 0604,
                                     0602, 0601, 0644, 0660};
        static const mode_t good[] = {0600, 0400};
        char path[128], err[256], want[256];
        size_t i;

        copy_test_keys(path, sizeof(path));
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cr_assert_eq(chmod(path, bad[i]), 0);
                err[0] = '\0';
                cr_expect_null(cdr_keyring_load(path, err, sizeof(err)),
                               "mode %04o accepted", (unsigned)bad[i]);
                snprintf(want, sizeof(want),
                         "%s: key file mode %04o gives access to group or "
                         "others; chmod 600 it",
                         path, (unsigned)bad[i]);
                cr_expect_str_eq(err, want);
        }
        for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                cdr_keyring_t *ring;
                cr_assert_eq(chmod(path, good[i]), 0);
                ring = cdr_keyring_load(path, err, sizeof(err));
                cr_expect_not_null(ring, "mode %04o: %s", (unsigned)good[i],
                                   err);
                cdr_keyring_destroy(ring);
        }
}

/* Only root can make a file owned by another user. */
Test(keyring, refuses_file_of_another_user, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        char path[128], err[256] = "";

        if (geteuid() != 0)
                cr_skip_test("needs root to give a file to another user");
        copy_test_keys(path, sizeof(path));
        cr_assert_eq(chown(path, 65534, 65534), 0);
        cr_expect_null(cdr_keyring_load(path, err, sizeof(err)));
        cr_expect_not_null(strstr(err, "owned by uid 65534"), "%s", err);
}

Test(keyring, refuses_a_directory)
{
        char err[256] = "";

        cr_expect_null(cdr_keyring_load("tests/data/keys", err, sizeof(err)));
        cr_expect_str_eq(err, "tests/data/keys: not a regular file");
}

/* --- pseudonyms: fixed vectors from the openssl command line ---------- */

struct vector {
        cdr_kind_t kind;
        const char *canon;
        const char *pseudonym;
};

/* Key test-2026 (the active key of tests/data/keys/test.key). */
static const struct vector vectors[] = {
    {CDR_KIND_MSISDN, "+447700900123", "test-2026:lxby3u2igi4yo2flvzknjzouna"},
    {CDR_KIND_IMSI, "234150999999999", "test-2026:p2hituh3imzygjmj3ugw7q6qnm"},
    {CDR_KIND_IMEI, "35693803564380", "test-2026:akzcjtjxkggh3f42e4efb2yibm"},
    {CDR_KIND_ID, "subscriber-0001", "test-2026:aqbbjmn7bmrhbgapjgq5gft57m"},
    {CDR_KIND_ID, "", "test-2026:jetdcxjvx5pxzbgf54irrxvaxe"},
    /* 32 and 33 bytes: the longest value the cache holds, and one
     * more; 41 and 42 bytes: with the 14-byte "cdranon.v1.id\0"
     * prefix, the longest message that fits one SHA-256 block, and
     * one more. */
    {CDR_KIND_ID, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "test-2026:noe4kf5yqmk2iouvsl3lej6jga"},
    {CDR_KIND_ID, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "test-2026:cqzksiqko53st7u4w5m7dj7dja"},
    {CDR_KIND_ID, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "test-2026:olv5khsjwb43qpel5a5rbmz26i"},
    {CDR_KIND_ID, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "test-2026:abvbtfmknfhumdtauyphyuph3m"},
    {CDR_KIND_ID,
     "this-is-a-rather-long-customer-reference-0123456789-abcdefghij",
     "test-2026:kwj3u6zpducm6a3rgvcckduaki"},
};

static cdr_keyring_t *load_test_keys(void)
{
        char path[128], err[256] = "";
        cdr_keyring_t *ring;

        copy_test_keys(path, sizeof(path));
        ring = cdr_keyring_load(path, err, sizeof(err));
        cr_assert_not_null(ring, "%s", err);
        return ring;
}

static void check_vectors(cdr_pseudonymiser_t *ps, const char *what)
{
        size_t i;

        for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                char out[CDR_PSEUDONYM_MAX + 1];
                size_t n =
                    cdr_pseudonymise(ps, vectors[i].kind, vectors[i].canon,
                                     strlen(vectors[i].canon), out);
                cr_expect_str_eq(out, vectors[i].pseudonym, "%s, vector %zu",
                                 what, i);
                cr_expect_eq(n, strlen(vectors[i].pseudonym));
        }
}

Test(pseudonym, fixed_vectors_with_and_without_cache, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        cdr_keyring_t *ring = load_test_keys();
        cdr_pseudonymiser_t *plain, *cached;
        cdr_pseudonym_stats_t st;
        char err[256] = "";

        plain = cdr_pseudonymiser_new(ring, 1, 0, err, sizeof(err));
        cached = cdr_pseudonymiser_new(ring, 1, 1024, err, sizeof(err));
        cr_assert_not_null(plain, "%s", err);
        cr_assert_not_null(cached, "%s", err);
        cdr_keyring_destroy(ring); /* the pseudonymisers keep copies */

        check_vectors(plain, "no cache");
        /* Each value twice in a row: the second lookup of a cacheable
         * value is a hit whatever slot the random seed gives it. */
        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                for (int pass = 0; pass < 2; pass++) {
                        char out[CDR_PSEUDONYM_MAX + 1];

                        cdr_pseudonymise(cached, vectors[i].kind,
                                         vectors[i].canon,
                                         strlen(vectors[i].canon), out);
                        cr_expect_str_eq(out, vectors[i].pseudonym,
                                         "cache, pass %d, vector %zu", pass, i);
                }
        }

        cdr_pseudonymiser_stats(plain, &st);
        cr_expect_eq(st.hits, 0);
        cr_expect_eq(st.misses, sizeof(vectors) / sizeof(vectors[0]));
        /* Values of more than 32 bytes bypass the cache: 4 of them. */
        cdr_pseudonymiser_stats(cached, &st);
        cr_expect_eq(st.hits, sizeof(vectors) / sizeof(vectors[0]) - 4);
        cr_expect_eq(st.misses, sizeof(vectors) / sizeof(vectors[0]) + 4);
        cdr_pseudonymiser_destroy(plain);
        cdr_pseudonymiser_destroy(cached);
        cdr_pseudonymiser_destroy(NULL);
}

Test(pseudonym, last_key_is_active_and_old_keys_stay_usable,
     .init = tmpdir_setup, .fini = tmpdir_teardown)
{
        cdr_keyring_t *ring = load_test_keys();
        cdr_pseudonymiser_t *ps;
        char out[CDR_PSEUDONYM_MAX + 1], err[256] = "";

        cr_assert_eq(cdr_keyring_count(ring), 2);
        cr_expect_str_eq(cdr_keyring_id(ring, 0), "test-2025");
        cr_expect_str_eq(cdr_keyring_active_id(ring), "test-2026");

        ps = cdr_pseudonymiser_new(ring, cdr_keyring_count(ring) - 1, 16, err,
                                   sizeof(err));
        cr_assert_not_null(ps, "%s", err);
        cr_expect_str_eq(cdr_pseudonymiser_key_id(ps), "test-2026");
        cdr_pseudonymise(ps, CDR_KIND_MSISDN, "+447700900123", 13, out);
        cr_expect_str_eq(out, "test-2026:lxby3u2igi4yo2flvzknjzouna");
        cdr_pseudonymiser_destroy(ps);

        /* A retired key, for subject-access lookups in older data. */
        ps = cdr_pseudonymiser_new(ring, 0, 0, err, sizeof(err));
        cr_assert_not_null(ps, "%s", err);
        cr_expect_str_eq(cdr_pseudonymiser_key_id(ps), "test-2025");
        cdr_pseudonymise(ps, CDR_KIND_MSISDN, "+447700900123", 13, out);
        cr_expect_str_eq(out, "test-2025:3zdikn4c636l2yz5b6ipb5xwxm");
        cdr_pseudonymiser_destroy(ps);

        cr_expect_null(cdr_pseudonymiser_new(ring, 2, 0, err, sizeof(err)));
        cr_expect_str_eq(err, "key index 2 is not in the key ring");
        cdr_keyring_destroy(ring);
}

/* The cache must never change a result: many values, a cache small
 * enough to evict and collide, several passes in different orders. */
Test(pseudonym, cache_on_and_off_agree, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        enum { N = 5000 };
        static const size_t sizes[] = {1, 3, 256, 8192};
        cdr_keyring_t *ring = load_test_keys();
        cdr_pseudonymiser_t *plain, *cached;
        static char want[4][N][CDR_PSEUDONYM_MAX + 1];
        char value[64], out[CDR_PSEUDONYM_MAX + 1], err[256] = "";
        cdr_pseudonym_stats_t st;
        size_t s, pass, i;
        int k;

        plain = cdr_pseudonymiser_new(ring, 1, 0, err, sizeof(err));
        cr_assert_not_null(plain, "%s", err);
        for (k = 0; k < 4; k++)
                for (i = 0; i < N; i++) {
                        int n =
                            snprintf(value, sizeof(value), "+4477009%05zu", i);
                        cdr_pseudonymise(plain, (cdr_kind_t)k, value, (size_t)n,
                                         want[k][i]);
                }
        /* The same value under two kinds has two pseudonyms. */
        cr_expect_str_neq(want[CDR_KIND_MSISDN][0], want[CDR_KIND_ID][0]);

        for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
                cached =
                    cdr_pseudonymiser_new(ring, 1, sizes[s], err, sizeof(err));
                cr_assert_not_null(cached, "%s", err);
                for (pass = 0; pass < 3; pass++) {
                        for (i = 0; i < N; i++) {
                                /* pass 1 walks values in a scattered
                                 * order, pass 2 repeats each one. */
                                size_t j = pass == 1   ? (i * 7919) % N
                                           : pass == 2 ? i / 2
                                                       : i;
                                k = (int)((j + pass) % 4);
                                int n = snprintf(value, sizeof(value),
                                                 "+4477009%05zu", j);
                                cdr_pseudonymise(cached, (cdr_kind_t)k, value,
                                                 (size_t)n, out);
                                cr_assert_str_eq(out, want[k][j],
                                                 "cache %zu pass %zu value "
                                                 "%zu",
                                                 sizes[s], pass, j);
                        }
                }
                cdr_pseudonymiser_stats(cached, &st);
                cr_expect_eq(st.hits + st.misses, 3 * N);
                cr_expect_gt(st.hits, 0, "cache of %zu never hit", sizes[s]);
                cdr_pseudonymiser_destroy(cached);
        }
        cdr_pseudonymiser_destroy(plain);
        cdr_keyring_destroy(ring);
}

Test(pseudonym, cache_size_limit)
{
        cdr_keyring_t *ring;
        char path[] = "/tmp/cdranon-test-XXXXXX", err[256] = "";
        int fd = mkstemp(path);

        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "k " KEY_2025 "\n", 67), 67);
        close(fd);
        ring = cdr_keyring_load(path, err, sizeof(err));
        unlink(path);
        cr_assert_not_null(ring, "%s", err);
        cr_expect_null(cdr_pseudonymiser_new(ring, 0, ((size_t)1 << 24) + 1,
                                             err, sizeof(err)));
        cr_expect_str_eq(err, "pseudonym cache of 16777217 entries is over "
                              "the limit of 16777216");
        cdr_keyring_destroy(ring);
}

/* --- key generation -------------------------------------------------- */

static void today_id(char *out, size_t size)
{
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(out, size, "k%Y%m%d", &tm);
}

Test(keygen, append_new_creates_0600_and_appends, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        char path[128], err[256] = "", id[CDR_KEY_ID_MAX + 1];
        char day[32], want[40], p1[CDR_PSEUDONYM_MAX + 1];
        char p2[CDR_PSEUDONYM_MAX + 1];
        cdr_pseudonymiser_t *ps;
        cdr_keyring_t *ring;
        struct stat st;
        mode_t old;
        int rc;

        tmp_path(path, sizeof(path), "new.key");
        old = umask(0); /* the mode must not depend on the umask */
        rc = cdr_keyring_append_new(path, "first", id, err, sizeof(err));
        umask(old);
        cr_assert_eq(rc, CDR_OK, "%s", err);
        cr_expect_str_eq(id, "first");
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0600, "mode %04o",
                     (unsigned)(st.st_mode & 07777));

        rc = cdr_keyring_append_new(path, NULL, id, err, sizeof(err));
        cr_assert_eq(rc, CDR_OK, "%s", err);
        today_id(day, sizeof(day));
        cr_expect_str_eq(id, day);
        rc = cdr_keyring_append_new(path, NULL, id, err, sizeof(err));
        cr_assert_eq(rc, CDR_OK, "%s", err);
        snprintf(want, sizeof(want), "%s-2", day);
        cr_expect_str_eq(id, want);
        rc = cdr_keyring_append_new(path, NULL, id, err, sizeof(err));
        cr_assert_eq(rc, CDR_OK, "%s", err);
        snprintf(want, sizeof(want), "%s-3", day);
        cr_expect_str_eq(id, want);

        rc = cdr_keyring_append_new(path, "first", id, err, sizeof(err));
        cr_expect_eq(rc, CDR_ERR_INVAL);
        cr_expect_not_null(strstr(err, "key id 'first' is already in use"),
                           "%s", err);
        rc = cdr_keyring_append_new(path, "no spaces", id, err, sizeof(err));
        cr_expect_eq(rc, CDR_ERR_INVAL);

        ring = cdr_keyring_load(path, err, sizeof(err));
        cr_assert_not_null(ring, "%s", err);
        cr_assert_eq(cdr_keyring_count(ring), 4);
        cr_expect_str_eq(cdr_keyring_id(ring, 0), "first");
        snprintf(want, sizeof(want), "%s-3", day);
        cr_expect_str_eq(cdr_keyring_active_id(ring), want);

        /* Fresh random keys: two keys give two pseudonyms. */
        ps = cdr_pseudonymiser_new(ring, 0, 0, err, sizeof(err));
        cr_assert_not_null(ps);
        cdr_pseudonymise(ps, CDR_KIND_ID, "x", 1, p1);
        cdr_pseudonymiser_destroy(ps);
        ps = cdr_pseudonymiser_new(ring, 1, 0, err, sizeof(err));
        cr_assert_not_null(ps);
        cdr_pseudonymise(ps, CDR_KIND_ID, "x", 1, p2);
        cdr_pseudonymiser_destroy(ps);
        cr_expect_str_neq(strchr(p1, ':'), strchr(p2, ':'));
        cdr_keyring_destroy(ring);
}

Test(keygen, append_to_file_without_final_newline, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        char path[128], err[256] = "", id[CDR_KEY_ID_MAX + 1];
        cdr_keyring_t *ring;

        tmp_path(path, sizeof(path), "k.key");
        write_file(path, "# keys\nold " KEY_2025, 0600);
        cr_assert_eq(cdr_keyring_append_new(path, "new", id, err, sizeof(err)),
                     CDR_OK, "%s", err);
        ring = cdr_keyring_load(path, err, sizeof(err));
        cr_assert_not_null(ring, "%s", err);
        cr_expect_eq(cdr_keyring_count(ring), 2);
        cr_expect_str_eq(cdr_keyring_active_id(ring), "new");
        cdr_keyring_destroy(ring);
}

Test(keygen, refuses_world_readable_or_broken_file, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        char path[128], err[256] = "", id[CDR_KEY_ID_MAX + 1];
        char before[256];

        tmp_path(path, sizeof(path), "open.key");
        write_file(path, "old " KEY_2025 "\n", 0644);
        snprintf(before, sizeof(before), "%s", read_text(path));
        cr_expect_eq(cdr_keyring_append_new(path, NULL, id, err, sizeof(err)),
                     CDR_ERR_PERM);
        cr_expect_not_null(strstr(err, "mode 0644"), "%s", err);
        cr_expect_str_eq(read_text(path), before);

        tmp_path(path, sizeof(path), "broken.key");
        write_file(path, "old " KEY_2025 "\nold2 123\n", 0600);
        cr_expect_eq(cdr_keyring_append_new(path, NULL, id, err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_not_null(strstr(err, "broken.key:2: key is not 64"), "%s",
                           err);
}

/* --- v2: pseudonym domains ------------------------------------------ */

/* Computed with Python's hmac: base32(HMAC-SHA256(key, "cdranon.v2."
 * kind 0x00 domain 0x00 canonical)[:16]), key test-2026. */
static const struct {
        cdr_kind_t kind;
        const char *domain;
        const char *canon;
        const char *pseudonym;
} v2_vectors[] = {
    {CDR_KIND_MSISDN, "network/2026-12-31", "+447700900123",
     "test-2026:7dudebbt4nrfyx3t2cubckfsui"},
    {CDR_KIND_MSISDN, "network/2027-01-01", "+447700900123",
     "test-2026:6id27wllum4xdjyiviwnl3vxzu"},
    {CDR_KIND_MSISDN, "behaviour/2026-12-31", "+447700900123",
     "test-2026:gdjbvwzwssvhynlwag52lphyra"},
    {CDR_KIND_IMSI, "network/2026-W53", "234150000000001",
     "test-2026:sotfdutzabkzb2tfw6pxiis7d4"},
    /* Longer than one block with the prefix. */
    {CDR_KIND_ID, "churn/-", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "test-2026:ciz45natxgj2hleqrd5gbqjfam"},
    {CDR_KIND_MSISDN, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2026-W53",
     "+447700900123", "test-2026:5vgzl6fphow3gko7cw5w4elgmm"},
};

Test(pseudonym_v2, python_hmac_vectors_with_and_without_cache,
     .init = tmpdir_setup, .fini = tmpdir_teardown)
{
        cdr_keyring_t *ring = load_test_keys();
        char err[256] = "";
        size_t cache;

        for (cache = 0; cache <= 1024; cache += 1024) {
                cdr_pseudonymiser_t *ps =
                    cdr_pseudonymiser_new(ring, 1, cache, err, sizeof(err));

                cr_assert_not_null(ps, "%s", err);
                /* Twice over: the second pass reads a cache filled in
                 * another domain, which must not leak across. */
                for (int pass = 0; pass < 2; pass++) {
                        for (size_t i = 0;
                             i < sizeof(v2_vectors) / sizeof(v2_vectors[0]);
                             i++) {
                                char out[CDR_PSEUDONYM_MAX + 1];

                                cr_assert_eq(cdr_pseudonymiser_set_domain(
                                                 ps, v2_vectors[i].domain, err,
                                                 sizeof(err)),
                                             0, "%s", err);
                                cr_expect_str_eq(cdr_pseudonymiser_domain(ps),
                                                 v2_vectors[i].domain);
                                cdr_pseudonymise(
                                    ps, v2_vectors[i].kind, v2_vectors[i].canon,
                                    strlen(v2_vectors[i].canon), out);
                                cr_expect_str_eq(out, v2_vectors[i].pseudonym,
                                                 "cache %zu vector %zu", cache,
                                                 i);
                                /* Same domain again: same pseudonym. */
                                cdr_pseudonymise(
                                    ps, v2_vectors[i].kind, v2_vectors[i].canon,
                                    strlen(v2_vectors[i].canon), out);
                                cr_expect_str_eq(out, v2_vectors[i].pseudonym);
                        }
                }
                /* Back to v1: the v1 vector of this key. */
                {
                        char out[CDR_PSEUDONYM_MAX + 1];

                        cr_assert_eq(cdr_pseudonymiser_set_domain(ps, NULL, err,
                                                                  sizeof(err)),
                                     0);
                        cr_expect_str_eq(cdr_pseudonymiser_domain(ps), "");
                        cdr_pseudonymise(ps, CDR_KIND_MSISDN, "+447700900123",
                                         13, out);
                        cr_expect_str_eq(
                            out, "test-2026:lxby3u2igi4yo2flvzknjzouna");
                }
                cdr_pseudonymiser_destroy(ps);
        }
        cdr_keyring_destroy(ring);
}

Test(pseudonym_v2, domain_over_the_limit_is_refused, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
        cdr_keyring_t *ring = load_test_keys();
        char err[256] = "", dom[CDR_PSEUDONYM_DOMAIN_MAX + 2];
        cdr_pseudonymiser_t *ps =
            cdr_pseudonymiser_new(ring, 1, 0, err, sizeof(err));

        cr_assert_not_null(ps, "%s", err);
        memset(dom, 'a', sizeof(dom) - 1);
        dom[sizeof(dom) - 1] = '\0';
        cr_expect_eq(cdr_pseudonymiser_set_domain(ps, dom, err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect(strstr(err, "pseudonym domain") != NULL, "%s", err);
        cr_expect_str_eq(cdr_pseudonymiser_domain(ps), "");
        cdr_pseudonymiser_destroy(ps);
        cdr_keyring_destroy(ring);
}
