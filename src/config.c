/*
 * The configuration loader: YAML (config_yaml.c: a small tree with line
 * numbers) -> cdr_config_t, driven by one table of known keys, each of a
 * type that has one set of functions (parse, describe, release).  The
 * result is data: what the file says, validated.  Compiling it (the
 * policy) and loading the files it names (key ring, suppression list,
 * custodian keys) is the engine's job (transform.c).
 *
 * Loading runs in two passes.  The first walks the tree against the
 * table: every key must be known, every value must have the table's type
 * and range; values are stored at the table's offset in cdr_config_t.  The
 * second checks what spans several keys (required keys, CSV columns
 * against `from:` names and suppression fields, that the files named
 * exist) and reads the allow-list, whatever order the file writes its
 * sections in.
 *
 * Every error is one line "FILE:LINE: dotted.key.path: message" where
 * FILE is the path as the caller gave it and LINE the line of the key or
 * value at fault.  Messages may quote configuration values (they are not
 * record data) but never the value of a kafka: property that takes free
 * text, such as a password.
 */
#include "cdranon/config.h"
#include "cdranon/civil.h"
#include "cdranon/listen.h"
#include "config_yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* The table of known keys                                             */
/* ------------------------------------------------------------------ */

typedef enum {
        CT_STRING,    /* char *, non-empty */
        CT_LISTEN,    /* char *, "HOST:PORT"; "" leaves it NULL */
        CT_TOPIC,     /* char *, a legal Kafka topic name */
        CT_PATH,      /* char *, resolved against the config's folder */
        CT_INT,       /* int in [min, max] */
        CT_UINT,      /* unsigned in [min, max] */
        CT_SIZE,      /* size_t in [min, max]; K/M/G suffixes */
        CT_U64,       /* uint64_t in [min, max] */
        CT_ENUM,      /* int: index into choices */
        CT_CHAR,      /* char: one byte, or "\t" / "tab" */
        CT_BOOL,      /* int 0/1 */
        CT_LIST,      /* char ** plus size_t count, at least min items */
        CT_DIGITS,    /* char[max + 1]: min..max decimal digits */
        CT_KAFKA,     /* the kafka: section, name/value pairs */
        CT_CUSTODIAN, /* keys.custodian_public: file or list of periods */
        CT_FIELDS,    /* fields: the allow-list, compiled into the policy */
        CT_PURPOSES,  /* purposes: outputs with their own allow-lists */
} cfg_type_t;

typedef struct {
        const char *name; /* dotted path */
        cfg_type_t type;
        const char *def; /* default as written in YAML; NULL */
        long long min;   /* range, length or item count */
        long long max;
        size_t offset;              /* of the field in cdr_config_t */
        size_t count_offset;        /* CT_LIST: of its size_t count */
        const char *const *choices; /* CT_ENUM: value i is choices[i] */
        const char *description;
} cfg_entry_t;

static const char *const format_names[] = {"csv", "json", NULL};
static const char *const delivery_names[] = {"exactly-once", "at-least-once",
                                             NULL};
/* In the order of cdr_log_format_t and cdr_log_level_t. */
/* In the order of CDR_CELLS_UNKNOWN_*. */
static const char *const cells_unknown_names[] = {"dead-letter", "null", NULL};
static const char *const log_format_names[] = {"logfmt", "json", NULL};
static const char *const log_level_names[] = {"error", "warning", "info",
                                              "debug", NULL};

#define OFF(f)   offsetof(cdr_config_t, f)
#define KIB      1024LL
#define MIB      (1024LL * 1024LL)
#define U32_SPAN 4294967296LL /* 2^32 */

_Static_assert(sizeof(cdr_log_format_t) == sizeof(int) &&
                   sizeof(cdr_log_level_t) == sizeof(int),
               "CT_ENUM fields are stored as int");
_Static_assert(sizeof(((cdr_config_t *)0)->numbers.country_code) >= 4,
               "country_code holds 3 digits");
_Static_assert(sizeof(((cdr_config_t *)0)->numbers.national_prefix) >= 4,
               "national_prefix holds 3 digits");
_Static_assert(sizeof(((cdr_config_t *)0)->numbers.international_prefix) >= 8,
               "international_prefix holds 7 digits");

/* Every key the configuration may hold; docs/configuration.md describes
 * each one.  Sections (input, input.csv, ...) are implied by the names. */
static const cfg_entry_t cfg_table[] = {
    {"kafka", CT_KAFKA, NULL, 0, 0, OFF(kafka), OFF(nkafka), NULL,
     "librdkafka properties, passed through verbatim"},
    {"input.topic", CT_TOPIC, "cdr.raw", 0, 0, OFF(input_topic), 0, NULL,
     "topic of raw CDRs"},
    {"input.group", CT_STRING, "cdranon", 0, 0, OFF(input_group), 0, NULL,
     "consumer group"},
    {"input.format", CT_ENUM, "csv", 0, 0, OFF(format), 0, format_names,
     "record format: csv or json"},
    {"input.csv.delimiter", CT_CHAR, ",", 0, 0, OFF(csv_delimiter), 0, NULL,
     "CSV field separator (one byte; \"\\t\" or tab)"},
    {"input.csv.header", CT_BOOL, NULL, 0, 0, OFF(csv_header), 0, NULL,
     "first line is a header (default: true without columns)"},
    {"input.csv.columns", CT_LIST, NULL, 1, CDR_MAX_SLOTS * 16, OFF(columns),
     OFF(ncolumns), NULL, "CSV column names in order"},
    {"input.max_record_bytes", CT_SIZE, "1MiB", KIB, 64 * MIB,
     OFF(max_record_bytes), 0, NULL, "largest record accepted"},
    {"input.event_time", CT_STRING, NULL, 0, 0, OFF(event_time_field), 0, NULL,
     "input field with the event time (picks the custodian key)"},
    {"keys.hmac", CT_PATH, NULL, 0, 0, OFF(hmac_key_file), 0, NULL,
     "pseudonymisation key file (required)"},
    {"keys.custodian_public", CT_CUSTODIAN, NULL, 0, 0, OFF(custodian),
     OFF(ncustodian), NULL, "custodian X25519 public key(s), PEM"},
    {"numbers.country_code", CT_DIGITS, "44", 1, 3, OFF(numbers.country_code),
     0, NULL, "home country calling code"},
    {"numbers.national_prefix", CT_DIGITS, "0", 0, 3,
     OFF(numbers.national_prefix), 0, NULL,
     "national (trunk) prefix, \"\" for none"},
    {"numbers.international_prefix", CT_DIGITS, "00", 1, 7,
     OFF(numbers.international_prefix), 0, NULL, "international prefix"},
    {"numbers.short_code_max_digits", CT_UINT, "6", 0, 6,
     OFF(numbers.short_code_max_digits), 0, NULL,
     "longest service number (999, 112) kept as is"},
    {"output.anonymised.topic", CT_TOPIC, "cdr.anonymised", 0, 0,
     OFF(anonymised_topic), 0, NULL, "topic of anonymised records"},
    {"output.anonymised.key", CT_STRING, NULL, 0, 0, OFF(anonymised_key), 0,
     NULL, "pseudonymised output field used as the message key"},
    {"output.sealed.topic", CT_TOPIC, "cdr.sealed", 0, 0, OFF(sealed_topic), 0,
     NULL, "topic of sealed records"},
    {"output.dead_letter.topic", CT_TOPIC, "cdr.dead-letter", 0, 0,
     OFF(dead_letter_topic), 0, NULL, "topic of dead-letter records"},
    {"delivery", CT_ENUM, "exactly-once", 0, 0, OFF(delivery), 0,
     delivery_names, "exactly-once or at-least-once"},
    {"pipeline.threads", CT_INT, "1", 1, 64, OFF(threads), 0, NULL,
     "transform threads"},
    {"pipeline.commit_interval_ms", CT_INT, "100", 1, 60000,
     OFF(commit_interval_ms), 0, NULL, "longest time between commits"},
    {"pipeline.commit_records", CT_INT, "10000", 1, 1000000,
     OFF(commit_records), 0, NULL, "most records between commits"},
    {"pipeline.pseudonym_cache", CT_SIZE, "262144", 0, 1LL << 24,
     OFF(pseudonym_cache), 0, NULL, "cached pseudonyms per thread"},
    {"seal.epoch_records", CT_U64, "1000000", 1, U32_SPAN, OFF(epoch_records),
     0, NULL, "records per sealing epoch"},
    {"seal.epoch_seconds", CT_INT, "3600", 1, 86400, OFF(epoch_seconds), 0,
     NULL, "seconds per sealing epoch"},
    {"audit.log", CT_PATH, "cdranon-audit.log", 0, 0, OFF(audit_log), 0, NULL,
     "audit log that unseal appends to"},
    {"log.format", CT_ENUM, "logfmt", 0, 0, OFF(log_format), 0,
     log_format_names, "cdranon run's log lines: logfmt or json"},
    {"log.level", CT_ENUM, "info", 0, 0, OFF(log_level), 0, log_level_names,
     "least severe log line written: error, warning, info or debug"},
    {"log.summary_seconds", CT_INT, "10", 1, 3600, OFF(log_summary_seconds), 0,
     NULL, "seconds between summary lines"},
    {"metrics.listen", CT_LISTEN, NULL, 0, 0, OFF(metrics_listen), 0, NULL,
     "HOST:PORT of /metrics, /healthz and /readyz (cdranon run); none: "
     "off"},
    {"risk.enabled", CT_BOOL, "true", 0, 0, OFF(risk_enabled), 0, NULL,
     "measure the risk window of each output (cdranon run, with metrics)"},
    {"risk.window_records", CT_U64, "100000", 1, 10000000,
     OFF(risk_window_records), 0, NULL, "most records kept per output"},
    {"risk.window_bytes", CT_SIZE, "32MiB", KIB, 1024 * MIB,
     OFF(risk_window_bytes), 0, NULL, "most bytes of JSON kept per output"},
    {"risk.refresh_seconds", CT_INT, "60", 1, 86400, OFF(risk_refresh_seconds),
     0, NULL, "seconds between measurements"},
    {"risk.samples", CT_U64, "5000", 0, 100000000, OFF(risk_samples), 0, NULL,
     "target traces per pseudonym field; 0: every trace"},
    {"risk.k", CT_U64, "5", 1, 1000000, OFF(risk_k), 0, NULL,
     "k-anonymity threshold"},
    {"suppression.file", CT_PATH, NULL, 0, 0, OFF(suppression_file), 0, NULL,
     "opted-out numbers, one per line"},
    {"suppression.fields", CT_LIST, NULL, 1, CDR_MAX_SLOTS,
     OFF(suppression_fields), OFF(nsuppression_fields), NULL,
     "input fields checked against the suppression list"},
    {"cells.file", CT_PATH, NULL, 0, 0, OFF(cells_file), 0, NULL,
     "cell table (CSV, cell_id first) that `cell COLUMN` fields read"},
    {"cells.unknown", CT_ENUM, "dead-letter", 0, 0, OFF(cells_unknown), 0,
     cells_unknown_names,
     "a cell not in the table: dead-letter (the default) or null"},
    {"fields", CT_FIELDS, NULL, 0, 0, OFF(fields), OFF(nfields), NULL,
     "the allow-list: output field -> action"},
    {"purposes", CT_PURPOSES, NULL, 0, 0, OFF(purposes), OFF(npurposes), NULL,
     "outputs, each with its allow-list and pseudonym domain"},
};

