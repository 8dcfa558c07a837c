/*
 * cdranon unseal: the custodian's tool.  Opens sealed records with the
 * custodian's private keys, optionally only those of one subscriber
 * (a subject access request) or of an event-time window, and appends one
 * line per run to the audit log: who, when, where, what query, which
 * keys, how many records -- never the records themselves.
 */
#include "cmd.h"
#include "matcher.h"
#include "cdranon/civil.h"
#include "cdranon/config.h"
#include "cdranon/csv.h"
#include "cdranon/encode.h"
#include "cdranon/filein.h"
#include "cdranon/json.h"
#include "cdranon/kafka_util.h"
#include "cdranon/number.h"
#include "cdranon/pseudonym.h"
#include "cdranon/sources.h"
#include "cdranon/topic_reader.h"
#include "cdranon/transform.h"
#include "cdranon/unseal.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const CMD = "unseal";

#define MAX_KEYS         64
#define MAX_PROPS        64
#define TOPIC_TIMEOUT_MS 30000
/* A sealed line up to this long is opened in memory; a longer one (a
 * record sealed piece by piece) in two passes through a temporary file
 * of its ciphertext, in $TMPDIR. */
#define LINE_IN_MEMORY (4 << 20)

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: cdranon unseal --key PRIVATE_KEY [--key ...] [--in PATH]\n"
            "                      [--topic T -b BROKERS [-X NAME=VALUE]...]\n"
            "                      [--out PATH] [-c CONFIG [--subscriber "
            "NUMBER]\n"
            "                      [--from TIME] [--to TIME]] [--sources "
            "FILE]\n"
            "                      [--audit PATH]\n"
            "\n"
            "Opens sealed records (one base64 line each, as `cdranon\n"
            "anonymise --sealed` writes them) with the custodian's X25519\n"
            "private keys, and writes each original record byte for byte\n"
            "(a Kafka record followed by a line feed when it has none).  A\n"
            "line over 4 MiB is opened in two passes through a temporary\n"
            "file of its ciphertext in $TMPDIR (default /tmp).\n"
            "Every run appends one JSON line to the audit log: time, user,\n"
            "host, the query, the key ids used and the number of records\n"
            "returned (never the records; the subscriber as its pseudonym).\n"
            "\n"
            "  -k, --key FILE         private key, PEM PKCS#8 (repeatable: "
            "one\n"
            "                         per retention period)\n"
            "  -i, --in PATH          sealed records (default: standard "
            "input)\n"
            "      --topic T          instead of --in: the sealed topic T, a\n"
            "                         binary sealed record per message, from\n"
            "                         its start to its end offsets when the\n"
            "                         run starts (read_committed)\n"
            "  -b, --brokers LIST     with --topic: bootstrap.servers\n"
            "  -X NAME=VALUE          with --topic: a librdkafka property\n"
            "  -o, --out PATH         original records (default: stdout)\n"
            "  -c, --config FILE      the processor's configuration: how to\n"
            "                         parse records for --subscriber, --from\n"
            "                         and --to (CSV columns from a header\n"
            "                         line: each file's first sealed record)\n"
            "  -s, --subscriber NUM   only records where NUM (any accepted\n"
            "                         spelling) appears in a field the policy\n"
            "                         pseudonymises as msisdn\n"
            "      --header-from FILE for CSV sealed without its header line:\n"
            "                         read the column names from the first\n"
            "                         line of FILE instead\n"
            "      --from TIME        only event times >= TIME (YYYY-MM-DD or\n"
            "                         YYYY-MM-DDTHH:MM:SSZ)\n"
            "      --to TIME          only event times < TIME\n"
            "      --sources FILE     only the records whose source is listed\n"
            "                         in FILE: dead-letter lines as cdranon\n"
            "                         writes them (their \"source\"), or "
            "lines\n"
            "                         TOPIC PARTITION OFFSET, or FILE LINE;\n"
            "                         any not found is reported (exit 1)\n"
            "  -a, --audit PATH       audit log (default: the configuration's\n"
            "                         audit.log, else ./cdranon-audit.log)\n"
            "  -h, --help             this help\n"
            "\n"
            "Exit status: 0 when every record opened; 1 when any did not "
            "(each\n"
            "is named by its line number, and the others are still written),\n"
            "when a listed source was not found, or on a fatal error; 2 on a\n"
            "bad command line.\n");
}

