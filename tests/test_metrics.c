/*
 * Metrics: the registry's text exposition (format 0.0.4), label
 * escaping, histogram invariants, dead-letter reason classes, consumer
 * lag out of librdkafka statistics, listen addresses, and the HTTP
 * server over a real socket.
 */
#include "cdranon/csv.h"
#include "cdranon/json.h"
#include "cdranon/listen.h"
#include "cdranon/metrics.h"
#include "cdranon/metrics_daemon.h"
#include "cdranon/metrics_http.h"
#include "cdranon/policy.h"
#include "cdranon/reason.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char *render(cdr_metrics_t *m)
{
        cdr_buf_t out = CDR_BUF_INIT;

        cr_assert_eq(cdr_metrics_render(m, &out), CDR_OK);
        cr_assert_not_null(out.data);
        return out.data;
}

Test(metrics, exposition)
{
        static const char *const lab[] = {"topic", "partition"};
        static const double bounds[] = {0.5, 1};
        const char *v1[] = {"cdr.raw", "0"}, *v2[] = {"cdr.raw", "1"};
        cdr_metrics_t *m = cdr_metrics_new();
        cdr_metric_t *c, *g, *h;
        char err[256], *text;

        cr_assert_not_null(m);
        c = cdr_metrics_add(m, CDR_METRIC_COUNTER, "x_records_total",
                            "Records in.", NULL, 0, NULL, 0, err, sizeof(err));
        g = cdr_metrics_add(m, CDR_METRIC_GAUGE, "x_lag", "Lag.", lab, 2, NULL,
                            0, err, sizeof(err));
        h = cdr_metrics_add(m, CDR_METRIC_HISTOGRAM, "x_seconds", "Time.", NULL,
                            0, bounds, 2, err, sizeof(err));
        cr_assert(c != NULL && g != NULL && h != NULL, "%s", err);
        cr_assert_eq(cdr_metric_set(c, NULL, 41), CDR_OK);
        cr_assert_eq(cdr_metric_add(c, NULL, 1), CDR_OK);
        cr_assert_eq(cdr_metric_set(g, v1, 7), CDR_OK);
        cr_assert_eq(cdr_metric_set(g, v2, 0), CDR_OK);
        cr_assert_eq(cdr_metric_observe(h, NULL, 0.25), CDR_OK);
        cr_assert_eq(cdr_metric_observe(h, NULL, 1), CDR_OK);
        cr_assert_eq(cdr_metric_observe(h, NULL, 3), CDR_OK);
        text = render(m);
        cr_assert_str_eq(text, "# HELP x_records_total Records in.\n"
                               "# TYPE x_records_total counter\n"
                               "x_records_total 42\n"
                               "# HELP x_lag Lag.\n"
                               "# TYPE x_lag gauge\n"
                               "x_lag{topic=\"cdr.raw\",partition=\"0\"} 7\n"
                               "x_lag{topic=\"cdr.raw\",partition=\"1\"} 0\n"
                               "# HELP x_seconds Time.\n"
                               "# TYPE x_seconds histogram\n"
                               "x_seconds_bucket{le=\"0.5\"} 1\n"
                               "x_seconds_bucket{le=\"1\"} 2\n"
                               "x_seconds_bucket{le=\"+Inf\"} 3\n"
                               "x_seconds_sum 4.25\n"
                               "x_seconds_count 3\n");
        free(text);

        /* A cleared labelled metric keeps its HELP and TYPE only. */
        cdr_metric_clear(g);
        text = render(m);
        cr_assert_not_null(strstr(text, "# TYPE x_lag gauge\n# HELP x_sec"));
        free(text);

        /* Wrong operation for the type. */
        cr_assert_eq(cdr_metric_observe(c, NULL, 1), CDR_ERR_INVAL);
        cr_assert_eq(cdr_metric_set(h, NULL, 1), CDR_ERR_INVAL);
        cr_assert_eq(cdr_metric_set(g, NULL, 1), CDR_ERR_INVAL);
        cdr_metrics_destroy(m);
}

