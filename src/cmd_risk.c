/*
 * cdranon risk: the re-identification risk meter over an anonymised
 * output (a file of JSON lines, or a topic read once, read_committed).
 *
 *   --in FILE | --topic T  ->  risk.c (parse, measure)  ->  table | --json
 *                                                       ->  --plot FILE
 *                                                       ->  gate exit 4
 */
#include "cmd.h"
#include "cdranon/filein.h"
#include "cdranon/kafka_util.h"
#include "cdranon/risk.h"
#include "cdranon/topic_reader.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const CMD = "risk";

#define MAX_NAMES        CDR_MAX_SLOTS
#define MAX_PROPS        64
#define MAX_RECORD       (1u << 20)
#define TOPIC_TIMEOUT_MS 30000
#define MAX_REPORTED     10 /* malformed records named on stderr */

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: cdranon risk [--in PATH | --topic T -b BROKERS "
            "[-X NAME=VALUE]...]\n"
            "                    [--from TIME] [--to TIME] [--time-field F]\n"
            "                    [--trace-field F]... [--point-fields "
            "A,B,...]\n"
            "                    [--samples N] [--seed S] [--exhaustive]\n"
            "                    [--k K] [--k-subsets N] [--k-fields "
            "A,B,...]...\n"
            "                    [--json] [--plot FILE] [--max-unicity U "
            "[--points P]]\n"
            "\n"
            "Measures the re-identification risk of anonymised records (JSON\n"
            "lines, as `cdranon anonymise` writes them): for every field that\n"
            "holds pseudonyms, the unicity at p = 1..5 points (the share of\n"
            "its traces that p random points of their own single out among\n"
            "all traces), and the k-anonymity of the other fields'\n"
            "combinations.  See docs/anonymity.md.\n"
            "\n"
            "  -i, --in PATH          anonymised records (default: standard "
            "input)\n"
            "      --topic T          instead of --in: topic T, one record "
            "per\n"
            "                         message, from its start to its end "
            "offsets\n"
            "                         when the run starts (read_committed)\n"
            "  -b, --brokers LIST     with --topic: bootstrap.servers\n"
            "  -X NAME=VALUE          with --topic: a librdkafka property\n"
            "      --from TIME        only records whose time is >= TIME\n"
            "                         (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)\n"
            "      --to TIME          only records whose time is < TIME\n"
            "      --time-field F     the time --from and --to read (default:\n"
            "                         the first field holding an ISO 8601 UTC\n"
            "                         time)\n"
            "  -t, --trace-field F    a field that links records into traces\n"
            "                         (repeatable; default: every field "
            "holding\n"
            "                         pseudonyms)\n"
            "  -p, --point-fields LIST the fields that make a point, comma-\n"
            "                         separated (default: every field "
            "holding\n"
            "                         no pseudonym)\n"
            "  -n, --samples N        target traces tested per field "
            "(default\n"
            "                         %d; 0: every trace)\n"
            "      --seed S           random seed (default 1)\n"
            "      --exhaustive       every trace and every p-subset of its\n"
            "                         points: exact, for small data\n"
            "  -k, --k K              k-anonymity threshold (default %d)\n"
            "      --k-subsets N      k-anonymity of every set of at most N\n"
            "                         point fields (default %d; 0: none)\n"
            "      --k-fields LIST    k-anonymity of this set too "
            "(repeatable)\n"
            "      --json             the report as one JSON object\n"
            "      --plot FILE        unicity against p as a PNG image\n"
            "      --max-unicity U    a gate: exit 4 when the unicity at P\n"
            "                         points of any trace field may exceed U\n"
            "                         (0-1, or a percentage such as 5%%): the\n"
            "                         upper end of its 95%% interval is "
            "above U\n"
            "      --points P         the P of --max-unicity, 1-5 (default 4)\n"
            "  -h, --help             this help\n"
            "\n"
            "A malformed record is skipped, counted and named on stderr by\n"
            "file:line (the first %d of them).\n"
            "\n"
            "Exit status: 0; 4 when the gate fails; 3 when it passed (or "
            "there\n"
            "is none) but records were skipped as malformed; 1 on a fatal\n"
            "error; 2 on a bad command line.\n",
            CDR_RISK_DEFAULT_SAMPLES, CDR_RISK_DEFAULT_K,
            CDR_RISK_DEFAULT_SUBSETS, MAX_REPORTED);
}