/* --from and --to: a time of the one grammar (civil.h). */
static int parse_time(const char *s, int64_t *out)
{
        const cdr_rule_t *rule;

        return cdr_civil_parse_iso(s, strlen(s), out, &rule) == CDR_OK
                   ? CDR_OK
                   : CDR_ERR_INVAL;
}

/* Appends `s` as a JSON string, replacing invalid UTF-8 with '?'. */
static int put_json_text(cdr_buf_t *buf, const char *s)
{
        if (cdr_json_put_string(buf, s, strlen(s)) == CDR_OK)
                return CDR_OK;
        return cdr_json_put_string(buf, "?", 1);
}

struct query {
        const char *in_path;
        const char *subscriber_pseudonym; /* NULL: no subscriber filter */
        const char *from, *to;
        const char *sources; /* --sources FILE */
        size_t nsources;
};

static int write_audit(int fd, const struct query *q,
                       const cdr_unsealer_t *unsealer, uint64_t returned,
                       uint64_t failed)
{
        cdr_buf_t line = CDR_BUF_INIT;
        char host[256] = "unknown", when[32];
        const struct passwd *pw = getpwuid(geteuid());
        const char *login = getenv("SUDO_USER");
        time_t now = time(NULL);
        struct tm tm;
        size_t i;
        int err = CDR_OK;

        gethostname(host, sizeof(host) - 1);
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        err |= cdr_buf_printf(&line, "{\"time\":\"%s\",\"user\":", when);
        err |= put_json_text(&line, pw ? pw->pw_name : "unknown");
        if (login != NULL) {
                err |= cdr_buf_puts(&line, ",\"sudo_user\":");
                err |= put_json_text(&line, login);
        }
        err |=
            cdr_buf_printf(&line, ",\"uid\":%u,\"host\":", (unsigned)geteuid());
        err |= put_json_text(&line, host);
        err |= cdr_buf_puts(&line, ",\"query\":{\"in\":");
        err |= put_json_text(&line, q->in_path ? q->in_path : "-");
        if (q->subscriber_pseudonym != NULL) {
                err |= cdr_buf_puts(&line, ",\"subscriber\":");
                err |= put_json_text(&line, q->subscriber_pseudonym);
        }
        if (q->from != NULL) {
                err |= cdr_buf_puts(&line, ",\"from\":");
                err |= put_json_text(&line, q->from);
        }
        if (q->to != NULL) {
                err |= cdr_buf_puts(&line, ",\"to\":");
                err |= put_json_text(&line, q->to);
        }
        if (q->sources != NULL) {
                err |= cdr_buf_puts(&line, ",\"sources\":");
                err |= put_json_text(&line, q->sources);
                err |= cdr_buf_printf(&line, ",\"sources_listed\":%zu",
                                      q->nsources);
        }
        err |= cdr_buf_puts(&line, "},\"keys\":[");
        for (i = 0; i < cdr_unsealer_key_count(unsealer); i++) {
                char id[CDR_KEY_ID_HEX_SIZE];

                cdr_unsealer_key_id(unsealer, i, id);
                err |= cdr_buf_printf(
                    &line, "%s{\"id\":\"%s\",\"opened\":%llu}", i ? "," : "",
                    id,
                    (unsigned long long)cdr_unsealer_key_opened(unsealer, i));
        }
        err |= cdr_buf_printf(&line, "],\"returned\":%llu,\"failed\":%llu}\n",
                              (unsigned long long)returned,
                              (unsigned long long)failed);
        if (err != CDR_OK ||
            write(fd, line.data, line.len) != (ssize_t)line.len ||
            fsync(fd) != 0) {
                cdr_buf_free(&line);
                return CDR_ERR_IO;
        }
        cdr_buf_free(&line);
        return CDR_OK;
}

