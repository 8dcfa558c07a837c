/*
 * `cdranon gen`: synthetic CDRs to a file or standard output.
 */
#include "cdranon/gen.h"
#include "cdranon/util.h"
#include "cmd.h"
#include "cmd_gen_topic.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Output is written in chunks of about this many bytes. */
#define GEN_CHUNK (1u << 20)

#define GEN_MAX_DAYS 36500u

typedef struct {
        cdr_gen_options_t opts;
        uint64_t records;
        const char *out;       /* NULL or "-": standard output */
        const char *cells_out; /* --cells-out: the cell table */
        int header;            /* -1: the layout's default */
        int stats;
        const char *topic;   /* --topic: to Kafka, one record a message */
        const char *brokers; /* -b */
        const char *props[CDR_GEN_TOPIC_MAX_PROPS]; /* -X NAME=VALUE */
        size_t nprops;
} gen_args_t;

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cdranon gen [OPTION]...\n"
                "Writes realistic synthetic CDRs (deterministic for a "
                "seed).\n"
                "\n"
                "  -f, --format FMT          csv (generic layout, default), "
                "json,\n"
                "                            asterisk (Master.csv) or cucm "
                "(CUCM CDR)\n"
                "  -n, --records N           records to write (default "
                "1000)\n"
                "  -s, --subscribers N       population size, 1-%u "
                "(default 100000)\n"
                "  -m, --malformed-share F   share of malformed records, "
                "0-1 (default 0.01)\n"
                "      --seed S              random seed (default 1)\n"
                "      --start EPOCH         time of the first record, "
                "epoch seconds\n"
                "                            (default 2026-11-27T00:00:00Z)\n"
                "      --zipf S              activity skew exponent, 0-3 "
                "(default 0.7)\n"
                "      --days D              span D days (1-%u): with "
                "--records, N records\n"
                "                            over D days; without, D days "
                "at 20 records\n"
                "                            a subscriber a day\n"
                "      --cells N             cells of the network, 1-%u "
                "(default one per\n"
                "                            200 subscribers, at least 16)\n"
                "      --cells-out PATH      also write the cell table "
                "(CSV: cell_id, area,\n"
                "                            district, region, town, "
                "latitude, longitude)\n"
                "  -o, --out PATH            output file (default standard "
                "output)\n"
                "      --header, --no-header write the column header line or "
                "not\n"
                "                            (default: csv and cucm do)\n"
                "      --crlf                CRLF line ends (default LF)\n"
                "      --stats               report records/s on standard "
                "error\n"
                "      --topic T             produce each record as one "
                "message (no\n"
                "                            header, no line end) to Kafka "
                "topic T\n"
                "  -b, --brokers LIST        with --topic: bootstrap.servers\n"
                "  -X NAME=VALUE             with --topic: a librdkafka "
                "property\n"
                "  -h, --help                this help\n"
                "\n"
                "Subscribers move as CDR studies of human mobility describe "
                "(home at night,\n"
                "work on weekdays, exploration and preferential return; see "
                "docs/generator.md).\n"
                "Every telephone number is fictitious (Ofcom drama ranges "
                "and\n"
                "reserved ranges; see config/README.md).\n",
                CDR_GEN_MAX_SUBSCRIBERS, GEN_MAX_DAYS, CDR_GEN_MAX_CELLS);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
        char *end;
        unsigned long long x;

        if (*s < '0' || *s > '9')
                return -1;
        errno = 0;
        x = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || x > max)
                return -1;
        *v = x;
        return 0;
}

static int parse_double(const char *s, double lo, double hi, double *v)
{
        char *end;
        double x;

        errno = 0;
        x = strtod(s, &end);
        if (errno != 0 || end == s || *end != '\0' || !(x >= lo && x <= hi))
                return -1;
        *v = x;
        return 0;
}

