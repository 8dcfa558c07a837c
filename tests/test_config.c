/*
 * Tests of the configuration loader (config.h), and of the engine's
 * reading of what the configuration names (transform.h): the allow-list
 * it compiles and the key ring it loads report their errors as the
 * loader does.
 *
 * Each test copies tests/data/config/ (and its bad/ folder) into a fresh
 * temporary folder and writes the HMAC key files there, because git does
 * not keep the 0600 mode that the key ring requires.  Error messages hold
 * that folder's path; expectations write it as "%T".
 */
#include <criterion/criterion.h>

#include "cdranon/config.h"
#include "cdranon/transform.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA "tests/data/config"

/* A fixed test key (RFC 4231 style counting bytes); never a real key. */
#define TEST_KEY                                                               \
        "k1 "                                                                  \
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static char tmpdir[64];

static void write_file(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f, "cannot create %s: %s", path, strerror(errno));
        cr_assert_eq(fputs(text, f) >= 0, 1);
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(chmod(path, mode), 0);
}

static void copy_file(const char *from, const char *to)
{
        char buf[4096];
        FILE *in = fopen(from, "r"), *out;
        size_t n;

        cr_assert_not_null(in, "cannot open %s", from);
        out = fopen(to, "w");
        cr_assert_not_null(out, "cannot create %s", to);
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
                cr_assert_eq(fwrite(buf, 1, n, out), n);
        fclose(in);
        cr_assert_eq(fclose(out), 0);
}

/* Copies the regular files of folder `from` into folder `to`. */
static void copy_dir(const char *from, const char *to)
{
        char src[PATH_MAX], dst[PATH_MAX];
        struct dirent *de;
        struct stat st;
        DIR *dir = opendir(from);

        cr_assert_not_null(dir, "cannot open %s", from);
        while ((de = readdir(dir)) != NULL) {
                snprintf(src, sizeof(src), "%s/%s", from, de->d_name);
                if (stat(src, &st) != 0 || !S_ISREG(st.st_mode))
                        continue;
                snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
                copy_file(src, dst);
        }
        closedir(dir);
}

static char *tmp_path(const char *name)
{
        static char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        return path;
}

