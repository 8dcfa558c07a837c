/*
 * Pseudonym benchmark: ns per operation (median of 7 runs) for the HMAC
 * and pseudonym paths of src/pseudonym.c, measured in the same run as
 * their floor (two SHA-256 block compressions) and as the OpenSSL
 * one-shot HMAC() and EVP_MAC ways of computing the same MAC.
 *
 *   build/bench/bench_pseudonym [iterations-scale]
 *
 * Target: a pseudonym cache miss costs at most 1.5 times the floor.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "cdranon/pseudonym.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 7

/* A canonical msisdn of 12 bytes; its last digit varies per call. */
#define MSISDN     "+15550001234"
#define MSISDN_LEN 12

static volatile unsigned sink;

/* Thread CPU time: on a shared machine, time spent descheduled is not
 * charged to the operation being measured. */
static double now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double median(const double *v, size_t n)
{
        double t[RUNS];
        size_t i, j;

        for (i = 0; i < n; i++) {
                double x = v[i];
                for (j = i; j > 0 && t[j - 1] > x; j--)
                        t[j] = t[j - 1];
                t[j] = x;
        }
        return t[n / 2];
}

struct bench {
        const char *name;
        void (*run)(void *arg, size_t iters);
        size_t iters;
        double ns[RUNS]; /* ns per operation in each run */
};

static void measure(struct bench *b, void *arg, double scale, int r)
{
        size_t iters = (size_t)((double)b->iters * scale);
        double t0;

        if (iters == 0)
                iters = 1;
        t0 = now_ns();
        b->run(arg, iters);
        b->ns[r] = (now_ns() - t0) / (double)iters;
}

/* The median over runs of a/b, each run's pair measured side by side. */
static double ratio(const struct bench *a, const struct bench *b)
{
        double q[RUNS];
        int r;

        for (r = 0; r < RUNS; r++)
                q[r] = a->ns[r] / b->ns[r];
        return median(q, RUNS);
}

/* --- the operations ---------------------------------------------------- */

struct state {
        unsigned char key[CDR_HMAC_KEY_LEN];
        SHA256_CTX base;
        cdr_hmac_t *hmac;
        cdr_pseudonymiser_t *miss;    /* no cache */
        cdr_pseudonymiser_t *miss_v2; /* no cache, a v2 domain */
        cdr_pseudonymiser_t *hit;     /* cache primed with the 10 values */
        EVP_MAC_CTX *evp;             /* keyed; duplicated per value */
};

static void run_floor(void *arg, size_t iters)
{
        struct state *st = arg;
        unsigned char b1[64], b2[64];
        size_t i;

        memset(b1, 0x5a, sizeof(b1));
        memset(b2, 0xa5, sizeof(b2));
        for (i = 0; i < iters; i++) {
                SHA256_CTX ctx = st->base;
                b1[0] = (unsigned char)i;
                SHA256_Transform(&ctx, b1);
                SHA256_Transform(&ctx, b2);
                sink += ctx.h[0];
        }
}

static void run_hmac(void *arg, size_t iters)
{
        struct state *st = arg;
        char msg[] = MSISDN;
        unsigned char mac[32];
        size_t i;

        for (i = 0; i < iters; i++) {
                msg[MSISDN_LEN - 1] = (char)('0' + i % 10);
                cdr_hmac_compute(st->hmac, msg, MSISDN_LEN, mac);
                sink += mac[0];
        }
}

static void run_pseudonymise(cdr_pseudonymiser_t *ps, size_t iters)
{
        char msg[] = MSISDN, out[CDR_PSEUDONYM_MAX + 1];
        size_t i;

        for (i = 0; i < iters; i++) {
                msg[MSISDN_LEN - 1] = (char)('0' + i % 10);
                sink += (unsigned)cdr_pseudonymise(ps, CDR_KIND_MSISDN, msg,
                                                   MSISDN_LEN, out);
                sink += (unsigned char)out[20];
        }
}

static void run_miss(void *arg, size_t iters)
{
        run_pseudonymise(((struct state *)arg)->miss, iters);
}

static void run_miss_v2(void *arg, size_t iters)
{
        run_pseudonymise(((struct state *)arg)->miss_v2, iters);
}

static void run_hit(void *arg, size_t iters)
{
        run_pseudonymise(((struct state *)arg)->hit, iters);
}

static void run_oneshot(void *arg, size_t iters)
{
        struct state *st = arg;
        char msg[] = MSISDN;
        unsigned char mac[32];
        unsigned maclen;
        size_t i;

        for (i = 0; i < iters; i++) {
                msg[MSISDN_LEN - 1] = (char)('0' + i % 10);
                HMAC(EVP_sha256(), st->key, sizeof(st->key),
                     (const unsigned char *)msg, MSISDN_LEN, mac, &maclen);
                sink += mac[0];
        }
}

static void run_evp(void *arg, size_t iters)
{
        struct state *st = arg;
        char msg[] = MSISDN;
        unsigned char mac[32];
        size_t i, maclen;

        for (i = 0; i < iters; i++) {
                EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(st->evp);
                msg[MSISDN_LEN - 1] = (char)('0' + i % 10);
                EVP_MAC_update(ctx, (const unsigned char *)msg, MSISDN_LEN);
                EVP_MAC_final(ctx, mac, &maclen, sizeof(mac));
                EVP_MAC_CTX_free(ctx);
                sink += mac[0];
        }
}

/* --- set-up ------------------------------------------------------------ */