/* --sources FILE: every line into `set`; errors name the file and line. */
static int sources_load(cdr_sources_t *set, const char *path, char *errstr,
                        size_t errstr_size)
{
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0, lineno = 0;
        ssize_t n;
        int rc = CDR_OK;

        if (f == NULL) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return CDR_ERR_IO;
        }
        while (rc == CDR_OK && (n = getline(&line, &cap, f)) > 0) {
                lineno++;
                rc = cdr_sources_add_line(set, line, (size_t)n, errstr,
                                          errstr_size);
                if (rc != CDR_OK)
                        cdr_err_prefix(errstr, errstr_size, "%s:%zu: ", path,
                                       lineno);
        }
        if (rc == CDR_OK && ferror(f)) {
                cdr_errf(errstr, errstr_size, "%s: read failed", path);
                rc = CDR_ERR_IO;
        }
        free(line);
        fclose(f);
        if (rc == CDR_OK && cdr_sources_finish(set) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "out of memory");
                rc = CDR_ERR_NOMEM;
        }
        if (rc == CDR_OK && cdr_sources_count(set) == 0) {
                cdr_errf(errstr, errstr_size, "%s: no source listed", path);
                rc = CDR_ERR_INVAL;
        }
        return rc;
}

/* A record from a file is written exactly as sealed: its own line end
 * (which it carries, but for a last line without one) separates it from
 * the next, so that a file's records come out byte for byte as they
 * went in.  A Kafka message (or a record without source) has no line
 * end: a line feed follows it when it does not end with one. */
static int needs_separator(const cdr_sealed_meta_t *meta, const char *p,
                           size_t n)
{
        return meta->source.file == NULL && (n == 0 || p[n - 1] != '\n');
}

/* Writes an opened record that matches the query: its source among
 * `srcs` (when given), its content as the matcher asks.  Returns 1 when
 * written, 0 when the query leaves it out, or a negative error with
 * errstr set. */
static int emit_record(struct cdr_matcher *m, cdr_sources_t *srcs,
                       const cdr_sealed_meta_t *meta, const cdr_buf_t *plain,
                       FILE *out, char *errstr, size_t errstr_size)
{
        int query = m->have_subscriber || m->have_from || m->have_to, err;

        if (query) {
                err = cdr_matcher_follow(m, meta, plain, errstr, errstr_size);
                if (err != CDR_OK)
                        return err;
        }
        if (srcs != NULL && !cdr_sources_match(srcs, &meta->source))
                return 0;
        if (query && !cdr_matcher_match(m, plain->data, plain->len))
                return 0;
        if (fwrite(plain->data, 1, plain->len, out) != plain->len ||
            (needs_separator(meta, plain->data, plain->len) &&
             putc('\n', out) == EOF)) {
                cdr_errf(errstr, errstr_size, "write failed: %s",
                         strerror(errno));
                return CDR_ERR_IO;
        }
        return 1;
}

/* cdr_unsealer_long_write's sink: a stream, remembering the last byte. */
struct long_sink {
        FILE *out;
        cdr_buf_t *buf; /* instead of out: the record in memory */
        char last;
        uint64_t n;
};

static int long_sink_write(void *opaque, const void *p, size_t n)
{
        struct long_sink *sink = opaque;

        if (n == 0)
                return CDR_OK;
        if (sink->buf != NULL) {
                if (cdr_buf_append(sink->buf, p, n) != CDR_OK)
                        return CDR_ERR_NOMEM;
        } else if (fwrite(p, 1, n, sink->out) != n) {
                return CDR_ERR_IO;
        }
        sink->last = ((const char *)p)[n - 1];
        sink->n += n;
        return CDR_OK;
}

/* The sealed line at `line` of the input, too long to hold: announced
 * by cdr_filein_next, its text comes in pieces.  Opened in two passes
 * (unseal.h); written as emit_record would.  A query on the content
 * (--subscriber, --from, --to) reads the record in memory when it is
 * no longer than input.max_record_bytes, as the processor would have;
 * a longer one the processor could not read either: it is left out and
 * named on stderr (*unsearched counts it).  Returns 1 when written, 0
 * when left out, CDR_ERR_AUTH / CDR_ERR_MALFORMED when it did not open
 * (errstr says why), or another error that stops the run. */
