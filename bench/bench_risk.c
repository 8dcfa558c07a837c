/*
 * Risk meter benchmark (risk.h), no I/O in the timed part: the file is
 * read into memory first, then each pass feeds every line to a fresh
 * meter and measures.  Figures are the thread's CPU time, the median of
 * RUNS passes, so that a loaded machine gives figures close to an idle
 * one's; memory is the meter's peak resident growth over a pass
 * (VmHWM after the peak is reset), divided by the records.
 *
 *   bench_risk FILE [RUNS] [-- cdranon risk options: --point-fields LIST,
 *                           --samples N, --k-subsets N]
 *
 * FILE: anonymised JSON lines (bench/run.sh makes them: `cdranon gen`
 * through config/generic.yaml).
 */
#include "cdranon/risk.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS   31
#define MAX_POINTS 64

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

static void die(const char *what, const char *why)
{
        fprintf(stderr, "bench_risk: %s: %s\n", what, why);
        exit(1);
}

/* A line of /proc/self/status in kB ("VmHWM", "VmRSS"). */
static long status_kb(const char *key)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        long kb = -1;
        size_t n = strlen(key);

        if (f == NULL)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, n) == 0 && line[n] == ':')
                        kb = strtol(line + n + 1, NULL, 10);
        fclose(f);
        return kb;
}

/* Resets VmHWM to the current resident size (Linux clear_refs "5"). */
static int reset_peak(void)
{
        int fd = open("/proc/self/clear_refs", O_WRONLY);
        int ok = fd >= 0 && write(fd, "5", 1) == 1;

        if (fd >= 0)
                close(fd);
        return ok;
}

int main(int argc, char **argv)
{
        cdr_risk_options_t options;
        const char *points[MAX_POINTS];
        char errstr[512], *data, *p, *end, *list = NULL;
        double add_ns[MAX_RUNS], compute_ns[MAX_RUNS], t0, t1, t2;
        long peak_kb[MAX_RUNS], before;
        size_t nlines = 0, cap = 0, i, *off = NULL, *len = NULL, npoints = 0;
        struct stat st;
        int runs = 5, r, fd, a, peaks = 1;
        cdr_risk_report_t *report;
        ssize_t got;

        if (argc < 2)
                die("usage", "bench_risk FILE [RUNS] [-- OPTIONS]");
        cdr_risk_options_init(&options);
        a = 2;
        if (argc > 2 && strcmp(argv[2], "--") != 0) {
                runs = atoi(argv[2]);
                a = 3;
        }
        if (runs < 1 || runs > MAX_RUNS)
                die("RUNS", "1 to 31");
        if (a < argc && strcmp(argv[a], "--") == 0)
                a++;
        for (; a + 1 < argc; a += 2) {
                if (strcmp(argv[a], "--point-fields") == 0) {
                        list = strdup(argv[a + 1]);
                        for (p = strtok(list, ","); p && npoints < MAX_POINTS;
                             p = strtok(NULL, ","))
                                points[npoints++] = p;
                        options.point_fields = points;
                        options.npoint_fields = npoints;
                } else if (strcmp(argv[a], "--samples") == 0) {
                        options.samples = strtoull(argv[a + 1], NULL, 10);
                } else if (strcmp(argv[a], "--k-subsets") == 0) {
                        options.k_subsets = (unsigned)atoi(argv[a + 1]);
                } else {
                        die(argv[a], "unknown option");
                }
        }

        fd = open(argv[1], O_RDONLY);
        if (fd < 0 || fstat(fd, &st) != 0)
                die(argv[1], "cannot open");
        data = malloc((size_t)st.st_size + 1);
        if (data == NULL)
                die(argv[1], "out of memory");
        for (i = 0; i < (size_t)st.st_size; i += (size_t)got) {
                got = read(fd, data + i, (size_t)st.st_size - i);
                if (got <= 0)
                        die(argv[1], "read failed");
        }
        close(fd);
        for (p = data, end = data + st.st_size; p < end;) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

                if (nlines == cap) {
                        cap = cap ? cap * 2 : 1 << 16;
                        off = realloc(off, cap * sizeof(*off));
                        len = realloc(len, cap * sizeof(*len));
                        if (off == NULL || len == NULL)
                                die("lines", "out of memory");
                }
                off[nlines] = (size_t)(p - data);
                len[nlines++] = n;
                p += n + 1;
        }

        for (r = 0; r < runs; r++) {
                cdr_risk_t *risk;

                before = status_kb("VmRSS");
                peaks &= reset_peak();
                risk = cdr_risk_new(&options, errstr, sizeof(errstr));
                if (risk == NULL)
                        die("meter", errstr);
                t0 = now_ns();
                for (i = 0; i < nlines; i++)
                        if (cdr_risk_add(risk, data + off[i], len[i], errstr,
                                         sizeof(errstr)) != CDR_OK)
                                die("record", errstr);
                t1 = now_ns();
                if (cdr_risk_compute(risk, &report, errstr, sizeof(errstr)) !=
                    CDR_OK)
                        die("compute", errstr);
                t2 = now_ns();
                peak_kb[r] = status_kb("VmHWM") - before;
                add_ns[r] = t1 - t0;
                compute_ns[r] = t2 - t1;
                if (r == runs - 1)
                        printf("records,%llu\ntrace_fields,%zu\npoint_fields,"
                               "%zu\nk_sets,%zu\n",
                               (unsigned long long)report->records,
                               report->ntraces, report->npoint_fields,
                               report->nksets);
                cdr_risk_report_destroy(report);
                cdr_risk_destroy(risk);
        }
        {
                double add = median(add_ns, runs);
                double comp = median(compute_ns, runs);
                double total[MAX_RUNS];
                double peak[MAX_RUNS];

                for (r = 0; r < runs; r++) {
                        total[r] = add_ns[r] + compute_ns[r];
                        peak[r] = (double)peak_kb[r];
                }
                printf("read_ns_per_record,%.1f\n", add / (double)nlines);
                printf("measure_ns_per_record,%.1f\n", comp / (double)nlines);
                printf("records_per_s,%.0f\n",
                       (double)nlines / (median(total, runs) / 1e9));
                if (peaks)
                        printf("peak_bytes_per_record,%.0f\n",
                               median(peak, runs) * 1024.0 / (double)nlines);
                else
                        printf("peak_bytes_per_record,unknown\n");
        }
        free(off);
        free(len);
        free(list);
        free(data);
        return 0;
}
