/*
 * Stage benchmark, file mode, no Kafka: ns per record for each stage of
 * the transform on a generated corpus, and beside them, measured in the
 * same run, the crypto floors: two SHA-256 block compressions per
 * identifier and AES-256-GCM over the record's bytes.  Times are the
 * thread's CPU time, so that figures from a loaded machine stay close to
 * those of an idle one.
 *
 *   bench_transform CONFIG [RECORDS] [RUNS]
 *
 * CONFIG must describe the generator's generic CSV layout (config/
 * generic.yaml with keys beside it; bench/run.sh prepares one).  Every
 * figure is the median of RUNS passes (default 7) over the corpus.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "cdranon/config.h"
#include "cdranon/csv.h"
#include "cdranon/encode.h"
#include "cdranon/gen.h"
#include "cdranon/number.h"
#include "cdranon/pseudonym.h"
#include "cdranon/seal.h"
#include "cdranon/transform.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 31

static const struct {
        const char *field;
        cdr_kind_t kind;
} ids[] = {
    {"calling_number", CDR_KIND_MSISDN},
    {"called_number", CDR_KIND_MSISDN},
    {"imsi", CDR_KIND_IMSI},
    {"imei", CDR_KIND_IMEI},
};
#define NIDS (sizeof(ids) / sizeof(ids[0]))

/* The CPU time of this thread: the figures are per core, and on a shared
 * machine wall time would also count the time the thread waited for
 * one. */
static double now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static volatile unsigned sink;

static void die(const char *what, const char *errstr)
{
        fprintf(stderr, "bench_transform: %s: %s\n", what, errstr);
        exit(1);
}

