/*
 * Reads a topic once, as the custodian's tools do: every partition from
 * its beginning to its end offset at the time of opening, with
 * isolation.level=read_committed (records of aborted or still open
 * transactions are never returned).  No consumer group is joined and no
 * offset is committed.
 */
#ifndef CDRANON_TOPIC_READER_H
#define CDRANON_TOPIC_READER_H

#include "cdranon/common.h"

#include <librdkafka/rdkafka.h>

typedef struct cdr_topic_reader_s cdr_topic_reader_t;

/* `conf` (consumed, also on failure) holds bootstrap.servers and any
 * other client property; the reader adds what it needs.  A cluster that
 * does not answer within timeout_ms, or a topic that does not exist, is
 * an error.  Returns NULL with errstr set. */
cdr_topic_reader_t *cdr_topic_reader_new(rd_kafka_conf_t *conf,
                                         const char *topic, int timeout_ms,
                                         char *errstr,
                                         size_t errstr_size) CDR_MUST_CHECK;

/* The next message: returns 1 with its value, partition and offset (the
 * value stays valid until the next call), 0 when every partition has
 * been read to its end offset, or CDR_ERR_KAFKA with errstr set (a
 * consumer error, or no progress for timeout_ms).  Messages come in
 * offset order within a partition. */
int cdr_topic_reader_next(cdr_topic_reader_t *reader, const void **value,
                          size_t *len, int32_t *partition, int64_t *offset,
                          char *errstr, size_t errstr_size) CDR_MUST_CHECK;

void cdr_topic_reader_destroy(cdr_topic_reader_t *reader);

#endif