enum {
        OPT_SEED = 256,
        OPT_START,
        OPT_ZIPF,
        OPT_HEADER,
        OPT_NO_HEADER,
        OPT_CRLF,
        OPT_STATS,
        OPT_TOPIC,
        OPT_DAYS,
        OPT_CELLS,
        OPT_CELLS_OUT,
};

/* Returns 0, 1 (help shown: exit 0) or -1 (usage error, reported). */
static int parse_args(int argc, char **argv, gen_args_t *args)
{
        static const struct option longopts[] = {
            {"format", required_argument, NULL, 'f'},
            {"records", required_argument, NULL, 'n'},
            {"subscribers", required_argument, NULL, 's'},
            {"malformed-share", required_argument, NULL, 'm'},
            {"seed", required_argument, NULL, OPT_SEED},
            {"start", required_argument, NULL, OPT_START},
            {"zipf", required_argument, NULL, OPT_ZIPF},
            {"days", required_argument, NULL, OPT_DAYS},
            {"cells", required_argument, NULL, OPT_CELLS},
            {"cells-out", required_argument, NULL, OPT_CELLS_OUT},
            {"out", required_argument, NULL, 'o'},
            {"header", no_argument, NULL, OPT_HEADER},
            {"no-header", no_argument, NULL, OPT_NO_HEADER},
            {"crlf", no_argument, NULL, OPT_CRLF},
            {"stats", no_argument, NULL, OPT_STATS},
            {"topic", required_argument, NULL, OPT_TOPIC},
            {"brokers", required_argument, NULL, 'b'},
            {"property", required_argument, NULL, 'X'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        uint64_t v, days = 0;
        int c, records_given = 0;

        cdr_gen_options_default(&args->opts);
        args->records = 1000;
        args->out = NULL;
        args->cells_out = NULL;
        args->header = -1;
        args->stats = 0;
        args->topic = NULL;
        args->brokers = NULL;
        args->nprops = 0;

        optind = 0; /* GNU getopt: also resets its internal state */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":f:n:s:m:o:b:X:h", longopts,
                                NULL)) != -1) {
                switch (c) {
                case 'f':
                        if (cdr_gen_format_parse(optarg, &args->opts.format) !=
                            CDR_OK) {
                                fprintf(stderr,
                                        "cdranon gen: --format: unknown "
                                        "format '%s' (csv, json, asterisk, "
                                        "cucm)\n",
                                        optarg);
                                return -1;
                        }
                        break;
                case 'n':
                        if (parse_u64(optarg, UINT64_MAX, &args->records)) {
                                fprintf(stderr, "cdranon gen: --records: "
                                                "not a number\n");
                                return -1;
                        }
                        records_given = 1;
                        break;
                case 's':
                        if (parse_u64(optarg, CDR_GEN_MAX_SUBSCRIBERS, &v) ||
                            v < 1) {
                                fprintf(stderr,
                                        "cdranon gen: --subscribers: must "
                                        "be 1-%u\n",
                                        CDR_GEN_MAX_SUBSCRIBERS);
                                return -1;
                        }
                        args->opts.subscribers = (uint32_t)v;
                        break;
                case 'm':
                        if (parse_double(optarg, 0.0, 1.0,
                                         &args->opts.malformed_share)) {
                                fprintf(stderr, "cdranon gen: "
                                                "--malformed-share: must be "
                                                "0-1\n");
                                return -1;
                        }
                        break;
                case OPT_SEED:
                        if (parse_u64(optarg, UINT64_MAX, &args->opts.seed)) {
                                fprintf(stderr, "cdranon gen: --seed: not a "
                                                "number\n");
                                return -1;
                        }
                        break;
                case OPT_START:
                        if (parse_u64(optarg, INT64_MAX, &v)) {
                                fprintf(stderr, "cdranon gen: --start: not "
                                                "epoch seconds\n");
                                return -1;
                        }
                        args->opts.start_time = (int64_t)v;
                        break;
                case OPT_ZIPF:
                        if (parse_double(optarg, 0.0, 3.0,
                                         &args->opts.zipf_exponent)) {
                                fprintf(stderr, "cdranon gen: --zipf: must "
                                                "be 0-3\n");
                                return -1;
                        }
                        break;
                case OPT_DAYS:
                        if (parse_u64(optarg, GEN_MAX_DAYS, &days) ||
                            days < 1) {
                                fprintf(stderr,
                                        "cdranon gen: --days: must be "
                                        "1-%u\n",
                                        GEN_MAX_DAYS);
                                return -1;
                        }
                        break;
                case OPT_CELLS:
                        if (parse_u64(optarg, CDR_GEN_MAX_CELLS, &v) || v < 1) {
                                fprintf(stderr,
                                        "cdranon gen: --cells: must be "
                                        "1-%u\n",
                                        CDR_GEN_MAX_CELLS);
                                return -1;
                        }
                        args->opts.cells = (uint32_t)v;
                        break;
                case OPT_CELLS_OUT:
                        args->cells_out = optarg;
                        break;
                case 'o':
                        args->out = optarg;
                        break;
                case OPT_HEADER:
                        args->header = 1;
                        break;
                case OPT_NO_HEADER:
                        args->header = 0;
                        break;
                case OPT_CRLF:
                        args->opts.crlf = 1;
                        break;
                case OPT_STATS:
                        args->stats = 1;
                        break;
                case OPT_TOPIC:
                        args->topic = optarg;
                        break;
                case 'b':
                        args->brokers = optarg;
                        break;
                case 'X':
                        if (args->nprops == CDR_GEN_TOPIC_MAX_PROPS) {
                                fprintf(stderr, "cdranon gen: too many -X\n");
                                return -1;
                        }
                        args->props[args->nprops++] = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 1;
                case ':':
                        fprintf(stderr,
                                "cdranon gen: option '%s' needs a value\n",
                                argv[optind - 1]);
                        return -1;
                default:
                        fprintf(stderr,
                                "cdranon gen: unknown option '%s' (see "
                                "--help)\n",
                                argv[optind - 1]);
                        return -1;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "cdranon gen: unexpected argument '%s'\n",
                        argv[optind]);
                return -1;
        }
        if (args->topic == NULL ? args->brokers || args->nprops
                                : args->out || args->header > 0) {
                fprintf(stderr, "cdranon gen: -b and -X go with --topic; "
                                "--out and --header do not\n");
                return -1;
        }
        if (args->header < 0)
                args->header = cdr_gen_default_header(args->opts.format);
        if (days > 0) {
                /* N records over the days, or the days' records */
                double subscriber_days =
                    (double)days * (double)args->opts.subscribers;
                if (records_given) {
                        if (args->records == 0) {
                                fprintf(stderr, "cdranon gen: --days needs "
                                                "--records above 0\n");
                                return -1;
                        }
                        args->opts.activity =
                            (double)args->records / subscriber_days;
                        if (args->opts.activity > 1e6) {
                                fprintf(stderr,
                                        "cdranon gen: --records: more than "
                                        "a million a subscriber a day\n");
                                return -1;
                        }
                } else {
                        args->records = (uint64_t)llround(args->opts.activity *
                                                          subscriber_days);
                }
        }
        return 0;
}