int main(int argc, char **argv)
{
        char errstr[1024];
        size_t nrec = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
        int runs = argc > 3 ? atoi(argv[3]) : 7, r;
        cdr_config_t *config;
        cdr_engine_t *engine;
        cdr_transform_t *transform;
        cdr_gen_options_t gopts;
        cdr_gen_t *gen;
        cdr_buf_t corpus = CDR_BUF_INIT, header = CDR_BUF_INIT;
        cdr_view_t *recs;
        size_t i, n = 0, off, bytes = 0, id_values = 0;
        double t_parse[MAX_RUNS], t_canon[MAX_RUNS], t_pseudo[MAX_RUNS];
        double t_hit[MAX_RUNS], t_policy[MAX_RUNS], t_seal[MAX_RUNS];
        double t_whole[MAX_RUNS], t_sha[MAX_RUNS], t_gcm[MAX_RUNS];
        double t_file[MAX_RUNS], t_gcm_gen[MAX_RUNS];
        double t0;
        int slot[NIDS];
        cdr_csv_t *csv;
        cdr_record_t record = {0};
        cdr_keyring_t *ring;
        cdr_pseudonymiser_t *ps_miss, *ps_hit;
        cdr_custodian_set_t *custodians;
        cdr_sealer_t *sealer;
        cdr_buf_t out = CDR_BUF_INIT, sealed = CDR_BUF_INIT;
        char key[CDR_PSEUDONYM_MAX + 1], reason[256];
        char canon[CDR_CANON_MAX], pseudonym[CDR_PSEUDONYM_MAX + 1];
        size_t canon_len, keylen;
        cdr_numclass_t cls;
        const cdr_rule_t *why;
        cdr_reason_t code;
        unsigned char aes_key[32], iv[12] = {0}, tag[16], *ct;
        EVP_CIPHER_CTX *gcm, *gcm_gen;
        cdr_buf_t b64 = CDR_BUF_INIT;
        cdr_transform_stats_t tstats;
        SHA256_CTX sha_base, sha;
        unsigned char block[64];
        int outl;
        char(*canon_pool)[24];
        size_t *canon_pool_len;

        if (argc < 2 || runs < 1 || runs > MAX_RUNS) {
                fprintf(stderr,
                        "usage: bench_transform CONFIG [RECORDS] [RUNS<=31]\n");
                return 2;
        }
        config = cdr_config_load(argv[1], errstr, sizeof(errstr));
        if (config == NULL)
                die("config", errstr);
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        if (engine == NULL)
                die("engine", errstr);
        transform = cdr_transform_new(engine, errstr, sizeof(errstr));
        if (transform == NULL)
                die("transform", errstr);

        /* The corpus: well-formed generic CSV records (malformed ones
         * take a shorter path and would flatter the figures). */
        cdr_gen_options_default(&gopts);
        gopts.malformed_share = 0;
        gen = cdr_gen_new(&gopts, errstr, sizeof(errstr));
        if (gen == NULL)
                die("gen", errstr);
        if (cdr_gen_header(gen, &header) != CDR_OK)
                die("gen", "out of memory");
        for (i = 0; i < nrec; i++)
                if (cdr_gen_record(gen, &corpus, NULL) != CDR_OK)
                        die("gen", "out of memory");
        cdr_gen_destroy(gen);
        recs = calloc(nrec, sizeof(*recs));
        for (off = 0; off < corpus.len && n < nrec;) {
                size_t lines, len = cdr_csv_frame(',', corpus.data + off,
                                                  corpus.len - off, 1, &lines);
                if (len == 0)
                        break;
                recs[n].p = corpus.data + off;
                recs[n].n = len;
                bytes += len;
                n++;
                off += len;
        }
        if (cdr_engine_set_header(engine, header.data, header.len, errstr,
                                  sizeof(errstr)) != CDR_OK)
                die("header", errstr);

        /* Stage-by-stage state, built as the transform builds its own. */
        csv = cdr_csv_new(',', cdr_policy_schema(cdr_engine_policy(engine)),
                          errstr, sizeof(errstr));
        if (csv == NULL || cdr_csv_set_header(csv, header.data, header.len,
                                              errstr, sizeof(errstr)) != CDR_OK)
                die("csv", errstr);
        for (i = 0; i < NIDS; i++) {
                slot[i] = cdr_schema_find(
                    cdr_policy_schema(cdr_engine_policy(engine)), ids[i].field,
                    strlen(ids[i].field));
                if (slot[i] < 0)
                        die(ids[i].field, "not read by the policy");
        }
        ring = cdr_keyring_load(config->hmac_key_file, errstr, sizeof(errstr));
        if (ring == NULL)
                die("keys", errstr);
        ps_miss = cdr_pseudonymiser_new(ring, cdr_keyring_count(ring) - 1, 0,
                                        errstr, sizeof(errstr));
        ps_hit = cdr_pseudonymiser_new(ring, cdr_keyring_count(ring) - 1,
                                       config->pseudonym_cache, errstr,
                                       sizeof(errstr));
        if (ps_miss == NULL || ps_hit == NULL)
                die("pseudonymiser", errstr);
        custodians = cdr_custodian_set_load(
            config->custodian, config->ncustodian, errstr, sizeof(errstr));
        if (custodians == NULL)
                die("custodian keys", errstr);
        sealer = cdr_sealer_new(custodians, config->epoch_records,
                                config->epoch_seconds, errstr, sizeof(errstr));
        if (sealer == NULL)
                die("sealer", errstr);

        /* Distinct canonical values, made before timing: a cache-miss
         * workload for the HMAC that measures nothing but it. */
        canon_pool = malloc(n * NIDS * sizeof(*canon_pool));
        canon_pool_len = malloc(n * NIDS * sizeof(*canon_pool_len));
        if (canon_pool == NULL || canon_pool_len == NULL)
                die("corpus", "out of memory");
        for (i = 0; i < n * NIDS; i++)
                canon_pool_len[i] = (size_t)snprintf(
                    canon_pool[i], sizeof(canon_pool[i]), "+4477%09zu", i);

        RAND_bytes(aes_key, sizeof(aes_key));
        gcm = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(gcm, EVP_aes_256_gcm(), NULL, aes_key, NULL);
        /* The sealer's way to change the nonce (seal.c): the context
         * makes it from a fixed IV and a counter. */
        gcm_gen = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(gcm_gen, EVP_aes_256_gcm(), NULL, aes_key, NULL);
        EVP_CIPHER_CTX_ctrl(gcm_gen, EVP_CTRL_GCM_SET_IV_FIXED, -1, iv);
        ct = malloc(config->max_record_bytes + 64);
        SHA256_Init(&sha_base);
        memset(block, 0x36, sizeof(block));
        SHA256_Update(&sha_base, block, sizeof(block));

        for (r = 0; r < runs; r++) {
                cdr_result_t result;

                t0 = now_ns();
                for (i = 0; i < n; i++) {
                        if (cdr_record_reset(&record,
                                             cdr_schema_count(cdr_policy_schema(
                                                 cdr_engine_policy(engine))),
                                             recs[i].n) != CDR_OK ||
                            cdr_csv_parse(csv, recs[i].p, recs[i].n - 1,
                                          &record, reason,
                                          sizeof(reason)) != CDR_OK)
                                die("parse", reason);
                }
                t_parse[r] = (now_ns() - t0) / (double)n;

                /* Canonicalise and pseudonymise need parsed values: keep
                 * the canonical forms of one pass to feed the HMAC. */
                id_values = 0;
                t0 = now_ns();
                for (i = 0; i < n; i++) {
                        size_t k;

                        if (cdr_record_reset(&record,
                                             cdr_schema_count(cdr_policy_schema(
                                                 cdr_engine_policy(engine))),
                                             recs[i].n) != CDR_OK ||
                            cdr_csv_parse(csv, recs[i].p, recs[i].n - 1,
                                          &record, reason,
                                          sizeof(reason)) != CDR_OK)
                                die("parse", reason);
                        for (k = 0; k < NIDS; k++) {
                                cdr_view_t v = record.value[slot[k]];

                                if (cdr_number_canonical(&config->numbers,
                                                         ids[k].kind, v.p, v.n,
                                                         canon, &canon_len,
                                                         &cls, &why) == CDR_OK)
                                        id_values++;
                        }
                }
                t_canon[r] = (now_ns() - t0) / (double)n - t_parse[r];

                t0 = now_ns();
                for (i = 0; i < n * NIDS; i++)
                        sink += (unsigned)cdr_pseudonymise(
                            ps_miss, ids[i % NIDS].kind, canon_pool[i],
                            canon_pool_len[i], pseudonym);
                t_pseudo[r] = (now_ns() - t0) / (double)(n * NIDS);

                t0 = now_ns();
                for (i = 0; i < n * NIDS; i++)
                        sink += (unsigned)cdr_pseudonymise(
                            ps_hit, ids[i % NIDS].kind, canon_pool[i % 256],
                            canon_pool_len[i % 256], pseudonym);
                t_hit[r] = (now_ns() - t0) / (double)(n * NIDS);

                t0 = now_ns();
                for (i = 0; i < n; i++) {
                        if (cdr_record_reset(&record,
                                             cdr_schema_count(cdr_policy_schema(
                                                 cdr_engine_policy(engine))),
                                             recs[i].n) != CDR_OK ||
                            cdr_csv_parse(csv, recs[i].p, recs[i].n - 1,
                                          &record, reason,
                                          sizeof(reason)) != CDR_OK)
                                die("parse", reason);
                        cdr_buf_reset(&out);
                        sink += (unsigned)cdr_policy_apply(
                            cdr_engine_policy(engine),
                            cdr_engine_suppression(engine), ps_hit, &record,
                            &out, key, &keylen, &code, reason, sizeof(reason));
                }
                t_policy[r] = (now_ns() - t0) / (double)n - t_parse[r];

                t0 = now_ns();
                for (i = 0; i < n; i++)
                        if (cdr_sealer_seal(sealer, recs[i].p, recs[i].n, NULL,
                                            INT64_MIN, &sealed, errstr,
                                            sizeof(errstr)) != CDR_OK)
                                die("seal", errstr);
                t_seal[r] = (now_ns() - t0) / (double)n;

                t0 = now_ns();
                for (i = 0; i < n; i++) {
                        cdr_source_t source = {.file = "bench", .line = i};

                        if (cdr_transform_record(
                                transform, recs[i].p, recs[i].n, &source,
                                &result, errstr, sizeof(errstr)) != CDR_OK)
                                die("transform", errstr);
                }
                t_whole[r] = (now_ns() - t0) / (double)n;

                /* File mode writes each sealed record as a base64 line:
                 * the whole transform and that encoding. */
                t0 = now_ns();
                for (i = 0; i < n; i++) {
                        cdr_source_t source = {.file = "bench", .line = i};

                        if (cdr_transform_record(
                                transform, recs[i].p, recs[i].n, &source,
                                &result, errstr, sizeof(errstr)) != CDR_OK)
                                die("transform", errstr);
                        cdr_buf_reset(&b64);
                        if (cdr_base64_append(
                                &b64, (const unsigned char *)result.sealed.p,
                                result.sealed.n) != CDR_OK)
                                die("base64", "out of memory");
                }
                t_file[r] = (now_ns() - t0) / (double)n;

                /* Floor 1: two SHA-256 block compressions per identifier
                 * (the inner and outer hash of an HMAC over one block). */
                t0 = now_ns();
                for (i = 0; i < n * NIDS; i++) {
                        sha = sha_base;
                        block[0] = (unsigned char)i;
                        SHA256_Transform(&sha, block);
                        SHA256_Transform(&sha, block);
                        sink += sha.h[0];
                }
                t_sha[r] = (now_ns() - t0) / (double)n;

                /* Floor 2: AES-256-GCM over each record's bytes. */
                t0 = now_ns();
                for (i = 0; i < n; i++) {
                        iv[11] = (unsigned char)i;
                        iv[10] = (unsigned char)(i >> 8);
                        EVP_EncryptInit_ex(gcm, NULL, NULL, NULL, iv);
                        EVP_EncryptUpdate(gcm, ct, &outl,
                                          (const unsigned char *)recs[i].p,
                                          (int)recs[i].n);
                        EVP_EncryptFinal_ex(gcm, ct + outl, &outl);
                        EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_GET_TAG, 16, tag);
                        sink += tag[0];
                }
                t_gcm[r] = (now_ns() - t0) / (double)n;

                /* The same, with the nonce made by the context. */
                t0 = now_ns();
                for (i = 0; i < n; i++) {
                        unsigned char used[12];
                        OSSL_PARAM make_iv[2] = {
                            OSSL_PARAM_construct_octet_string(
                                OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, used,
                                sizeof(used)),
                            OSSL_PARAM_construct_end()};
                        OSSL_PARAM get_tag[2] = {
                            OSSL_PARAM_construct_octet_string(
                                OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag)),
                            OSSL_PARAM_construct_end()};

                        EVP_CIPHER_CTX_get_params(gcm_gen, make_iv);
                        EVP_EncryptUpdate(gcm_gen, ct, &outl,
                                          (const unsigned char *)recs[i].p,
                                          (int)recs[i].n);
                        EVP_EncryptFinal_ex(gcm_gen, ct + outl, &outl);
                        EVP_CIPHER_CTX_get_params(gcm_gen, get_tag);
                        sink += tag[0];
                }
                t_gcm_gen[r] = (now_ns() - t0) / (double)n;
        }
        cdr_transform_stats(transform, &tstats);

        {
                double parse = median(t_parse, runs);
                double canonm = median(t_canon, runs);
                double pseudo = median(t_pseudo, runs);
                double hit = median(t_hit, runs);
                double policy = median(t_policy, runs);
                double seal = median(t_seal, runs);
                double whole = median(t_whole, runs);
                double sha2 = median(t_sha, runs);
                double gcmm = median(t_gcm, runs);
                double file = median(t_file, runs);
                double gcm_gen_m = median(t_gcm_gen, runs);
                double floor = sha2 + gcmm;

                printf("# bench_transform: %zu records, %.0f bytes/record, "
                       "%zu identifiers/record pseudonymised, median of %d "
                       "runs\n",
                       n, (double)bytes / (double)n, NIDS, runs);
                printf("stage,ns_per_record\n");
                printf("parse,%.1f\n", parse);
                printf("canonicalise (%zu ids),%.1f\n", NIDS, canonm);
                printf("pseudonymise miss (%zu ids),%.1f\n", NIDS,
                       pseudo * NIDS);
                printf("pseudonymise hit (%zu ids),%.1f\n", NIDS, hit * NIDS);
                printf("policy+encode (incl. canonicalise+pseudonymise),"
                       "%.1f\n",
                       policy);
                printf("seal,%.1f\n", seal);
                printf("whole transform,%.1f\n", whole);
                printf("whole in file mode (with the sealed record's "
                       "base64),%.1f\n",
                       file);
                printf("floor: 2 SHA-256 compressions x %zu ids,%.1f\n", NIDS,
                       sha2);
                printf("floor: AES-256-GCM over the record,%.1f\n", gcmm);
                printf("floor: crypto total,%.1f\n", floor);
                printf("AES-256-GCM over the record (nonce made by the "
                       "context as the sealer does),%.1f\n",
                       gcm_gen_m);
                printf("# records/s one core (whole): %.0f\n", 1e9 / whole);
                printf("# ratio whole / crypto floor: %.2f (target <= 3)\n",
                       whole / floor);
                printf("# ratio pseudonymise miss / 2 compressions per id: "
                       "%.2f (target <= 1.5)\n",
                       pseudo / (sha2 / NIDS));
                printf("# ratio seal / AES-256-GCM: %.2f (target <= 1.5)\n",
                       seal / gcmm);
                printf("# ratio whole / (2 compressions per id + GCM with "
                       "the sealer's nonce calls): %.2f\n",
                       whole / (sha2 + gcm_gen_m));
                printf("# identifiers canonicalised per pass: %zu\n",
                       id_values);
                printf("# pseudonym cache hit ratio in the whole transform "
                       "(%zu entries): %.3f\n",
                       config->pseudonym_cache,
                       (double)tstats.cache_hits /
                           (double)(tstats.cache_hits + tstats.cache_misses));
        }

        free(canon_pool);
        free(canon_pool_len);
        free(ct);
        free(recs);
        EVP_CIPHER_CTX_free(gcm);
        EVP_CIPHER_CTX_free(gcm_gen);
        cdr_buf_free(&b64);
        cdr_sealer_destroy(sealer);
        cdr_custodian_set_destroy(custodians);
        cdr_pseudonymiser_destroy(ps_miss);
        cdr_pseudonymiser_destroy(ps_hit);
        cdr_keyring_destroy(ring);
        cdr_record_free(&record);
        cdr_csv_destroy(csv);
        cdr_buf_free(&out);
        cdr_buf_free(&sealed);
        cdr_buf_free(&corpus);
        cdr_buf_free(&header);
        cdr_transform_destroy(transform);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return sink == 0xdeadbeef;
}