Test(metrics, label_and_help_escaping)
{
        static const char *const lab[] = {"key_id"};
        const char *value[] = {"a\\b\"c\nd"};
        cdr_metrics_t *m = cdr_metrics_new();
        cdr_metric_t *g;
        char err[256], *text;

        g = cdr_metrics_add(m, CDR_METRIC_GAUGE, "x_info",
                            "Back\\slash\nand \"q\"", lab, 1, NULL, 0, err,
                            sizeof(err));
        cr_assert_not_null(g, "%s", err);
        cr_assert_eq(cdr_metric_set(g, value, 1), CDR_OK);
        text = render(m);
        /* Label values escape \, " and newline; HELP only \ and newline. */
        cr_assert_str_eq(text, "# HELP x_info Back\\\\slash\\nand \"q\"\n"
                               "# TYPE x_info gauge\n"
                               "x_info{key_id=\"a\\\\b\\\"c\\nd\"} 1\n");
        free(text);
        cdr_metrics_destroy(m);
}

Test(metrics, bad_definitions)
{
        static const char *const le[] = {"le"};
        static const char *const bad[] = {"0x"};
        static const double down[] = {1, 0.5};
        static const double one[] = {1};
        cdr_metrics_t *m = cdr_metrics_new();
        char err[256];

        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_COUNTER, "x_count", "",
                                       NULL, 0, NULL, 0, err, sizeof(err)));
        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_GAUGE, "9x", "", NULL, 0,
                                       NULL, 0, err, sizeof(err)));
        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_GAUGE, "x-y", "", NULL, 0,
                                       NULL, 0, err, sizeof(err)));
        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_GAUGE, "x", "", bad, 1,
                                       NULL, 0, err, sizeof(err)));
        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_HISTOGRAM, "x", "", le, 1,
                                       one, 1, err, sizeof(err)));
        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_HISTOGRAM, "x", "", NULL,
                                       0, down, 2, err, sizeof(err)));
        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_HISTOGRAM, "x", "", NULL,
                                       0, NULL, 0, err, sizeof(err)));
        cr_assert_null(cdr_metrics_add(m, CDR_METRIC_GAUGE, "x", "", NULL, 0,
                                       one, 1, err, sizeof(err)));
        cr_assert_not_null(cdr_metrics_add(m, CDR_METRIC_GAUGE, "x:y_z", "",
                                           NULL, 0, NULL, 0, err, sizeof(err)));
        cdr_metrics_destroy(m);
}

/* Reads the value after `prefix` on its line in text. */
static double value_of(const char *text, const char *prefix)
{
        const char *p = strstr(text, prefix);

        cr_assert_not_null(p, "no line %s", prefix);
        return strtod(p + strlen(prefix), NULL);
}

Test(metrics, histogram_invariants)
{
        static const double values[] = {
            0,    1e-6, 1.5e-6, 2.5e-6, 9e-6, 1e-5, 3e-5, 7e-5, 1e-4, 2e-4,
            9e-4, 1e-3, 5e-3,   1e-2,   0.02, 1.0,  1e-7, 5e-6, 5e-5, 2.5e-4};
        static const char *const lab[] = {"stage"};
        const char *stage[] = {"parse"};
        cdr_metrics_t *m = cdr_metrics_new();
        cdr_hist_t h;
        cdr_metric_t *metric;
        char err[256], line[128], le[64], *text;
        double sum = 0, prev = 0, count;
        size_t i, nv = sizeof(values) / sizeof(values[0]);

        memset(&h, 0, sizeof(h));
        for (i = 0; i < nv; i++) {
                cdr_hist_observe(&h, cdr_stage_bounds, CDR_STAGE_NBOUNDS,
                                 values[i]);
                sum += values[i];
        }
        metric = cdr_metrics_add(m, CDR_METRIC_HISTOGRAM, "x_seconds", "", lab,
                                 1, cdr_stage_bounds, CDR_STAGE_NBOUNDS, err,
                                 sizeof(err));
        cr_assert_not_null(metric, "%s", err);
        cr_assert_eq(cdr_metric_set_hist(metric, stage, &h), CDR_OK);
        text = render(m);
        count = value_of(text, "x_seconds_count{stage=\"parse\"} ");
        cr_assert_eq(count, (double)nv);
        cr_assert_float_eq(value_of(text, "x_seconds_sum{stage=\"parse\"} "),
                           sum, 1e-12);
        for (i = 0; i <= CDR_STAGE_NBOUNDS; i++) {
                size_t j, expect = 0;
                double b;

                if (i < CDR_STAGE_NBOUNDS)
                        snprintf(le, sizeof(le), "%.15g", cdr_stage_bounds[i]);
                else
                        snprintf(le, sizeof(le), "+Inf");
                snprintf(line, sizeof(line),
                         "x_seconds_bucket{stage=\"parse\",le=\"%s\"} ", le);
                b = value_of(text, line);
                /* Cumulative and inclusive: le counts v <= bound. */
                for (j = 0; j < nv; j++)
                        if (i == CDR_STAGE_NBOUNDS ||
                            values[j] <= cdr_stage_bounds[i])
                                expect++;
                cr_assert_eq(b, (double)expect, "le=%s: %g, expected %zu", le,
                             b, expect);
                cr_assert_geq(b, prev);
                prev = b;
        }
        cr_assert_eq(prev, count, "+Inf bucket equals count");
        free(text);

        /* Merging adds bucket by bucket. */
        {
                cdr_hist_t twice = h;

                cdr_hist_merge(&twice, &h);
                cr_assert_eq(twice.count, 2 * h.count);
                for (i = 0; i <= CDR_HIST_BOUNDS_MAX; i++)
                        cr_assert_eq(twice.bucket[i], 2 * h.bucket[i]);
        }
        cdr_metrics_destroy(m);
}

