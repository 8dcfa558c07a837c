/*
 * cdranon request sar|lawful: a subject access or lawful request
 * answered from the index of a sealed file (request.h) instead of a
 * scan: the subscriber's tags name the sealed lines that can hold their
 * records, only those are opened, each is checked with unseal's own
 * matcher (matcher.h), and the matches are written as a handover
 * package: the records as received and a manifest with their SHA-256.
 * One audit line per run, as unseal writes it.
 */
#include "cmd.h"
#include "matcher.h"
#include "cdranon/civil.h"
#include "cdranon/config.h"
#include "cdranon/encode.h"
#include "cdranon/keyring.h"
#include "cdranon/number.h"
#include "cdranon/pseudonym.h"
#include "cdranon/request.h"
#include "cdranon/sealidx.h"
#include "cdranon/transform.h"
#include "cdranon/unseal.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const CMD = "request";

#define MAX_KEYS 64

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: cdranon request sar -c CONFIG --key PRIVATE_KEY [--key "
            "...]\n"
            "                       --in SEALED [--index IDX] --subscriber "
            "NUMBER\n"
            "                       [--from TIME] [--to TIME] --request-id ID\n"
            "                       [--legal-basis TEXT] --out DIR [--audit "
            "LOG]\n"
            "       cdranon request lawful ... --authority NAME --legal-basis "
            "TEXT\n"
            "\n"
            "Answers a subject access (sar) or lawful (lawful) request from\n"
            "the index `cdranon anonymise --sealed` writes beside a sealed\n"
            "file: only the sealed lines whose keyed tags match the\n"
            "subscriber are opened, each is checked as `cdranon unseal\n"
            "--subscriber` checks it, and the package is written to DIR:\n"
            "records.csv (header line first) or records.jsonl, as received,\n"
            "and manifest.json (request, query, counts, custodian key ids,\n"
            "SHA-256 of each file).  One JSON line is appended to the audit\n"
            "log (the subscriber as its pseudonym, never the records).\n"
            "\n"
            "  -c, --config FILE      the processor's configuration "
            "(required)\n"
            "  -k, --key FILE         custodian private key, PEM PKCS#8\n"
            "                         (repeatable: one per retention period)\n"
            "  -i, --in PATH          the sealed file (required)\n"
            "  -x, --index PATH       its index (default: SEALED.idx)\n"
            "  -s, --subscriber NUM   the subscriber (any accepted spelling)\n"
            "      --from TIME        only event times >= TIME (YYYY-MM-DD or\n"
            "                         YYYY-MM-DDTHH:MM:SSZ)\n"
            "      --to TIME          only event times < TIME\n"
            "      --request-id ID    the request's reference (required)\n"
            "      --legal-basis TEXT the legal basis (required for lawful;\n"
            "                         sar default: GDPR Article 15)\n"
            "      --authority NAME   lawful: the authorising body (required)\n"
            "  -o, --out DIR          the package's folder (created; must not\n"
            "                         hold a package already)\n"
            "  -a, --audit PATH       audit log (default: the configuration's\n"
            "                         audit.log)\n"
            "  -h, --help             this help\n"
            "\n"
            "Exit status: 0 when every indexed record opened; 1 when any did\n"
            "not or an index line names a missing sealed line (each is\n"
            "reported, the others are still written), or on a fatal error;\n"
            "2 on a bad command line.\n");
}

struct request {
        const char *kind; /* "sar" or "lawful" */
        const char *request_id, *legal_basis, *authority;
        const char *in_path, *idx_path, *from, *to;
        char pseudonym[CDR_PSEUDONYM_MAX + 1];
        char index_key_id[128];
        uint64_t index_lines, hits, opened, headers_opened, matched,
            false_match;
        uint64_t failed, bytes_read;
};

static int put_text(cdr_buf_t *buf, const char *s)
{
        if (cdr_json_put_string(buf, s, strlen(s)) == CDR_OK)
                return CDR_OK;
        return cdr_json_put_string(buf, "?", 1);
}

/* The request and query as JSON members (no braces), for the audit line
 * and the manifest. */