static void setup(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/cdranon-test-config-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
        copy_dir(DATA, tmpdir);
        copy_dir(DATA "/bad", tmpdir);
        write_file(tmp_path("hmac.key"), "# test key\n" TEST_KEY, 0600);
        write_file(tmp_path("hmac-open.key"), TEST_KEY, 0644);
        write_file(tmp_path("hmac-bad.key"),
                   TEST_KEY "k2! 00112233445566778899aabbccddeeff"
                            "00112233445566778899aabbccddeeff\n",
                   0600);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static void teardown(void)
{
        if (tmpdir[0] != '\0')
                nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config, .init = setup, .fini = teardown);

/* Replaces each "%T" of `pattern` with the temporary folder. */
static void expand(const char *pattern, char *out, size_t size)
{
        size_t len = 0;

        out[0] = '\0';
        for (; *pattern != '\0' && len + 1 < size; pattern++) {
                if (pattern[0] == '%' && pattern[1] == 'T') {
                        size_t n = strlen(tmpdir);

                        cr_assert_lt(len + n, size);
                        memcpy(out + len, tmpdir, n + 1);
                        len += n;
                        pattern++;
                } else {
                        out[len++] = *pattern;
                        out[len] = '\0';
                }
        }
}

static cdr_config_t *load(const char *name, char *errstr, size_t size)
{
        errstr[0] = '\0';
        return cdr_config_load(tmp_path(name), errstr, size);
}

static cdr_config_t *load_ok(const char *name)
{
        char errstr[1024];
        cdr_config_t *config = load(name, errstr, sizeof(errstr));

        cr_assert_not_null(config, "%s: %s", name, errstr);
        return config;
}

/* --- Broken configurations ----------------------------------------- */

struct bad_case {
        const char *file;
        int line;
        const char *message; /* "path: message" after "FILE:LINE: " */
        int exact;           /* 0: message is a prefix (text of another
                                module or of librdkafka follows) */
        int engine;          /* 1: the configuration loads (it is data
                                that validates); the engine refuses it */
};

static const struct bad_case bad_cases[] = {
    /* YAML syntax */
    {"syntax.yaml", 5,
     "input: YAML syntax error: mapping values are not allowed in this context",
     1, 0},
    {"unclosed-quote.yaml", 5,
     "output.sealed.topic: YAML syntax error: while scanning a quoted "
     "scalar, found unexpected end of stream at line 8",
     1, 0},
    {"alias.yaml", 4,
     "suppression.file: YAML aliases (*keyfile) are not supported", 1, 0},
    {"two-documents.yaml", 5, "more than one YAML document", 1, 0},
    {"deep.yaml", 2,
     "fields[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
     "[0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep",
     1, 0},
    {"root-list.yaml", 2,
     "the configuration must be a mapping of sections, not a list", 1, 0},
    /* unknown and duplicate keys */
    {"unknown-top.yaml", 3, "output_topic: unknown key", 1, 0},
    {"unknown-nested.yaml", 5, "input.tpoic: unknown key", 1, 0},
    {"dotted-key.yaml", 3, "input.topic: unknown key", 1, 0},
    {"control-key.yaml", 3, "out?put: unknown key", 1, 0},
    {"duplicate.yaml", 6, "pipeline.threads: duplicate key (first at line 4)",
     1, 0},
    {"duplicate-field.yaml", 6,
     "fields.msisdn: duplicate key (first at line 4)", 1, 0},
    {"field-unknown-key.yaml", 8,
     "fields.area.as: unknown key (expected from, action)", 1, 0},
    /* wrong types */
    {"type-int.yaml", 4, "pipeline.threads: expected an integer, not 'four'", 1,
     0},
    {"type-map.yaml", 5, "input.topic: expected a topic name, not a mapping", 1,
     0},
    {"type-section.yaml", 3,
     "input: expected a mapping (a section), not a scalar", 1, 0},
    {"bad-size.yaml", 4,
     "input.max_record_bytes: expected a size, not '1.5MiB'", 1, 0},
    {"bool.yaml", 5, "input.csv.header: expected true or false, not 'maybe'", 1,
     0},
    {"missing-value.yaml", 4, "input.group: missing value", 1, 0},
    {"list-item.yaml", 7, "input.csv.columns[1]: expected a name, not a list",
     1, 0},
    {"kafka-nested.yaml", 3,
     "kafka.bootstrap: expected a scalar, not a mapping (write dotted "
     "names: 'a.b: value')",
     1, 0},
    {"kafka-null.yaml", 2, "kafka.sasl.password: missing value", 1, 0},
    /* out of range and bad values */
    {"range-int.yaml", 4, "pipeline.threads: 65 is out of range 1..64", 1, 0},
    {"range-size.yaml", 4,
     "input.max_record_bytes: 128MiB is out of range 1024..67108864", 1, 0},
    {"range-u64.yaml", 4, "seal.epoch_records: 0 is out of range 1..4294967296",
     1, 0},
    {"short-code.yaml", 4,
     "numbers.short_code_max_digits: 7 is out of range 0..6", 1, 0},
    {"enum-format.yaml", 4,
     "input.format: unknown value 'xml' (expected csv or json)", 1, 0},
    {"enum-delivery.yaml", 3,
     "delivery: unknown value 'exactly_once' (expected exactly-once or "
     "at-least-once)",
     1, 0},
    {"delimiter.yaml", 5,
     "input.csv.delimiter: must be one byte (or \"\\t\" or tab)", 1, 0},
    {"bad-topic.yaml", 5,
     "output.sealed.topic: 'cdr sealed' is not a topic name (1-249 of "
     "A-Z a-z 0-9 . _ -)",
     1, 0},
    {"country-code.yaml", 4, "numbers.country_code: must be 1 to 3 digits", 1,
     0},
    {"prefix-letters.yaml", 4,
     "numbers.international_prefix: '+' is not digits only", 1, 0},
    {"kafka-unknown.yaml", 3,
     "kafka.bootstrap.server: No such configuration property", 0, 0},
    /* the allow-list */
    {"unknown-action.yaml", 6,
     "fields.cause_for_term: unknown action 'scramble'", 1, 1},
    {"action-argument.yaml", 7, "fields.area.action: prefix", 0, 1},
    {"field-no-action.yaml", 5, "fields.area: missing action", 1, 0},
    {"no-fields.yaml", 1,
     "fields: missing: the allow-list of output fields is required", 1, 0},
    {"empty-fields.yaml", 3, "fields: must not be empty (the allow-list)", 1,
     0},
    /* names of input fields when the columns are known */
    {"from-column.yaml", 8,
     "fields.callee.from: no input column 'called_nmber' in input.csv.columns",
     1, 0},
    {"implicit-column.yaml", 8,
     "fields.start: no input column 'start' in input.csv.columns", 1, 0},
    {"suppression-column.yaml", 10,
     "suppression.fields[1]: no input column 'msisdn' in input.csv.columns", 1,
     0},
    {"event-time.yaml", 4,
     "input.event_time: no input column 'start' in input.csv.columns", 1, 0},
    {"key-field.yaml", 5, "output.anonymised.key: key field 'cell_id'", 0, 1},
    {"duplicate-column.yaml", 5,
     "input.csv.columns[2]: duplicate name 'msisdn'", 1, 0},
    {"json-columns.yaml", 6,
     "input.csv.columns: only used with input.format: csv", 1, 0},
    {"header-false.yaml", 5,
     "input.csv.header: false needs input.csv.columns (the column names)", 1,
     0},
    /* key files and lists */
    {"no-hmac.yaml", 3,
     "keys.hmac: missing: the pseudonymisation key file is required", 1, 0},
    {"hmac-missing.yaml", 2,
     "keys.hmac: cannot read '%T/nosuch.key': No such file or directory", 1, 0},
    {"hmac-perm.yaml", 2, "keys.hmac: %T/hmac-open.key: ", 0, 1},
    {"hmac-malformed.yaml", 2, "keys.hmac: %T/hmac-bad.key:2: ", 0, 1},
    {"custodian-missing.yaml", 6,
     "keys.custodian_public[1].file: cannot read '%T/nosuch.pem': No "
     "such file or directory",
     1, 0},
    {"custodian-period.yaml", 6,
     "keys.custodian_public[0].until: must be later than from", 1, 0},
    {"custodian-overlap.yaml", 7,
     "keys.custodian_public[1]: period overlaps "
     "keys.custodian_public[0] (line 4)",
     1, 0},
    {"custodian-date.yaml", 5,
     "keys.custodian_public[0].from: expected a date YYYY-MM-DD or an "
     "ISO 8601 time YYYY-MM-DDTHH:MM:SSZ",
     1, 0},
    {"suppression-missing.yaml", 4,
     "suppression.file: cannot read '%T/nosuch.txt': No such file or directory",
     1, 0},
    /* purposes */
    {"purposes-fields.yaml", 7,
     "fields: not with purposes: (each purpose has its own fields: and "
     "output:)",
     1, 0},
    {"purposes-anonymised.yaml", 5,
     "output.anonymised.topic: not with purposes: (each purpose has its own "
     "fields: and output:)",
     1, 0},
    {"purposes-no-event-time.yaml", 7,
     "purposes.behaviour: rotate: day needs input.event_time (the field "
     "whose time picks the period)",
     1, 0},
    {"purposes-name.yaml", 4,
     "purposes.Network: a purpose name is 1-32 of a-z 0-9 _ -", 1, 0},
    {"purposes-rotate.yaml", 7,
     "purposes.network.rotate: expected day, week, month or never", 1, 0},
    {"purposes-no-fields.yaml", 4,
     "purposes.network: missing fields: (the purpose's allow-list)", 1, 0},
    {"purposes-action.yaml", 11,
     "purposes.behaviour.fields.cell_id: unknown action 'scramble'", 1, 1},
    {"purposes-same-topic.yaml", 8,
     "purposes.behaviour: output.topic 'cdr.analytics' is also purpose "
     "'network's",
     1, 0},
    {"purposes-sealed-topic.yaml", 7,
     "purposes.network: output.topic 'cdr.vault' is also the input, sealed "
     "or dead-letter topic",
     1, 0},
    {"purposes-key.yaml", 5,
     "purposes.behaviour.output.key: key field 'cell_id'", 0, 1},
    {"suppression-no-fields.yaml", 4,
     "suppression.fields: missing: the input fields to look up in "
     "suppression.file",
     1, 0},
};

Test(config, broken_configurations)
{
        char errstr[1024], want[2048], msg[1024];
        size_t i, n = sizeof(bad_cases) / sizeof(bad_cases[0]);

        cr_assert_geq(n, 20);
        for (i = 0; i < n; i++) {
                const struct bad_case *c = &bad_cases[i];
                cdr_config_t *config;
                cdr_engine_t *engine = NULL;

                config = load(c->file, errstr, sizeof(errstr));
                if (c->engine) {
                        cr_expect_not_null(config, "%s: %s", c->file, errstr);
                        if (config != NULL)
                                engine = cdr_engine_new(config, 0, errstr,
                                                        sizeof(errstr));
                        cr_expect_null(engine, "%s: engine built", c->file);
                } else {
                        cr_expect_null(config, "%s: loaded", c->file);
                }
                cdr_engine_destroy(engine);
                cdr_config_destroy(config);
                expand(c->message, msg, sizeof(msg));
                snprintf(want, sizeof(want), "%s/%s:%d: %s", tmpdir, c->file,
                         c->line, msg);
                if (c->exact)
                        cr_expect_str_eq(errstr, want,
                                         "%s:\n got: %s\nwant: %s", c->file,
                                         errstr, want);
                else
                        cr_expect(strncmp(errstr, want, strlen(want)) == 0,
                                  "%s:\n got: %s\nwant: %s...", c->file, errstr,
                                  want);
        }
}

/* Every file of the bad/ folder has its expected error in the table. */
Test(config, every_broken_file_listed)
{
        size_t i, n = sizeof(bad_cases) / sizeof(bad_cases[0]), files = 0;
        struct dirent *de;
        DIR *dir = opendir(DATA "/bad");

        cr_assert_not_null(dir);
        while ((de = readdir(dir)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                files++;
                for (i = 0; i < n; i++)
                        if (strcmp(bad_cases[i].file, de->d_name) == 0)
                                break;
                cr_expect_lt(i, n, "%s has no expected error", de->d_name);
        }
        closedir(dir);
        cr_expect_eq(files, n);
}

Test(config, missing_file)
{
        char errstr[512], want[PATH_MAX + 64];

        cr_assert_null(load("nosuch.yaml", errstr, sizeof(errstr)));
        snprintf(want, sizeof(want),
                 "%s/nosuch.yaml: cannot read: No such file or directory",
                 tmpdir);
        cr_expect_str_eq(errstr, want);
        cr_assert_eq(mkdir(tmp_path("dir.yaml"), 0700), 0);
        cr_assert_null(load("dir.yaml", errstr, sizeof(errstr)));
        snprintf(want, sizeof(want), "%s/dir.yaml: not a regular file", tmpdir);
        cr_expect_str_eq(errstr, want);
        cdr_config_destroy(NULL);
}

/* --- A full configuration, read back -------------------------------- */

Test(config, full_round_trip)
{
        static const char *const columns[] = {
            "record_id", "calling_number", "called_number",
            "imsi",      "imei",           "start_time",
            "duration",  "cell_id",        "cause_for_term"};
        static const struct {
                const char *name, *value;
                int line;
        } kafka[] = {
            {"bootstrap.servers", "broker1:9092,broker2:9092", 4},
            {"security.protocol", "SASL_SSL", 5},
            {"sasl.mechanisms", "SCRAM-SHA-512", 6},
            {"sasl.username", "cdranon", 7},
            {"sasl.password", "s3cr3t-pa55", 8},
            {"ssl.key.password", "k3y-pa55", 9},
            {"linger.ms", "5", 10},
        };
        cdr_config_t *config = load_ok("full.yaml");
        const cdr_schema_t *schema;
        cdr_engine_t *engine;
        char want[PATH_MAX], errstr[1024];
        size_t i;

        cr_expect_str_eq(config->path, tmp_path("full.yaml"));
        cr_assert_eq(config->nkafka, 7);
        for (i = 0; i < 7; i++) {
                cr_expect_str_eq(config->kafka[i].name, kafka[i].name);
                cr_expect_str_eq(config->kafka[i].value, kafka[i].value);
                cr_expect_eq(config->kafka[i].line, kafka[i].line);
        }

        cr_expect_str_eq(config->input_topic, "cdr.raw.v2");
        cr_expect_str_eq(config->input_group, "cdranon-eu");
        cr_expect_eq(config->format, CDR_FORMAT_CSV);
        cr_expect_eq(config->csv_delimiter, '\t');
        cr_expect_eq(config->csv_header, 1);
        cr_assert_eq(config->ncolumns, 9);
        for (i = 0; i < 9; i++)
                cr_expect_str_eq(config->columns[i], columns[i]);
        cr_expect_eq(config->max_record_bytes, 64 * 1024);
        cr_expect_str_eq(config->event_time_field, "start_time");

        cr_expect_str_eq(config->hmac_key_file, tmp_path("hmac.key"));
        cr_assert_eq(config->ncustodian, 2);
        cr_expect_str_eq(config->custodian[0].file, tmp_path("custodian.pem"));
        /* date -u -d 2026-11-01 +%s, date -u -d 2026-12-01 +%s */
        cr_expect_eq(config->custodian[0].not_before, 1793491200);
        cr_expect_eq(config->custodian[0].not_after, 1796083200);
        cr_expect_eq(config->custodian[0].line, 33);
        cr_expect_str_eq(config->custodian[1].file,
                         tmp_path("custodian-2026-12.pem"));
        cr_expect_eq(config->custodian[1].not_before, 1796083200);
        cr_expect_eq(config->custodian[1].not_after, INT64_MAX);
        cr_expect_eq(config->custodian[1].line, 36);

        cr_expect_str_eq(config->numbers.country_code, "1");
        cr_expect_str_eq(config->numbers.national_prefix, "1");
        cr_expect_str_eq(config->numbers.international_prefix, "011");
        cr_expect_eq(config->numbers.short_code_max_digits, 3);

        cr_expect_str_eq(config->anonymised_topic, "cdr.anon");
        cr_expect_str_eq(config->anonymised_key, "caller");
        cr_expect_str_eq(config->sealed_topic, "cdr.sealed.v2");
        cr_expect_str_eq(config->dead_letter_topic, "cdr.dlq");
        cr_expect_eq(config->delivery, CDR_DELIVERY_AT_LEAST_ONCE);
        cr_expect_eq(config->threads, 4);
        cr_expect_eq(config->commit_interval_ms, 250);
        cr_expect_eq(config->commit_records, 5000);
        cr_expect_eq(config->pseudonym_cache, 1024 * 1024);
        cr_expect_eq(config->epoch_records, 50000);
        cr_expect_eq(config->epoch_seconds, 600);
        cr_expect_eq(config->risk_enabled, 0);
        cr_expect_eq(config->risk_window_records, 5000);
        cr_expect_eq(config->risk_window_bytes, 2 * 1024 * 1024);
        cr_expect_eq(config->risk_refresh_seconds, 30);
        cr_expect_eq(config->risk_samples, 0);
        cr_expect_eq(config->risk_k, 10);
        snprintf(want, sizeof(want), "%s/logs/audit.log", tmpdir);
        cr_expect_str_eq(config->audit_log, want);

        cr_expect_str_eq(config->suppression_file, tmp_path("suppress.txt"));
        cr_assert_eq(config->nsuppression_fields, 2);
        cr_expect_str_eq(config->suppression_fields[0], "calling_number");
        cr_expect_str_eq(config->suppression_fields[1], "called_number");

        /* ten fields, one of them dropped, as written */
        cr_assert_eq(config->nfields, 10);
        cr_expect_str_eq(config->fields[0].name, "caller");
        cr_expect_str_eq(config->fields[0].from, "calling_number");
        cr_expect_eq(config->fields[0].mapped, 1);
        /* and compiled by the engine */
        engine = cdr_engine_new(config, 0, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        cr_expect_eq(cdr_policy_field_count(cdr_engine_policy(engine)), 9);
        schema = cdr_policy_schema(cdr_engine_policy(engine));
        for (i = 1; i < 9; i++)
                cr_expect_geq(
                    cdr_schema_find(schema, columns[i], strlen(columns[i])), 0,
                    "input %s", columns[i]);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
}

Test(config, defaults)
{
        cdr_config_t *config = load_ok("minimal.yaml");

        cr_expect_eq(config->nkafka, 0);
        cr_expect_str_eq(config->input_topic, "cdr.raw");
        cr_expect_str_eq(config->input_group, "cdranon");
        cr_expect_eq(config->format, CDR_FORMAT_CSV);
        cr_expect_eq(config->csv_delimiter, ',');
        cr_expect_eq(config->csv_header, 1);
        cr_expect_null(config->columns);
        cr_expect_eq(config->ncolumns, 0);
        cr_expect_eq(config->max_record_bytes, 1024 * 1024);
        cr_expect_null(config->event_time_field);
        cr_expect_eq(config->ncustodian, 0);
        cr_expect_str_eq(config->numbers.country_code, "44");
        cr_expect_str_eq(config->numbers.national_prefix, "0");
        cr_expect_str_eq(config->numbers.international_prefix, "00");
        cr_expect_eq(config->numbers.short_code_max_digits, 6);
        cr_expect_str_eq(config->anonymised_topic, "cdr.anonymised");
        cr_expect_null(config->anonymised_key);
        cr_expect_str_eq(config->sealed_topic, "cdr.sealed");
        cr_expect_str_eq(config->dead_letter_topic, "cdr.dead-letter");
        cr_expect_eq(config->delivery, CDR_DELIVERY_EXACTLY_ONCE);
        cr_expect_eq(config->threads, 1);
        cr_expect_eq(config->commit_interval_ms, 100);
        cr_expect_eq(config->commit_records, 10000);
        cr_expect_eq(config->pseudonym_cache, 262144);
        cr_expect_eq(config->epoch_records, 1000000);
        cr_expect_eq(config->epoch_seconds, 3600);
        cr_expect_eq(config->risk_enabled, 1);
        cr_expect_eq(config->risk_window_records, 100000);
        cr_expect_eq(config->risk_window_bytes, 32 * 1024 * 1024);
        cr_expect_eq(config->risk_refresh_seconds, 60);
        cr_expect_eq(config->risk_samples, 5000);
        cr_expect_eq(config->risk_k, 5);
        cr_expect_str_eq(config->audit_log, tmp_path("cdranon-audit.log"));
        cr_expect_null(config->suppression_file);
        cr_expect_null(config->suppression_fields);
        cr_expect_eq(config->nfields, 1);
        cdr_config_destroy(config);
}

/* --- Accepted spellings, checked through the effective values ------- */

struct good_case {
        const char *yaml;     /* added to a minimal configuration */
        const char *expected; /* a line of cdr_config_describe */
};

static const struct good_case good_cases[] = {
    {"input: {csv: {delimiter: tab}}", "input.csv.delimiter: \"\\t\""},
    {"input: {csv: {delimiter: '\\t'}}", "input.csv.delimiter: \"\\t\""},
    {"input: {csv: {delimiter: \"\\t\"}}", "input.csv.delimiter: \"\\t\""},
    {"input: {csv: {delimiter: ;}}", "input.csv.delimiter: \";\""},
    {"input: {csv: {delimiter: '|'}}", "input.csv.delimiter: \"|\""},
    {"input: {csv: {header: yes}}", "input.csv.header: true"},
    {"input: {format: json, csv: {header: off}}", "input.csv.header: false"},
    {"input: {csv: {columns: [msisdn]}}", "input.csv.header: false"},
    {"input: {csv: {columns: [msisdn], header: true}}",
     "input.csv.header: true"},
    {"input: {max_record_bytes: 1024}", "input.max_record_bytes: 1024"},
    {"input: {max_record_bytes: 2K}", "input.max_record_bytes: 2048"},
    {"input: {max_record_bytes: 3KiB}", "input.max_record_bytes: 3072"},
    {"input: {max_record_bytes: 64MiB}", "input.max_record_bytes: 67108864"},
    {"input: {format: json}", "input.format: json"},
    {"pipeline: {pseudonym_cache: 0}", "pipeline.pseudonym_cache: 0"},
    {"pipeline: {pseudonym_cache: 16M}", "pipeline.pseudonym_cache: 16777216"},
    {"pipeline: {threads: \"64\"}", "pipeline.threads: 64"},
    {"seal: {epoch_records: 4294967296}", "seal.epoch_records: 4294967296"},
    {"numbers: {national_prefix: \"\"}", "numbers.national_prefix: \"\""},
    {"numbers: {international_prefix: 0011}",
     "numbers.international_prefix: \"0011\""},
    {"delivery: at-least-once", "delivery: at-least-once"},
    {"kafka:", "kafka: {}"},
    {"kafka: {acks: all}", "kafka.acks: all"},
    {"kafka: {enable.idempotence: true}", "kafka.enable.idempotence: true"},
    {"keys: {hmac: hmac.key, custodian_public: custodian.pem}",
     "keys.custodian_public[0]: %T/custodian.pem (from any time until "
     "any time)"},
    {"keys: {hmac: hmac.key, custodian_public: [{file: custodian.pem, "
     "from: 2026-11-01T01:30:00+01:00}]}",
     "keys.custodian_public[0]: %T/custodian.pem (from "
     "2026-11-01T00:30:00Z until any time)"},
    {"keys: {hmac: hmac.key, custodian_public: [{file: custodian.pem, "
     "from: '2026-11-01 01:30', until: 2026-12-01T00:00:00.5+0100}]}",
     "keys.custodian_public[0]: %T/custodian.pem (from "
     "2026-11-01T01:30:00Z until 2026-11-30T23:00:00Z)"},
    {"keys: {hmac: hmac.key, custodian_public: [{file: custodian.pem, "
     "until: 2028-02-29T23:59:59Z}]}",
     "keys.custodian_public[0]: %T/custodian.pem (from any time until "
     "2028-02-29T23:59:59Z)"},
};

Test(config, accepted_values)
{
        char text[1024], want[1024], errstr[1024], name[64];
        cdr_buf_t out = CDR_BUF_INIT;
        size_t i;

        for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
                const struct good_case *c = &good_cases[i];
                cdr_config_t *config;

                snprintf(name, sizeof(name), "good-%zu.yaml", i);
                snprintf(text, sizeof(text),
                         "%s\n%sfields:\n  msisdn: pseudonymise msisdn\n",
                         c->yaml,
                         strncmp(c->yaml, "keys:", 5) == 0
                             ? ""
                             : "keys: {hmac: hmac.key}\n");
                write_file(tmp_path(name), text, 0644);
                config = load(name, errstr, sizeof(errstr));
                cr_expect_not_null(config, "%s: %s", c->yaml, errstr);
                if (config == NULL)
                        continue;
                cdr_buf_reset(&out);
                cr_assert_eq(cdr_config_describe(config, &out), CDR_OK);
                expand(c->expected, want, sizeof(want));
                strcat(want, "\n");
                cr_expect_not_null(strstr(out.data, want),
                                   "%s: no line '%s' in\n%s", c->yaml, want,
                                   out.data);
                cdr_config_destroy(config);
        }
        cdr_buf_free(&out);
}

/* --- Paths ----------------------------------------------------------- */

Test(config, relative_paths)
{
        char want[PATH_MAX], errstr[1024];
        cdr_config_t *config;

        cr_assert_eq(mkdir(tmp_path("conf"), 0700), 0);
        cr_assert_eq(mkdir(tmp_path("conf/lists"), 0700), 0);
        cr_assert_eq(mkdir(tmp_path("keys"), 0700), 0);
        copy_file(DATA "/relative.yaml", tmp_path("conf/relative.yaml"));
        copy_file(DATA "/suppress.txt", tmp_path("conf/lists/suppress.txt"));
        copy_file(DATA "/custodian.pem", tmp_path("keys/custodian.pem"));
        write_file(tmp_path("keys/hmac.key"), TEST_KEY, 0600);

        config = load_ok("conf/relative.yaml");
        snprintf(want, sizeof(want), "%s/conf/../keys/hmac.key", tmpdir);
        cr_expect_str_eq(config->hmac_key_file, want);
        snprintf(want, sizeof(want), "%s/conf/../keys/custodian.pem", tmpdir);
        cr_assert_eq(config->ncustodian, 1);
        cr_expect_str_eq(config->custodian[0].file, want);
        cr_expect_eq(config->custodian[0].not_before, INT64_MIN);
        cr_expect_eq(config->custodian[0].not_after, INT64_MAX);
        snprintf(want, sizeof(want), "%s/conf/audit/cdranon.log", tmpdir);
        cr_expect_str_eq(config->audit_log, want);
        snprintf(want, sizeof(want), "%s/conf/lists/suppress.txt", tmpdir);
        cr_expect_str_eq(config->suppression_file, want);
        cdr_config_destroy(config);

        /* the key file is not next to the configuration's copy here */
        copy_file(DATA "/relative.yaml", tmp_path("relative.yaml"));
        cr_expect_null(load("relative.yaml", errstr, sizeof(errstr)));
        snprintf(want, sizeof(want),
                 "%s/relative.yaml:6: keys.custodian_public: cannot read "
                 "'%s/../keys/custodian.pem': No such file or directory",
                 tmpdir, tmpdir);
        cr_expect_str_eq(errstr, want);
}

Test(config, absolute_path)
{
        char text[PATH_MAX + 128];
        cdr_config_t *config;

        snprintf(text, sizeof(text),
                 "keys:\n  hmac: %s/hmac.key\nfields:\n  msisdn: keep\n",
                 tmpdir);
        cr_assert_eq(mkdir(tmp_path("elsewhere"), 0700), 0);
        write_file(tmp_path("elsewhere/abs.yaml"), text, 0644);
        config = load_ok("elsewhere/abs.yaml");
        cr_expect_str_eq(config->hmac_key_file, tmp_path("hmac.key"));
        cdr_config_destroy(config);
}

Test(config, working_folder)
{
        char errstr[1024];
        cdr_config_t *config;

        cr_assert_eq(chdir(tmpdir), 0);
        config = cdr_config_load("minimal.yaml", errstr, sizeof(errstr));
        cr_assert_not_null(config, "%s", errstr);
        cr_expect_str_eq(config->hmac_key_file, "hmac.key");
        cr_expect_str_eq(config->audit_log, "cdranon-audit.log");
        cdr_config_destroy(config);
        cr_expect_null(
            cdr_config_load("unknown-top.yaml", errstr, sizeof(errstr)));
        cr_expect_str_eq(errstr, "unknown-top.yaml:3: output_topic: unknown "
                                 "key");
}

/* A reload must not move the outputs: the same topics, the same
 * purposes in the same order. */
Test(config, same_outputs)
{
        static const char *const head = "keys:\n  hmac: hmac.key\n"
                                        "purposes:\n";
        static const char *const net = "  network:\n"
                                       "    output: {topic: %s}\n"
                                       "    fields:\n      cell_id: keep\n";
        static const char *const beh = "  behaviour:\n"
                                       "    fields:\n      record_type: keep\n";
        char text[1024], part[256], errstr[512], want[1024];
        cdr_config_t *a, *b;

        snprintf(part, sizeof(part), net, "cdr.network");
        snprintf(text, sizeof(text), "%s%s%s", head, part, beh);
        write_file(tmp_path("same-a.yaml"), text, 0644);
        write_file(tmp_path("same-b.yaml"), text, 0644);
        a = load_ok("same-a.yaml");
        b = load_ok("same-b.yaml");
        cr_expect_eq(cdr_config_same_outputs(a, b, errstr, sizeof(errstr)), 1);
        cdr_config_destroy(b);

        /* a purpose's topic changed */
        snprintf(part, sizeof(part), net, "cdr.net2");
        snprintf(text, sizeof(text), "%s%s%s", head, part, beh);
        write_file(tmp_path("same-b.yaml"), text, 0644);
        b = load_ok("same-b.yaml");
        cr_expect_eq(cdr_config_same_outputs(a, b, errstr, sizeof(errstr)), 0);
        snprintf(want, sizeof(want),
                 "%s/same-b.yaml:4: purposes.network: topic cdr.net2, "
                 "cdr.network in use",
                 tmpdir);
        cr_expect_str_eq(errstr, want);
        cdr_config_destroy(b);

        /* a purpose less */
        snprintf(part, sizeof(part), net, "cdr.network");
        snprintf(text, sizeof(text), "%s%s", head, part);
        write_file(tmp_path("same-b.yaml"), text, 0644);
        b = load_ok("same-b.yaml");
        cr_expect_eq(cdr_config_same_outputs(a, b, errstr, sizeof(errstr)), 0);
        snprintf(want, sizeof(want),
                 "%s/same-b.yaml: purposes: 1 purpose(s), 2 in use", tmpdir);
        cr_expect_str_eq(errstr, want);
        cdr_config_destroy(b);

        /* the same purposes, renamed */
        snprintf(text, sizeof(text), "%s%s%s", head, beh, part);
        write_file(tmp_path("same-b.yaml"), text, 0644);
        b = load_ok("same-b.yaml");
        cr_expect_eq(cdr_config_same_outputs(a, b, errstr, sizeof(errstr)), 0);
        snprintf(want, sizeof(want),
                 "%s/same-b.yaml:4: purposes.behaviour: topic cdr.behaviour, "
                 "purpose network (topic cdr.network) in use",
                 tmpdir);
        cr_expect_str_eq(errstr, want);
        cdr_config_destroy(b);
        cdr_config_destroy(a);
}

/* --- -X overrides ---------------------------------------------------- */

Test(config, set_override)
{
        cdr_config_t *config = load_ok("full.yaml");
        char errstr[512];
        size_t n = config->nkafka;

        cr_assert_eq(
            cdr_config_set(config, "linger.ms", "50", errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
        cr_expect_eq(config->nkafka, n);
        cr_expect_str_eq(config->kafka[6].name, "linger.ms");
        cr_expect_str_eq(config->kafka[6].value, "50");
        cr_expect_eq(config->kafka[6].line, 0);

        cr_assert_eq(cdr_config_set(config, "client.id", "cdranon-1", errstr,
                                    sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        cr_assert_eq(config->nkafka, n + 1);
        cr_expect_str_eq(config->kafka[n].name, "client.id");
        cr_expect_str_eq(config->kafka[n].value, "cdranon-1");

        cr_expect_eq(cdr_config_set(config, "no.such.property", "1", errstr,
                                    sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_expect(strncmp(errstr, "-X no.such.property: ", 21) == 0, "%s",
                  errstr);
        cr_expect_eq(
            cdr_config_set(config, "linger.ms", "soon", errstr, sizeof(errstr)),
            CDR_ERR_INVAL);
        cr_expect(strncmp(errstr, "-X linger.ms: ", 14) == 0, "%s", errstr);
        cr_expect_eq(cdr_config_set(config, "", "x", errstr, sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_expect_eq(config->nkafka, n + 1);
        cr_expect_str_eq(config->kafka[6].value, "50");
        cdr_config_destroy(config);
}

/* --- describe -------------------------------------------------------- */

Test(config, describe_hides_secrets)
{
        cdr_config_t *config = load_ok("full.yaml");
        cdr_engine_t *engine;
        cdr_buf_t out = CDR_BUF_INIT;
        char errstr[1024];

        cr_assert_eq(cdr_config_set(config, "sasl.oauthbearer.config",
                                    "principal=cdranon secret=0auth-s3cret",
                                    errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        cr_assert_eq(cdr_config_describe(config, &out), CDR_OK);
        cr_expect_not_null(strstr(out.data, "kafka.sasl.password: (hidden)\n"));
        cr_expect_not_null(
            strstr(out.data, "kafka.ssl.key.password: (hidden)\n"));
        cr_expect_not_null(
            strstr(out.data, "kafka.sasl.oauthbearer.config: (hidden)\n"));
        cr_expect_not_null(strstr(out.data, "kafka.sasl.username: cdranon\n"));
        cr_expect_not_null(strstr(
            out.data, "kafka.bootstrap.servers: broker1:9092,broker2:9092\n"));
        cr_expect_null(strstr(out.data, "s3cr3t-pa55"));
        cr_expect_null(strstr(out.data, "k3y-pa55"));
        cr_expect_null(strstr(out.data, "0auth-s3cret"));

        cr_expect_not_null(strstr(out.data, "pipeline.threads: 4\n"));
        cr_expect_not_null(strstr(out.data, "delivery: at-least-once\n"));
        cr_expect_not_null(strstr(out.data, "output.anonymised.key: caller\n"));
        cr_expect_not_null(strstr(out.data,
                                  "suppression.fields: [calling_number, "
                                  "called_number]\n"));
        cr_expect_not_null(strstr(out.data, "keys.custodian_public[0]: "), "%s",
                           out.data);
        cr_expect_not_null(strstr(out.data, "(from 2026-11-01T00:00:00Z "
                                            "until 2026-12-01T00:00:00Z)\n"));
        /* data only: the policy is the engine's to describe */
        cr_expect_null(strstr(out.data, "# policy\n"));
        engine = cdr_engine_new(config, 0, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        cdr_buf_reset(&out);
        cr_assert_eq(cdr_engine_describe(engine, &out), CDR_OK);
        cr_expect_eq(strncmp(out.data, "# policy\n", 9), 0, "%s", out.data);
        cr_expect_not_null(strstr(out.data, "caller"));
        cdr_engine_destroy(engine);
        cdr_buf_free(&out);
        cdr_config_destroy(config);
}

/* Every knob that describe prints is documented in docs/configuration.md.
 */
Test(config, every_key_documented)
{
        cdr_config_t *config = load_ok("full.yaml");
        cdr_buf_t out = CDR_BUF_INIT;
        char name[128], quoted[136], *doc, *line, *end;
        FILE *f;
        long size;
        size_t len, count = 0;

        f = fopen("docs/configuration.md", "r");
        cr_assert_not_null(f, "docs/configuration.md missing");
        cr_assert_eq(fseek(f, 0, SEEK_END), 0);
        size = ftell(f);
        rewind(f);
        doc = calloc(1, (size_t)size + 1);
        cr_assert_not_null(doc);
        cr_assert_eq(fread(doc, 1, (size_t)size, f), (size_t)size);
        fclose(f);

        cr_assert_eq(cdr_config_describe(config, &out), CDR_OK);
        for (line = strchr(out.data, '\n') + 1;
             *line != '\0' && strncmp(line, "# policy", 8) != 0;
             line = end + 1) {
                end = strchr(line, '\n');
                len = strcspn(line, ":[");
                if (strncmp(line, "kafka.", 6) == 0)
                        len = 5; /* properties are librdkafka's */
                snprintf(name, sizeof(name), "%.*s", (int)len, line);
                snprintf(quoted, sizeof(quoted), "`%s`", name);
                cr_expect_not_null(strstr(doc, quoted), "%s undocumented",
                                   name);
                count++;
        }
        cr_expect_geq(count, 30);
        free(doc);
        cdr_buf_free(&out);
        cdr_config_destroy(config);
}
