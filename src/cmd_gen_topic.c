/*
 * `cdranon gen --topic`: synthetic CDRs to a Kafka topic, one record per
 * message (see cmd_gen_topic.h).
 */
#include "cmd_gen_topic.h"
#include "cdranon/kafka_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#define CONNECT_TIMEOUT_MS 10000

static double now_seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
        (void)rk;
        (void)level;
        fprintf(stderr, "cdranon gen: kafka %s: %s\n", fac, buf);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        uint64_t *failed = opaque;

        (void)rk;
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
                (*failed)++;
}

/* The producer; NULL with the error reported. */
static rd_kafka_t *producer_new(const char *brokers, const char *const *props,
                                size_t nprops, uint64_t *failed)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        char errstr[512], name[256];
        const char *value;
        size_t i;

        /* Idempotence keeps each partition's records in order and free
         * of duplicates across retries; -X may still change it. */
        if (cdr_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
                               sizeof(errstr)) != CDR_OK)
                goto err;
        if (brokers != NULL &&
            cdr_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr,
                               sizeof(errstr)) != CDR_OK)
                goto err;
        for (i = 0; i < nprops; i++)
                if (cdr_kafka_split_prop(props[i], name, sizeof(name), &value,
                                         errstr, sizeof(errstr)) != CDR_OK ||
                    cdr_kafka_conf_set(conf, name, value, errstr,
                                       sizeof(errstr)) != CDR_OK)
                        goto err;
        rd_kafka_conf_set_log_cb(conf, log_cb);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
        rd_kafka_conf_set_opaque(conf, failed);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (rk == NULL)
                goto err;
        return rk;
err:
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "cdranon gen: %s\n", errstr);
        return NULL;
}

int cdr_cmd_gen_topic(const cdr_gen_options_t *opts, uint64_t records,
                      const char *topic, const char *brokers,
                      const char *const *props, size_t nprops, int stats)
{
        const char *what = "--topic";
        char errstr[512];
        cdr_gen_t *gen = NULL;
        cdr_buf_t buf = CDR_BUF_INIT;
        rd_kafka_t *rk;
        rd_kafka_resp_err_t err;
        uint64_t failed = 0, i;
        double t0, dt;
        int status = 1;

        rk = producer_new(brokers, props, nprops, &failed);
        if (rk == NULL)
                return 1;
        if (cdr_kafka_check_topics(rk, brokers, &topic, &what, 1, NULL,
                                   CONNECT_TIMEOUT_MS, errstr,
                                   sizeof(errstr)) != CDR_OK) {
                fprintf(stderr, "cdranon gen: %s\n", errstr);
                goto out;
        }
        gen = cdr_gen_new(opts, errstr, sizeof(errstr));
        if (gen == NULL) {
                fprintf(stderr, "cdranon gen: %s\n", errstr);
                goto out;
        }
        t0 = now_seconds();
        for (i = 0; i < records; i++) {
                size_t len;

                cdr_buf_reset(&buf);
                if (cdr_gen_record(gen, &buf, NULL) != CDR_OK) {
                        fprintf(stderr, "cdranon gen: out of memory\n");
                        goto out;
                }
                len = buf.len;
                if (len > 0 && buf.data[len - 1] == '\n')
                        len--;
                if (len > 0 && buf.data[len - 1] == '\r')
                        len--;
                for (;;) {
                        err = rd_kafka_producev(
                            rk, RD_KAFKA_V_TOPIC(topic),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_VALUE(buf.data, len), RD_KAFKA_V_END);
                        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                break;
                        rd_kafka_poll(rk, 100);
                }
                if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                        fprintf(stderr, "cdranon gen: producing to %s: %s\n",
                                topic, rd_kafka_err2str(err));
                        goto out;
                }
                rd_kafka_poll(rk, 0);
        }
        /* Every message is delivered, or has failed once
         * message.timeout.ms has passed. */
        while (rd_kafka_outq_len(rk) > 0)
                rd_kafka_flush(rk, 1000);
        if (failed > 0) {
                fprintf(stderr,
                        "cdranon gen: %" PRIu64 " of %" PRIu64
                        " records not delivered to %s\n",
                        failed, records, topic);
                goto out;
        }
        dt = now_seconds() - t0;
        if (stats)
                fprintf(stderr,
                        "cdranon gen: %" PRIu64 " records (%" PRIu64
                        " malformed) to %s in %.3f s: %.0f records/s\n",
                        cdr_gen_records(gen), cdr_gen_malformed(gen), topic, dt,
                        dt > 0 ? (double)cdr_gen_records(gen) / dt : 0.0);
        status = 0;
out:
        cdr_buf_free(&buf);
        cdr_gen_destroy(gen);
        rd_kafka_destroy(rk);
        return status;
}