static int put_request(cdr_buf_t *b, const struct request *r)
{
        int err = cdr_buf_puts(b, "\"request\":{\"type\":");

        err |= put_text(b, r->kind);
        err |= cdr_buf_puts(b, ",\"request_id\":");
        err |= put_text(b, r->request_id);
        err |= cdr_buf_puts(b, ",\"legal_basis\":");
        err |= put_text(b, r->legal_basis);
        if (r->authority != NULL) {
                err |= cdr_buf_puts(b, ",\"authority\":");
                err |= put_text(b, r->authority);
        }
        err |= cdr_buf_puts(b, "},\"query\":{\"in\":");
        err |= put_text(b, r->in_path);
        err |= cdr_buf_puts(b, ",\"index\":");
        err |= put_text(b, r->idx_path);
        err |=
            cdr_buf_puts(b, ",\"identifier_type\":\"msisdn\",\"subscriber\":");
        err |= put_text(b, r->pseudonym);
        err |= cdr_buf_puts(b, ",\"from\":");
        err |= r->from ? put_text(b, r->from) : cdr_buf_puts(b, "null");
        err |= cdr_buf_puts(b, ",\"to\":");
        err |= r->to ? put_text(b, r->to) : cdr_buf_puts(b, "null");
        err |= cdr_buf_printf(
            b,
            "},\"counts\":{\"index_lines\":%llu,\"index_hits\":%llu,"
            "\"opened\":%llu,\"headers_opened\":%llu,\"matched\":%llu,"
            "\"false_matches\":%llu,\"did_not_open\":%llu,"
            "\"sealed_bytes_read\":%llu}",
            (unsigned long long)r->index_lines, (unsigned long long)r->hits,
            (unsigned long long)r->opened,
            (unsigned long long)r->headers_opened,
            (unsigned long long)r->matched, (unsigned long long)r->false_match,
            (unsigned long long)r->failed, (unsigned long long)r->bytes_read);
        return err ? CDR_ERR_NOMEM : CDR_OK;
}

static int put_keys(cdr_buf_t *b, const cdr_unsealer_t *unsealer)
{
        int err = cdr_buf_puts(b, "\"keys\":[");
        size_t i;

        for (i = 0; unsealer != NULL && i < cdr_unsealer_key_count(unsealer);
             i++) {
                char id[CDR_KEY_ID_HEX_SIZE];

                cdr_unsealer_key_id(unsealer, i, id);
                err |= cdr_buf_printf(
                    b, "%s{\"id\":\"%s\",\"opened\":%llu}", i ? "," : "", id,
                    (unsigned long long)cdr_unsealer_key_opened(unsealer, i));
        }
        err |= cdr_buf_puts(b, "]");
        return err ? CDR_ERR_NOMEM : CDR_OK;
}