/*
 * Dead-letter rules as the code reports them: each producer (the CSV
 * and JSON readers, the policy with number.c's and civil.c's rules, the
 * transform's length check in test_transform.c) is run on an input that
 * breaks one rule, and the code it returns beside its text must name
 * that rule.
 */

static char reason_buf[512];
static cdr_reason_t reason_code;

/* A schema of fields a, b, c, for the readers. */
static cdr_schema_t *abc_schema(void)
{
        cdr_schema_t *schema = cdr_schema_new();

        cr_assert_not_null(schema);
        cr_assert_geq(cdr_schema_add(schema, "a", 1), 0);
        cr_assert_geq(cdr_schema_add(schema, "b", 1), 0);
        cr_assert_geq(cdr_schema_add(schema, "c", 1), 0);
        return schema;
}

static const char *csv_reason(const char *rec)
{
        static const char *const columns[] = {"a", "b", "c"};
        cdr_schema_t *schema = abc_schema();
        cdr_record_t record = {0};
        char err[256];
        cdr_csv_t *csv = cdr_csv_new(',', schema, err, sizeof(err));

        cr_assert_not_null(csv, "%s", err);
        cr_assert_eq(cdr_csv_set_columns(csv, columns, 3, err, sizeof(err)),
                     CDR_OK, "%s", err);
        reason_buf[0] = '\0';
        cr_assert_eq(cdr_csv_parse(csv, rec, strlen(rec), &record, reason_buf,
                                   sizeof(reason_buf)),
                     CDR_ERR_MALFORMED, "csv '%s' parsed", rec);
        reason_code = record.reason;
        cdr_record_free(&record);
        cdr_csv_destroy(csv);
        cdr_schema_destroy(schema);
        return reason_buf;
}

static const char *json_reason(const char *rec)
{
        cdr_schema_t *schema = abc_schema();
        cdr_record_t record = {0};

        reason_buf[0] = '\0';
        cr_assert_eq(cdr_json_parse(schema, rec, strlen(rec), &record,
                                    reason_buf, sizeof(reason_buf)),
                     CDR_ERR_MALFORMED, "json '%.60s' parsed", rec);
        reason_code = record.reason;
        cdr_record_free(&record);
        cdr_schema_destroy(schema);
        return reason_buf;
}

/* The policy's reason for field f, made by `action`, holding `value`,
 * under the default numbering plan with short codes of up to
 * `short_max` digits. */
