/*
 * Configuration: the YAML file of PRODUCT.md loaded into a validated
 * value, data only.  Every known key is in one table (name, type,
 * default, range); unknown keys and bad values fail with
 * "config.yaml:12: pipeline.threads: 65 is out of range 1..64".
 * Relative file paths in the configuration are resolved against the
 * configuration file's folder.  The `kafka:` section is kept verbatim as
 * name/value pairs for librdkafka.
 *
 * The allow-list is kept as written; the engine (transform.h) compiles
 * it into a policy and loads the files the configuration names, and
 * reports what it finds wrong there in the same form, through
 * cdr_config_errf ("config.yaml:6: fields.x: unknown action
 * 'scramble'").  Nothing writes a configuration after it is loaded but
 * cdr_config_set.
 */
#ifndef CDRANON_CONFIG_H
#define CDRANON_CONFIG_H

#include "cdranon/buf.h"
#include "cdranon/log.h"
#include "cdranon/number.h"
#include "cdranon/seal.h"

typedef enum { CDR_FORMAT_CSV = 0, CDR_FORMAT_JSON } cdr_format_t;
typedef enum {
        CDR_DELIVERY_EXACTLY_ONCE = 0,
        CDR_DELIVERY_AT_LEAST_ONCE,
} cdr_delivery_t;

/* What a `cell` field gives for a cell not in the table: a dead letter
 * (the default), or null. */
enum { CDR_CELLS_UNKNOWN_DEAD_LETTER = 0, CDR_CELLS_UNKNOWN_NULL = 1 };

typedef struct {
        char *name;
        char *value;
        int line;
} cdr_kv_t;

/* One output field of `fields:`, as written. */
typedef struct {
        char *name;      /* output field */
        char *from;      /* input field; NULL: the same name */
        char *action;    /* the action text, e.g. "pseudonymise msisdn" */
        int line;        /* of the output field's name */
        int action_line; /* of the action */
        int mapped;      /* written {from:, action:}: errors name
                            fields.NAME.action, else fields.NAME */
} cdr_field_spec_t;

/* Rotation of a purpose's pseudonyms, in the order of cdr_rotate_t
 * (civil.h): never, day, week, month. */
#define CDR_PURPOSE_NAME_MAX 32

/* One purpose of `purposes:` (PRODUCT.md, "Purposes and pseudonym
 * domains"): its own output and allow-list and pseudonym domain. */
typedef struct {
        char *name;  /* [a-z0-9_-]{1,32} */
        char *topic; /* output.topic; default "cdr.NAME" */
        char *key;   /* output.key: output field of the Kafka key; NULL */
        char *file;  /* output.file (file mode, relative to cwd); NULL */
        int rotate;  /* cdr_rotate_t */
        cdr_field_spec_t *fields;
        size_t nfields;
        int line;     /* of the purpose's name */
        int key_line; /* of output.key's value */
} cdr_purpose_spec_t;

