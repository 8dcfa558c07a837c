/*
 * File mode against the primitives' floor, in one run on one core.
 *
 *   build/bench/bench_floor CDRANON CONFIG INPUT [RUNS [IDENTIFIERS]]
 *
 * Measures, pinned to the core it starts on, in CPU time (of the thread;
 * of the child):
 *  - one raw SHA-256 compression (OpenSSL's low-level SHA256_Transform,
 *    the function src/pseudonym.c builds its HMAC from), chained so that
 *    each call waits for the previous one;
 *  - AES-256-GCM at bulk speed: one EVP update over 1 MiB, ns per byte;
 *  - `CDRANON anonymise -c CONFIG --in INPUT` with sealing, outputs to
 *    /dev/null, as a child on the same core: its CPU seconds (user +
 *    system, from wait4) per record.  Start-up (keys, first epoch) is
 *    included; over 100k records or more it is well under 1%.
 *
 * The floor per record is what the cryptography alone costs with no
 * pseudonym cache hit: 2 compressions per identifier (HMAC-SHA256 with
 * precomputed inner and outer states, a short message in one block each),
 * IDENTIFIERS identifiers per record (default 4: calling, called, IMSI,
 * IMEI), plus GCM at the bulk rate over the mean record length of INPUT
 * and the sealed header of a file source (docs/sealed-format.md).  The
 * header is authenticated only (GHASH, no CTR), so counting it at the full
 * rate makes the floor a little higher than it is.  The figures are
 * medians of RUNS passes (default 5), the three measured in turn in each
 * pass.  INPUT is CSV with a header line.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define RUNS_DEFAULT 5
#define MAX_RUNS     99
#define COMPRESSIONS 2000000
#define BULK_BYTES   ((size_t)1 << 20)
#define BULK_REPEATS 64
#define TAG_LEN      16
/* docs/sealed-format.md: magic 4, version 1, kind 1, key id 8, enc 32,
 * counter 8; then for a file source name length 2, name, line 8. */
#define HEADER_FIXED  54
#define HEADER_SOURCE 10

static void die(const char *what, const char *why)
{
        fprintf(stderr, "bench_floor: %s: %s\n", what, why);
        exit(1);
}

/* CPU time of this thread: on a shared machine, wall time would count
 * the time the primitives wait for the core and inflate the floor, while
 * the file mode's figure is CPU time (wait4). */
static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
        const double *x = a, *y = b;

        return (*x > *y) - (*x < *y);
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), by_value);
        return v[n / 2];
}

/* ns per SHA-256 compression. */
static double run_compression(void)
{
        static unsigned char block[SHA256_CBLOCK];
        SHA256_CTX ctx;
        uint64_t t0;
        long i;

        SHA256_Init(&ctx);
        memset(block, 0x5a, sizeof(block));
        t0 = now_ns();
        for (i = 0; i < COMPRESSIONS; i++) {
                SHA256_Transform(&ctx, block);
                block[0] = (unsigned char)ctx.h[0]; /* a dependency */
        }
        return (double)(now_ns() - t0) / COMPRESSIONS;
}

/* ns per byte of AES-256-GCM, one call over BULK_BYTES. */
static double run_gcm(EVP_CIPHER_CTX *ctx, const unsigned char *in,
                      unsigned char *out)
{
        unsigned char iv[12] = {0}, tag[TAG_LEN];
        uint64_t t0, total = 0;
        int r, len;

        for (r = 0; r < BULK_REPEATS; r++) {
                iv[11] = (unsigned char)r;
                t0 = now_ns();
                if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1 ||
                    EVP_EncryptUpdate(ctx, out, &len, in, (int)BULK_BYTES) !=
                        1 ||
                    EVP_EncryptFinal_ex(ctx, out + len, &len) != 1 ||
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
                                        tag) != 1)
                        die("AES-256-GCM", "EVP failed");
                total += now_ns() - t0;
        }
        return (double)total / (double)(BULK_REPEATS * BULK_BYTES);
}

/* CPU seconds of one `cdranon anonymise` over the input, in the
 * configuration's folder. */
