/*
 * The Kafka helpers every Kafka command shares (kafka_util.h): which
 * role reads a property, the kafka: section with -X overrides, -X
 * parsing, configurations built from the section with errors that say
 * where a property came from, and the start-up topic check on
 * librdkafka's mock cluster (no broker needed).
 */
#include <criterion/criterion.h>

#include "cdranon/kafka_util.h"
#include "mock_cluster.h"

#include <string.h>

Test(kafka_util, properties_by_role)
{
        cr_expect(cdr_kafka_prop_foreign("group.id", CDR_KAFKA_PRODUCER));
        cr_expect(
            cdr_kafka_prop_foreign("isolation.level", CDR_KAFKA_PRODUCER));
        cr_expect(!cdr_kafka_prop_foreign("group.id", CDR_KAFKA_CONSUMER));
        cr_expect(cdr_kafka_prop_foreign("linger.ms", CDR_KAFKA_CONSUMER));
        cr_expect(
            cdr_kafka_prop_foreign("transactional.id", CDR_KAFKA_CONSUMER));
        cr_expect(!cdr_kafka_prop_foreign("linger.ms", CDR_KAFKA_PRODUCER));
        /* Properties of both roles go to both. */
        cr_expect(
            !cdr_kafka_prop_foreign("bootstrap.servers", CDR_KAFKA_PRODUCER));
        cr_expect(
            !cdr_kafka_prop_foreign("bootstrap.servers", CDR_KAFKA_CONSUMER));
        cr_expect(!cdr_kafka_prop_foreign("sasl.password", CDR_KAFKA_CONSUMER));
}