/* A one-key ring in a private temporary file, removed at once. */
static cdr_keyring_t *temp_ring(void)
{
        char dir[] = "/tmp/cdranon-bench-XXXXXX", path[64], id[32];
        char err[256] = "";
        cdr_keyring_t *ring = NULL;

        if (mkdtemp(dir) == NULL) {
                perror("mkdtemp");
                return NULL;
        }
        snprintf(path, sizeof(path), "%s/bench.key", dir);
        if (cdr_keyring_append_new(path, "bench", id, err, sizeof(err)) ==
            CDR_OK)
                ring = cdr_keyring_load(path, err, sizeof(err));
        if (ring == NULL)
                fprintf(stderr, "bench_pseudonym: %s\n", err);
        unlink(path);
        rmdir(dir);
        return ring;
}

static EVP_MAC_CTX *evp_hmac(const unsigned char *key, size_t keylen)
{
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256",
                                             0),
            OSSL_PARAM_construct_end(),
        };
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

        EVP_MAC_free(mac);
        if (ctx != NULL && EVP_MAC_init(ctx, key, keylen, params) != 1) {
                EVP_MAC_CTX_free(ctx);
                ctx = NULL;
        }
        return ctx;
}

int main(int argc, char **argv)
{
        enum { FLOOR, HMAC_OURS, MISS, MISS_V2, HIT, ONESHOT, EVP, NBENCH };
        struct bench benches[NBENCH] = {
            [FLOOR] = {.name = "floor: two SHA256_Transform",
                       .run = run_floor,
                       .iters = 100000},
            [HMAC_OURS] = {.name = "cdr_hmac_compute, 12 bytes",
                           .run = run_hmac,
                           .iters = 100000},
            [MISS] = {.name = "cdr_pseudonymise, cache miss",
                      .run = run_miss,
                      .iters = 100000},
            [MISS_V2] = {.name = "cdr_pseudonymise v2 (domain), cache miss",
                         .run = run_miss_v2,
                         .iters = 100000},
            [HIT] = {.name = "cdr_pseudonymise, cache hit",
                     .run = run_hit,
                     .iters = 500000},
            [ONESHOT] = {.name = "HMAC() one-shot, 12 bytes",
                         .run = run_oneshot,
                         .iters = 10000},
            [EVP] = {.name = "EVP_MAC_CTX_dup+update+final, 12 bytes",
                     .run = run_evp,
                     .iters = 20000},
        };
        double scale = argc > 1 ? atof(argv[1]) : 1.0;
        char err[256] = "";
        cdr_keyring_t *ring;
        struct state st;
        int i, r;

        if (scale <= 0)
                scale = 1.0;
        ring = temp_ring();
        if (ring == NULL)
                return 1;
        memset(&st, 0, sizeof(st));
        memset(st.key, 0x42, sizeof(st.key));
        SHA256_Init(&st.base);
        st.hmac = cdr_hmac_new(st.key, sizeof(st.key));
        st.miss = cdr_pseudonymiser_new(ring, 0, 0, err, sizeof(err));
        st.hit = cdr_pseudonymiser_new(ring, 0, 1024, err, sizeof(err));
        st.miss_v2 = cdr_pseudonymiser_new(ring, 0, 0, err, sizeof(err));
        if (st.miss_v2 != NULL &&
            cdr_pseudonymiser_set_domain(st.miss_v2, "behaviour/2026-12-31",
                                         err, sizeof(err)) != 0) {
                cdr_pseudonymiser_destroy(st.miss_v2);
                st.miss_v2 = NULL;
        }
        st.evp = evp_hmac(st.key, sizeof(st.key));
        cdr_keyring_destroy(ring);
        if (st.hmac == NULL || st.miss == NULL || st.hit == NULL ||
            st.miss_v2 == NULL || st.evp == NULL) {
                fprintf(stderr, "bench_pseudonym: set-up failed %s\n", err);
                return 1;
        }
        run_hit(&st, 10); /* every later call hits */

        /* Every run measures every operation in turn, so that the ratios
         * compare figures taken under the same machine load. */
        for (i = 0; i < NBENCH; i++)
                benches[i].run(&st, benches[i].iters / 10 + 1); /* warm */
        for (r = 0; r < RUNS; r++)
                for (i = 0; i < NBENCH; i++)
                        measure(&benches[i], &st, scale, r);

        printf("bench_pseudonym: CPU ns per operation, median of %d runs\n",
               RUNS);
        for (i = 0; i < NBENCH; i++)
                printf("  %-42s %9.1f ns\n", benches[i].name,
                       median(benches[i].ns, RUNS));
        printf("ratios (median of per-run ratios):\n");
        printf("  %-42s %9.2fx (target <= 1.5)\n",
               "pseudonymise miss / two compressions",
               ratio(&benches[MISS], &benches[FLOOR]));
        printf("  %-42s %9.2fx\n", "pseudonymise v2 miss / v1 miss",
               ratio(&benches[MISS_V2], &benches[MISS]));
        printf("  %-42s %9.2fx\n", "cdr_hmac_compute / two compressions",
               ratio(&benches[HMAC_OURS], &benches[FLOOR]));
        printf("  %-42s %9.2fx\n", "HMAC() one-shot / cdr_hmac_compute",
               ratio(&benches[ONESHOT], &benches[HMAC_OURS]));
        printf("  %-42s %9.2fx\n", "EVP_MAC dup / cdr_hmac_compute",
               ratio(&benches[EVP], &benches[HMAC_OURS]));
        printf("  %-42s %9.2fx\n", "pseudonymise miss / cache hit",
               ratio(&benches[MISS], &benches[HIT]));

        EVP_MAC_CTX_free(st.evp);
        cdr_pseudonymiser_destroy(st.hit);
        cdr_pseudonymiser_destroy(st.miss);
        cdr_pseudonymiser_destroy(st.miss_v2);
        cdr_hmac_destroy(st.hmac);
        return 0;
}