static const char *policy_reason_plan(const char *action, const char *value,
                                      unsigned short_max)
{
        cdr_numbering_t plan;
        cdr_policy_t *policy;
        cdr_record_t record = {0};
        cdr_buf_t json = CDR_BUF_INIT;
        char err[256], pseudonym[CDR_PSEUDONYM_MAX + 1];
        size_t keylen;
        int slot;

        cdr_numbering_default(&plan);
        plan.short_code_max_digits = short_max;
        policy = cdr_policy_new(&plan);
        cr_assert_not_null(policy);
        cr_assert_eq(
            cdr_policy_add_field(policy, "f", action, NULL, err, sizeof(err)),
            CDR_OK, "%s: %s", action, err);
        cr_assert_eq(
            cdr_record_reset(&record,
                             cdr_schema_count(cdr_policy_schema(policy)), 0),
            CDR_OK);
        slot = cdr_schema_find(cdr_policy_schema(policy), "f", 1);
        record.value[slot].p = value;
        record.value[slot].n = strlen(value);
        reason_buf[0] = '\0';
        /* No pseudonymiser: every case breaks a rule before one is
         * needed. */
        cr_assert_eq(cdr_policy_apply(policy, NULL, NULL, &record, &json,
                                      pseudonym, &keylen, &reason_code,
                                      reason_buf, sizeof(reason_buf)),
                     CDR_VERDICT_DEAD, "%s '%s' not dead-lettered", action,
                     value);
        cdr_buf_free(&json);
        cdr_record_free(&record);
        cdr_policy_destroy(policy);
        return reason_buf;
}

static const char *policy_reason(const char *action, const char *value)
{
        return policy_reason_plan(action, value, 6);
}

/* The last producer's code names `name`; `reason` is its text. */
static void expect_class(const char *reason, const char *name)
{
        cr_assert_lt((unsigned)reason_code, CDR_REASON_COUNT);
        cr_expect_str_eq(cdr_reason_name(reason_code), name, "reason '%s'",
                         reason);
        cr_expect_neq(reason[0], '\0', "a text beside the code");
}

Test(metrics, reason_classes_of_the_readers)
{
        char many[CDR_JSON_MAX_FIELDS * 12 + 16];
        size_t i, n = 0;

        expect_class(csv_reason("1,\"2,3"), "csv_syntax");
        expect_class(csv_reason("1,\"2\"x,3"), "csv_syntax");
        expect_class(csv_reason("1,2\"2,3"), "csv_syntax");
        expect_class(csv_reason("1,2\n2,3"), "csv_syntax");
        expect_class(csv_reason("1,2"), "csv_column_count");
        expect_class(csv_reason("1,2,3,4"), "csv_column_count");
        expect_class(csv_reason(""), "csv_empty_record");

        expect_class(json_reason("{\"a\":1"), "json_syntax");
        expect_class(json_reason("{\"a\":tru}"), "json_syntax");
        expect_class(json_reason("{\"a\":1} x"), "json_syntax");
        expect_class(json_reason("{\"a\":01}"), "json_syntax");
        expect_class(json_reason("{\"a\":\"\\q\"}"), "json_syntax");
        expect_class(json_reason("[1]"), "json_not_an_object");
        expect_class(json_reason("{\"a\":\"\xff\"}"), "json_invalid_utf8");
        expect_class(json_reason("{\"a\":{}}"), "json_nested");
        expect_class(json_reason("{\"a\":[]}"), "json_nested");
        /* input field names are never what decides */
        expect_class(json_reason("{\"nested arrays are not accepted\":1,"
                                 "\"nested arrays are not accepted\":2}"),
                     "json_duplicate_field");
        expect_class(json_reason("{\"a\":1,\"a\":2}"), "json_duplicate_field");
        expect_class(json_reason("{\"duplicate x\":tru}"), "json_syntax");
        n += (size_t)snprintf(many, sizeof(many), "{");
        for (i = 0; i <= CDR_JSON_MAX_FIELDS; i++)
                n += (size_t)snprintf(many + n, sizeof(many) - n,
                                      "%s\"x%zu\":1", i ? "," : "", i);
        snprintf(many + n, sizeof(many) - n, "}");
        expect_class(json_reason(many), "json_too_many_fields");
}