#define NENTRIES (sizeof(cfg_table) / sizeof(cfg_table[0]))

static const cfg_entry_t *find_entry(const char *name, size_t *index)
{
        size_t i;

        for (i = 0; i < NENTRIES; i++) {
                if (strcmp(cfg_table[i].name, name) == 0) {
                        if (index != NULL)
                                *index = i;
                        return &cfg_table[i];
                }
        }
        return NULL;
}

/* 1 when `name` is a section: a prefix of some key followed by a dot. */
static int is_section(const char *name)
{
        size_t i, n = strlen(name);

        for (i = 0; i < NENTRIES; i++) {
                if (strncmp(cfg_table[i].name, name, n) == 0 &&
                    cfg_table[i].name[n] == '.')
                        return 1;
        }
        return 0;
}

static void *field_at(cdr_config_t *config, size_t offset)
{
        return (char *)config + offset;
}

static const void *cfield_at(const cdr_config_t *config, size_t offset)
{
        return (const char *)config + offset;
}

/* ------------------------------------------------------------------ */
/* Loader state and error reporting                                    */
/* ------------------------------------------------------------------ */

struct loader {
        cdr_yaml_err_t err; /* the file, as the caller gave it; errstr */
        cdr_config_t *config;
        cdr_ynode_t *root;
        const cdr_ynode_t *value[NENTRIES]; /* the value node of each key set */
        int keyline[NENTRIES];              /* 0: not in the file */
        rd_kafka_conf_t *rkconf;            /* validates kafka: properties */
};

/* ------------------------------------------------------------------ */
/* Scalar values                                                       */
/* ------------------------------------------------------------------ */

/* Decimal integer with an optional sign; 0 or -1. */
static int parse_ll(const char *s, long long *out)
{
        char *end;

        if (!((s[0] >= '0' && s[0] <= '9') ||
              ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9')))
                return -1;
        errno = 0;
        *out = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -1;
        return 0;
}

/* A byte count: digits with an optional K, KiB, M, MiB, G or GiB
 * (powers of 1024).  0, -1 (not a size) or -2 (too large). */
static int parse_size(const char *s, long long *out)
{
        static const struct {
                const char *suffix;
                long long mult;
        } units[] = {
            {"", 1},      {"K", KIB},       {"KiB", KIB},       {"M", MIB},
            {"MiB", MIB}, {"G", MIB * KIB}, {"GiB", MIB * KIB},
        };
        unsigned long long v;
        char *end;
        size_t i;

        if (s[0] < '0' || s[0] > '9')
                return -1;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -2;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (strcmp(end, units[i].suffix) != 0)
                        continue;
                if (v > (unsigned long long)(LLONG_MAX / units[i].mult))
                        return -2;
                *out = (long long)v * units[i].mult;
                return 0;
        }
        return -1;
}

static int parse_bool(const char *s, int *out)
{
        static const char *const yes[] = {"true", "yes", "on"};
        static const char *const no[] = {"false", "no", "off"};
        size_t i;

        for (i = 0; i < 3; i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *out = 1;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *out = 0;
                        return 0;
                }
        }
        return -1;
}

/* Kafka's rule for topic names: 1-249 of [A-Za-z0-9._-], not "." or "..".
 */
static int topic_ok(const char *s, size_t len)
{
        size_t i;

        if (len == 0 || len > 249 || strcmp(s, ".") == 0 ||
            strcmp(s, "..") == 0)
                return 0;
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return 0;
        }
        return 1;
}

/* `rel` against the folder of the configuration file `base`: absolute
 * paths and a configuration in the working folder leave it as is. */
static char *resolve_path(const char *base, const char *rel)
{
        const char *slash = strrchr(base, '/');
        size_t dirlen;
        char *out;

        if (rel[0] == '/' || slash == NULL)
                return strdup(rel);
        dirlen = (size_t)(slash - base) + 1;
        out = malloc(dirlen + strlen(rel) + 1);
        if (out == NULL)
                return NULL;
        memcpy(out, base, dirlen);
        strcpy(out + dirlen, rel);
        return out;
}

/* 0 when `path` is a regular file this process can open for reading;
 * otherwise -1 with errno set. */
static int check_readable(const char *path)
{
        struct stat st;
        int fd, saved;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -1;
        if (fstat(fd, &st) != 0) {
                saved = errno;
                close(fd);
                errno = saved;
                return -1;
        }
        close(fd);
        if (!S_ISREG(st.st_mode)) {
                errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
                return -1;
        }
        return 0;
}

/* 1 when the action is `drop` (which reads no input). */
static int is_drop(const char *action)
{
        size_t n;

        action += strspn(action, " \t");
        n = strlen(action);
        while (n > 0 && (action[n - 1] == ' ' || action[n - 1] == '\t'))
                n--;
        return n == 4 && memcmp(action, "drop", 4) == 0;
}

/* "a, b or c" */
static void choices_text(const char *const *choices, char *buf, size_t size)
{
        size_t i, used = 0;

        buf[0] = '\0';
        for (i = 0; choices[i] != NULL && used < size; i++) {
                snprintf(buf + used, size - used, "%s%s",
                         i == 0                   ? ""
                         : choices[i + 1] == NULL ? " or "
                                                  : ", ",
                         choices[i]);
                used += strlen(buf + used);
        }
}

/* ------------------------------------------------------------------ */
/* The types: one set of functions each                                */
/* ------------------------------------------------------------------ */

/*
 * A scalar type reads s[0..len) (from the file or a table default, no
 * NUL inside) into `field`; on a bad value it writes the reason to msg
 * and returns CDR_ERR_INVAL.  A compound type reads its YAML node and
 * reports through cdr_yaml_fail().  Each type describes its value as
 * check-config prints it and releases what it allocated.
 */

#define PUT(...)                                                               \
        do {                                                                   \
                if (cdr_buf_printf(out, __VA_ARGS__) != CDR_OK)                \
                        return CDR_ERR_NOMEM;                                  \
        } while (0)

/* char * types: string, topic, path, listen. */

static int set_text(void *field, const char *s)
{
        char *dup = strdup(s);

        if (dup == NULL)
                return CDR_ERR_NOMEM;
        free(*(char **)field);
        *(char **)field = dup;
        return CDR_OK;
}

static int parse_string(struct loader *ld, const cfg_entry_t *e, void *field,
                        const char *s, size_t len, char *msg, size_t msg_size)
{
        if (len == 0) {
                cdr_errf(msg, msg_size, "must not be empty");
                return CDR_ERR_INVAL;
        }
        return set_text(field, s);
}

static int parse_topic(struct loader *ld, const cfg_entry_t *e, void *field,
                       const char *s, size_t len, char *msg, size_t msg_size)
{
        if (len > 0 && !topic_ok(s, len)) {
                cdr_errf(msg, msg_size,
                         "'%s' is not a topic name (1-249 of A-Z a-z 0-9 . _ "
                         "-)",
                         s);
                return CDR_ERR_INVAL;
        }
        return parse_string(ld, e, field, s, len, msg, msg_size);
}