Test(kafka_util, split_prop)
{
        char name[16], errstr[128];
        const char *value = NULL;

        cr_assert_eq(cdr_kafka_split_prop("linger.ms=5", name, sizeof(name),
                                          &value, errstr, sizeof(errstr)),
                     CDR_OK);
        cr_expect_str_eq(name, "linger.ms");
        cr_expect_str_eq(value, "5");
        cr_assert_eq(cdr_kafka_split_prop("a=b=c", name, sizeof(name), &value,
                                          errstr, sizeof(errstr)),
                     CDR_OK);
        cr_expect_str_eq(name, "a");
        cr_expect_str_eq(value, "b=c", "the first '=' splits");
        cr_assert_eq(cdr_kafka_split_prop("empty=", name, sizeof(name), &value,
                                          errstr, sizeof(errstr)),
                     CDR_OK);
        cr_expect_str_eq(value, "");

        cr_expect_eq(cdr_kafka_split_prop("novalue", name, sizeof(name), &value,
                                          errstr, sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(errstr,
                         "-X: expected name=value, a librdkafka property");
        cr_expect_eq(cdr_kafka_split_prop("=5", name, sizeof(name), &value,
                                          errstr, sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_expect_eq(cdr_kafka_split_prop("a.very.long.property.name=1", name,
                                          sizeof(name), &value, errstr,
                                          sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(errstr, "-X: property name too long");
}

/* A configuration of kafka: properties only, as the loader leaves it. */
static cdr_config_t config_of(cdr_kv_t *kv, size_t n)
{
        cdr_config_t config;

        memset(&config, 0, sizeof(config));
        config.path = "conf/cdranon.yaml";
        config.kafka = kv;
        config.nkafka = n;
        return config;
}

Test(kafka_util, config_get)
{
        cdr_kv_t kv[] = {{"bootstrap.servers", "b1:9092", 3},
                         {"linger.ms", "5", 0}};
        cdr_config_t config = config_of(kv, 2);

        cr_expect_str_eq(cdr_kafka_config_get(&config, "bootstrap.servers"),
                         "b1:9092");
        cr_expect_str_eq(cdr_kafka_config_get(&config, "linger.ms"), "5");
        cr_expect_null(cdr_kafka_config_get(&config, "acks"));
}

Test(kafka_util, conf_set_names_the_property)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[512], value[64];
        size_t size = sizeof(value);

        cr_assert_eq(
            cdr_kafka_conf_set(conf, "linger.ms", "7", errstr, sizeof(errstr)),
            CDR_OK);
        cr_assert_eq(rd_kafka_conf_get(conf, "linger.ms", value, &size),
                     RD_KAFKA_CONF_OK);
        cr_expect_str_eq(value, "7");
        cr_expect_eq(cdr_kafka_conf_set(conf, "linger.ms", "soon", errstr,
                                        sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_expect_eq(strncmp(errstr, "-X linger.ms: ", 14), 0, "%s", errstr);
        cr_expect_eq(cdr_kafka_conf_set(conf, "no.such.property", "1", errstr,
                                        sizeof(errstr)),
                     CDR_ERR_INVAL);
        cr_expect_eq(strncmp(errstr, "-X no.such.property: ", 21), 0, "%s",
                     errstr);
        rd_kafka_conf_destroy(conf);
}

Test(kafka_util, conf_from_config)
{
        cdr_kv_t kv[] = {{"bootstrap.servers", "b1:9092", 3},
                         {"linger.ms", "5", 4},
                         {"group.id", "g", 5}};
        cdr_config_t config = config_of(kv, 3);
        char errstr[512], value[64];
        rd_kafka_conf_t *conf;
        size_t size;

        /* Each role gets the shared properties and its own. */
        conf = cdr_kafka_conf_from_config(&config, CDR_KAFKA_PRODUCER, errstr,
                                          sizeof(errstr));
        cr_assert_not_null(conf, "%s", errstr);
        size = sizeof(value);
        cr_assert_eq(rd_kafka_conf_get(conf, "linger.ms", value, &size),
                     RD_KAFKA_CONF_OK);
        cr_expect_str_eq(value, "5");
        size = sizeof(value);
        cr_expect(rd_kafka_conf_get(conf, "group.id", value, &size) !=
                          RD_KAFKA_CONF_OK ||
                      strcmp(value, "g") != 0,
                  "a consumer property is left out");
        rd_kafka_conf_destroy(conf);
        conf = cdr_kafka_conf_from_config(&config, CDR_KAFKA_CONSUMER, errstr,
                                          sizeof(errstr));
        cr_assert_not_null(conf, "%s", errstr);
        size = sizeof(value);
        cr_assert_eq(rd_kafka_conf_get(conf, "group.id", value, &size),
                     RD_KAFKA_CONF_OK);
        cr_expect_str_eq(value, "g");
        rd_kafka_conf_destroy(conf);

        /* A bad value names where it came from: the file's line, or -X. */
        kv[1].value = "soon";
        cr_expect_null(cdr_kafka_conf_from_config(&config, CDR_KAFKA_PRODUCER,
                                                  errstr, sizeof(errstr)));
        cr_expect_eq(
            strncmp(errstr, "conf/cdranon.yaml:4: kafka.linger.ms: ", 38), 0,
            "%s", errstr);
        kv[1].line = 0;
        cr_expect_null(cdr_kafka_conf_from_config(&config, CDR_KAFKA_PRODUCER,
                                                  errstr, sizeof(errstr)));
        cr_expect_eq(strncmp(errstr, "-X linger.ms: ", 14), 0, "%s", errstr);
}

Test(kafka_util, check_topics_on_a_mock_cluster)
{
        static const char *const topics[] = {"raw", "anon", "dead"};
        static const char *const what[] = {"input.topic",
                                           "output.anonymised.topic",
                                           "output.dead_letter.topic"};
        static const char *const missing[] = {"raw", "nosuch"};
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[512];
        int parts[3] = {0, 0, 0};
        rd_kafka_t *rk;
        mock_t m;

        mock_start(&m);
        cr_assert_eq(cdr_kafka_conf_set(conf, "bootstrap.servers", m.bootstraps,
                                        errstr, sizeof(errstr)),
                     CDR_OK);
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(rk, "%s", errstr);

        cr_assert_eq(cdr_kafka_check_topics(rk, m.bootstraps, topics, what, 3,
                                            parts, 10000, errstr,
                                            sizeof(errstr)),
                     CDR_OK, "%s", errstr);
        cr_expect_eq(parts[0], 2);
        cr_expect_eq(parts[1], 2);
        cr_expect_eq(parts[2], 1);
        cr_expect_eq(cdr_kafka_check_topics(rk, NULL, missing, what, 2, NULL,
                                            10000, errstr, sizeof(errstr)),
                     CDR_ERR_NOTFOUND);
        cr_expect_str_eq(errstr, "output.anonymised.topic: topic 'nosuch' "
                                 "does not exist on the cluster");
        rd_kafka_destroy(rk);
        mock_stop(&m);
}

Test(kafka_util, check_topics_without_a_cluster)
{
        static const char *const topics[] = {"raw"};
        static const char *const what[] = {"input.topic"};
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[512];
        rd_kafka_t *rk;

        /* Nothing listens on port 1 of the loopback address. */
        cr_assert_eq(cdr_kafka_conf_set(conf, "bootstrap.servers",
                                        "127.0.0.1:1", errstr, sizeof(errstr)),
                     CDR_OK);
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        cr_assert_not_null(rk, "%s", errstr);
        cr_expect_eq(cdr_kafka_check_topics(rk, "127.0.0.1:1", topics, what, 1,
                                            NULL, 500, errstr, sizeof(errstr)),
                     CDR_ERR_KAFKA);
        cr_expect_eq(strncmp(errstr,
                             "cannot reach the Kafka cluster at 127.0.0.1:1 "
                             "within 1 s: ",
                             56),
                     0, "%s", errstr);
        rd_kafka_destroy(rk);
}