static double run_file_mode(const char *cdranon, const char *config,
                            const char *input)
{
        const char *slash = strrchr(config, '/');
        struct rusage ru;
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                die("fork", strerror(errno));
        if (pid == 0) {
                char dir[4096];

                if (slash != NULL) {
                        snprintf(dir, sizeof(dir), "%.*s",
                                 (int)(slash - config), config);
                        if (chdir(dir) != 0)
                                _exit(126);
                }
                if (freopen("/dev/null", "w", stderr) == NULL)
                        _exit(126);
                execl(cdranon, cdranon, "anonymise", "-c", config, "--in",
                      input, "--out", "/dev/null", "--dead-letter", "/dev/null",
                      "--sealed", "/dev/null", (char *)NULL);
                _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) != pid)
                die("wait4", strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                die(cdranon, "anonymise failed (run it by hand to see why)");
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Records (CSV records after the header line; a quoted field may hold
 * a line end) and their mean length without the line end. */
static void sample_stats(const char *input, size_t *records, double *mean)
{
        FILE *f = fopen(input, "r");
        size_t n = 0, bytes = 0, len = 0;
        int c, header = 1, quoted = 0;

        if (f == NULL)
                die(input, strerror(errno));
        while ((c = getc(f)) != EOF) {
                if (c == '"')
                        quoted = !quoted; /* "" inside toggles twice */
                if (c == '\n' && !quoted) {
                        if (!header) {
                                n++;
                                bytes += len;
                        }
                        header = 0;
                        len = 0;
                } else if (c != '\r') { /* a CR is not counted */
                        len++;
                }
        }
        fclose(f);
        if (n == 0)
                die(input, "no records after the header line");
        *records = n;
        *mean = (double)bytes / (double)n;
}

int main(int argc, char **argv)
{
        const char *cdranon, *config, *input, *base;
        int runs = RUNS_DEFAULT, ids = 4, r, cpu;
        double comp[MAX_RUNS], gcm[MAX_RUNS], file[MAX_RUNS];
        double mean_len, header_len, c, g, f, floor_ns;
        unsigned char key[32], *in, *out;
        EVP_CIPHER_CTX *ctx;
        cpu_set_t set;
        size_t records;

        if (argc < 4 || strcmp(argv[1], "--help") == 0) {
                fprintf(stderr, "usage: bench_floor CDRANON CONFIG INPUT "
                                "[RUNS [IDENTIFIERS]]\n");
                return argc < 4 ? 2 : 0;
        }
        cdranon = argv[1];
        config = argv[2];
        input = argv[3];
        if (argc > 4)
                runs = atoi(argv[4]);
        if (argc > 5)
                ids = atoi(argv[5]);
        if (runs < 1 || runs > MAX_RUNS)
                die("RUNS", "must be 1 to 99");
        if (ids < 0)
                die("IDENTIFIERS", "must be 0 or more");
        if (config[0] != '/' || input[0] != '/')
                die("CONFIG and INPUT", "must be absolute paths");

        /* One core for the primitives and the child alike. */
        cpu = sched_getcpu();
        CPU_ZERO(&set);
        CPU_SET(cpu < 0 ? 0 : cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
                die("sched_setaffinity", strerror(errno));

        sample_stats(input, &records, &mean_len);
        base = strrchr(input, '/') + 1;
        header_len = HEADER_FIXED + HEADER_SOURCE +
                     (double)strlen(input); /* the name as given to --in */

        in = malloc(BULK_BYTES);
        out = malloc(BULK_BYTES + TAG_LEN);
        ctx = EVP_CIPHER_CTX_new();
        if (in == NULL || out == NULL || ctx == NULL ||
            RAND_bytes(key, sizeof(key)) != 1 ||
            RAND_bytes(in, (int)BULK_BYTES) != 1 ||
            EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, NULL) != 1)
                die("AES-256-GCM", "setup failed");

        run_compression(); /* warm-up */
        run_gcm(ctx, in, out);
        for (r = 0; r < runs; r++) {
                comp[r] = run_compression();
                gcm[r] = run_gcm(ctx, in, out);
                file[r] = run_file_mode(cdranon, config, input) * 1e9 /
                          (double)records;
        }
        c = median(comp, runs);
        g = median(gcm, runs);
        f = median(file, runs);
        floor_ns = 2.0 * ids * c + (mean_len + header_len) * g;

        printf("bench_floor: core %d; %zu records of %s, mean %.1f bytes; "
               "median of %d runs\n",
               cpu, records, base, mean_len, runs);
        {
                double load[3];

                if (getloadavg(load, 3) == 3)
                        printf("  %-34s %.2f %.2f %.2f on %ld cores\n",
                               "load average (1, 5, 15 min)", load[0], load[1],
                               load[2], sysconf(_SC_NPROCESSORS_ONLN));
        }
        printf("  %-34s %8.1f ns\n", "SHA-256 compression (raw)", c);
        printf("  %-34s %8.3f ns/byte\n", "AES-256-GCM bulk (1 MiB, one call)",
               g);
        printf("  %-34s %8.1f ns (%d x 2 compressions + GCM over %.0f + "
               "%.0f bytes)\n",
               "floor per record", floor_ns, ids, mean_len, header_len);
        printf("  %-34s %8.1f ns CPU/record (%.0f records per CPU-second)\n",
               "file mode, sealing", f, 1e9 / f);
        printf("  %-34s %8.2f (target <= 1.50)\n", "ratio file mode / floor",
               f / floor_ns);

        EVP_CIPHER_CTX_free(ctx);
        free(in);
        free(out);
        return 0;
}