static int digits(const char *s, size_t n, unsigned *v)
{
        size_t i;

        *v = 0;
        for (i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return 0;
                *v = *v * 10 + (unsigned)(s[i] - '0');
        }
        return 1;
}

/* --from/--to as YYYY-MM-DDTHH:MM:SSZ, the form the records' times are
 * compared with (as strings: the form orders as time does). */
static int window_end(const char *s, char out[21])
{
        unsigned y, mo, d, h = 0, mi = 0, se = 0;
        size_t n = strlen(s);

        if ((n != 10 && n != 20) || !digits(s, 4, &y) || s[4] != '-' ||
            !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
                return CDR_ERR_INVAL;
        if (n == 20 &&
            (s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
             !digits(s + 14, 2, &mi) || s[16] != ':' ||
             !digits(s + 17, 2, &se) || s[19] != 'Z'))
                return CDR_ERR_INVAL;
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
            se > 60)
                return CDR_ERR_INVAL;
        snprintf(out, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi,
                 se);
        return CDR_OK;
}

static int parse_u64(const char *s, uint64_t *v)
{
        char *end;

        errno = 0;
        if (*s < '0' || *s > '9')
                return CDR_ERR_INVAL;
        *v = strtoull(s, &end, 10);
        return errno || *end ? CDR_ERR_INVAL : CDR_OK;
}

/* U as a share (0.05) or a percentage (5%). */
static int parse_share(const char *s, double *v)
{
        char *end;

        errno = 0;
        *v = strtod(s, &end);
        if (end == s || errno)
                return CDR_ERR_INVAL;
        if (*end == '%') {
                *v /= 100;
                end++;
        }
        return *end || !(*v >= 0 && *v <= 1) ? CDR_ERR_INVAL : CDR_OK;
}

/* Splits "a,b,c" into names (pointers into a copy the caller frees). */
static char *split_names(const char *list, const char **names, size_t *n,
                         size_t max)
{
        char *copy = strdup(list), *p, *save = NULL;

        *n = 0;
        if (copy == NULL)
                return NULL;
        for (p = strtok_r(copy, ",", &save); p;
             p = strtok_r(NULL, ",", &save)) {
                if (*n == max) {
                        free(copy);
                        return NULL;
                }
                names[(*n)++] = p;
        }
        return copy;
}

static void kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
        (void)rk;
        (void)level;
        fprintf(stderr, "cdranon %s: kafka %s: %s\n", CMD, fac, buf);
}

static cdr_topic_reader_t *open_topic(const char *topic, const char *brokers,
                                      const char *const *props, size_t nprops,
                                      char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char name[256];
        const char *value;
        size_t i;

        if (brokers != NULL &&
            cdr_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr,
                               errstr_size) != CDR_OK)
                goto err;
        for (i = 0; i < nprops; i++)
                if (cdr_kafka_split_prop(props[i], name, sizeof(name), &value,
                                         errstr, errstr_size) != CDR_OK ||
                    cdr_kafka_conf_set(conf, name, value, errstr,
                                       errstr_size) != CDR_OK)
                        goto err;
        rd_kafka_conf_set_log_cb(conf, kafka_log);
        return cdr_topic_reader_new(conf, topic, TOPIC_TIMEOUT_MS, errstr,
                                    errstr_size);
err:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

/* Where a record came from, formatted only for a message. */
struct where {
        const char *file; /* NULL: topic */
        uint64_t line;
        const char *topic;
        int32_t partition;
        int64_t offset;
};

static void where_format(const struct where *w, char *out, size_t size)
{
        if (w->file != NULL)
                snprintf(out, size, "%s:%llu", w->file,
                         (unsigned long long)w->line);
        else
                snprintf(out, size, "%s [%d] offset %lld", w->topic,
                         (int)w->partition, (long long)w->offset);
}

/* A record the meter would not take: named on stderr (the first few),
 * counted by the meter.  Returns 0, or the fatal error. */