static int emit_long_record(cdr_unsealer_t *unsealer, cdr_filein_t *in,
                            struct cdr_matcher *m, cdr_sources_t *srcs,
                            cdr_buf_t *plain, FILE *out, uint64_t line,
                            uint64_t *unsearched, char *errstr,
                            size_t errstr_size)
{
        const char *tmpdir = getenv("TMPDIR");
        struct long_sink sink = {out, NULL, '\0', 0};
        cdr_sealed_meta_t meta;
        cdr_view_t piece;
        int rc, got, query = m->have_subscriber || m->have_from || m->have_to;

        rc = cdr_unsealer_long_begin(
            unsealer, tmpdir != NULL && *tmpdir ? tmpdir : "/tmp", errstr,
            errstr_size);
        if (rc != CDR_OK)
                return rc;
        while ((got = cdr_filein_next_piece(in, &piece, errstr, errstr_size)) ==
               1) {
                if (rc == CDR_OK)
                        rc = cdr_unsealer_long_feed(unsealer, piece.p, piece.n,
                                                    errstr, errstr_size);
        }
        if (got < 0)
                return CDR_ERR_IO;
        if (rc == CDR_OK)
                rc =
                    cdr_unsealer_long_end(unsealer, &meta, errstr, errstr_size);
        if (rc != CDR_OK)
                return rc == CDR_ERR_AUTH || rc == CDR_ERR_MALFORMED
                           ? rc
                           : CDR_ERR_IO;
        if (srcs != NULL && !cdr_sources_match(srcs, &meta.source))
                return 0;
        if (query) {
                if (meta.length > m->max_record + 2) {
                        (*unsearched)++;
                        cdr_cmd_fail(CMD,
                                     "line %llu: a record of %llu bytes, "
                                     "longer than input.max_record_bytes: "
                                     "not searched (open it with --sources)",
                                     (unsigned long long)line,
                                     (unsigned long long)meta.length);
                        return 0;
                }
                cdr_buf_reset(plain);
                sink.buf = plain;
                rc = cdr_unsealer_long_write(unsealer, long_sink_write, &sink,
                                             errstr, errstr_size);
                if (rc != CDR_OK)
                        return rc == CDR_ERR_AUTH ? CDR_ERR_IO : rc;
                return emit_record(m, NULL, &meta, plain, out, errstr,
                                   errstr_size);
        }
        rc = cdr_unsealer_long_write(unsealer, long_sink_write, &sink, errstr,
                                     errstr_size);
        if (rc != CDR_OK)
                return rc == CDR_ERR_AUTH ? CDR_ERR_IO : rc;
        if (meta.source.file == NULL && (sink.n == 0 || sink.last != '\n') &&
            putc('\n', out) == EOF)
                return CDR_ERR_IO;
        return 1;
}

static void kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
        (void)rk;
        (void)level;
        fprintf(stderr, "cdranon %s: kafka %s: %s\n", CMD, fac, buf);
}

/* The sealed topic's reader, from -b and -X. */
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