static int parse_path(struct loader *ld, const cfg_entry_t *e, void *field,
                      const char *s, size_t len, char *msg, size_t msg_size)
{
        char *dup;

        if (len == 0) {
                cdr_errf(msg, msg_size, "must not be empty");
                return CDR_ERR_INVAL;
        }
        dup = resolve_path(ld->err.file, s);
        if (dup == NULL)
                return CDR_ERR_NOMEM;
        free(*(char **)field);
        *(char **)field = dup;
        return CDR_OK;
}

/* "" leaves it NULL: no server. */
static int parse_listen(struct loader *ld, const cfg_entry_t *e, void *field,
                        const char *s, size_t len, char *msg, size_t msg_size)
{
        free(*(char **)field);
        *(char **)field = NULL;
        if (len == 0)
                return CDR_OK;
        if (cdr_listen_check(s, msg, msg_size) != CDR_OK)
                return CDR_ERR_INVAL;
        return set_text(field, s);
}

static int describe_text(const cdr_config_t *config, const cfg_entry_t *e,
                         const void *field, cdr_buf_t *out)
{
        const char *s = *(char *const *)field;

        if (config->npurposes > 0 &&
            strncmp(e->name, "output.anonymised.", 18) == 0) {
                PUT("%s: (none: each purpose has its own, below)\n", e->name);
                return CDR_OK;
        }
        PUT("%s: %s\n", e->name, s != NULL ? s : "(none)");
        return CDR_OK;
}

static void release_text(cdr_config_t *config, const cfg_entry_t *e,
                         void *field)
{
        free(*(char **)field);
}

/* Integers in [min, max]: int, unsigned, uint64_t, and size_t with K/M/G
 * suffixes. */

static int read_integer(const cfg_entry_t *e, const char *s, long long *v,
                        char *msg, size_t msg_size)
{
        int r = e->type == CT_SIZE ? parse_size(s, v) : parse_ll(s, v);

        if (r == -1) {
                cdr_errf(msg, msg_size, "expected %s, not '%s'",
                         e->type == CT_SIZE ? "a size" : "an integer", s);
                return CDR_ERR_INVAL;
        }
        if (r != 0 || *v < e->min || *v > e->max) {
                cdr_errf(msg, msg_size, "%s is out of range %lld..%lld", s,
                         e->min, e->max);
                return CDR_ERR_INVAL;
        }
        return CDR_OK;
}

static int parse_integer(struct loader *ld, const cfg_entry_t *e, void *field,
                         const char *s, size_t len, char *msg, size_t msg_size)
{
        long long v;

        if (read_integer(e, s, &v, msg, msg_size) != CDR_OK)
                return CDR_ERR_INVAL;
        if (e->type == CT_INT)
                *(int *)field = (int)v;
        else if (e->type == CT_UINT)
                *(unsigned *)field = (unsigned)v;
        else if (e->type == CT_U64)
                *(uint64_t *)field = (uint64_t)v;
        else
                *(size_t *)field = (size_t)v;
        return CDR_OK;
}

static int describe_int(const cdr_config_t *config, const cfg_entry_t *e,
                        const void *field, cdr_buf_t *out)
{
        PUT("%s: %d\n", e->name, *(const int *)field);
        return CDR_OK;
}

static int describe_uint(const cdr_config_t *config, const cfg_entry_t *e,
                         const void *field, cdr_buf_t *out)
{
        PUT("%s: %u\n", e->name, *(const unsigned *)field);
        return CDR_OK;
}

static int describe_u64(const cdr_config_t *config, const cfg_entry_t *e,
                        const void *field, cdr_buf_t *out)
{
        PUT("%s: %" PRIu64 "\n", e->name, *(const uint64_t *)field);
        return CDR_OK;
}

static int describe_size(const cdr_config_t *config, const cfg_entry_t *e,
                         const void *field, cdr_buf_t *out)
{
        PUT("%s: %zu\n", e->name, *(const size_t *)field);
        return CDR_OK;
}

/* A keyword: the index of one of e->choices, stored as an int. */

static int parse_enum(struct loader *ld, const cfg_entry_t *e, void *field,
                      const char *s, size_t len, char *msg, size_t msg_size)
{
        char list[128];
        size_t i;

        for (i = 0; e->choices[i] != NULL; i++) {
                if (strcmp(s, e->choices[i]) == 0) {
                        *(int *)field = (int)i;
                        return CDR_OK;
                }
        }
        choices_text(e->choices, list, sizeof(list));
        cdr_errf(msg, msg_size, "unknown value '%s' (expected %s)", s, list);
        return CDR_ERR_INVAL;
}

static int describe_enum(const cdr_config_t *config, const cfg_entry_t *e,
                         const void *field, cdr_buf_t *out)
{
        PUT("%s: %s\n", e->name, e->choices[*(const int *)field]);
        return CDR_OK;
}

/* One byte, or "\t" / "tab". */

static int parse_char(struct loader *ld, const cfg_entry_t *e, void *field,
                      const char *s, size_t len, char *msg, size_t msg_size)
{
        if (len == 1 && s[0] != '"' && s[0] != '\r' && s[0] != '\n') {
                *(char *)field = s[0];
                return CDR_OK;
        }
        if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0) {
                *(char *)field = '\t';
                return CDR_OK;
        }
        cdr_errf(msg, msg_size,
                 len == 1 ? "cannot be a quote or a line end"
                          : "must be one byte (or \"\\t\" or tab)");
        return CDR_ERR_INVAL;
}

static int describe_char(const cdr_config_t *config, const cfg_entry_t *e,
                         const void *field, cdr_buf_t *out)
{
        char c = *(const char *)field;

        if (c == '\t')
                PUT("%s: \"\\t\"\n", e->name);
        else if (c == '\\')
                PUT("%s: \"\\\\\"\n", e->name);
        else
                PUT("%s: \"%c\"\n", e->name, c);
        return CDR_OK;
}

/* true/false, yes/no, on/off, stored as an int 0/1. */

static int parse_bool_entry(struct loader *ld, const cfg_entry_t *e,
                            void *field, const char *s, size_t len, char *msg,
                            size_t msg_size)
{
        int b;

        if (parse_bool(s, &b) != 0) {
                cdr_errf(msg, msg_size, "expected true or false, not '%s'", s);
                return CDR_ERR_INVAL;
        }
        *(int *)field = b;
        return CDR_OK;
}

static int describe_bool(const cdr_config_t *config, const cfg_entry_t *e,
                         const void *field, cdr_buf_t *out)
{
        PUT("%s: %s\n", e->name, *(const int *)field ? "true" : "false");
        return CDR_OK;
}

/* min..max decimal digits, kept as written, in a char[max + 1]. */

static int parse_digits(struct loader *ld, const cfg_entry_t *e, void *field,
                        const char *s, size_t len, char *msg, size_t msg_size)
{
        size_t i;

        for (i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9') {
                        cdr_errf(msg, msg_size, "'%s' is not digits only", s);
                        return CDR_ERR_INVAL;
                }
        }
        if ((long long)len < e->min || (long long)len > e->max) {
                cdr_errf(msg, msg_size, "must be %lld to %lld digits", e->min,
                         e->max);
                return CDR_ERR_INVAL;
        }
        memcpy(field, s, len + 1);
        return CDR_OK;
}

static int describe_digits(const cdr_config_t *config, const cfg_entry_t *e,
                           const void *field, cdr_buf_t *out)
{
        PUT("%s: \"%s\"\n", e->name, (const char *)field);
        return CDR_OK;
}

/* A list of unique, non-empty names (input.csv.columns,
 * suppression.fields): a char ** and its size_t count. */

static void free_list(char **list, size_t n)
{
        size_t i;

        for (i = 0; list != NULL && i < n; i++)
                free(list[i]);
        free(list);
}

static int node_list(struct loader *ld, const cfg_entry_t *e,
                     const cdr_ynode_t *val, const char *path)
{
        char ***listp = field_at(ld->config, e->offset);
        size_t *countp = field_at(ld->config, e->count_offset);
        char ipath[600];
        char **list;
        size_t i, j;

        if (val->type == CDR_YN_SCALAR && val->null)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "missing value");
        if (val->type != CDR_YN_SEQ)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "expected a list of names, not %s",
                                     cdr_ynode_kind(val));
        if ((long long)val->nkids < e->min || (long long)val->nkids > e->max)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "must hold %lld to %lld names", e->min,
                                     e->max);
        list = calloc(val->nkids, sizeof(*list));
        if (list == NULL)
                return cdr_yaml_nomem(&ld->err);
        free_list(*listp, *countp);
        *listp = list;
        *countp = 0;
        for (i = 0; i < val->nkids; i++) {
                const cdr_ynode_t *item = val->kids[i];

                snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
                if (item->type != CDR_YN_SCALAR || item->null)
                        return cdr_yaml_fail(&ld->err, item->line, ipath,
                                             "expected a name, not %s",
                                             cdr_ynode_kind(item));
                if (item->len == 0 || strlen(item->str) != item->len)
                        return cdr_yaml_fail(&ld->err, item->line, ipath,
                                             "a name must be non-empty text");
                for (j = 0; j < i; j++) {
                        if (strcmp(list[j], item->str) == 0)
                                return cdr_yaml_fail(
                                    &ld->err, item->line, ipath,
                                    "duplicate name '%s'", item->str);
                }
                list[i] = strdup(item->str);
                if (list[i] == NULL)
                        return cdr_yaml_nomem(&ld->err);
                *countp = i + 1;
        }
        return CDR_OK;
}