static int offer(cdr_risk_t *risk, const char *rec, size_t len,
                 const struct where *w, uint64_t *bad, char *errstr,
                 size_t errstr_size)
{
        char reason[512], at[512];
        int err = cdr_risk_add(risk, rec, len, reason, sizeof(reason));

        if (err == CDR_OK)
                return CDR_OK;
        where_format(w, at, sizeof(at));
        if (err != CDR_ERR_MALFORMED) {
                cdr_errf(errstr, errstr_size, "%s: %s", at, reason);
                return err;
        }
        if (++*bad <= MAX_REPORTED)
                cdr_cmd_fail(CMD, "%s: skipped: %s", at, reason);
        return CDR_OK;
}

static int write_file(const char *path, const char *p, size_t n, char *errstr,
                      size_t errstr_size)
{
        FILE *f = fopen(path, "wb");

        if (f == NULL || fwrite(p, 1, n, f) != n) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                if (f != NULL)
                        fclose(f);
                return CDR_ERR_IO;
        }
        if (fclose(f) != 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return CDR_ERR_IO;
        }
        return CDR_OK;
}

int cdr_cmd_risk(int argc, char **argv)
{
        enum {
                OPT_TOPIC = 256,
                OPT_FROM,
                OPT_TO,
                OPT_TIME_FIELD,
                OPT_SEED,
                OPT_EXHAUSTIVE,
                OPT_K_SUBSETS,
                OPT_K_FIELDS,
                OPT_JSON,
                OPT_PLOT,
                OPT_MAX_UNICITY,
                OPT_POINTS,
        };
        static const struct option opts[] = {
            {"in", required_argument, NULL, 'i'},
            {"topic", required_argument, NULL, OPT_TOPIC},
            {"brokers", required_argument, NULL, 'b'},
            {"property", required_argument, NULL, 'X'},
            {"from", required_argument, NULL, OPT_FROM},
            {"to", required_argument, NULL, OPT_TO},
            {"time-field", required_argument, NULL, OPT_TIME_FIELD},
            {"trace-field", required_argument, NULL, 't'},
            {"point-fields", required_argument, NULL, 'p'},
            {"samples", required_argument, NULL, 'n'},
            {"seed", required_argument, NULL, OPT_SEED},
            {"exhaustive", no_argument, NULL, OPT_EXHAUSTIVE},
            {"k", required_argument, NULL, 'k'},
            {"k-subsets", required_argument, NULL, OPT_K_SUBSETS},
            {"k-fields", required_argument, NULL, OPT_K_FIELDS},
            {"json", no_argument, NULL, OPT_JSON},
            {"plot", required_argument, NULL, OPT_PLOT},
            {"max-unicity", required_argument, NULL, OPT_MAX_UNICITY},
            {"points", required_argument, NULL, OPT_POINTS},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        cdr_risk_options_t options;
        const char *in_path = NULL, *topic = NULL, *brokers = NULL;
        const char *props[MAX_PROPS], *traces[MAX_NAMES], *points[MAX_NAMES];
        const char *ksets[MAX_NAMES], *plot = NULL;
        char from[21], to[21], errstr[1024];
        char *point_copy = NULL;
        size_t nprops = 0, ntraces = 0, npoints = 0, nksets = 0;
        double max_unicity = -1;
        uint64_t v, points_at = 4, bad = 0;
        int opt, json = 0, got, rc = CDR_EXIT_FAILURE;
        cdr_risk_t *risk = NULL;
        cdr_risk_report_t *report = NULL;
        cdr_filein_t *in = NULL;
        cdr_topic_reader_t *reader = NULL;
        cdr_buf_t out = CDR_BUF_INIT;
        const cdr_risk_trace_t *over;

        cdr_risk_options_init(&options);
        optind = 1;
        while ((opt = getopt_long(argc, argv, "i:b:X:t:p:n:k:h", opts, NULL)) !=
               -1) {
                switch (opt) {
                case 'i':
                        in_path = optarg;
                        break;
                case OPT_TOPIC:
                        topic = optarg;
                        break;
                case 'b':
                        brokers = optarg;
                        break;
                case 'X':
                        if (nprops == MAX_PROPS) {
                                cdr_cmd_fail(CMD, "at most %d -X options",
                                             MAX_PROPS);
                                return CDR_EXIT_USAGE;
                        }
                        props[nprops++] = optarg;
                        break;
                case OPT_FROM:
                        if (window_end(optarg, from) != CDR_OK)
                                goto bad_time;
                        options.from = from;
                        break;
                case OPT_TO:
                        if (window_end(optarg, to) != CDR_OK)
                                goto bad_time;
                        options.to = to;
                        break;
                case OPT_TIME_FIELD:
                        options.time_field = optarg;
                        break;
                case 't':
                        if (ntraces == MAX_NAMES) {
                                cdr_cmd_fail(CMD,
                                             "at most %d --trace-field "
                                             "options",
                                             MAX_NAMES);
                                return CDR_EXIT_USAGE;
                        }
                        traces[ntraces++] = optarg;
                        break;
                case 'p':
                        free(point_copy);
                        point_copy =
                            split_names(optarg, points, &npoints, MAX_NAMES);
                        if (point_copy == NULL || npoints == 0) {
                                free(point_copy);
                                cdr_cmd_fail(CMD,
                                             "--point-fields: a list of "
                                             "1 to %d field names",
                                             MAX_NAMES);
                                return CDR_EXIT_USAGE;
                        }
                        break;
                case 'n':
                        if (parse_u64(optarg, &options.samples) != CDR_OK) {
                                cdr_cmd_fail(CMD, "--samples: not a number");
                                goto usage_error;
                        }
                        break;
                case OPT_SEED:
                        if (parse_u64(optarg, &options.seed) != CDR_OK) {
                                cdr_cmd_fail(CMD, "--seed: not a number");
                                goto usage_error;
                        }
                        break;
                case OPT_EXHAUSTIVE:
                        options.exhaustive = 1;
                        break;
                case 'k':
                        if (parse_u64(optarg, &options.k) != CDR_OK ||
                            options.k < 1) {
                                cdr_cmd_fail(CMD, "--k: a number of at least "
                                                  "1");
                                goto usage_error;
                        }
                        break;
                case OPT_K_SUBSETS:
                        if (parse_u64(optarg, &v) != CDR_OK ||
                            v > CDR_MAX_SLOTS) {
                                cdr_cmd_fail(CMD, "--k-subsets: 0 to %d",
                                             CDR_MAX_SLOTS);
                                goto usage_error;
                        }
                        options.k_subsets = (unsigned)v;
                        break;
                case OPT_K_FIELDS:
                        if (nksets == MAX_NAMES || *optarg == '\0') {
                                cdr_cmd_fail(CMD,
                                             "--k-fields: at most %d "
                                             "non-empty sets",
                                             MAX_NAMES);
                                goto usage_error;
                        }
                        ksets[nksets++] = optarg;
                        break;
                case OPT_JSON:
                        json = 1;
                        break;
                case OPT_PLOT:
                        plot = optarg;
                        break;
                case OPT_MAX_UNICITY:
                        if (parse_share(optarg, &max_unicity) != CDR_OK) {
                                cdr_cmd_fail(CMD, "--max-unicity: a share "
                                                  "0-1 or a percentage");
                                goto usage_error;
                        }
                        break;
                case OPT_POINTS:
                        if (parse_u64(optarg, &points_at) != CDR_OK ||
                            points_at < 1 || points_at > CDR_RISK_POINTS) {
                                cdr_cmd_fail(CMD, "--points: 1 to %d",
                                             CDR_RISK_POINTS);
                                goto usage_error;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        free(point_copy);
                        return CDR_EXIT_OK;
                default:
                        usage(stderr);
                        goto usage_error;
                }
        }
        if (optind != argc) {
                cdr_cmd_fail(CMD, "unexpected argument (try --help)");
                goto usage_error;
        }
        if (topic != NULL ? in_path != NULL : brokers || nprops) {
                cdr_cmd_fail(CMD, "--topic reads Kafka (with -b and -X), "
                                  "--in a file: one or the other");
                goto usage_error;
        }
        options.trace_fields = traces;
        options.ntrace_fields = ntraces;
        options.point_fields = points;
        options.npoint_fields = npoints;
        options.k_sets = ksets;
        options.nk_sets = nksets;

        risk = cdr_risk_new(&options, errstr, sizeof(errstr));
        if (risk == NULL)
                goto fail;
        if (topic != NULL) {
                const void *value;
                size_t vlen;
                int32_t partition;
                int64_t offset;

                reader = open_topic(topic, brokers, props, nprops, errstr,
                                    sizeof(errstr));
                if (reader == NULL)
                        goto fail;
                while ((got = cdr_topic_reader_next(reader, &value, &vlen,
                                                    &partition, &offset, errstr,
                                                    sizeof(errstr))) == 1) {
                        struct where w = {NULL, 0, topic, partition, offset};

                        if (offer(risk, value, vlen, &w, &bad, errstr,
                                  sizeof(errstr)) != CDR_OK)
                                goto fail;
                }
                if (got < 0) {
                        cdr_err_prefix(errstr, sizeof(errstr), "%s: ", topic);
                        goto fail;
                }
        } else {
                cdr_view_t rec;
                uint64_t line;

                in = cdr_filein_open(in_path, CDR_FORMAT_JSON, ',', MAX_RECORD,
                                     errstr, sizeof(errstr));
                if (in == NULL)
                        goto fail;
                while ((got = cdr_filein_next(in, &rec, &line, errstr,
                                              sizeof(errstr))) != 0) {
                        struct where w = {cdr_filein_name(in), line, NULL, 0,
                                          0};

                        if (got == CDR_ERR_TOOBIG) {
                                cdr_risk_count_malformed(risk);
                                if (++bad <= MAX_REPORTED)
                                        cdr_cmd_fail(CMD,
                                                     "%s:%llu: skipped: a "
                                                     "record longer than %u "
                                                     "bytes",
                                                     w.file,
                                                     (unsigned long long)line,
                                                     MAX_RECORD);
                                continue;
                        }
                        if (got < 0)
                                goto fail;
                        if (offer(risk, rec.p, rec.n, &w, &bad, errstr,
                                  sizeof(errstr)) != CDR_OK)
                                goto fail;
                }
        }
        if (bad > MAX_REPORTED)
                cdr_cmd_fail(CMD, "%llu more records skipped as malformed",
                             (unsigned long long)(bad - MAX_REPORTED));

        if (cdr_risk_compute(risk, &report, errstr, sizeof(errstr)) != CDR_OK)
                goto fail;
        if ((json ? cdr_risk_report_json(report, &out)
                  : cdr_risk_report_table(report, &out)) != CDR_OK) {
                cdr_errf(errstr, sizeof(errstr), "out of memory");
                goto fail;
        }
        if (fwrite(out.data, 1, out.len, stdout) != out.len ||
            fflush(stdout) != 0) {
                cdr_errf(errstr, sizeof(errstr), "standard output: %s",
                         strerror(errno));
                goto fail;
        }
        if (plot != NULL) {
                cdr_buf_reset(&out);
                if (cdr_risk_plot_png(report, &out, errstr, sizeof(errstr)) !=
                        CDR_OK ||
                    write_file(plot, out.data, out.len, errstr,
                               sizeof(errstr)) != CDR_OK)
                        goto fail;
        }
        rc = report->malformed ? CDR_EXIT_PARTIAL : CDR_EXIT_OK;
        if (max_unicity >= 0) {
                over = cdr_risk_gate(report, (unsigned)points_at, max_unicity);
                if (over != NULL) {
                        const cdr_risk_unicity_t *u = &over->at[points_at - 1];

                        cdr_cmd_fail(CMD,
                                     "gate failed: field '%s': unicity at %u "
                                     "points %.2f%% (95%% interval up to "
                                     "%.2f%%) is above %.2f%%",
                                     over->field, (unsigned)points_at,
                                     100 * u->share, 100 * u->hi,
                                     100 * max_unicity);
                        rc = CDR_EXIT_RISK;
                }
        }
        goto out;

bad_time:
        cdr_cmd_fail(CMD, "--from/--to: not a time (YYYY-MM-DD or "
                          "YYYY-MM-DDTHH:MM:SSZ)");
usage_error:
        free(point_copy);
        return CDR_EXIT_USAGE;
fail:
        cdr_cmd_fail(CMD, "%s", errstr);
        rc = CDR_EXIT_FAILURE;
out:
        cdr_buf_free(&out);
        cdr_risk_report_destroy(report);
        cdr_risk_destroy(risk);
        cdr_filein_close(in);
        cdr_topic_reader_destroy(reader);
        free(point_copy);
        return rc;
}
