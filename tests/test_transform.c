/*
 * The transform (engine + per-thread transform) and output buffers:
 * verdicts, sealed copies that open to the record as received,
 * dead-letter shape and key reload.  File-mode framing is in
 * test_filein.c.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdranon/buf.h"
#include "cdranon/filein.h"
#include "cdranon/reason.h"
#include "cdranon/transform.h"
#include "cdranon/keyfile.h"
#include "cdranon/unseal.h"

static char dir[64];
static char path_config[128], path_key[128], path_priv[128], path_pub[128];
static char errstr[1024];

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

        cr_assert(fd >= 0, "open %s", path);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        cr_assert_eq(fchmod(fd, mode), 0);
        close(fd);
}

static const char *config_text =
    "input:\n"
    "  format: csv\n"
    "  csv:\n"
    "    header: true\n"
    "keys:\n"
    "  hmac: hmac.key\n"
    "  custodian_public: custodian.pub\n"
    "output:\n"
    "  anonymised:\n"
    "    key: caller\n"
    "suppression:\n"
    "  file: optout.txt\n"
    "  fields: [calling_number]\n"
    "fields:\n"
    "  caller: {from: calling_number, action: pseudonymise msisdn}\n"
    "  hour: {from: start_time, action: truncate hour}\n"
    "  duration: keep number\n";

static void setup(void)
{
        snprintf(dir, sizeof(dir), "/tmp/cdranon-test-transform-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(path_config, sizeof(path_config), "%s/c.yaml", dir);
        snprintf(path_key, sizeof(path_key), "%s/hmac.key", dir);
        snprintf(path_priv, sizeof(path_priv), "%s/custodian.pem", dir);
        snprintf(path_pub, sizeof(path_pub), "%s/custodian.pub", dir);
        write_file(path_config, config_text, 0644);
        write_file(path_key,
                   "old 00000000000000000000000000000000000000000000000000"
                   "00000000000000\n"
                   "t1 000102030405060708090a0b0c0d0e0f101112131415161718"
                   "191a1b1c1d1e1f\n",
                   0600);
        {
                char optout[128];

                snprintf(optout, sizeof(optout), "%s/optout.txt", dir);
                write_file(optout, "07700 900999\n", 0644);
        }
        cr_assert_eq(
            cdr_custodian_keygen(path_priv, path_pub, errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
}

static void teardown(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(transform, .init = setup, .fini = teardown);

struct fixture {
        cdr_config_t *config;
        cdr_engine_t *engine;
        cdr_transform_t *t;
};

static void open_fixture(struct fixture *f, int seal)
{
        static const char header[] =
            "start_time,calling_number,duration,name\r\n";

        f->config = cdr_config_load(path_config, errstr, sizeof(errstr));
        cr_assert_not_null(f->config, "%s", errstr);
        f->engine = cdr_engine_new(f->config, seal, errstr, sizeof(errstr));
        cr_assert_not_null(f->engine, "%s", errstr);
        cr_assert(cdr_engine_wants_header(f->engine));
        cr_assert_eq(cdr_engine_set_header(f->engine, header,
                                           sizeof(header) - 1, errstr,
                                           sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        cr_assert_not(cdr_engine_wants_header(f->engine));
        f->t = cdr_transform_new(f->engine, errstr, sizeof(errstr));
        cr_assert_not_null(f->t, "%s", errstr);
}

static void close_fixture(struct fixture *f)
{
        cdr_transform_destroy(f->t);
        cdr_engine_destroy(f->engine);
        cdr_config_destroy(f->config);
}

static cdr_result_t run(struct fixture *f, const char *rec, uint64_t line)
{
        cdr_source_t source = {.file = "in.csv", .line = line};
        cdr_result_t result;

        cr_assert_eq(cdr_transform_record(f->t, rec, strlen(rec), &source,
                                          &result, errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        return result;
}

static int view_eq(cdr_view_t v, const char *s)
{
        return v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

Test(transform, publish_suppress_dead_and_counts)
{
        struct fixture f;
        cdr_result_t r;
        cdr_transform_stats_t stats;

        open_fixture(&f, 0);
        r = run(&f, "2026-11-27T21:13:45Z,07700 900123,61,Bob\n", 2);
        cr_assert_eq(r.verdict, CDR_VERDICT_PUBLISH);
        /* The pseudonym recomputed with `openssl dgst -sha256 -mac HMAC`
         * over "cdranon.v1.msisdn\0+447700900123" (docs/pseudonyms.md). */
        cr_assert(view_eq(r.anonymised,
                          "{\"caller\":\"t1:3zdikn4c636l2yz5b6ipb5xwxm\","
                          "\"hour\":\"2026-11-27T21:00:00Z\","
                          "\"duration\":61}"),
                  "%.*s", (int)r.anonymised.n, r.anonymised.p);
        cr_assert(view_eq(r.key, "t1:3zdikn4c636l2yz5b6ipb5xwxm"));
        cr_assert_eq(r.sealed.n, 0, "no sealing asked for");

        r = run(&f, "2026-11-27T21:13:45Z,+447700900999,5,Opted Out\n", 3);
        cr_assert_eq(r.verdict, CDR_VERDICT_SUPPRESS);

        r = run(&f, "2026-11-27T21:13:45Z,07700 9001x3,5,Eve\n", 4);
        cr_assert_eq(r.verdict, CDR_VERDICT_DEAD);
        cr_assert(view_eq(r.dead_letter,
                          "{\"reason\":\"field 'calling_number': "
                          "pseudonymise msisdn: letters in number\","
                          "\"source\":{\"file\":\"in.csv\",\"line\":4}}"),
                  "%.*s", (int)r.dead_letter.n, r.dead_letter.p);
        cr_assert_null(strstr(r.dead_letter.p, "9001"));

        r = run(&f, "2026-11-27T21:13:45Z,07700 900123,61\n", 5);
        cr_assert_eq(r.verdict, CDR_VERDICT_DEAD, "3 columns of 4");
        cr_assert(strncmp(r.reason, "csv", 3) == 0, "%s", r.reason);

        cdr_transform_stats(f.t, &stats);
        cr_assert_eq(stats.records, 4);
        cr_assert_eq(stats.published, 1);
        cr_assert_eq(stats.suppressed, 1);
        cr_assert_eq(stats.dead, 2);
        cr_assert_eq(stats.sealed, 0);
        close_fixture(&f);
}