static int describe_list(const cdr_config_t *config, const cfg_entry_t *e,
                         const void *field, cdr_buf_t *out)
{
        size_t n = *(const size_t *)cfield_at(config, e->count_offset), i;

        if (n == 0) {
                PUT("%s: (none)\n", e->name);
                return CDR_OK;
        }
        PUT("%s: [", e->name);
        for (i = 0; i < n; i++)
                PUT("%s%s", i ? ", " : "", (*(char *const *const *)field)[i]);
        PUT("]\n");
        return CDR_OK;
}

static void release_list(cdr_config_t *config, const cfg_entry_t *e,
                         void *field)
{
        free_list(*(char ***)field,
                  *(size_t *)field_at(config, e->count_offset));
}

/* kafka: name/value pairs for librdkafka, checked with it. */

/* Names of librdkafka properties whose values describe() hides. */
static int kafka_secret(const char *name)
{
        static const char *const words[] = {"password", "secret", "key",
                                            "oauthbearer.config"};
        size_t i;

        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strcasestr(name, words[i]) != NULL)
                        return 1;
        return 0;
}

/* Sets a kafka property (replacing an earlier value of the same name).
 * librdkafka's message is safe to show: it names the property, and the
 * values it quotes are those of enum and number properties, never of a
 * string property such as a password. */
static int kafka_put(cdr_config_t *config, rd_kafka_conf_t *rkconf,
                     const char *name, const char *value, int line, char *msg,
                     size_t msg_size)
{
        cdr_kv_t *kv;
        char *n, *v;
        size_t i;

        if (name[0] == '\0') {
                cdr_errf(msg, msg_size, "empty property name");
                return CDR_ERR_INVAL;
        }
        if (rd_kafka_conf_set(rkconf, name, value, msg, msg_size) !=
            RD_KAFKA_CONF_OK)
                return CDR_ERR_INVAL;
        v = strdup(value);
        if (v == NULL)
                return CDR_ERR_NOMEM;
        for (i = 0; i < config->nkafka; i++) {
                if (strcmp(config->kafka[i].name, name) != 0)
                        continue;
                OPENSSL_cleanse(config->kafka[i].value,
                                strlen(config->kafka[i].value));
                free(config->kafka[i].value);
                config->kafka[i].value = v;
                config->kafka[i].line = line;
                return CDR_OK;
        }
        n = strdup(name);
        kv = realloc(config->kafka, (config->nkafka + 1) * sizeof(*kv));
        if (n == NULL || kv == NULL) {
                free(n);
                free(v);
                if (kv != NULL)
                        config->kafka = kv;
                return CDR_ERR_NOMEM;
        }
        config->kafka = kv;
        kv[config->nkafka].name = n;
        kv[config->nkafka].value = v;
        kv[config->nkafka].line = line;
        config->nkafka++;
        return CDR_OK;
}

static int node_kafka(struct loader *ld, const cfg_entry_t *e,
                      const cdr_ynode_t *val, const char *path)
{
        char kpath[600], msg[512];
        size_t i;
        int rc;

        if (val->type == CDR_YN_SCALAR && val->null)
                return CDR_OK;
        if (val->type != CDR_YN_MAP)
                return cdr_yaml_fail(
                    &ld->err, val->line, path,
                    "expected a mapping of librdkafka properties, "
                    "not %s",
                    cdr_ynode_kind(val));
        for (i = 0; i < val->nkids; i += 2) {
                const cdr_ynode_t *k = val->kids[i], *v = val->kids[i + 1];

                snprintf(kpath, sizeof(kpath), "%s.%s", path, k->str);
                if (v->type != CDR_YN_SCALAR)
                        return cdr_yaml_fail(&ld->err, v->line, kpath,
                                             "expected a scalar, not %s (write "
                                             "dotted names: 'a.b: value')",
                                             cdr_ynode_kind(v));
                if (v->null)
                        return cdr_yaml_fail(&ld->err, v->line, kpath,
                                             "missing value");
                if (strlen(k->str) != k->len || strlen(v->str) != v->len)
                        return cdr_yaml_fail(&ld->err, k->line, kpath,
                                             "contains a NUL byte");
                msg[0] = '\0';
                rc = kafka_put(ld->config, ld->rkconf, k->str, v->str, k->line,
                               msg, sizeof(msg));
                if (rc == CDR_ERR_NOMEM)
                        return cdr_yaml_nomem(&ld->err);
                if (rc != CDR_OK)
                        return cdr_yaml_fail(&ld->err, k->line, kpath, "%s",
                                             msg);
        }
        return CDR_OK;
}

static int describe_kafka(const cdr_config_t *config, const cfg_entry_t *e,
                          const void *field, cdr_buf_t *out)
{
        size_t i;

        if (config->nkafka == 0)
                PUT("%s: {}\n", e->name);
        for (i = 0; i < config->nkafka; i++)
                PUT("%s.%s: %s\n", e->name, config->kafka[i].name,
                    kafka_secret(config->kafka[i].name)
                        ? "(hidden)"
                        : config->kafka[i].value);
        return CDR_OK;
}

static void release_kafka(cdr_config_t *config, const cfg_entry_t *e,
                          void *field)
{
        size_t i;

        for (i = 0; i < config->nkafka; i++) {
                OPENSSL_cleanse(config->kafka[i].value,
                                strlen(config->kafka[i].value));
                free(config->kafka[i].value);
                free(config->kafka[i].name);
        }
        free(config->kafka);
}

/* keys.custodian_public: a file name, or a list of {file, from, until}. */

/* A period bound of keys.custodian_public: a time of the one grammar
 * (civil.h), NUL-free. */
static int parse_time(const char *s, size_t len, int64_t *out)
{
        const cdr_rule_t *rule;

        if (strlen(s) != len)
                return -1;
        return cdr_civil_parse_iso(s, len, out, &rule) == CDR_OK ? 0 : -1;
}

/* "YYYY-MM-DDThh:mm:ssZ" of a period bound. */
static void format_time(int64_t t, char *buf, size_t size)
{
        char iso[CDR_CIVIL_ISO_LEN];

        cdr_civil_format_iso(t, iso);
        snprintf(buf, size, "%.*s", (int)sizeof(iso), iso);
}

/* One custodian entry: a file name, or {file, from, until}. */
static int store_custodian_item(struct loader *ld, const cdr_ynode_t *item,
                                const char *path, cdr_custodian_spec_t *spec)
{
        char kpath[640];
        const cdr_ynode_t *file = NULL, *until = NULL;
        int64_t *bound;
        size_t i;

        spec->not_before = INT64_MIN;
        spec->not_after = INT64_MAX;
        spec->line = item->line;
        if (item->type == CDR_YN_SCALAR) {
                file = item;
        } else if (item->type == CDR_YN_MAP) {
                for (i = 0; i < item->nkids; i += 2) {
                        const cdr_ynode_t *k = item->kids[i],
                                          *v = item->kids[i + 1];

                        snprintf(kpath, sizeof(kpath), "%s.%s", path, k->str);
                        if (strcmp(k->str, "file") == 0) {
                                file = v;
                                if (v->type != CDR_YN_SCALAR)
                                        return cdr_yaml_fail(
                                            &ld->err, v->line, kpath,
                                            "expected a file name, "
                                            "not %s",
                                            cdr_ynode_kind(v));
                                continue;
                        }
                        if (strcmp(k->str, "from") == 0) {
                                bound = &spec->not_before;
                        } else if (strcmp(k->str, "until") == 0) {
                                bound = &spec->not_after;
                                until = v;
                        } else {
                                return cdr_yaml_fail(
                                    &ld->err, k->line, kpath,
                                    "unknown key (expected file, "
                                    "from, until)");
                        }
                        if (v->type != CDR_YN_SCALAR || v->null ||
                            parse_time(v->str, v->len, bound) != 0)
                                return cdr_yaml_fail(
                                    &ld->err, v->line, kpath,
                                    "expected a date YYYY-MM-DD or "
                                    "an ISO 8601 time "
                                    "YYYY-MM-DDTHH:MM:SSZ");
                }
                if (file == NULL)
                        return cdr_yaml_fail(
                            &ld->err, item->line, path,
                            "missing file: the public key file");
                if (spec->not_before >= spec->not_after) {
                        snprintf(kpath, sizeof(kpath), "%s.until", path);
                        return cdr_yaml_fail(&ld->err,
                                             until ? until->line : item->line,
                                             kpath, "must be later than from");
                }
        } else {
                return cdr_yaml_fail(
                    &ld->err, item->line, path,
                    "expected a file name or a mapping with file:, "
                    "from:, until:, not %s",
                    cdr_ynode_kind(item));
        }
        snprintf(kpath, sizeof(kpath), "%s%s", path,
                 file == item ? "" : ".file");
        if (file->null || file->len == 0 || strlen(file->str) != file->len)
                return cdr_yaml_fail(&ld->err, file->line, kpath,
                                     "missing file name");
        spec->file = resolve_path(ld->err.file, file->str);
        if (spec->file == NULL)
                return cdr_yaml_nomem(&ld->err);
        if (check_readable(spec->file) != 0)
                return cdr_yaml_fail(&ld->err, file->line, kpath,
                                     "cannot read '%s': %s", spec->file,
                                     strerror(errno));
        return CDR_OK;
}

