/*
 * Writes the seed corpus of the sealed-record fuzz target: valid records
 * sealed by cdranon's sealer to the public key of fuzz_unseal.h, with
 * every source kind, an empty record and a multi-line base64 file.  The
 * ephemeral key is fixed (seal_kat.h), so the seeds are the same on every
 * run.
 *
 *   seed_unseal DIR
 */
#include "fuzz_unseal.h"
#include "../seal_kat.h"

#include "cdranon/encode.h"
#include "cdranon/hpke.h"
#include "cdranon/seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

static const uint8_t IKM_E[32] = {
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a,
    0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f};

static void die(const char *what)
{
        fprintf(stderr, "seed_unseal: %s\n", what);
        exit(1);
}

static void write_seed(const char *dir, const char *name, const void *p,
                       size_t n)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "wb");
        if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
                die(path);
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                const char *record;
                cdr_source_t source;
        } seeds[] = {
            {"seed-file.bin",
             "2026-11-27T21:04:05Z,+447700900123,+447700900456,62,"
             "234150999999999,353490069873319",
             {.file = "cdrs.csv", .line = 2}},
            {"seed-kafka.bin",
             "{\"calling_number\":\"07700 900123\"}",
             {.topic = "cdr.raw", .partition = 3, .offset = 42}},
            {"seed-none.bin", "a,b,c\r\n", {0}},
            {"seed-empty.bin", "", {.file = "", .line = 0}},
        };
        char path[] = "/tmp/cdranon-seed-unseal.XXXXXX", errstr[256] = "";
        uint8_t pk[CDR_HPKE_NPK];
        cdr_custodian_spec_t spec = {path, INT64_MIN, INT64_MAX, 0};
        cdr_custodian_set_t *set;
        cdr_sealer_t *sealer;
        cdr_buf_t sealed = CDR_BUF_INIT, lines = CDR_BUF_INIT;
        EVP_PKEY *pkey;
        FILE *f;
        size_t i;
        int fd;

        if (argc != 2)
                die("usage: seed_unseal DIR");
        if (cdr_hpke_public_key(FUZZ_UNSEAL_SK, pk) != 0)
                die("public key");
        pkey =
            EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, sizeof(pk));
        fd = mkstemp(path);
        if (pkey == NULL || fd < 0 || (f = fdopen(fd, "w")) == NULL ||
            PEM_write_PUBKEY(f, pkey) != 1 || fclose(f) != 0)
                die("cannot write the public key");
        EVP_PKEY_free(pkey);
        set = cdr_custodian_set_load(&spec, 1, errstr, sizeof(errstr));
        unlink(path);
        if (set == NULL)
                die(errstr);
        sealer = cdr_sealer_new(set, 1000, 86400, errstr, sizeof(errstr));
        if (sealer == NULL ||
            cdr_sealer_set_ephemeral_ikm(sealer, IKM_E, sizeof(IKM_E)) != 0)
                die("sealer");
        for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
                if (cdr_sealer_seal(sealer, seeds[i].record,
                                    strlen(seeds[i].record), &seeds[i].source,
                                    INT64_MIN, &sealed, errstr,
                                    sizeof(errstr)) != 0)
                        die(errstr);
                write_seed(argv[1], seeds[i].name, sealed.data, sealed.len);
                if (cdr_base64_append(&lines, (uint8_t *)sealed.data,
                                      sealed.len) != 0 ||
                    cdr_buf_putc(&lines, '\n') != 0)
                        die("out of memory");
        }
        write_seed(argv[1], "seed-lines.b64", lines.data, lines.len);
        cdr_buf_free(&sealed);
        cdr_buf_free(&lines);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(set);
        return 0;
}