Test(transform, every_record_sealed_as_received)
{
        static const char *const recs[] = {
            "2026-11-27T21:13:45Z,07700 900123,61,Bob\n",
            "2026-11-27T21:13:45Z,+447700900999,5,Opted Out\r\n",
            "2026-11-27T21:13:45Z,07700 9001x3,5,\"Eve, \"\"E\"\"\"\n",
            "garbage without the right columns",
        };
        struct fixture f;
        cdr_unsealer_t *unsealer;
        cdr_buf_t plain = CDR_BUF_INIT;
        cdr_sealed_meta_t meta;
        cdr_transform_stats_t stats;
        size_t i;

        open_fixture(&f, 1);
        unsealer = cdr_unsealer_new();
        cr_assert_not_null(unsealer);
        cr_assert_eq(cdr_unsealer_add_key_file(unsealer, path_priv, errstr,
                                               sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
                cdr_result_t r = run(&f, recs[i], 10 + i);

                cr_assert_gt(r.sealed.n, strlen(recs[i]));
                cr_assert_null(memmem(r.sealed.p, r.sealed.n, "07700", 5),
                               "the sealed bytes hold no plaintext");
                cr_assert_eq(cdr_unsealer_open(unsealer, r.sealed.p, r.sealed.n,
                                               &plain, &meta, errstr,
                                               sizeof(errstr)),
                             CDR_OK, "%s", errstr);
                cr_assert_eq(plain.len, strlen(recs[i]));
                cr_assert_eq(memcmp(plain.data, recs[i], plain.len), 0,
                             "record %zu byte for byte, line end included", i);
                cr_assert_str_eq(meta.source.file, "in.csv");
                cr_assert_eq(meta.source.line, 10 + i);
        }
        cdr_transform_stats(f.t, &stats);
        cr_assert_eq(stats.sealed, stats.records);
        cr_assert_eq(stats.records, 4);
        cdr_buf_free(&plain);
        cdr_unsealer_destroy(unsealer);
        close_fixture(&f);
}

Test(transform, oversized_record_is_dead_lettered)
{
        struct fixture f;
        cdr_result_t r;
        char *big;
        size_t n;

        open_fixture(&f, 0);
        n = f.config->max_record_bytes + 10;
        big = malloc(n + 1);
        memset(big, '7', n);
        big[n] = '\0';
        r = run(&f, big, 1);
        cr_assert_eq(r.verdict, CDR_VERDICT_DEAD);
        cr_assert(strstr(r.reason, "max_record_bytes") != NULL, "%s", r.reason);
        /* the rule a metric counts it under */
        cr_assert_str_eq(cdr_reason_name(r.code), "record_too_long");
        free(big);
        close_fixture(&f);
}

Test(transform, reload_switches_to_the_new_last_key)
{
        struct fixture f;
        cdr_result_t r;
        FILE *key;

        open_fixture(&f, 0);
        cr_assert_str_eq(cdr_engine_key_id(f.engine), "t1");
        key = fopen(path_key, "a");
        cr_assert_not_null(key);
        fprintf(key, "t2 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a0908"
                     "0706050403020100\n");
        fclose(key);
        cr_assert_eq(cdr_engine_reload(f.engine, errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        cr_assert_str_eq(cdr_engine_key_id(f.engine), "t2");
        r = run(&f, "2026-11-27T21:13:45Z,07700 900123,61,Bob\n", 2);
        cr_assert_eq(r.verdict, CDR_VERDICT_PUBLISH);
        cr_assert(r.key.n > 3 && memcmp(r.key.p, "t2:", 3) == 0);

        /* A broken key file is refused and the old ring stays. */
        chmod(path_key, 0644);
        cr_assert_neq(cdr_engine_reload(f.engine, errstr, sizeof(errstr)),
                      CDR_OK);
        cr_assert_str_eq(cdr_engine_key_id(f.engine), "t2");
        close_fixture(&f);
}

/* 1 when the sealed copy of r opens with the private key at `priv`. */
static int opens_with(cdr_result_t r, const char *priv)
{
        cdr_unsealer_t *unsealer = cdr_unsealer_new();
        cdr_buf_t plain = CDR_BUF_INIT;
        int ok;

        cr_assert_not_null(unsealer);
        cr_assert_eq(
            cdr_unsealer_add_key_file(unsealer, priv, errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
        ok = cdr_unsealer_open(unsealer, r.sealed.p, r.sealed.n, &plain, NULL,
                               errstr, sizeof(errstr)) == CDR_OK;
        cdr_buf_free(&plain);
        cdr_unsealer_destroy(unsealer);
        return ok;
}

Test(transform, reload_seals_to_the_new_custodian_key)
{
        struct fixture f;
        cdr_result_t r;
        char priv2[160];
        FILE *key;

        snprintf(priv2, sizeof(priv2), "%s/custodian2.pem", dir);
        open_fixture(&f, 1);
        r = run(&f, "2026-11-27T21:13:45Z,07700 900123,61,Bob\n", 2);
        cr_assert(opens_with(r, path_priv));

        /* The custodian publishes a new key at the same path. */
        unlink(path_pub);
        cr_assert_eq(
            cdr_custodian_keygen(priv2, path_pub, errstr, sizeof(errstr)),
            CDR_OK, "%s", errstr);
        cr_assert_eq(cdr_engine_reload(f.engine, errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        r = run(&f, "2026-11-27T21:14:45Z,07700 900124,62,Eve\n", 3);
        cr_assert(opens_with(r, priv2), "sealed to the new key");
        cr_assert_not(opens_with(r, path_priv), "not to the old one");

        /* A broken public key: the reload is refused as a whole, the
         * key ring appended to in the same change included. */
        key = fopen(path_key, "a");
        cr_assert_not_null(key);
        fprintf(key, "t3 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a0908"
                     "0706050403020100\n");
        fclose(key);
        write_file(path_pub, "not a key\n", 0644);
        cr_assert_neq(cdr_engine_reload(f.engine, errstr, sizeof(errstr)),
                      CDR_OK);
        cr_assert(strstr(errstr, "custodian.pub") != NULL, "%s", errstr);
        cr_assert_str_eq(cdr_engine_key_id(f.engine), "t1");
        r = run(&f, "2026-11-27T21:15:45Z,07700 900125,63,Al\n", 4);
        cr_assert(r.key.n > 3 && memcmp(r.key.p, "t1:", 3) == 0);
        cr_assert(opens_with(r, priv2), "still sealed to the second key");
        close_fixture(&f);
}

/* ---- buffers and error helpers ---- */

Test(transform, buffers_grow_and_keep_their_allocation)
{
        cdr_buf_t buf = CDR_BUF_INIT;
        char *before;
        int i;

        for (i = 0; i < 1000; i++)
                cr_assert_eq(cdr_buf_printf(&buf, "%d,", i), CDR_OK);
        cr_assert_eq(strncmp(buf.data, "0,1,2,", 6), 0);
        cr_assert_eq(buf.data[buf.len], '\0');
        before = buf.data;
        cdr_buf_reset(&buf);
        cr_assert_eq(buf.len, 0);
        cr_assert_eq(cdr_buf_puts(&buf, "again"), CDR_OK);
        cr_assert_eq(buf.data, before, "reset keeps the allocation");
        cr_assert_str_eq(buf.data, "again");
        cdr_buf_free(&buf);
        cr_assert_null(buf.data);
}

Test(transform, error_prefix_and_truncation)
{
        char small[16];

        cdr_errf(errstr, sizeof(errstr), "unknown action '%s'", "scramble");
        cdr_err_prefix(errstr, sizeof(errstr), "%s:%d: fields.x: ", "c.yaml",
                       12);
        cr_assert_str_eq(errstr,
                         "c.yaml:12: fields.x: unknown action 'scramble'");
        cdr_errf(small, sizeof(small), "%s", "a much longer message");
        cr_assert_eq(strlen(small), sizeof(small) - 1);
        cr_assert_str_eq(cdr_strerror(CDR_ERR_AUTH), "authentication failed");
}

/* The cell table is re-read on reload: the new table's values are
 * published; a table without the column a field needs, or a broken one,
 * is refused and the old one stays. */
Test(transform, reload_replaces_the_cell_table)
{
        static const char header[] = "start_time,calling_number,cell_id\n";
        char cells[128];
        cdr_config_t *config;
        cdr_engine_t *engine;
        cdr_transform_t *t;
        cdr_source_t source = {.file = "in.csv", .line = 2};
        cdr_result_t r;
        const char *rec = "2026-11-27T21:13:45Z,07700 900123,c1\n";

        snprintf(cells, sizeof(cells), "%s/cells.csv", dir);
        write_file(cells, "cell_id,area\nc1,A1\n", 0644);
        write_file(path_config,
                   "input: {format: csv, csv: {header: true}}\n"
                   "keys: {hmac: hmac.key}\n"
                   "cells: {file: cells.csv}\n"
                   "fields:\n"
                   "  area: {from: cell_id, action: cell area}\n",
                   0644);
        config = cdr_config_load(path_config, errstr, sizeof(errstr));
        cr_assert_not_null(config, "%s", errstr);
        engine = cdr_engine_new(config, 0, errstr, sizeof(errstr));
        cr_assert_not_null(engine, "%s", errstr);
        cr_assert_eq(cdr_engine_set_header(engine, header, sizeof(header) - 1,
                                           errstr, sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        t = cdr_transform_new(engine, errstr, sizeof(errstr));
        cr_assert_not_null(t, "%s", errstr);
        cr_assert_eq(cdr_transform_record(t, rec, strlen(rec), &source, &r,
                                          errstr, sizeof(errstr)),
                     CDR_OK);
        cr_expect(view_eq(r.anonymised, "{\"area\":\"A1\"}"));

        write_file(cells, "cell_id,area\nc1,A2\n", 0644);
        cr_assert_eq(cdr_engine_reload(engine, errstr, sizeof(errstr)), CDR_OK,
                     "%s", errstr);
        cr_assert_eq(cdr_transform_record(t, rec, strlen(rec), &source, &r,
                                          errstr, sizeof(errstr)),
                     CDR_OK);
        cr_expect(view_eq(r.anonymised, "{\"area\":\"A2\"}"));

        write_file(cells, "cell_id,district\nc1,D1\n", 0644);
        cr_assert_neq(cdr_engine_reload(engine, errstr, sizeof(errstr)),
                      CDR_OK);
        cr_expect(strstr(errstr, "fields.area: cell: no column 'area'") != NULL,
                  "%s", errstr);
        write_file(cells, "cell_id,area\nc1,\"A3\n", 0644);
        cr_assert_neq(cdr_engine_reload(engine, errstr, sizeof(errstr)),
                      CDR_OK);
        cr_expect(strstr(errstr, "cells.csv:2: column 2: quoted field not "
                                 "closed") != NULL,
                  "%s", errstr);
        cr_assert_eq(cdr_transform_record(t, rec, strlen(rec), &source, &r,
                                          errstr, sizeof(errstr)),
                     CDR_OK);
        cr_expect(view_eq(r.anonymised, "{\"area\":\"A2\"}"));
        cdr_transform_destroy(t);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
}

/* Purposes: one output per purpose, v2 pseudonyms of the purpose's
 * domain and the event time's period (known answers from Python's hmac:
 * key t1, "cdranon.v2.msisdn" 0 "beh/2026-11-27" 0 "+447700900123"),
 * one fate for all purposes. */
Test(transform, purposes_one_output_each_and_one_fate)
{
        static const char purposes_text[] =
            "input:\n"
            "  format: csv\n"
            "  event_time: start_time\n"
            "keys:\n"
            "  hmac: hmac.key\n"
            "suppression:\n"
            "  file: optout.txt\n"
            "  fields: [calling_number]\n"
            "purposes:\n"
            "  net:\n"
            "    fields:\n"
            "      hour: {from: start_time, action: truncate hour}\n"
            "  beh:\n"
            "    output: {topic: cdr.beh, key: caller}\n"
            "    rotate: day\n"
            "    fields:\n"
            "      caller: {from: calling_number, action: pseudonymise "
            "msisdn}\n";
        struct fixture f;
        cdr_result_t r;

        write_file(path_config, purposes_text, 0644);
        open_fixture(&f, 0);

        r = run(&f, "2026-11-27T10:20:00Z,07700900123,42,x\r\n", 2);
        cr_assert_eq(r.verdict, CDR_VERDICT_PUBLISH);
        cr_assert_eq(r.npurposes, 2);
        cr_expect_eq(r.anonymised.n, 0);
        cr_expect_str_eq(r.purposes[0].name, "net");
        cr_expect(view_eq(r.purposes[0].anonymised,
                          "{\"hour\":\"2026-11-27T10:00:00Z\"}"));
        cr_expect_eq(r.purposes[0].key.n, 0);
        cr_expect(view_eq(r.purposes[1].anonymised,
                          "{\"caller\":\"t1:ns2peab3rbavcrqwyzc3fcxzkm\"}"),
                  "%.*s", (int)r.purposes[1].anonymised.n,
                  r.purposes[1].anonymised.p);
        cr_expect(view_eq(r.purposes[1].key, "t1:ns2peab3rbavcrqwyzc3fcxzkm"));

        /* the next day, the next pseudonym; and back again */
        r = run(&f, "2026-11-28T00:00:00Z,07700900123,42,x\r\n", 3);
        cr_assert_eq(r.verdict, CDR_VERDICT_PUBLISH);
        cr_expect(view_eq(r.purposes[1].key, "t1:szroqcup4npeoo2zna4trmtzdq"));
        r = run(&f, "2026-11-27T23:59:59Z,07700900123,42,x\r\n", 4);
        cr_expect(view_eq(r.purposes[1].key, "t1:ns2peab3rbavcrqwyzc3fcxzkm"));

        /* suppressed for all */
        r = run(&f, "2026-11-27T10:20:00Z,07700900999,42,x\r\n", 5);
        cr_expect_eq(r.verdict, CDR_VERDICT_SUPPRESS);
        cr_expect_eq(r.npurposes, 0);

        /* a rotating purpose without a readable event time */
        r = run(&f, "yesterday,07700900123,42,x\r\n", 6);
        cr_assert_eq(r.verdict, CDR_VERDICT_DEAD);
        cr_expect_eq(r.code, CDR_REASON_EVENT_TIME_UNREADABLE);
        cr_expect_str_eq(cdr_reason_name(r.code), "event_time_unreadable");

        /* one purpose's rule dead-letters the record for all */
        r = run(&f, "2026-11-27T10:20:00Z,0770090012x,42,x\r\n", 7);
        cr_assert_eq(r.verdict, CDR_VERDICT_DEAD);
        cr_expect_eq(r.npurposes, 0);
        cr_expect(
            strncmp(r.reason, "purpose 'beh': field 'calling_number'", 37) == 0,
            "%s", r.reason);
        cr_expect_null(strstr(r.reason, "0770090012"));
        close_fixture(&f);
}