static double now_seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes the generator's cell table to path; returns 0 or -1, reported. */
static int write_cells(const cdr_gen_t *gen, const char *path)
{
        cdr_buf_t buf = CDR_BUF_INIT;
        int fd, rc = -1;

        if (cdr_gen_cells_csv(gen, &buf) != CDR_OK) {
                fprintf(stderr, "cdranon gen: out of memory\n");
                goto out;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || cdr_write_all(fd, buf.data, buf.len) != 0 ||
            close(fd) < 0) {
                fprintf(stderr, "cdranon gen: %s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                goto out;
        }
        rc = 0;
out:
        cdr_buf_free(&buf);
        return rc;
}

/* --cells-out with --topic: the network is a function of the options, so
 * a generator of its own writes the same table. */
static int cells_for_topic(const gen_args_t *args)
{
        char errstr[256];
        cdr_gen_t *gen = cdr_gen_new(&args->opts, errstr, sizeof(errstr));
        int rc;

        if (gen == NULL) {
                fprintf(stderr, "cdranon %s\n", errstr);
                return -1;
        }
        rc = write_cells(gen, args->cells_out);
        cdr_gen_destroy(gen);
        return rc;
}

static int gen_to_file(const gen_args_t *args)
{
        char errstr[256];
        cdr_gen_t *gen = NULL;
        cdr_buf_t buf = CDR_BUF_INIT;
        const char *path = args->out;
        int to_stdout = path == NULL || strcmp(path, "-") == 0;
        int fd = STDOUT_FILENO;
        uint64_t i;
        double t0, dt;
        int status = CDR_EXIT_FAILURE;

        if (to_stdout)
                path = "standard output";
        gen = cdr_gen_new(&args->opts, errstr, sizeof(errstr));
        if (gen == NULL) {
                fprintf(stderr, "cdranon %s\n", errstr);
                goto out;
        }
        if (args->cells_out != NULL && write_cells(gen, args->cells_out) < 0)
                goto out;
        if (cdr_buf_reserve(&buf, GEN_CHUNK + 65536) != CDR_OK)
                goto nomem;
        if (!to_stdout) {
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        fprintf(stderr, "cdranon gen: %s: %s\n", path,
                                strerror(errno));
                        goto out;
                }
        }
        t0 = now_seconds();
        if (args->header && cdr_gen_header(gen, &buf) != CDR_OK)
                goto nomem;
        for (i = 0; i < args->records; i++) {
                if (cdr_gen_record(gen, &buf, NULL) != CDR_OK)
                        goto nomem;
                if (buf.len >= GEN_CHUNK) {
                        if (cdr_write_all(fd, buf.data, buf.len) != 0)
                                goto write_error;
                        buf.len = 0;
                }
        }
        if (buf.len > 0 && cdr_write_all(fd, buf.data, buf.len) != 0)
                goto write_error;
        if (!to_stdout) {
                int rc = close(fd);
                fd = STDOUT_FILENO;
                if (rc < 0)
                        goto write_error;
        }
        dt = now_seconds() - t0;
        if (args->stats)
                fprintf(stderr,
                        "cdranon gen: %" PRIu64 " records (%" PRIu64
                        " malformed) in %.3f s: %.0f records/s\n",
                        cdr_gen_records(gen), cdr_gen_malformed(gen), dt,
                        dt > 0 ? (double)cdr_gen_records(gen) / dt : 0.0);
        status = CDR_EXIT_OK;
        goto out;

write_error:
        /* A reader that went away (`cdranon gen | head`) is not worth a
         * message; the status still tells. */
        if (errno != EPIPE)
                fprintf(stderr, "cdranon gen: %s: %s\n", path, strerror(errno));
        goto out;
nomem:
        fprintf(stderr, "cdranon gen: out of memory\n");
out:
        if (fd != STDOUT_FILENO)
                close(fd);
        cdr_buf_free(&buf);
        cdr_gen_destroy(gen);
        return status;
}

int cdr_cmd_gen(int argc, char **argv)
{
        gen_args_t args;
        int rc = parse_args(argc, argv, &args);

        if (rc != 0)
                return rc > 0 ? CDR_EXIT_OK : CDR_EXIT_USAGE;
        if (args.topic != NULL && args.cells_out != NULL &&
            cells_for_topic(&args) < 0)
                return CDR_EXIT_FAILURE;
        if (args.topic != NULL)
                return cdr_cmd_gen_topic(&args.opts, args.records, args.topic,
                                         args.brokers, args.props, args.nprops,
                                         args.stats);
        return gen_to_file(&args);
}