int cdr_cmd_unseal(int argc, char **argv)
{
        enum {
                OPT_FROM = 256,
                OPT_TO,
                OPT_HEADER_FROM,
                OPT_TOPIC,
                OPT_SOURCES
        };
        static const struct option opts[] = {
            {"key", required_argument, NULL, 'k'},
            {"in", required_argument, NULL, 'i'},
            {"out", required_argument, NULL, 'o'},
            {"config", required_argument, NULL, 'c'},
            {"subscriber", required_argument, NULL, 's'},
            {"header-from", required_argument, NULL, OPT_HEADER_FROM},
            {"from", required_argument, NULL, OPT_FROM},
            {"to", required_argument, NULL, OPT_TO},
            {"sources", required_argument, NULL, OPT_SOURCES},
            {"audit", required_argument, NULL, 'a'},
            {"topic", required_argument, NULL, OPT_TOPIC},
            {"brokers", required_argument, NULL, 'b'},
            {"property", required_argument, NULL, 'X'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *keys[MAX_KEYS];
        size_t nkeys = 0, i;
        const char *in_path = NULL, *out_path = NULL, *config_path = NULL;
        const char *subscriber = NULL, *audit_path = NULL;
        const char *header_from = NULL;
        struct query q = {0};
        struct cdr_matcher m;
        cdr_sources_t *srcs = NULL;
        cdr_sealed_meta_t meta;
        char errstr[1024], pseudonym[CDR_PSEUDONYM_MAX + 1];
        cdr_config_t *config = NULL;
        cdr_engine_t *engine = NULL;
        cdr_unsealer_t *unsealer = NULL;
        cdr_buf_t plain = CDR_BUF_INIT;
        FILE *out = stdout;
        cdr_filein_t *in = NULL;
        cdr_view_t line;
        uint64_t lineno = 0, returned = 0, failed = 0, unsearched = 0;
        const char *topic = NULL, *brokers = NULL, *props[MAX_PROPS];
        size_t nprops = 0;
        char topic_desc[512];
        cdr_topic_reader_t *reader = NULL;
        int opt, got, audit_fd = -1, rc = CDR_EXIT_FAILURE;

        memset(&m, 0, sizeof(m));
        optind = 1;
        while ((opt = getopt_long(argc, argv, "k:i:o:c:s:a:b:X:h", opts,
                                  NULL)) != -1) {
                switch (opt) {
                case 'k':
                        if (nkeys == MAX_KEYS) {
                                cdr_cmd_fail(CMD, "at most %d --key options",
                                             MAX_KEYS);
                                return CDR_EXIT_USAGE;
                        }
                        keys[nkeys++] = optarg;
                        break;
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
                case 'o':
                        out_path = optarg;
                        break;
                case 'c':
                        config_path = optarg;
                        break;
                case 's':
                        subscriber = optarg;
                        break;
                case OPT_HEADER_FROM:
                        header_from = optarg;
                        break;
                case OPT_FROM:
                        q.from = optarg;
                        break;
                case OPT_TO:
                        q.to = optarg;
                        break;
                case OPT_SOURCES:
                        q.sources = optarg;
                        break;
                case 'a':
                        audit_path = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CDR_EXIT_OK;
                default:
                        usage(stderr);
                        return CDR_EXIT_USAGE;
                }
        }
        if (nkeys == 0 || optind != argc) {
                cdr_cmd_fail(CMD, "%s (try --help)",
                             nkeys == 0 ? "--key FILE is required"
                                        : "unexpected argument");
                return CDR_EXIT_USAGE;
        }
        if ((subscriber || q.from || q.to) && config_path == NULL) {
                cdr_cmd_fail(CMD, "--subscriber, --from and --to need -c "
                                  "CONFIG (try --help)");
                return CDR_EXIT_USAGE;
        }
        if (q.from && parse_time(q.from, &m.from) != CDR_OK) {
                cdr_cmd_fail(CMD, "--from: not a date (YYYY-MM-DD or "
                                  "YYYY-MM-DDTHH:MM:SSZ)");
                return CDR_EXIT_USAGE;
        }
        if (q.to && parse_time(q.to, &m.to) != CDR_OK) {
                cdr_cmd_fail(CMD, "--to: not a date (YYYY-MM-DD or "
                                  "YYYY-MM-DDTHH:MM:SSZ)");
                return CDR_EXIT_USAGE;
        }
        if (topic != NULL ? in_path != NULL : brokers || nprops) {
                cdr_cmd_fail(CMD, "--topic reads Kafka (with -b and -X), "
                                  "--in a file: one or the other");
                return CDR_EXIT_USAGE;
        }
        m.have_from = q.from != NULL;
        m.have_to = q.to != NULL;
        q.in_path = in_path;
        if (topic != NULL) {
                snprintf(topic_desc, sizeof(topic_desc), "kafka topic %s",
                         topic);
                q.in_path = topic_desc;
        }

        if (config_path != NULL) {
                config = cdr_config_load(config_path, errstr, sizeof(errstr));
                if (config == NULL)
                        goto fail;
                engine = cdr_engine_new(config, 0, errstr, sizeof(errstr));
                if (engine == NULL)
                        goto fail;
                m.policy = cdr_engine_policy(engine);
                m.max_record = config->max_record_bytes;
                m.config_path = config->path;
                if (audit_path == NULL)
                        audit_path = config->audit_log;
        }
        if (subscriber != NULL) {
                const cdr_rule_t *reason = NULL;
                cdr_numclass_t cls;
                const cdr_keyring_t *ring = cdr_engine_keyring(engine);
                cdr_pseudonymiser_t *ps;

                if (cdr_number_canonical(&config->numbers, CDR_KIND_MSISDN,
                                         subscriber, strlen(subscriber),
                                         m.canon, &m.canon_len, &cls,
                                         &reason) != CDR_OK ||
                    cls != CDR_NUM_PERSONAL) {
                        cdr_cmd_fail(CMD, "--subscriber: not a subscriber "
                                          "number");
                        rc = CDR_EXIT_USAGE;
                        goto out;
                }
                m.have_subscriber = 1;
                /* The audit log names the subscriber by pseudonym only. */
                ps = cdr_pseudonymiser_new(ring, cdr_keyring_count(ring) - 1, 0,
                                           errstr, sizeof(errstr));
                if (ps == NULL)
                        goto fail;
                cdr_pseudonymise(ps, CDR_KIND_MSISDN, m.canon, m.canon_len,
                                 pseudonym);
                cdr_pseudonymiser_destroy(ps);
                q.subscriber_pseudonym = pseudonym;
        }
        if (config != NULL && config->format == CDR_FORMAT_CSV) {
                m.csv = cdr_csv_new(config->csv_delimiter,
                                    cdr_policy_schema(m.policy), errstr,
                                    sizeof(errstr));
                if (m.csv == NULL)
                        goto fail;
                if (config->columns != NULL) {
                        if (cdr_csv_set_columns(
                                m.csv, (const char *const *)config->columns,
                                config->ncolumns, errstr,
                                sizeof(errstr)) != CDR_OK)
                                goto fail;
                } else if (header_from != NULL) {
                        if (cdr_matcher_header_from(&m, header_from, errstr,
                                                    sizeof(errstr)) != CDR_OK)
                                goto fail;
                } else {
                        m.header_per_file = 1;
                }
        }

        if (q.sources != NULL) {
                srcs = cdr_sources_new();
                if (srcs == NULL) {
                        cdr_errf(errstr, sizeof(errstr), "out of memory");
                        goto fail;
                }
                if (sources_load(srcs, q.sources, errstr, sizeof(errstr)) !=
                    CDR_OK)
                        goto fail;
                q.nsources = cdr_sources_count(srcs);
        }
        if (audit_path == NULL)
                audit_path = "cdranon-audit.log";
        audit_fd =
            open(audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (audit_fd < 0) {
                cdr_errf(errstr, sizeof(errstr), "audit log %s: %s", audit_path,
                         strerror(errno));
                goto fail;
        }

        unsealer = cdr_unsealer_new();
        if (unsealer == NULL) {
                cdr_errf(errstr, sizeof(errstr), "out of memory");
                goto fail;
        }
        for (i = 0; i < nkeys; i++)
                if (cdr_unsealer_add_key_file(unsealer, keys[i], errstr,
                                              sizeof(errstr)) != CDR_OK)
                        goto fail;

        if (topic == NULL) {
                /* Lines framed as JSON lines are: up to each line feed,
                 * however far. */
                in = cdr_filein_open(in_path, CDR_FORMAT_JSON, ',',
                                     LINE_IN_MEMORY, errstr, sizeof(errstr));
                if (in == NULL)
                        goto fail;
                cdr_filein_set_scan_limit(in, UINT64_MAX);
        }
        if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
                cdr_errf(errstr, sizeof(errstr), "%s: %s", out_path,
                         strerror(errno));
                goto fail;
        }
        if (topic != NULL) {
                reader = open_topic(topic, brokers, props, nprops, errstr,
                                    sizeof(errstr));
                if (reader == NULL)
                        goto fail;
        }
        for (;;) {
                const void *value;
                size_t vlen;
                int32_t partition;
                int64_t offset;

                if (reader == NULL)
                        break;
                got = cdr_topic_reader_next(reader, &value, &vlen, &partition,
                                            &offset, errstr, sizeof(errstr));
                if (got == 0)
                        break;
                if (got < 0) {
                        cdr_err_prefix(errstr, sizeof(errstr), "%s: ", topic);
                        goto fail_audit;
                }
                if (cdr_unsealer_open(unsealer, value, vlen, &plain, &meta,
                                      errstr, sizeof(errstr)) != CDR_OK) {
                        failed++;
                        cdr_cmd_fail(CMD,
                                     "%s [%d] offset %lld: record did not "
                                     "open: %s",
                                     topic, (int)partition, (long long)offset,
                                     errstr);
                        continue;
                }
                got = emit_record(&m, srcs, &meta, &plain, out, errstr,
                                  sizeof(errstr));
                if (got < 0)
                        goto fail_audit;
                returned += (uint64_t)got;
        }

        while (in != NULL && (got = cdr_filein_next(in, &line, &lineno, errstr,
                                                    sizeof(errstr))) != 0) {
                if (got == CDR_ERR_TOOBIG) {
                        errstr[0] = '\0';
                        got = emit_long_record(unsealer, in, &m, srcs, &plain,
                                               out, lineno, &unsearched, errstr,
                                               sizeof(errstr));
                        if (got == CDR_ERR_AUTH || got == CDR_ERR_MALFORMED) {
                                failed++;
                                cdr_cmd_fail(CMD,
                                             "%s:%llu: record did not open: "
                                             "%s",
                                             cdr_filein_name(in),
                                             (unsigned long long)lineno,
                                             errstr);
                                continue;
                        }
                        if (got < 0) {
                                if (errstr[0] == '\0')
                                        cdr_errf(errstr, sizeof(errstr),
                                                 "write failed: %s",
                                                 strerror(errno));
                                goto fail_audit;
                        }
                        returned += (uint64_t)got;
                        continue;
                }
                if (got < 0)
                        goto fail_audit;
                if (cdr_unsealer_open_base64(unsealer, line.p, line.n, &plain,
                                             &meta, errstr,
                                             sizeof(errstr)) != CDR_OK) {
                        failed++;
                        cdr_cmd_fail(CMD, "%s:%llu: record did not open: %s",
                                     cdr_filein_name(in),
                                     (unsigned long long)lineno, errstr);
                        continue;
                }
                got = emit_record(&m, srcs, &meta, &plain, out, errstr,
                                  sizeof(errstr));
                if (got < 0)
                        goto fail_audit;
                returned += (uint64_t)got;
        }
        if (fflush(out) != 0) {
                cdr_errf(errstr, sizeof(errstr), "write failed: %s",
                         strerror(errno));
                goto fail_audit;
        }
        if (write_audit(audit_fd, &q, unsealer, returned, failed) != CDR_OK) {
                cdr_errf(errstr, sizeof(errstr), "audit log %s: write failed",
                         audit_path);
                goto fail;
        }
        fprintf(stderr,
                "cdranon unseal: %llu records returned, %llu did not open",
                (unsigned long long)returned, (unsigned long long)failed);
        if (unsearched > 0)
                fprintf(stderr, ", %llu too long to search",
                        (unsigned long long)unsearched);
        fputc('\n', stderr);
        rc = failed ? CDR_EXIT_FAILURE : CDR_EXIT_OK;
        if (srcs != NULL) {
                size_t missing = 0;
                int found;

                for (i = 0; i < q.nsources; i++) {
                        const char *what = cdr_sources_get(srcs, i, &found);

                        if (!found && missing++ < 10)
                                cdr_cmd_fail(CMD, "%s: source not found: %s",
                                             q.sources, what);
                }
                if (missing > 0) {
                        cdr_cmd_fail(CMD,
                                     "%s: %zu of %zu sources not found in "
                                     "the sealed records",
                                     q.sources, missing, q.nsources);
                        rc = CDR_EXIT_FAILURE;
                }
        }
        goto out;

fail_audit:
        write_audit(audit_fd, &q, unsealer, returned, failed);
fail:
        cdr_cmd_fail(CMD, "%s", errstr);
out:
        cdr_buf_free(&plain);
        cdr_filein_close(in);
        if (out != NULL && out != stdout)
                fclose(out);
        if (audit_fd >= 0)
                close(audit_fd);
        cdr_sources_destroy(srcs);
        cdr_record_free(&m.record);
        cdr_csv_destroy(m.csv);
        free(m.file);
        cdr_topic_reader_destroy(reader);
        cdr_unsealer_destroy(unsealer);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        explicit_bzero(m.canon, sizeof(m.canon));
        return rc;
}