static int node_custodian(struct loader *ld, const cfg_entry_t *e,
                          const cdr_ynode_t *val, const char *path)
{
        cdr_config_t *config = ld->config;
        char ipath[600], jpath[600];
        size_t n, i, j;
        int rc;

        if (val->type == CDR_YN_SCALAR && val->null)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "missing value");
        if (val->type == CDR_YN_MAP)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "expected a file name or a list of "
                                     "{file, from, until}, not a mapping");
        n = val->type == CDR_YN_SEQ ? val->nkids : 1;
        if (n == 0)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "must not be empty");
        config->custodian = calloc(n, sizeof(*config->custodian));
        if (config->custodian == NULL)
                return cdr_yaml_nomem(&ld->err);
        for (i = 0; i < n; i++) {
                const cdr_ynode_t *item =
                    val->type == CDR_YN_SEQ ? val->kids[i] : val;

                if (val->type == CDR_YN_SEQ)
                        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
                else
                        snprintf(ipath, sizeof(ipath), "%s", path);
                config->ncustodian = i + 1;
                rc = store_custodian_item(ld, item, ipath,
                                          &config->custodian[i]);
                if (rc != CDR_OK)
                        return rc;
        }
        /* Each record must pick one key by its event time. */
        for (i = 1; i < n; i++) {
                const cdr_custodian_spec_t *a = &config->custodian[i];

                for (j = 0; j < i; j++) {
                        const cdr_custodian_spec_t *b = &config->custodian[j];

                        if (a->not_before >= b->not_after ||
                            b->not_before >= a->not_after)
                                continue;
                        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
                        snprintf(jpath, sizeof(jpath), "%s[%zu]", e->name, j);
                        return cdr_yaml_fail(&ld->err, a->line, ipath,
                                             "period overlaps %s (line %d)",
                                             jpath, b->line);
                }
        }
        return CDR_OK;
}

static int describe_custodian(const cdr_config_t *config, const cfg_entry_t *e,
                              const void *field, cdr_buf_t *out)
{
        char from[32], until[32];
        size_t i;

        if (config->ncustodian == 0)
                PUT("%s: (none)\n", e->name);
        for (i = 0; i < config->ncustodian; i++) {
                const cdr_custodian_spec_t *spec = &config->custodian[i];

                if (spec->not_before != INT64_MIN)
                        format_time(spec->not_before, from, sizeof(from));
                if (spec->not_after != INT64_MAX)
                        format_time(spec->not_after, until, sizeof(until));
                PUT("%s[%zu]: %s (from %s until %s)\n", e->name, i, spec->file,
                    spec->not_before == INT64_MIN ? "any time" : from,
                    spec->not_after == INT64_MAX ? "any time" : until);
        }
        return CDR_OK;
}

static void release_custodian(cdr_config_t *config, const cfg_entry_t *e,
                              void *field)
{
        size_t i;

        for (i = 0; i < config->ncustodian; i++)
                free(config->custodian[i].file);
        free(config->custodian);
}

/* fields: the allow-list.  The first pass checks its shape; the second
 * reads it (read_fields), once the columns are known. */

static int node_fields(struct loader *ld, const cfg_entry_t *e,
                       const cdr_ynode_t *val, const char *path)
{
        if (val->type == CDR_YN_SCALAR && val->null)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "must not be empty (the allow-list)");
        if (val->type != CDR_YN_MAP)
                return cdr_yaml_fail(
                    &ld->err, val->line, path,
                    "expected a mapping of output field -> action, "
                    "not %s",
                    cdr_ynode_kind(val));
        return CDR_OK;
}

static int describe_fields(const cdr_config_t *config, const cfg_entry_t *e,
                           const void *field, cdr_buf_t *out)
{
        size_t i, n = 0;

        if (config->npurposes > 0)
                return CDR_OK;
        for (i = 0; i < config->nfields; i++)
                n += !is_drop(config->fields[i].action);
        PUT("%s: %zu output fields (policy below)\n", e->name, n);
        return CDR_OK;
}

static void release_fields(cdr_config_t *config, const cfg_entry_t *e,
                           void *field)
{
        size_t i;

        for (i = 0; i < config->nfields; i++) {
                free(config->fields[i].name);
                free(config->fields[i].from);
                free(config->fields[i].action);
        }
        free(config->fields);
}

/* purposes: the first pass checks the shape; read_purposes reads it. */
static int node_purposes(struct loader *ld, const cfg_entry_t *e,
                         const cdr_ynode_t *val, const char *path)
{
        if (val->type != CDR_YN_MAP || val->nkids == 0)
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "expected a mapping of purpose name -> "
                                     "output, rotate, fields, not %s",
                                     cdr_ynode_kind(val));
        return CDR_OK;
}

static const char *const rotate_names[] = {"never", "day", "week", "month",
                                           NULL};

static int describe_purposes(const cdr_config_t *config, const cfg_entry_t *e,
                             const void *field, cdr_buf_t *out)
{
        size_t i, j, n;

        for (i = 0; i < config->npurposes; i++) {
                const cdr_purpose_spec_t *p = &config->purposes[i];

                for (j = 0, n = 0; j < p->nfields; j++)
                        n += !is_drop(p->fields[j].action);
                PUT("purposes.%s: topic %s, key %s, file %s, rotate %s, "
                    "%zu output fields\n",
                    p->name, p->topic, p->key ? p->key : "(none)",
                    p->file ? p->file : "(none)", rotate_names[p->rotate], n);
        }
        return CDR_OK;
}

static void free_specs(cdr_field_spec_t *fields, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                free(fields[i].name);
                free(fields[i].from);
                free(fields[i].action);
        }
        free(fields);
}

static void release_purposes(cdr_config_t *config, const cfg_entry_t *e,
                             void *field)
{
        size_t i;

        for (i = 0; i < config->npurposes; i++) {
                cdr_purpose_spec_t *p = &config->purposes[i];

                free(p->name);
                free(p->topic);
                free(p->key);
                free(p->file);
                free_specs(p->fields, p->nfields);
        }
        free(config->purposes);
}

#undef PUT

/* The functions of each type, in the order of cfg_type_t. */
static const struct {
        const char *what; /* "expected WHAT, not a list" */
        int (*scalar)(struct loader *ld, const cfg_entry_t *e, void *field,
                      const char *s, size_t len, char *msg, size_t msg_size);
        int (*node)(struct loader *ld, const cfg_entry_t *e,
                    const cdr_ynode_t *val, const char *path);
        int (*describe)(const cdr_config_t *config, const cfg_entry_t *e,
                        const void *field, cdr_buf_t *out);
        void (*release)(cdr_config_t *config, const cfg_entry_t *e,
                        void *field);
} cfg_types[] = {
    [CT_STRING] = {"a string", parse_string, NULL, describe_text, release_text},
    [CT_LISTEN] = {"HOST:PORT", parse_listen, NULL, describe_text,
                   release_text},
    [CT_TOPIC] = {"a topic name", parse_topic, NULL, describe_text,
                  release_text},
    [CT_PATH] = {"a file name", parse_path, NULL, describe_text, release_text},
    [CT_INT] = {"an integer", parse_integer, NULL, describe_int, NULL},
    [CT_UINT] = {"an integer", parse_integer, NULL, describe_uint, NULL},
    [CT_SIZE] = {"a size", parse_integer, NULL, describe_size, NULL},
    [CT_U64] = {"an integer", parse_integer, NULL, describe_u64, NULL},
    [CT_ENUM] = {"a keyword", parse_enum, NULL, describe_enum, NULL},
    [CT_CHAR] = {"one character", parse_char, NULL, describe_char, NULL},
    [CT_BOOL] = {"true or false", parse_bool_entry, NULL, describe_bool, NULL},
    [CT_LIST] = {"a list of names", NULL, node_list, describe_list,
                 release_list},
    [CT_DIGITS] = {"digits", parse_digits, NULL, describe_digits, NULL},
    [CT_KAFKA] = {"a mapping", NULL, node_kafka, describe_kafka, release_kafka},
    [CT_CUSTODIAN] = {"a file name", NULL, node_custodian, describe_custodian,
                      release_custodian},
    [CT_FIELDS] = {"a mapping", NULL, node_fields, describe_fields,
                   release_fields},
    [CT_PURPOSES] = {"a mapping", NULL, node_purposes, describe_purposes,
                     release_purposes},
};

_Static_assert(sizeof(cfg_types) / sizeof(cfg_types[0]) == CT_PURPOSES + 1,
               "functions for every type");

/* Stores the scalar s[0..len) into the field of entry `e`. */
static int store_scalar(struct loader *ld, const cfg_entry_t *e, const char *s,
                        size_t len, char *msg, size_t msg_size)
{
        if (strlen(s) != len) {
                cdr_errf(msg, msg_size, "contains a NUL byte");
                return CDR_ERR_INVAL;
        }
        return cfg_types[e->type].scalar(ld, e, field_at(ld->config, e->offset),
                                         s, len, msg, msg_size);
}