typedef struct cdr_config_s {
        char *path; /* the file loaded */

        /* kafka: passed through to librdkafka verbatim */
        cdr_kv_t *kafka;
        size_t nkafka;

        /* input: */
        char *input_topic; /* default "cdr.raw" */
        char *input_group; /* default "cdranon" */
        cdr_format_t format;
        char csv_delimiter; /* default ',' */
        int csv_header;     /* default 1 when no columns, else 0 */
        char **columns;     /* NULL when taken from the header */
        size_t ncolumns;
        size_t max_record_bytes; /* default 1 MiB; 1 KiB..64 MiB */
        char *event_time_field;  /* input field; NULL: policy default */

        /* keys: */
        char *hmac_key_file;
        cdr_custodian_spec_t *custodian;
        size_t ncustodian;

        cdr_numbering_t numbers;

        /* output: */
        char *anonymised_topic;  /* default "cdr.anonymised" */
        char *anonymised_key;    /* output field whose value is the key */
        char *sealed_topic;      /* default "cdr.sealed" */
        char *dead_letter_topic; /* default "cdr.dead-letter" */

        /* delivery and pipeline */
        cdr_delivery_t delivery;
        int commit_interval_ms; /* default 100; 1..60000 */
        int commit_records;     /* default 10000; 1..1000000 */
        int threads;            /* default 1; 1..64 */
        size_t pseudonym_cache; /* entries, default 262144 (16 MiB); 0..2^24 */

        /* seal: */
        uint64_t epoch_records; /* default 1000000; 1..2^32 */
        int epoch_seconds;      /* default 3600; 1..86400 */
        char *audit_log;        /* default "cdranon-audit.log" */

        /* log: (cdranon run's standard error) */
        cdr_log_format_t log_format; /* default logfmt */
        cdr_log_level_t log_level;   /* default info */
        int log_summary_seconds;     /* default 10; 1..3600 */

        /* metrics: (cdranon run) */
        char *metrics_listen; /* "HOST:PORT"; NULL: no server */

        /* risk: (cdranon run, with metrics.listen) the risk window of
         * each output (risk_window.h) */
        int risk_enabled;             /* default 1 */
        uint64_t risk_window_records; /* default 100000; 1..10^7 */
        size_t risk_window_bytes;     /* default 32 MiB; 1 KiB..1 GiB */
        int risk_refresh_seconds;     /* default 60; 1..86400 */
        uint64_t risk_samples;        /* default 5000; 0: every trace */
        uint64_t risk_k;              /* default 5; 1..10^6 */

        /* suppression: */
        char *suppression_file; /* NULL: none */
        char **suppression_fields;
        size_t nsuppression_fields;

        /* cells: the cell table of `cell COLUMN` fields (cells.h) */
        char *cells_file;  /* NULL: none */
        int cells_unknown; /* CDR_CELLS_UNKNOWN_* */

        /* fields: the allow-list, in the order of the file (none when
         * purposes are configured) */
        cdr_field_spec_t *fields;
        size_t nfields;

        /* purposes: in the order of the file; none: one output, v1
         * pseudonyms */
        cdr_purpose_spec_t *purposes;
        size_t npurposes;

        int *lines; /* the line of each known key's value (private: read
                       it with cdr_config_line) */
} cdr_config_t;

/* Loads and validates `path`.  Checks that the files it names exist and
 * are readable; reading what is in them is the engine's (transform.h).
 * Returns NULL with errstr set on failure; the caller owns the result. */
cdr_config_t *cdr_config_load(const char *path, char *errstr,
                              size_t errstr_size) CDR_MUST_CHECK;
void cdr_config_destroy(cdr_config_t *config);

/* 1 when configuration b names the same topics as a, in use: input,
 * sealed and dead-letter topics, the anonymised topic, or the same
 * purposes (names and topics, in order).  Else 0 with the first
 * difference in errstr, naming b's file ("config.yaml:40:
 * purposes.churn: ..."), for a reload that must not move the outputs. */
int cdr_config_same_outputs(const cdr_config_t *a, const cdr_config_t *b,
                            char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* Applies a `-X name=value` override: a librdkafka property, added to
 * the `kafka:` section or replacing the value there (its line becomes 0).
 * The name and value are checked with librdkafka first; on error returns
 * CDR_ERR_INVAL with "-X name: why" in errstr and changes nothing. */
int cdr_config_set(cdr_config_t *config, const char *name, const char *value,
                   char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* Appends the effective configuration for check-config: a "# effective
 * configuration of PATH" line, then one "key: value" line per known key
 * (defaults included; kafka properties whose name contains "password",
 * "secret" or "key" as "(hidden)").  The policy the engine compiled
 * follows in check-config's output (cdr_engine_describe).  Returns 0 or
 * CDR_ERR_NOMEM. */
int cdr_config_describe(const cdr_config_t *config,
                        cdr_buf_t *out) CDR_MUST_CHECK;

/* The line of the value of known key `key` ("keys.hmac") in the file,
 * or 1 when the file does not set it. */
int cdr_config_line(const cdr_config_t *config, const char *key);

/* Formats errstr as the loader's own errors, "PATH:LINE: key.path:
 * message" (PATH the configuration's), so that what the engine finds
 * wrong reads like the rest.  Returns CDR_ERR_INVAL. */
int cdr_config_errf(const cdr_config_t *config, int line, const char *path,
                    char *errstr, size_t errstr_size, const char *fmt, ...)
    CDR_PRINTF(6, 7);

#endif
