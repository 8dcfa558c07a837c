/*
 * `cdranon gen --topic`: the generator's records produced to a Kafka
 * topic, one record per message (cmd_gen_topic.c).  Only the gen command
 * calls it.
 */
#ifndef CDRANON_CMD_GEN_TOPIC_H
#define CDRANON_CMD_GEN_TOPIC_H

#include "cdranon/gen.h"

#define CDR_GEN_TOPIC_MAX_PROPS 64

/* Generates `records` records with `opts` and produces each, without its
 * line end and without a header line, as one message with no key to
 * `topic` through an idempotent producer.  `brokers` (may be NULL) is
 * bootstrap.servers; props are -X NAME=VALUE librdkafka properties.
 * Reports errors on stderr and returns the exit status: 0 when every
 * message was delivered. */
int cdr_cmd_gen_topic(const cdr_gen_options_t *opts, uint64_t records,
                      const char *topic, const char *brokers,
                      const char *const *props, size_t nprops, int stats);

#endif