/* Stores the value `val` of key `e` (whose key node is `key`). */
static int store_entry(struct loader *ld, size_t idx, const cdr_ynode_t *key,
                       const cdr_ynode_t *val, const char *path)
{
        const cfg_entry_t *e = &cfg_table[idx];
        char msg[512];
        int rc;

        ld->value[idx] = val;
        ld->keyline[idx] = key->line;
        if (cfg_types[e->type].node != NULL)
                return cfg_types[e->type].node(ld, e, val, path);
        if (val->type != CDR_YN_SCALAR)
                return cdr_yaml_fail(
                    &ld->err, val->line, path, "expected %s, not %s",
                    cfg_types[e->type].what, cdr_ynode_kind(val));
        /* A keyword `null` (cells.unknown) is the word, not YAML's null. */
        if (val->null && !(e->choices == cells_unknown_names && val->str &&
                           strcmp(val->str, "null") == 0))
                return cdr_yaml_fail(&ld->err, val->line, path,
                                     "missing value");
        msg[0] = '\0';
        rc = store_scalar(ld, e, val->str, val->len, msg, sizeof(msg));
        if (rc == CDR_ERR_NOMEM)
                return cdr_yaml_nomem(&ld->err);
        if (rc != CDR_OK)
                return cdr_yaml_fail(&ld->err, val->line, path, "%s", msg);
        return CDR_OK;
}

/* Walks a mapping whose keys are under `prefix` ("" at the top). */
static int walk_map(struct loader *ld, const cdr_ynode_t *map,
                    const char *prefix)
{
        char path[512];
        size_t i, idx;
        int rc;

        for (i = 0; i < map->nkids; i += 2) {
                const cdr_ynode_t *key = map->kids[i], *val = map->kids[i + 1];

                if ((size_t)snprintf(path, sizeof(path), "%s%s%s", prefix,
                                     prefix[0] ? "." : "",
                                     key->str) >= sizeof(path))
                        return cdr_yaml_fail(&ld->err, key->line, prefix,
                                             "key too long");
                /* A dotted key would reach a nested setting past its
                 * section and past the duplicate check. */
                if (strchr(key->str, '.') != NULL ||
                    strlen(key->str) != key->len)
                        return cdr_yaml_fail(&ld->err, key->line, path,
                                             "unknown key");
                if (find_entry(path, &idx) != NULL) {
                        rc = store_entry(ld, idx, key, val, path);
                } else if (is_section(path)) {
                        if (val->type == CDR_YN_SCALAR && val->null)
                                continue;
                        if (val->type != CDR_YN_MAP)
                                return cdr_yaml_fail(
                                    &ld->err, val->line, path,
                                    "expected a mapping (a section), "
                                    "not %s",
                                    cdr_ynode_kind(val));
                        rc = walk_map(ld, val, path);
                } else {
                        return cdr_yaml_fail(&ld->err, key->line, path,
                                             "unknown key");
                }
                if (rc != CDR_OK)
                        return rc;
        }
        return CDR_OK;
}

/* ------------------------------------------------------------------ */
/* Second pass: what spans several keys                                */
/* ------------------------------------------------------------------ */

static size_t entry_index(const char *name)
{
        size_t idx = 0;

        find_entry(name, &idx);
        return idx;
}

/* The line of top-level key `name`, or 1 when the file lacks it. */
static int section_line(const struct loader *ld, const char *name)
{
        size_t i;

        for (i = 0; ld->root != NULL && i < ld->root->nkids; i += 2)
                if (strcmp(ld->root->kids[i]->str, name) == 0)
                        return ld->root->kids[i]->line;
        return 1;
}

/* The line of the value of entry `name` (of its key when the value has
 * none of its own), or `fallback` when it is not in the file. */
static int value_line(const struct loader *ld, const char *name, int fallback)
{
        size_t idx = entry_index(name);

        return ld->value[idx] != NULL ? ld->value[idx]->line : fallback;
}

/* 1 when the input columns are known and `name` is not one of them. */
static int not_a_column(const cdr_config_t *config, const char *name)
{
        size_t i;

        if (config->format != CDR_FORMAT_CSV || config->columns == NULL)
                return 0;
        for (i = 0; i < config->ncolumns; i++)
                if (strcmp(config->columns[i], name) == 0)
                        return 0;
        return 1;
}

/* Reads `fields:` into config->fields, in the order of the file.  The
 * action is kept as written: the engine compiles it (transform.h). */
static int read_fields_at(struct loader *ld, const cdr_ynode_t *map,
                          const char *prefix, cdr_field_spec_t **out,
                          size_t *nout)
{
        cdr_config_t *config = ld->config;
        char path[600], apath[640], fpath[640];
        size_t i, j;

        *out = calloc(map->nkids / 2 + 1, sizeof(**out));
        if (*out == NULL)
                return cdr_yaml_nomem(&ld->err);
        for (i = 0; i < map->nkids; i += 2) {
                const cdr_ynode_t *key = map->kids[i], *val = map->kids[i + 1];
                const cdr_ynode_t *action = NULL, *from = NULL;
                cdr_field_spec_t *spec = &(*out)[*nout];

                snprintf(path, sizeof(path), "%sfields.%s", prefix, key->str);
                snprintf(apath, sizeof(apath), "%s", path);
                if (key->len == 0 || strlen(key->str) != key->len)
                        return cdr_yaml_fail(&ld->err, key->line, path,
                                             "an output field name must be "
                                             "non-empty text");
                if (val->type == CDR_YN_SCALAR) {
                        action = val;
                } else if (val->type == CDR_YN_MAP) {
                        for (j = 0; j < val->nkids; j += 2) {
                                const cdr_ynode_t *k = val->kids[j];
                                const cdr_ynode_t *v = val->kids[j + 1];

                                snprintf(fpath, sizeof(fpath), "%s.%s", path,
                                         k->str);
                                if (strcmp(k->str, "from") == 0)
                                        from = v;
                                else if (strcmp(k->str, "action") == 0)
                                        action = v;
                                else
                                        return cdr_yaml_fail(
                                            &ld->err, k->line, fpath,
                                            "unknown key (expected "
                                            "from, action)");
                                if (v->type != CDR_YN_SCALAR || v->null ||
                                    v->len == 0 || strlen(v->str) != v->len)
                                        return cdr_yaml_fail(
                                            &ld->err, v->line, fpath,
                                            "expected %s, not %s",
                                            v == from ? "an input field "
                                                        "name"
                                                      : "an action",
                                            cdr_ynode_kind(v));
                        }
                        if (action == NULL)
                                return cdr_yaml_fail(&ld->err, key->line, path,
                                                     "missing action");
                        snprintf(apath, sizeof(apath), "%s.action", path);
                } else {
                        return cdr_yaml_fail(
                            &ld->err, val->line, path,
                            "expected an action, or a mapping with "
                            "from: and action:, not a list");
                }
                if (action->null || action->len == 0 ||
                    strlen(action->str) != action->len)
                        return cdr_yaml_fail(&ld->err, action->line, apath,
                                             "missing action");
                if (!is_drop(action->str) &&
                    not_a_column(config, from ? from->str : key->str)) {
                        if (from != NULL)
                                snprintf(fpath, sizeof(fpath), "%s.from", path);
                        return cdr_yaml_fail(&ld->err,
                                             from ? from->line : key->line,
                                             from ? fpath : path,
                                             "no input column '%s' in "
                                             "input.csv.columns",
                                             from ? from->str : key->str);
                }
                spec->name = strdup(key->str);
                spec->action = strdup(action->str);
                spec->from = from != NULL ? strdup(from->str) : NULL;
                (*nout)++;
                if (spec->name == NULL || spec->action == NULL ||
                    (from != NULL && spec->from == NULL))
                        return cdr_yaml_nomem(&ld->err);
                spec->line = key->line;
                spec->action_line = action->line;
                spec->mapped = val->type == CDR_YN_MAP;
        }
        return CDR_OK;
}

static int read_fields(struct loader *ld, const cdr_ynode_t *map)
{
        return read_fields_at(ld, map, "", &ld->config->fields,
                              &ld->config->nfields);
}

static int purpose_name_ok(const char *s, size_t n)
{
        size_t i;

        if (n == 0 || n > CDR_PURPOSE_NAME_MAX || strlen(s) != n)
                return 0;
        for (i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
                      s[i] == '-'))
                        return 0;
        return 1;
}

/* A non-empty scalar text value, or an error naming `path`. */
static int purpose_text(struct loader *ld, const cdr_ynode_t *v,
                        const char *path, char **out)
{
        if (v->type != CDR_YN_SCALAR || v->null || v->len == 0 ||
            strlen(v->str) != v->len)
                return cdr_yaml_fail(&ld->err, v->line, path,
                                     "expected text, not %s",
                                     cdr_ynode_kind(v));
        free(*out);
        *out = strdup(v->str);
        return *out != NULL ? CDR_OK : cdr_yaml_nomem(&ld->err);
}