static void utc_now(char when[32])
{
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(when, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_audit(int fd, const struct request *r,
                       const cdr_unsealer_t *unsealer)
{
        cdr_buf_t line = CDR_BUF_INIT;
        char host[256] = "unknown", when[32];
        const struct passwd *pw = getpwuid(geteuid());
        int err = CDR_OK;

        gethostname(host, sizeof(host) - 1);
        utc_now(when);
        err |= cdr_buf_printf(&line,
                              "{\"time\":\"%s\",\"command\":\"request\","
                              "\"user\":",
                              when);
        err |= put_text(&line, pw ? pw->pw_name : "unknown");
        err |=
            cdr_buf_printf(&line, ",\"uid\":%u,\"host\":", (unsigned)geteuid());
        err |= put_text(&line, host);
        err |= cdr_buf_puts(&line, ",");
        err |= put_request(&line, r);
        err |= cdr_buf_puts(&line, ",");
        err |= put_keys(&line, unsealer);
        err |= cdr_buf_printf(&line, ",\"returned\":%llu,\"failed\":%llu}\n",
                              (unsigned long long)r->matched,
                              (unsigned long long)r->failed);
        if (err != CDR_OK ||
            write(fd, line.data, line.len) != (ssize_t)line.len ||
            fsync(fd) != 0) {
                cdr_buf_free(&line);
                return CDR_ERR_IO;
        }
        cdr_buf_free(&line);
        return CDR_OK;
}

/* SHA-256 of the file at `path`, lower-case hex. */
static int file_sha256(const char *path, char hex[65])
{
        unsigned char buf[65536], md[32];
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        FILE *f = fopen(path, "rb");
        size_t n, i;
        int ok;

        ok = ctx != NULL && f != NULL &&
             EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
        while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
                ok = EVP_DigestUpdate(ctx, buf, n) == 1;
        ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
        if (f != NULL)
                fclose(f);
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return CDR_ERR_IO;
        for (i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        return CDR_OK;
}

/* One sealed line at `offset` of `sealed`, opened into `plain`.  Returns
 * 0, CDR_ERR_NOTFOUND (no line there) or the unsealer's error, errstr
 * set without record content. */
static int open_at(FILE *sealed, uint64_t offset, cdr_unsealer_t *unsealer,
                   char **line, size_t *cap, cdr_buf_t *plain,
                   cdr_sealed_meta_t *meta, struct request *r, char *errstr,
                   size_t errstr_size)
{
        ssize_t n;

        if (fseeko(sealed, (off_t)offset, SEEK_SET) != 0 ||
            (n = getline(line, cap, sealed)) <= 0) {
                cdr_errf(errstr, errstr_size, "no sealed line there");
                return CDR_ERR_NOTFOUND;
        }
        r->bytes_read += (uint64_t)n;
        return cdr_unsealer_open_base64(unsealer, *line, (size_t)n, plain, meta,
                                        errstr, errstr_size);
}

/* The matcher over the configuration's records, as unseal sets it up. */
static int matcher_setup(struct cdr_matcher *m, const cdr_config_t *config,
                         const cdr_engine_t *engine, char *errstr,
                         size_t errstr_size)
{
        m->policy = cdr_engine_policy(engine);
        m->max_record = config->max_record_bytes;
        m->config_path = config->path;
        m->have_subscriber = 1;
        if (config->format != CDR_FORMAT_CSV)
                return CDR_OK;
        m->csv = cdr_csv_new(config->csv_delimiter,
                             cdr_policy_schema(m->policy), errstr, errstr_size);
        if (m->csv == NULL)
                return CDR_ERR_NOMEM;
        if (config->columns != NULL)
                return cdr_csv_set_columns(
                    m->csv, (const char *const *)config->columns,
                    config->ncolumns, errstr, errstr_size);
        m->header_per_file = 1;
        return CDR_OK;
}

/* The index key of the ring's key the index names. */
static cdr_hmac_t *index_key(const cdr_keyring_t *ring, const char *id,
                             char *errstr, size_t errstr_size)
{
        size_t i;

        for (i = 0; i < cdr_keyring_count(ring); i++)
                if (strcmp(cdr_keyring_id(ring, i), id) == 0)
                        return cdr_idx_key_new(cdr_keyring_key(ring, i),
                                               CDR_HMAC_KEY_LEN);
        cdr_errf(errstr, errstr_size,
                 "the index is keyed under HMAC key '%s', which is not in the "
                 "key ring",
                 id);
        return NULL;
}

static int write_manifest(const char *dir, const char *records_name,
                          const struct request *r,
                          const cdr_unsealer_t *unsealer, char *errstr,
                          size_t errstr_size)
{
        char path[4096], hex[65], when[32];
        cdr_buf_t b = CDR_BUF_INIT;
        FILE *f;
        int err = CDR_OK;

        snprintf(path, sizeof(path), "%s/%s", dir, records_name);
        if (file_sha256(path, hex) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "%s: cannot read", path);
                return CDR_ERR_IO;
        }
        utc_now(when);
        err |= cdr_buf_printf(&b,
                              "{\"format\":\"cdranon-handover-v1\","
                              "\"created\":\"%s\",",
                              when);
        err |= put_request(&b, r);
        err |= cdr_buf_puts(&b, ",");
        err |= put_keys(&b, unsealer);
        err |=
            cdr_buf_printf(&b,
                           ",\"files\":[{\"name\":\"%s\",\"records\":%llu,"
                           "\"sha256\":\"%s\"}]}\n",
                           records_name, (unsigned long long)r->matched, hex);
        snprintf(path, sizeof(path), "%s/manifest.json", dir);
        f = fopen(path, "w");
        if (err != CDR_OK || f == NULL ||
            fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
                cdr_errf(errstr, errstr_size, "%s: write failed", path);
                cdr_buf_free(&b);
                return CDR_ERR_IO;
        }
        cdr_buf_free(&b);
        return CDR_OK;
}

enum { OPT_FROM = 256, OPT_TO, OPT_REQUEST_ID, OPT_LEGAL, OPT_AUTHORITY };

int cdr_cmd_request(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"key", required_argument, NULL, 'k'},
            {"in", required_argument, NULL, 'i'},
            {"index", required_argument, NULL, 'x'},
            {"subscriber", required_argument, NULL, 's'},
            {"from", required_argument, NULL, OPT_FROM},
            {"to", required_argument, NULL, OPT_TO},
            {"request-id", required_argument, NULL, OPT_REQUEST_ID},
            {"legal-basis", required_argument, NULL, OPT_LEGAL},
            {"authority", required_argument, NULL, OPT_AUTHORITY},
            {"out", required_argument, NULL, 'o'},
            {"audit", required_argument, NULL, 'a'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *keys[MAX_KEYS], *config_path = NULL, *subscriber = NULL;
        const char *out_dir = NULL, *audit_path = NULL, *rule_name;
        char errstr[1024], idx_default[4096], path[4096], want[CDR_IDX_TAG_HEX];
        char *line = NULL, *iline = NULL;
        size_t nkeys = 0, cap = 0, icap = 0, i;
        struct request r;
        struct cdr_matcher m;
        const cdr_rule_t *rule = NULL;
        cdr_numclass_t cls;
        cdr_config_t *config = NULL;
        cdr_engine_t *engine = NULL;
        cdr_unsealer_t *unsealer = NULL;
        cdr_hmac_t *ikey = NULL;
        cdr_buf_t plain = CDR_BUF_INIT;
        cdr_sealed_meta_t meta;
        FILE *sealed = NULL, *idx = NULL, *out = NULL;
        uint64_t pending_header = UINT64_MAX, lineno = 0;
        uint8_t tag[CDR_IDX_TAG_LEN];
        ssize_t n;
        int opt, audit_fd = -1, rc = CDR_EXIT_FAILURE, header_written = 0;

        memset(&r, 0, sizeof(r));
        memset(&m, 0, sizeof(m));
        if (argc >= 2 &&
            (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                usage(stdout);
                return CDR_EXIT_OK;
        }
        if (argc < 2 || (strcmp(argv[1], "sar") && strcmp(argv[1], "lawful"))) {
                cdr_cmd_fail(CMD, "the first argument is the request type: sar "
                                  "or lawful (try --help)");
                return CDR_EXIT_USAGE;
        }
        r.kind = argv[1];
        argc--;
        argv++;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:k:i:x:s:o:a:h", opts, NULL)) !=
               -1) {
                switch (opt) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'k':
                        if (nkeys == MAX_KEYS) {
                                cdr_cmd_fail(CMD, "at most %d --key options",
                                             MAX_KEYS);
                                return CDR_EXIT_USAGE;
                        }
                        keys[nkeys++] = optarg;
                        break;
                case 'i':
                        r.in_path = optarg;
                        break;
                case 'x':
                        r.idx_path = optarg;
                        break;
                case 's':
                        subscriber = optarg;
                        break;
                case OPT_FROM:
                        r.from = optarg;
                        break;
                case OPT_TO:
                        r.to = optarg;
                        break;
                case OPT_REQUEST_ID:
                        r.request_id = optarg;
                        break;
                case OPT_LEGAL:
                        r.legal_basis = optarg;
                        break;
                case OPT_AUTHORITY:
                        r.authority = optarg;
                        break;
                case 'o':
                        out_dir = optarg;
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
        {
                const char *missing =
                    optind != argc         ? "unexpected argument"
                    : config_path == NULL  ? "-c CONFIG is required"
                    : nkeys == 0           ? "--key FILE is required"
                    : r.in_path == NULL    ? "--in SEALED is required"
                    : subscriber == NULL   ? "--subscriber NUMBER is required"
                    : r.request_id == NULL ? "--request-id ID is required"
                    : out_dir == NULL      ? "--out DIR is required"
                    : strcmp(r.kind, "lawful") == 0 && r.authority == NULL
                        ? "lawful: --authority NAME is required"
                    : strcmp(r.kind, "lawful") == 0 && r.legal_basis == NULL
                        ? "lawful: --legal-basis TEXT is required"
                    : strcmp(r.kind, "sar") == 0 && r.authority != NULL
                        ? "sar: --authority is for lawful requests"
                        : NULL;

                if (missing != NULL) {
                        cdr_cmd_fail(CMD, "%s (try --help)", missing);
                        return CDR_EXIT_USAGE;
                }
        }
        if (r.legal_basis == NULL)
                r.legal_basis = "GDPR Article 15 (right of access)";
        if (r.from && cdr_civil_parse_iso(r.from, strlen(r.from), &m.from,
                                          &rule) != CDR_OK) {
                cdr_cmd_fail(CMD, "--from: not a date (YYYY-MM-DD or "
                                  "YYYY-MM-DDTHH:MM:SSZ)");
                return CDR_EXIT_USAGE;
        }
        if (r.to &&
            cdr_civil_parse_iso(r.to, strlen(r.to), &m.to, &rule) != CDR_OK) {
                cdr_cmd_fail(CMD, "--to: not a date (YYYY-MM-DD or "
                                  "YYYY-MM-DDTHH:MM:SSZ)");
                return CDR_EXIT_USAGE;
        }
        m.have_from = r.from != NULL;
        m.have_to = r.to != NULL;
        if (r.idx_path == NULL) {
                snprintf(idx_default, sizeof(idx_default), "%s.idx", r.in_path);
                r.idx_path = idx_default;
        }

        config = cdr_config_load(config_path, errstr, sizeof(errstr));
        if (config == NULL)
                goto fail;
        if (cdr_number_canonical(&config->numbers, CDR_KIND_MSISDN, subscriber,
                                 strlen(subscriber), m.canon, &m.canon_len,
                                 &cls, &rule) != CDR_OK ||
            cls != CDR_NUM_PERSONAL) {
                cdr_cmd_fail(CMD, "--subscriber: not a subscriber number");
                rc = CDR_EXIT_USAGE;
                goto out;
        }
        engine = cdr_engine_new(config, 0, errstr, sizeof(errstr));
        if (engine == NULL)
                goto fail;
        if (matcher_setup(&m, config, engine, errstr, sizeof(errstr)) != CDR_OK)
                goto fail;
        {
                const cdr_keyring_t *ring = cdr_engine_keyring(engine);
                cdr_pseudonymiser_t *ps =
                    cdr_pseudonymiser_new(ring, cdr_keyring_count(ring) - 1, 0,
                                          errstr, sizeof(errstr));

                if (ps == NULL)
                        goto fail;
                cdr_pseudonymise(ps, CDR_KIND_MSISDN, m.canon, m.canon_len,
                                 r.pseudonym);
                cdr_pseudonymiser_destroy(ps);
        }
        if (audit_path == NULL)
                audit_path = config->audit_log;
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

        idx = fopen(r.idx_path, "r");
        if (idx == NULL) {
                cdr_errf(errstr, sizeof(errstr), "%s: %s", r.idx_path,
                         strerror(errno));
                goto fail;
        }
        n = getline(&iline, &icap, idx);
        if (n <= 0 || cdr_idx_parse_header(iline, (size_t)n, r.index_key_id,
                                           sizeof(r.index_key_id)) != CDR_OK) {
                cdr_errf(errstr, sizeof(errstr),
                         "%s:1: not an index of a sealed file (no '%s' line)",
                         r.idx_path, CDR_IDX_MAGIC "KEYID");
                goto fail;
        }
        ikey = index_key(cdr_engine_keyring(engine), r.index_key_id, errstr,
                         sizeof(errstr));
        if (ikey == NULL)
                goto fail;
        if (cdr_idx_tag(ikey, "number", m.canon, m.canon_len, tag) != CDR_OK) {
                cdr_errf(errstr, sizeof(errstr), "--subscriber: no tag");
                goto fail;
        }
        cdr_idx_tag_hex(tag, want);
        sealed = fopen(r.in_path, "r");
        if (sealed == NULL) {
                cdr_errf(errstr, sizeof(errstr), "%s: %s", r.in_path,
                         strerror(errno));
                goto fail;
        }
        if (mkdir(out_dir, 0700) != 0 && errno != EEXIST) {
                cdr_errf(errstr, sizeof(errstr), "%s: %s", out_dir,
                         strerror(errno));
                goto fail;
        }
        rule_name =
            config->format == CDR_FORMAT_CSV ? "records.csv" : "records.jsonl";
        snprintf(path, sizeof(path), "%s/manifest.json", out_dir);
        if (access(path, F_OK) == 0) {
                cdr_errf(errstr, sizeof(errstr),
                         "%s: a package is there already", out_dir);
                goto fail;
        }
        snprintf(path, sizeof(path), "%s/%s", out_dir, rule_name);
        out = fopen(path, "w");
        if (out == NULL) {
                cdr_errf(errstr, sizeof(errstr), "%s: %s", path,
                         strerror(errno));
                goto fail;
        }
        if (fchmod(fileno(out), 0600) != 0) {
                cdr_errf(errstr, sizeof(errstr), "%s: %s", path,
                         strerror(errno));
                goto fail;
        }

        lineno = 1;
        while ((n = getline(&iline, &icap, idx)) > 0) {
                uint64_t offset;
                int header, hit, err;

                lineno++;
                r.index_lines++;
                if (cdr_idx_parse_line(iline, (size_t)n, "number", want,
                                       &offset, &header, &hit) != CDR_OK) {
                        cdr_cmd_fail(CMD, "%s:%llu: not an index line",
                                     r.idx_path, (unsigned long long)lineno);
                        r.failed++;
                        continue;
                }
                if (header) {
                        pending_header = offset;
                        continue;
                }
                if (!hit)
                        continue;
                r.hits++;
                if (pending_header != UINT64_MAX && m.header_per_file) {
                        err = open_at(sealed, pending_header, unsealer, &line,
                                      &cap, &plain, &meta, &r, errstr,
                                      sizeof(errstr));
                        if (err == CDR_OK)
                                err = cdr_matcher_follow(
                                    &m, &meta, &plain, errstr, sizeof(errstr));
                        if (err != CDR_OK) {
                                cdr_cmd_fail(CMD,
                                             "%s: offset %llu (%s:%llu): "
                                             "header line: %s",
                                             r.in_path,
                                             (unsigned long long)pending_header,
                                             r.idx_path,
                                             (unsigned long long)lineno,
                                             errstr);
                                r.failed++;
                        } else {
                                r.headers_opened++;
                                if (!header_written &&
                                    fwrite(plain.data, 1, plain.len, out) !=
                                        plain.len)
                                        goto write_fail;
                                header_written = 1;
                        }
                        pending_header = UINT64_MAX;
                }
                err = open_at(sealed, offset, unsealer, &line, &cap, &plain,
                              &meta, &r, errstr, sizeof(errstr));
                if (err != CDR_OK) {
                        cdr_cmd_fail(CMD,
                                     "%s: offset %llu (%s:%llu): record did "
                                     "not open: %s",
                                     r.in_path, (unsigned long long)offset,
                                     r.idx_path, (unsigned long long)lineno,
                                     errstr);
                        r.failed++;
                        continue;
                }
                r.opened++;
                if (cdr_matcher_follow(&m, &meta, &plain, errstr,
                                       sizeof(errstr)) != CDR_OK)
                        goto fail_audit;
                if (!cdr_matcher_match(&m, plain.data, plain.len)) {
                        /* A tag collision, or outside the time window. */
                        if (!m.have_from && !m.have_to)
                                r.false_match++;
                        continue;
                }
                r.matched++;
                if (fwrite(plain.data, 1, plain.len, out) != plain.len)
                        goto write_fail;
        }
        if (ferror(idx)) {
                cdr_errf(errstr, sizeof(errstr), "%s: read failed", r.idx_path);
                goto fail_audit;
        }
        if (fclose(out) != 0) {
                out = NULL;
                goto write_fail;
        }
        out = NULL;
        if (write_manifest(out_dir, rule_name, &r, unsealer, errstr,
                           sizeof(errstr)) != CDR_OK)
                goto fail_audit;
        if (write_audit(audit_fd, &r, unsealer) != CDR_OK) {
                cdr_errf(errstr, sizeof(errstr), "audit log %s: write failed",
                         audit_path);
                goto fail;
        }
        fprintf(stderr,
                "cdranon request %s: %llu records returned; index: %llu "
                "lines, %llu hits; %llu opened (+%llu header lines), %llu "
                "false matches, %llu did not open; %llu sealed bytes read\n",
                r.kind, (unsigned long long)r.matched,
                (unsigned long long)r.index_lines, (unsigned long long)r.hits,
                (unsigned long long)r.opened,
                (unsigned long long)r.headers_opened,
                (unsigned long long)r.false_match, (unsigned long long)r.failed,
                (unsigned long long)r.bytes_read);
        rc = r.failed ? CDR_EXIT_FAILURE : CDR_EXIT_OK;
        goto out;

write_fail:
        cdr_errf(errstr, sizeof(errstr), "%s: write failed: %s", out_dir,
                 strerror(errno));
fail_audit:
        write_audit(audit_fd, &r, unsealer);
fail:
        cdr_cmd_fail(CMD, "%s", errstr);
out:
        free(line);
        free(iline);
        cdr_buf_free(&plain);
        if (out != NULL)
                fclose(out);
        if (idx != NULL)
                fclose(idx);
        if (sealed != NULL)
                fclose(sealed);
        if (audit_fd >= 0)
                close(audit_fd);
        cdr_record_free(&m.record);
        cdr_csv_destroy(m.csv);
        free(m.file);
        cdr_hmac_destroy(ikey);
        cdr_unsealer_destroy(unsealer);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        explicit_bzero(m.canon, sizeof(m.canon));
        return rc;
}
