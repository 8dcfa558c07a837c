/*
 * Fuzz target: the configuration loader (config.h).  Each input is
 * written to config.yaml in a folder made once per run, which also holds
 * the files a configuration names: a 0600 HMAC key file, custodian public
 * keys and suppression lists, under the names the example and test
 * configurations use, so that valid configurations load and the fuzzer
 * reaches the policy compiler and the key checks.
 *
 * Contracts checked beyond memory safety and leaks: a failure gives one
 * non-empty line that starts with the configuration's path; a loaded
 * configuration describes itself (check-config's output); neither the
 * error nor the description holds the HMAC key (unless the input itself
 * spells it out).
 */
#include "fuzz.h"

#include "cdranon/config.h"
#include "cdranon/transform.h"
#include "cdranon/hpke.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#define KEY_HEX                                                                \
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static char dir[64];
static char config_path[96];
static cdr_buf_t described = CDR_BUF_INIT;

/* Names the example and test configurations use for their files. */
static const char *const PUBLIC_KEYS[] = {
    "custodian.pub",      "custodian.pem", "custodian-2026-12.pem",
    "keys/custodian.pub", "keys/nov.pub",  "keys/dec.pub",
};
static const char *const HMAC_KEYS[] = {"hmac.key", "keys/hmac.key"};
static const char *const SUPPRESSION[] = {"suppression.txt", "suppress.txt"};

static void write_file(const char *name, const void *p, size_t n, mode_t mode)
{
        char path[160];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        FUZZ_ASSERT(fd >= 0);
        FUZZ_ASSERT(fchmod(fd, mode) == 0);
        FUZZ_ASSERT(write(fd, p, n) == (ssize_t)n);
        FUZZ_ASSERT(close(fd) == 0);
}

/* Writes the X25519 public key of the fixed private key seed..seed+31 as
 * PEM SubjectPublicKeyInfo. */
static void write_public_key(const char *name, uint8_t seed)
{
        uint8_t sk[CDR_HPKE_NSK], pk[CDR_HPKE_NPK];
        EVP_PKEY *pkey;
        BIO *bio;
        char *pem;
        long n;
        size_t i;

        for (i = 0; i < sizeof(sk); i++)
                sk[i] = (uint8_t)(seed + i);
        FUZZ_ASSERT(cdr_hpke_public_key(sk, pk) == 0);
        pkey =
            EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, sizeof(pk));
        bio = BIO_new(BIO_s_mem());
        FUZZ_ASSERT(pkey != NULL && bio != NULL);
        FUZZ_ASSERT(PEM_write_bio_PUBKEY(bio, pkey) == 1);
        n = BIO_get_mem_data(bio, &pem);
        FUZZ_ASSERT(n > 0);
        write_file(name, pem, (size_t)n, 0644);
        BIO_free(bio);
        EVP_PKEY_free(pkey);
}

static void remove_dir(void)
{
        char path[160];
        size_t i;

        for (i = 0; i < sizeof(PUBLIC_KEYS) / sizeof(PUBLIC_KEYS[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, PUBLIC_KEYS[i]);
                unlink(path);
        }
        for (i = 0; i < sizeof(HMAC_KEYS) / sizeof(HMAC_KEYS[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, HMAC_KEYS[i]);
                unlink(path);
        }
        for (i = 0; i < sizeof(SUPPRESSION) / sizeof(SUPPRESSION[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, SUPPRESSION[i]);
                unlink(path);
        }
        unlink(config_path);
        snprintf(path, sizeof(path), "%s/keys", dir);
        rmdir(path);
        rmdir(dir);
        cdr_buf_free(&described);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        static const char key[] = "# fuzz key ring\nfuzz " KEY_HEX "\n";
        static const char numbers[] = "# opted out\n+447700900001\n"
                                      "07700 900002\n";
        char path[96];
        size_t i;

        (void)argc;
        (void)argv;
        snprintf(dir, sizeof(dir), "%s/cdranon-fuzz-config.XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        FUZZ_ASSERT(strlen(dir) < sizeof(dir) - 1 && mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/keys", dir);
        FUZZ_ASSERT(mkdir(path, 0700) == 0);
        snprintf(config_path, sizeof(config_path), "%s/config.yaml", dir);
        for (i = 0; i < sizeof(HMAC_KEYS) / sizeof(HMAC_KEYS[0]); i++)
                write_file(HMAC_KEYS[i], key, sizeof(key) - 1, 0600);
        /* Two distinct keys, so that periods of different keys load. */
        for (i = 0; i < sizeof(PUBLIC_KEYS) / sizeof(PUBLIC_KEYS[0]); i++)
                write_public_key(PUBLIC_KEYS[i], (uint8_t)(1 + 32 * (i & 1)));
        for (i = 0; i < sizeof(SUPPRESSION) / sizeof(SUPPRESSION[0]); i++)
                write_file(SUPPRESSION[i], numbers, sizeof(numbers) - 1, 0644);
        atexit(remove_dir);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char errstr[1024] = "";
        cdr_config_t *config;
        cdr_engine_t *engine;
        int key_in_input;

        /* The key may be written in the configuration itself (as an
         * unknown key, say), and is then fair to quote back. */
        key_in_input = memmem(data, size, KEY_HEX, strlen(KEY_HEX)) != NULL;
        write_file("config.yaml", data, size, 0600);
        config = cdr_config_load(config_path, errstr, sizeof(errstr));
        /* As check-config: the engine compiles and loads what the
         * configuration names, and reports in the loader's form. */
        engine = config != NULL ? cdr_engine_new(config, config->ncustodian > 0,
                                                 errstr, sizeof(errstr))
                                : NULL;
        if (engine == NULL) {
                FUZZ_ASSERT(errstr[0] != '\0');
                FUZZ_ASSERT(strchr(errstr, '\n') == NULL);
                FUZZ_ASSERT(strncmp(errstr, config_path, strlen(config_path)) ==
                            0);
                FUZZ_ASSERT(key_in_input || strstr(errstr, KEY_HEX) == NULL);
                cdr_config_destroy(config);
                return 0;
        }
        cdr_buf_reset(&described);
        FUZZ_ASSERT(cdr_config_describe(config, &described) == 0);
        FUZZ_ASSERT(cdr_engine_describe(engine, &described) == 0);
        FUZZ_ASSERT(described.len > 0);
        FUZZ_ASSERT(key_in_input || strstr(described.data, KEY_HEX) == NULL);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return 0;
}