Test(metrics, reason_classes_of_the_policy)
{
        static const struct {
                const char *action, *value, *name;
        } cases[] = {
            {"pseudonymise msisdn", "07700 9001x3", "number_malformed"},
            {"pseudonymise msisdn", "+44+7700900123", "number_malformed"},
            {"prefix 4", "0770*0900123", "number_malformed"},
            {"pseudonymise msisdn", "tel:", "number_malformed"},
            {"pseudonymise msisdn", "+", "number_malformed"},
            /* counted as "other" while classes came from the text */
            {"pseudonymise msisdn", "sip:@example.com", "number_malformed"},
            {"pseudonymise msisdn",
             "tel:+447700900123;ext=", "number_uri_parameter"},
            {"pseudonymise msisdn",
             "tel:62889;phone-context=+247;phone-context=+44",
             "number_uri_parameter"},
            {"pseudonymise msisdn", "tel:7700900123;phone-context=example.com",
             "number_phone_context"},
            {"pseudonymise msisdn", "tel:+447700900123;phone-context=+33",
             "number_phone_context"},
            {"pseudonymise msisdn", "+112125550123", "number_trunk_prefix"},
            {"country", "+4477009001231234567", "number_too_long"},
            {"pseudonymise msisdn", "+44123", "number_too_short"},
            {"pseudonymise msisdn", "+2812345678", "number_country_code"},
            {"pseudonymise msisdn", "+0123456789", "number_country_code"},
            {"pseudonymise imsi", "23415", "imsi_malformed"},
            {"pseudonymise imsi", "23415x449902300", "imsi_malformed"},
            {"tac", "35290611938905x", "imei_malformed"},
            {"pseudonymise imei", "3529061193", "imei_malformed"},
            {"keep number", "12a", "value_not_a_number"},
            {"bucket 0,60", "1.00000000000000000000000000000000000000001",
             "value_not_a_number"},
            {"keep", "\xff", "value_invalid_utf8"},
            {"truncate hour", "2026-11-27Tnoon", "timestamp_malformed"},
            {"truncate hour", "2026-13-27T00:00:00Z", "timestamp_out_of_range"},
            {"truncate hour", "99999999999999", "timestamp_out_of_range"},
        };
        char id[CDR_CANON_MAX + 8];
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                expect_class(policy_reason(cases[i].action, cases[i].value),
                             cases[i].name);
        memset(id, 'x', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0';
        expect_class(policy_reason("pseudonymise id", id), "id_too_long");
        /* too many digits for a short code, too few for a national
         * number: only with short codes shorter than 6 digits */
        expect_class(policy_reason_plan("pseudonymise msisdn", "12345", 3),
                     "number_too_short");
}

Test(metrics, reason_names)
{
        char *doc, quoted[64];
        unsigned c, d;
        long size;
        FILE *f;

        cr_assert_str_eq(cdr_reason_name(CDR_REASON_OTHER), "other");
        cr_assert_null(cdr_reason_name(CDR_REASON_COUNT));
        cr_assert_null(cdr_reason_name((cdr_reason_t)-1));
        f = fopen("docs/operations.md", "r");
        cr_assert_not_null(f);
        cr_assert_eq(fseek(f, 0, SEEK_END), 0);
        size = ftell(f);
        rewind(f);
        doc = calloc(1, (size_t)size + 1);
        cr_assert_eq(fread(doc, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        /* Every code has a name: snake_case, its own, documented. */
        for (c = 0; c < CDR_REASON_COUNT; c++) {
                const char *n = cdr_reason_name((cdr_reason_t)c);

                cr_assert_not_null(n, "code %u", c);
                cr_assert_eq(strspn(n, "abcdefghijklmnopqrstuvwxyz_8"),
                             strlen(n), "%s", n);
                for (d = 0; d < c; d++)
                        cr_assert_str_neq(n, cdr_reason_name((cdr_reason_t)d));
                snprintf(quoted, sizeof(quoted), "`%s`", n);
                cr_expect_not_null(strstr(doc, quoted),
                                   "%s is not in docs/operations.md", n);
        }
        free(doc);
}

/* An abridged librdkafka 2.0 consumer statistics document. */
static const char STATS[] =
    "{\"name\":\"rdkafka#consumer-2\",\"type\":\"consumer\",\"ts\":1,"
    "\"brokers\":{\"b1\":{\"name\":\"b1\",\"toppars\":{\"cdr.raw-0\":"
    "{\"topic\":\"cdr.raw\",\"partition\":0}}}},"
    "\"topics\":{"
    "\"other\":{\"topic\":\"other\",\"partitions\":{\"0\":{\"partition\":0,"
    "\"fetch_state\":\"active\",\"app_offset\":1,\"committed_offset\":1,"
    "\"lo_offset\":0,\"hi_offset\":99,\"ls_offset\":99}}},"
    "\"cdr.raw\":{\"topic\":\"cdr.raw\",\"age\":5,\"metadata_age\":3,"
    "\"batchsize\":{\"min\":0,\"max\":0,\"hdrsize\":14},"
    "\"partitions\":{"
    "\"0\":{\"partition\":0,\"broker\":1,\"leader\":1,\"desired\":true,"
    "\"fetch_state\":\"active\",\"app_offset\":120,"
    "\"committed_offset\":100,\"lo_offset\":0,\"hi_offset\":150,"
    "\"ls_offset\":140,\"consumer_lag\":40,\"txmsgs\":0,"
    "\"msgq_cnt\":0,\"eof_offset\":-1,\"stored_offset\":-1001},"
    "\"1\":{\"partition\":1,\"fetch_state\":\"active\",\"app_offset\":-1001,"
    "\"committed_offset\":-1001,\"lo_offset\":10,\"hi_offset\":30,"
    "\"ls_offset\":30},"
    "\"2\":{\"partition\":2,\"fetch_state\":\"none\",\"app_offset\":-1,"
    "\"committed_offset\":-1,\"lo_offset\":-1,\"hi_offset\":-1,"
    "\"ls_offset\":-1},"
    "\"3\":{\"partition\":3,\"fetch_state\":\"active\",\"app_offset\":500,"
    "\"committed_offset\":500,\"lo_offset\":0,\"hi_offset\":500,"
    "\"ls_offset\":500},"
    "\"-1\":{\"partition\":-1,\"fetch_state\":\"none\",\"app_offset\":-1,"
    "\"committed_offset\":-1,\"lo_offset\":-1,\"hi_offset\":-1,"
    "\"ls_offset\":-1,\"note\":\"a \\\"quoted\\\" string\"}}}},"
    "\"cgrp\":{\"state\":\"up\",\"assignment_size\":3},\"list\":[1,[2,{}],"
    "null,true,-1.5e3]}";

Test(metrics, kafka_stats_lag)
{
        cdr_partition_lag_t lag[8];
        size_t n;

        cr_assert_eq(
            cdr_kafka_stats_lag(STATS, strlen(STATS), "cdr.raw", 1, lag, 8, &n),
            CDR_OK);
        cr_assert_eq(n, 3);
        /* ls_offset 140 - max(app 120, committed 100) */
        cr_assert_eq(lag[0].partition, 0);
        cr_assert_eq(lag[0].lag, 20);
        /* no position yet: from the low watermark */
        cr_assert_eq(lag[1].partition, 1);
        cr_assert_eq(lag[1].lag, 20);
        cr_assert_eq(lag[2].partition, 3);
        cr_assert_eq(lag[2].lag, 0);

        /* read_uncommitted measures to the high watermark */
        cr_assert_eq(
            cdr_kafka_stats_lag(STATS, strlen(STATS), "cdr.raw", 0, lag, 8, &n),
            CDR_OK);
        cr_assert_eq(lag[0].lag, 30);

        cr_assert_eq(
            cdr_kafka_stats_lag(STATS, strlen(STATS), "absent", 1, lag, 8, &n),
            CDR_OK);
        cr_assert_eq(n, 0);
        /* Truncated and broken documents. */
        cr_assert_eq(cdr_kafka_stats_lag(STATS, strlen(STATS) - 1, "cdr.raw", 1,
                                         lag, 8, &n),
                     CDR_ERR_MALFORMED);
        cr_assert_eq(cdr_kafka_stats_lag("[1]", 3, "cdr.raw", 1, lag, 8, &n),
                     CDR_ERR_MALFORMED);
        cr_assert_eq(
            cdr_kafka_stats_lag("{\"topics\":{\"t\":", 15, "t", 1, lag, 8, &n),
            CDR_ERR_MALFORMED);
        /* Fields of the wrong type. */
        static const char *const wrong[] = {
            "{\"topics\":[]}",
            "{\"topics\":{\"t\":{\"partitions\":{\"0\":1}}}}",
            "{\"topics\":{\"t\":{\"partitions\":{\"0\":{\"hi_offset\":"
            "1.5}}}}}",
            "{\"topics\":{\"t\":{\"partitions\":{\"0\":{\"fetch_state\":"
            "1}}}}}",
        };
        size_t i;

        for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
                cr_assert_eq(cdr_kafka_stats_lag(wrong[i], strlen(wrong[i]),
                                                 "t", 1, lag, 8, &n),
                             CDR_ERR_MALFORMED, "%s", wrong[i]);
}

Test(metrics, daemon_lag_gauges)
{
        cdr_metrics_t *m = cdr_metrics_new();
        cdr_daemon_metrics_t *d;
        char err[256], *text;

        d = cdr_daemon_metrics_new(m, err, sizeof(err));
        cr_assert_not_null(d, "%s", err);
        cr_assert_eq(cdr_daemon_metrics_kafka_stats(d, STATS, strlen(STATS),
                                                    "cdr.raw", 1),
                     CDR_OK);
        text = render(m);
        cr_assert_not_null(strstr(
            text,
            "cdranon_consumer_lag{topic=\"cdr.raw\",partition=\"0\"} 20\n"));
        cr_assert_not_null(strstr(
            text,
            "cdranon_consumer_lag{topic=\"cdr.raw\",partition=\"3\"} 0\n"));
        cr_assert_null(strstr(text, "partition=\"2\""));
        cr_assert_null(strstr(text, "topic=\"other\""));
        free(text);
        /* A broken document leaves the gauges as they were. */
        cr_assert_eq(cdr_daemon_metrics_kafka_stats(d, "{", 1, "cdr.raw", 1),
                     CDR_ERR_MALFORMED);
        text = render(m);
        cr_assert_not_null(strstr(text, "partition=\"0\"} 20\n"));
        free(text);
        cdr_daemon_metrics_destroy(d);
        cdr_metrics_destroy(m);
}

Test(metrics, daemon_names)
{
        static const char *const names[] = {
            "cdranon_records_in_total",
            "cdranon_records_published_total",
            "cdranon_purpose_records_published_total",
            "cdranon_records_suppressed_total",
            "cdranon_records_dead_lettered_total",
            "cdranon_records_sealed_total",
            "cdranon_transactions_committed_total",
            "cdranon_transactions_aborted_total",
            "cdranon_rebalances_total",
            "cdranon_producer_recreations_total",
            "cdranon_pseudonym_cache_hits_total",
            "cdranon_pseudonym_cache_misses_total",
            "cdranon_stage_duration_seconds",
            "cdranon_end_to_end_seconds",
            "cdranon_consumer_lag",
            "cdranon_key_info",
            "cdranon_sealer_epochs_total",
        };
        cdr_metrics_t *m = cdr_metrics_new();
        cdr_daemon_metrics_t *d;
        char err[256], type[128], *text;
        size_t i;

        d = cdr_daemon_metrics_new(m, err, sizeof(err));
        cr_assert_not_null(d, "%s", err);
        text = render(m);
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(type, sizeof(type), "# TYPE %s ", names[i]);
                cr_assert_not_null(strstr(text, type), "%s", names[i]);
        }
        free(text);
        cdr_daemon_metrics_destroy(d);
        cdr_metrics_destroy(m);
}

Test(metrics, listen_addresses)
{
        static const struct {
                const char *addr;
                int ok;
        } cases[] = {
            {"127.0.0.1:9464", 1}, {"0.0.0.0:0", 1},  {"localhost:80", 1},
            {"[::1]:9464", 1},     {"[::]:65535", 1}, {"", 0},
            {"9464", 0},           {":9464", 0},      {"host:", 0},
            {"host:65536", 0},     {"host:12x", 0},   {"::1:9464", 0},
            {"[::1:9464", 0},      {"[]:9464", 0},    {"host:-1", 0},
            {"host:123456", 0},
        };
        char err[256];
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                err[0] = '\0';
                cr_assert_eq(
                    cdr_listen_check(cases[i].addr, err, sizeof(err)) == CDR_OK,
                    cases[i].ok, "'%s': %s", cases[i].addr, err);
                if (!cases[i].ok)
                        cr_assert_neq(err[0], '\0');
        }
}

/* One HTTP/1.0 request to 127.0.0.1:port; returns the whole response
 * (status line, headers, body), to be freed. */
static char *http(int port, const char *method, const char *path)
{
        struct sockaddr_in sa;
        char req[256], *resp;
        size_t len = 0, cap = 65536;
        ssize_t n;
        int fd;

        fd = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert_geq(fd, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
        cr_assert_eq(write(fd, req, (size_t)n), n);
        resp = malloc(cap + 1);
        cr_assert_not_null(resp);
        while ((n = read(fd, resp + len, cap - len)) > 0) {
                len += (size_t)n;
                if (len == cap) {
                        cap *= 2;
                        resp = realloc(resp, cap + 1);
                        cr_assert_not_null(resp);
                }
        }
        resp[len] = '\0';
        close(fd);
        return resp;
}

static int status_of(const char *resp)
{
        int status = 0;

        cr_assert_eq(sscanf(resp, "HTTP/1.%*d %d", &status), 1, "%s", resp);
        return status;
}

static void expect(int port, const char *method, const char *path, int status,
                   const char *contains)
{
        char *resp = http(port, method, path);

        cr_assert_eq(status_of(resp), status, "%s %s: %s", method, path, resp);
        if (contains != NULL)
                cr_assert_not_null(strstr(resp, contains),
                                   "%s %s: no '%s' in %s", method, path,
                                   contains, resp);
        free(resp);
}

Test(metrics, http_server)
{
        cdr_metrics_t *m = cdr_metrics_new();
        cdr_metrics_server_t *server, *again;
        cdr_metric_t *c;
        char err[256], addr[64];
        int port;

        c = cdr_metrics_add(m, CDR_METRIC_COUNTER, "x_records_total",
                            "Records.", NULL, 0, NULL, 0, err, sizeof(err));
        cr_assert_not_null(c);
        cr_assert_eq(cdr_metric_set(c, NULL, 12345), CDR_OK);
        server = cdr_metrics_server_start(m, "127.0.0.1:0", err, sizeof(err));
        cr_assert_not_null(server, "%s", err);
        port = cdr_metrics_server_port(server);
        cr_assert_gt(port, 0);

        expect(port, "GET", "/metrics", 200,
               "Content-Type: text/plain; version=0.0.4");
        expect(port, "GET", "/metrics", 200, "\r\n\r\n# HELP x_records_total");
        expect(port, "GET", "/metrics", 200, "\nx_records_total 12345\n");
        expect(port, "HEAD", "/metrics", 200, NULL);
        /* Not running yet, then running without partitions, then ready. */
        expect(port, "GET", "/healthz", 503, NULL);
        expect(port, "GET", "/readyz", 503, NULL);
        cdr_metrics_set_running(m, 1);
        cr_assert(cdr_metrics_live(m));
        cr_assert(!cdr_metrics_ready(m));
        expect(port, "GET", "/healthz", 200, "\r\n\r\nok");
        expect(port, "GET", "/readyz", 503, NULL);
        cdr_metrics_heartbeat(m, 3);
        expect(port, "GET", "/readyz", 200, "\r\n\r\nok");
        cdr_metrics_heartbeat(m, 0);
        expect(port, "GET", "/readyz", 503, NULL);
        cdr_metrics_set_running(m, 0);
        expect(port, "GET", "/healthz", 503, NULL);

        expect(port, "GET", "/nope", 404, NULL);
        expect(port, "GET", "/metrics/x", 404, NULL);
        expect(port, "POST", "/metrics", 405, "Allow: GET, HEAD");
        expect(port, "DELETE", "/healthz", 405, NULL);

        /* The port is taken: a start-up error naming the address. */
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        again = cdr_metrics_server_start(m, addr, err, sizeof(err));
        cr_assert_null(again);
        cr_assert_not_null(strstr(err, addr), "%s", err);
        cr_assert_not_null(strstr(err, "metrics.listen"), "%s", err);

        cdr_metrics_server_stop(server);
        cdr_metrics_server_stop(NULL);
        cdr_metrics_destroy(m);
}
