/*
 * Small Kafka helpers shared by the commands that talk to a cluster
 * (`run`, `gen --topic`, `unseal --topic`): librdkafka configurations
 * built from the `kafka:` section and `-X` options, and a bounded
 * start-up check that the cluster answers and the topics exist.  The
 * custodian's reader of a whole topic is topic_reader.h.
 *
 * Errors name where a property came from ("config.yaml:7:
 * kafka.linger.ms: ..." or "-X linger.ms: ...") followed by librdkafka's
 * own message, which names the property and never quotes the value of a
 * string property.
 */
#ifndef CDRANON_KAFKA_UTIL_H
#define CDRANON_KAFKA_UTIL_H

#include "cdranon/config.h"

#include <librdkafka/rdkafka.h>

/* Which client a configuration is for. */
typedef enum {
        CDR_KAFKA_PRODUCER = 0,
        CDR_KAFKA_CONSUMER,
} cdr_kafka_role_t;

/* 1 when `name` is a property that only the other role reads (a
 * consumer property given to a producer, or the reverse).  Such
 * properties are left out so that one `kafka:` section can serve both
 * clients without librdkafka warning about the ones it ignores. */
int cdr_kafka_prop_foreign(const char *name, cdr_kafka_role_t role);

/* The value of property `name` in the configuration's `kafka:` section
 * (with `-X` overrides applied), or NULL when it is not set.  The string
 * belongs to the configuration. */
const char *cdr_kafka_config_get(const cdr_config_t *config, const char *name);

/* Splits a `-X name=value` argument.  `name` receives a NUL-terminated
 * copy of the name; *value points into `arg`.  Returns 0, or
 * CDR_ERR_INVAL (no '=', empty name, or name longer than name_size - 1)
 * with errstr set. */
int cdr_kafka_split_prop(const char *arg, char *name, size_t name_size,
                         const char **value, char *errstr,
                         size_t errstr_size) CDR_MUST_CHECK;

/* Sets one property.  On failure errstr is "-X NAME: librdkafka's
 * message" and CDR_ERR_INVAL is returned. */
int cdr_kafka_conf_set(rd_kafka_conf_t *conf, const char *name,
                       const char *value, char *errstr,
                       size_t errstr_size) CDR_MUST_CHECK;

/* A new librdkafka configuration holding the `kafka:` section of
 * `config` for `role` (foreign properties left out).  Errors are fatal
 * and read "PATH:LINE: kafka.NAME: message", or "-X NAME: message" for a
 * property that came from the command line.  The caller owns the result
 * (rd_kafka_conf_destroy, or hand it to rd_kafka_new).  NULL on error. */
rd_kafka_conf_t *cdr_kafka_conf_from_config(const cdr_config_t *config,
                                            cdr_kafka_role_t role, char *errstr,
                                            size_t errstr_size) CDR_MUST_CHECK;

/* Asks the cluster for its metadata, waiting at most timeout_ms, and
 * checks that each of the n topics exists.  what[i] names the setting a
 * topic came from, for the message ("output.sealed.topic: topic 'x' does
 * not exist on the cluster").  When partitions is not NULL,
 * partitions[i] receives topic i's partition count.  `bootstrap` (may be
 * NULL) is named in the message when the cluster does not answer.
 * Returns 0, CDR_ERR_KAFKA (no answer) or CDR_ERR_NOTFOUND (a topic is
 * missing), with errstr set. */
int cdr_kafka_check_topics(rd_kafka_t *rk, const char *bootstrap,
                           const char *const *topics, const char *const *what,
                           size_t n, int *partitions, int timeout_ms,
                           char *errstr, size_t errstr_size) CDR_MUST_CHECK;

#endif