static int read_purpose_output(struct loader *ld, cdr_purpose_spec_t *p,
                               const cdr_ynode_t *map, const char *prefix)
{
        char path[900];
        size_t j;
        int rc;

        if (map->type != CDR_YN_MAP)
                return cdr_yaml_fail(&ld->err, map->line, prefix,
                                     "expected a mapping of topic, key, file, "
                                     "not %s",
                                     cdr_ynode_kind(map));
        for (j = 0; j < map->nkids; j += 2) {
                const cdr_ynode_t *k = map->kids[j], *v = map->kids[j + 1];

                snprintf(path, sizeof(path), "%s.%.200s", prefix, k->str);
                if (strcmp(k->str, "topic") == 0) {
                        rc = purpose_text(ld, v, path, &p->topic);
                        if (rc == CDR_OK && !topic_ok(v->str, v->len))
                                rc = cdr_yaml_fail(
                                    &ld->err, v->line, path,
                                    "'%s' is not a topic name (1-249 of A-Z "
                                    "a-z 0-9 . _ -)",
                                    v->str);
                } else if (strcmp(k->str, "key") == 0) {
                        rc = purpose_text(ld, v, path, &p->key);
                        p->key_line = v->line;
                } else if (strcmp(k->str, "file") == 0) {
                        rc = purpose_text(ld, v, path, &p->file);
                } else {
                        rc = cdr_yaml_fail(&ld->err, k->line, path,
                                           "unknown key (expected topic, key, "
                                           "file)");
                }
                if (rc != CDR_OK)
                        return rc;
        }
        return CDR_OK;
}

/* Reads `purposes:` into config->purposes, in the order of the file. */
static int read_purposes(struct loader *ld, const cdr_ynode_t *map)
{
        cdr_config_t *config = ld->config;
        char path[600], prefix[64];
        size_t i, j, k;
        int rc;

        config->purposes = calloc(map->nkids / 2, sizeof(*config->purposes));
        if (config->purposes == NULL)
                return cdr_yaml_nomem(&ld->err);
        for (i = 0; i < map->nkids; i += 2) {
                const cdr_ynode_t *name = map->kids[i], *val = map->kids[i + 1];
                const cdr_ynode_t *fields = NULL;
                cdr_purpose_spec_t *p = &config->purposes[config->npurposes];

                snprintf(prefix, sizeof(prefix), "purposes.%.40s", name->str);
                if (!purpose_name_ok(name->str, name->len))
                        return cdr_yaml_fail(&ld->err, name->line, prefix,
                                             "a purpose name is 1-32 of a-z "
                                             "0-9 _ -");
                if (val->type != CDR_YN_MAP)
                        return cdr_yaml_fail(&ld->err, val->line, prefix,
                                             "expected a mapping of output, "
                                             "rotate, fields, not %s",
                                             cdr_ynode_kind(val));
                config->npurposes++;
                p->line = name->line;
                p->name = strdup(name->str);
                if (p->name == NULL)
                        return cdr_yaml_nomem(&ld->err);
                for (j = 0; j < val->nkids; j += 2) {
                        const cdr_ynode_t *kk = val->kids[j];
                        const cdr_ynode_t *v = val->kids[j + 1];

                        snprintf(path, sizeof(path), "%s.%.200s", prefix,
                                 kk->str);
                        rc = CDR_OK;
                        if (strcmp(kk->str, "output") == 0) {
                                rc = read_purpose_output(ld, p, v, path);
                        } else if (strcmp(kk->str, "rotate") == 0) {
                                for (k = 0; rotate_names[k] != NULL; k++)
                                        if (v->type == CDR_YN_SCALAR &&
                                            !v->null &&
                                            strcmp(v->str, rotate_names[k]) ==
                                                0)
                                                break;
                                if (rotate_names[k] == NULL)
                                        rc = cdr_yaml_fail(
                                            &ld->err, v->line, path,
                                            "expected day, week, month or "
                                            "never");
                                p->rotate = (int)k;
                        } else if (strcmp(kk->str, "fields") == 0) {
                                if (v->type != CDR_YN_MAP || v->nkids == 0)
                                        rc = cdr_yaml_fail(
                                            &ld->err, v->line, path,
                                            "expected a mapping of output "
                                            "field -> action (the "
                                            "allow-list)");
                                fields = v;
                        } else {
                                rc = cdr_yaml_fail(&ld->err, kk->line, path,
                                                   "unknown key (expected "
                                                   "output, rotate, fields)");
                        }
                        if (rc != CDR_OK)
                                return rc;
                }
                if (fields == NULL)
                        return cdr_yaml_fail(&ld->err, name->line, prefix,
                                             "missing fields: (the purpose's "
                                             "allow-list)");
                if (p->rotate != 0 && config->event_time_field == NULL)
                        return cdr_yaml_fail(
                            &ld->err, name->line, prefix,
                            "rotate: %s needs input.event_time (the field "
                            "whose time picks the period)",
                            rotate_names[p->rotate]);
                for (k = 0; k + 1 < config->npurposes; k++)
                        if (p->file != NULL &&
                            config->purposes[k].file != NULL &&
                            strcmp(p->file, config->purposes[k].file) == 0)
                                return cdr_yaml_fail(
                                    &ld->err, name->line, prefix,
                                    "output.file '%s' is also purpose '%s's",
                                    p->file, config->purposes[k].name);
                if (p->topic == NULL) {
                        size_t n = strlen(p->name) + 5;

                        p->topic = malloc(n);
                        if (p->topic == NULL)
                                return cdr_yaml_nomem(&ld->err);
                        snprintf(p->topic, n, "cdr.%s", p->name);
                }
                if (strcmp(p->topic, config->input_topic) == 0 ||
                    strcmp(p->topic, config->sealed_topic) == 0 ||
                    strcmp(p->topic, config->dead_letter_topic) == 0)
                        return cdr_yaml_fail(
                            &ld->err, name->line, prefix,
                            "output.topic '%s' is also the input, sealed or "
                            "dead-letter topic",
                            p->topic);
                for (k = 0; k + 1 < config->npurposes; k++)
                        if (strcmp(p->topic, config->purposes[k].topic) == 0)
                                return cdr_yaml_fail(
                                    &ld->err, name->line, prefix,
                                    "output.topic '%s' is also purpose '%s's",
                                    p->topic, config->purposes[k].name);
                snprintf(path, sizeof(path), "%s.", prefix);
                rc = read_fields_at(ld, fields, path, &p->fields, &p->nfields);
                if (rc != CDR_OK)
                        return rc;
        }
        return CDR_OK;
}

/* The key ring is loaded by the engine; here only its presence. */
static int check_key_file(struct loader *ld)
{
        const char *file = ld->config->hmac_key_file;

        if (check_readable(file) != 0)
                return cdr_yaml_fail(&ld->err, value_line(ld, "keys.hmac", 1),
                                     "keys.hmac", "cannot read '%s': %s", file,
                                     strerror(errno));
        return CDR_OK;
}

/* The list is loaded by the engine; here its fields and its presence. */
static int check_suppression(struct loader *ld)
{
        cdr_config_t *config = ld->config;
        const cdr_ynode_t *fields =
            ld->value[entry_index("suppression.fields")];
        char path[64];
        size_t i;

        for (i = 0; i < config->nsuppression_fields; i++) {
                if (!not_a_column(config, config->suppression_fields[i]))
                        continue;
                snprintf(path, sizeof(path), "suppression.fields[%zu]", i);
                return cdr_yaml_fail(
                    &ld->err, fields->kids[i]->line, path,
                    "no input column '%s' in input.csv.columns",
                    config->suppression_fields[i]);
        }
        if (check_readable(config->suppression_file) != 0)
                return cdr_yaml_fail(&ld->err,
                                     value_line(ld, "suppression.file", 1),
                                     "suppression.file", "cannot read '%s': %s",
                                     config->suppression_file, strerror(errno));
        return CDR_OK;
}

