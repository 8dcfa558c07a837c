/*
 * The custodian's reader of a whole topic: see topic_reader.h.
 */
#include "cdranon/topic_reader.h"
#include "cdranon/kafka_util.h"

#include <stdlib.h>
#include <string.h>

struct cdr_topic_reader_s {
        rd_kafka_t *rk;
        rd_kafka_message_t *msg; /* the message last returned */
        int timeout_ms;
        int npartitions;
        int left;     /* partitions not yet read to their end */
        int64_t *end; /* end offset of each partition at opening */
        char *done;
};

cdr_topic_reader_t *cdr_topic_reader_new(rd_kafka_conf_t *conf,
                                         const char *topic, int timeout_ms,
                                         char *errstr, size_t errstr_size)
{
        static const char *const what = "--topic";
        rd_kafka_topic_partition_list_t *asg = NULL;
        cdr_topic_reader_t *r;
        rd_kafka_resp_err_t err;
        char msg[512];
        int i;

        r = calloc(1, sizeof(*r));
        if (r == NULL) {
                rd_kafka_conf_destroy(conf);
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        r->timeout_ms = timeout_ms;
        if (cdr_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                               errstr_size) != CDR_OK ||
            cdr_kafka_conf_set(conf, "isolation.level", "read_committed",
                               errstr, errstr_size) != CDR_OK ||
            cdr_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                               errstr_size) != CDR_OK ||
            cdr_kafka_conf_set(conf, "group.id", "cdranon-topic-reader", errstr,
                               errstr_size) != CDR_OK) {
                rd_kafka_conf_destroy(conf);
                goto err;
        }
        r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, msg, sizeof(msg));
        if (r->rk == NULL) {
                rd_kafka_conf_destroy(conf);
                cdr_errf(errstr, errstr_size, "kafka consumer: %s", msg);
                goto err;
        }
        if (cdr_kafka_check_topics(r->rk, NULL, &topic, &what, 1,
                                   &r->npartitions, timeout_ms, errstr,
                                   errstr_size) != CDR_OK)
                goto err;
        r->end = calloc((size_t)r->npartitions, sizeof(*r->end));
        r->done = calloc((size_t)r->npartitions, 1);
        asg = rd_kafka_topic_partition_list_new(r->npartitions);
        if (r->end == NULL || r->done == NULL || asg == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                goto err;
        }
        for (i = 0; i < r->npartitions; i++) {
                int64_t lo;

                err = rd_kafka_query_watermark_offsets(r->rk, topic, i, &lo,
                                                       &r->end[i], timeout_ms);
                if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                        cdr_errf(errstr, errstr_size,
                                 "%s [%d]: end offsets: %s", topic, i,
                                 rd_kafka_err2str(err));
                        goto err;
                }
                if (r->end[i] <= lo) {
                        r->done[i] = 1;
                        continue;
                }
                rd_kafka_topic_partition_list_add(asg, topic, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
                r->left++;
        }
        err = rd_kafka_assign(r->rk, asg);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cdr_errf(errstr, errstr_size, "%s: assign: %s", topic,
                         rd_kafka_err2str(err));
                goto err;
        }
        rd_kafka_topic_partition_list_destroy(asg);
        return r;

err:
        if (asg != NULL)
                rd_kafka_topic_partition_list_destroy(asg);
        cdr_topic_reader_destroy(r);
        return NULL;
}

int cdr_topic_reader_next(cdr_topic_reader_t *r, const void **value,
                          size_t *len, int32_t *partition, int64_t *offset,
                          char *errstr, size_t errstr_size)
{
        int idle = 0;

        if (r->msg != NULL) {
                rd_kafka_message_destroy(r->msg);
                r->msg = NULL;
        }
        while (r->left > 0) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 100);
                int32_t p;

                if (m == NULL) {
                        idle += 100;
                        if (idle >= r->timeout_ms) {
                                cdr_errf(errstr, errstr_size,
                                         "no progress in %d s before the "
                                         "end offsets",
                                         r->timeout_ms / 1000);
                                return CDR_ERR_KAFKA;
                        }
                        continue;
                }
                idle = 0;
                p = m->partition;
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
                    m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        cdr_errf(errstr, errstr_size, "%s",
                                 rd_kafka_err2str(m->err));
                        rd_kafka_message_destroy(m);
                        return CDR_ERR_KAFKA;
                }
                if (p < 0 || p >= r->npartitions || r->done[p]) {
                        rd_kafka_message_destroy(m);
                        continue;
                }
                /* The end offset may be a transaction marker, which is
                 * never returned: the end-of-partition event says the
                 * reader got there. */
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                    m->offset >= r->end[p] - 1) {
                        r->done[p] = 1;
                        r->left--;
                }
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                    m->offset >= r->end[p]) {
                        rd_kafka_message_destroy(m);
                        continue;
                }
                r->msg = m;
                *value = m->payload;
                *len = m->len;
                *partition = p;
                *offset = m->offset;
                return 1;
        }
        return 0;
}

void cdr_topic_reader_destroy(cdr_topic_reader_t *r)
{
        if (r == NULL)
                return;
        if (r->msg != NULL)
                rd_kafka_message_destroy(r->msg);
        if (r->rk != NULL) {
                rd_kafka_consumer_close(r->rk);
                rd_kafka_destroy(r->rk);
        }
        free(r->end);
        free(r->done);
        free(r);
}