static int finish(struct loader *ld)
{
        cdr_config_t *config = ld->config;
        const cdr_ynode_t *fields = ld->value[entry_index("fields")];
        const cdr_ynode_t *purposes = ld->value[entry_index("purposes")];
        const cdr_ynode_t *columns =
            ld->value[entry_index("input.csv.columns")];
        static const char *const v1_only[] = {
            "fields", "output.anonymised.topic", "output.anonymised.key"};
        size_t i;
        int rc;

        for (i = 0; purposes != NULL && i < 3; i++) {
                size_t idx = entry_index(v1_only[i]);

                if (ld->keyline[idx] != 0)
                        return cdr_yaml_fail(
                            &ld->err, ld->keyline[idx], v1_only[i],
                            "not with purposes: (each purpose has its own "
                            "fields: and output:)");
        }
        if (purposes == NULL && fields == NULL)
                return cdr_yaml_fail(
                    &ld->err, 1, "fields",
                    "missing: the allow-list of output fields is "
                    "required");
        if (purposes == NULL && fields->nkids == 0)
                return cdr_yaml_fail(&ld->err, fields->line, "fields",
                                     "must not be empty (the allow-list)");
        if (config->hmac_key_file == NULL)
                return cdr_yaml_fail(
                    &ld->err, section_line(ld, "keys"), "keys.hmac",
                    "missing: the pseudonymisation key file is "
                    "required");
        if (columns != NULL && config->format != CDR_FORMAT_CSV)
                return cdr_yaml_fail(&ld->err, columns->line,
                                     "input.csv.columns",
                                     "only used with input.format: csv");
        if (ld->keyline[entry_index("input.csv.header")] == 0)
                config->csv_header = config->columns == NULL;
        else if (!config->csv_header && config->columns == NULL &&
                 config->format == CDR_FORMAT_CSV)
                return cdr_yaml_fail(
                    &ld->err, value_line(ld, "input.csv.header", 1),
                    "input.csv.header",
                    "false needs input.csv.columns (the column "
                    "names)");
        if (config->suppression_file != NULL &&
            config->suppression_fields == NULL)
                return cdr_yaml_fail(&ld->err,
                                     value_line(ld, "suppression.file", 1),
                                     "suppression.fields",
                                     "missing: the input fields to look up in "
                                     "suppression.file");
        if (config->suppression_file == NULL &&
            config->suppression_fields != NULL)
                return cdr_yaml_fail(
                    &ld->err, value_line(ld, "suppression.fields", 1),
                    "suppression.file",
                    "missing: the list that suppression.fields are "
                    "looked up in");
        if (config->event_time_field != NULL &&
            not_a_column(config, config->event_time_field))
                return cdr_yaml_fail(
                    &ld->err, value_line(ld, "input.event_time", 1),
                    "input.event_time",
                    "no input column '%s' in input.csv.columns",
                    config->event_time_field);

        rc = check_key_file(ld);
        if (rc == CDR_OK)
                rc = purposes != NULL ? read_purposes(ld, purposes)
                                      : read_fields(ld, fields);
        if (rc == CDR_OK && config->suppression_file != NULL)
                rc = check_suppression(ld);
        if (rc != CDR_OK)
                return rc;
        for (i = 0; i < NENTRIES; i++)
                config->lines[i] =
                    ld->value[i] != NULL ? ld->value[i]->line : 0;
        return CDR_OK;
}

/* ------------------------------------------------------------------ */
/* Public interface                                                    */
/* ------------------------------------------------------------------ */

cdr_config_t *cdr_config_load(const char *path, char *errstr,
                              size_t errstr_size)
{
        struct loader ld;
        cdr_config_t *config = NULL;
        FILE *f = NULL;
        struct stat st;
        char msg[256];
        size_t i;
        int rc;

        memset(&ld, 0, sizeof(ld));
        ld.err.file = path;
        ld.err.errstr = errstr;
        ld.err.errstr_size = errstr_size;
        if (path == NULL) {
                cdr_errf(errstr, errstr_size, "no configuration file given");
                return NULL;
        }
        config = calloc(1, sizeof(*config));
        if (config == NULL)
                goto nomem;
        ld.config = config;
        config->path = strdup(path);
        config->lines = calloc(NENTRIES, sizeof(*config->lines));
        ld.rkconf = rd_kafka_conf_new();
        if (config->path == NULL || config->lines == NULL || ld.rkconf == NULL)
                goto nomem;
        for (i = 0; i < NENTRIES; i++) {
                const cfg_entry_t *e = &cfg_table[i];

                if (e->def == NULL)
                        continue;
                rc = store_scalar(&ld, e, e->def, strlen(e->def), msg,
                                  sizeof(msg));
                if (rc == CDR_ERR_NOMEM)
                        goto nomem;
                if (rc != CDR_OK) {
                        cdr_errf(errstr, errstr_size,
                                 "%s: bad built-in default: %s", e->name, msg);
                        goto err;
                }
        }

        f = fopen(path, "re");
        if (f == NULL || fstat(fileno(f), &st) != 0) {
                cdr_errf(errstr, errstr_size, "%s: cannot read: %s", path,
                         strerror(errno));
                goto err;
        }
        if (!S_ISREG(st.st_mode)) {
                cdr_errf(errstr, errstr_size, "%s: not a regular file", path);
                goto err;
        }
        if (cdr_yaml_load(f, path, &ld.root, errstr, errstr_size) != CDR_OK)
                goto err;
        if (ld.root != NULL && ld.root->type != CDR_YN_MAP &&
            !(ld.root->type == CDR_YN_SCALAR && ld.root->null)) {
                cdr_yaml_fail(
                    &ld.err, ld.root->line, NULL,
                    "the configuration must be a mapping of sections, not "
                    "%s",
                    cdr_ynode_kind(ld.root));
                goto err;
        }
        if (ld.root != NULL && ld.root->type == CDR_YN_MAP &&
            walk_map(&ld, ld.root, "") != CDR_OK)
                goto err;
        if (finish(&ld) != CDR_OK)
                goto err;

        cdr_ynode_free(ld.root);
        rd_kafka_conf_destroy(ld.rkconf);
        fclose(f);
        return config;

nomem:
        cdr_errf(errstr, errstr_size, "%s: out of memory", path);
err:
        cdr_ynode_free(ld.root);
        if (ld.rkconf != NULL)
                rd_kafka_conf_destroy(ld.rkconf);
        if (f != NULL)
                fclose(f);
        cdr_config_destroy(config);
        return NULL;
}

void cdr_config_destroy(cdr_config_t *config)
{
        size_t i;

        if (config == NULL)
                return;
        for (i = 0; i < NENTRIES; i++) {
                const cfg_entry_t *e = &cfg_table[i];

                if (cfg_types[e->type].release != NULL)
                        cfg_types[e->type].release(config, e,
                                                   field_at(config, e->offset));
        }
        free(config->lines);
        free(config->path);
        free(config);
}

int cdr_config_set(cdr_config_t *config, const char *name, const char *value,
                   char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *rkconf;
        char msg[512];
        int rc;

        if (config == NULL || name == NULL || value == NULL) {
                cdr_errf(errstr, errstr_size, "-X: missing name or value");
                return CDR_ERR_INVAL;
        }
        rkconf = rd_kafka_conf_new();
        if (rkconf == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        msg[0] = '\0';
        rc = kafka_put(config, rkconf, name, value, 0, msg, sizeof(msg));
        rd_kafka_conf_destroy(rkconf);
        if (rc == CDR_ERR_NOMEM)
                cdr_errf(errstr, errstr_size, "out of memory");
        else if (rc != CDR_OK)
                cdr_errf(errstr, errstr_size, "-X %s: %s", name, msg);
        return rc;
}

int cdr_config_describe(const cdr_config_t *config, cdr_buf_t *out)
{
        size_t i;
        int rc;

        if (config == NULL || out == NULL)
                return CDR_ERR_INVAL;
        if (cdr_buf_printf(out, "# effective configuration of %s\n",
                           config->path) != CDR_OK)
                return CDR_ERR_NOMEM;
        for (i = 0; i < NENTRIES; i++) {
                const cfg_entry_t *e = &cfg_table[i];

                rc = cfg_types[e->type].describe(
                    config, e, cfield_at(config, e->offset), out);
                if (rc != CDR_OK)
                        return rc;
        }
        return CDR_OK;
}

int cdr_config_same_outputs(const cdr_config_t *a, const cdr_config_t *b,
                            char *errstr, size_t errstr_size)
{
        size_t i;

        if (strcmp(a->input_topic, b->input_topic) != 0 ||
            strcmp(a->sealed_topic, b->sealed_topic) != 0 ||
            strcmp(a->dead_letter_topic, b->dead_letter_topic) != 0 ||
            (a->npurposes == 0 && b->npurposes == 0 &&
             strcmp(a->anonymised_topic, b->anonymised_topic) != 0)) {
                cdr_errf(errstr, errstr_size,
                         "%s: the input or output topics differ from those "
                         "in use",
                         b->path);
                return 0;
        }
        if (a->npurposes != b->npurposes) {
                cdr_errf(errstr, errstr_size,
                         "%s: purposes: %zu purpose(s), %zu in use", b->path,
                         b->npurposes, a->npurposes);
                return 0;
        }
        for (i = 0; i < a->npurposes; i++) {
                const cdr_purpose_spec_t *pa = &a->purposes[i];
                const cdr_purpose_spec_t *pb = &b->purposes[i];

                if (strcmp(pa->name, pb->name) != 0) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%d: purposes.%s: topic %s, purpose %s "
                                 "(topic %s) in use",
                                 b->path, pb->line, pb->name, pb->topic,
                                 pa->name, pa->topic);
                        return 0;
                }
                if (strcmp(pa->topic, pb->topic) != 0) {
                        cdr_errf(errstr, errstr_size,
                                 "%s:%d: purposes.%s: topic %s, %s in use",
                                 b->path, pb->line, pb->name, pb->topic,
                                 pa->topic);
                        return 0;
                }
        }
        return 1;
}

int cdr_config_line(const cdr_config_t *config, const char *key)
{
        size_t idx;

        if (find_entry(key, &idx) == NULL || config->lines[idx] == 0)
                return 1;
        return config->lines[idx];
}

int cdr_config_errf(const cdr_config_t *config, int line, const char *path,
                    char *errstr, size_t errstr_size, const char *fmt, ...)
{
        va_list ap;
        int rc;

        va_start(ap, fmt);
        rc = cdr_yaml_verrf(errstr, errstr_size, config->path, line, path, fmt,
                            ap);
        va_end(ap);
        return rc;
}
