/*
 * cdranon run: the daemon.  Raw CDRs from the input topic, as a member of
 * the consumer group, to the anonymised, sealed and dead-letter topics
 * (pipeline.h).
 *
 * Signal handlers only set flags; the loop below polls at least every
 * POLL_MS and acts on them at a transaction boundary.  The summary line
 * holds counters only, never any part of a record.
 */
#include "cmd.h"
#include "cdranon/config.h"
#include "cdranon/kafka_util.h"
#include "cdranon/pipeline.h"
#include "cdranon/transform.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const CMD = "run";

#define POLL_MS        200
#define STATS_EVERY_MS 10000
#define MAX_PROPS      256

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_stop(int sig)
{
        (void)sig;
        stop_requested = 1;
}

static void on_reload(int sig)
{
        (void)sig;
        reload_requested = 1;
}

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: cdranon run -c FILE [-X NAME=VALUE]...\n"
                "\n"
                "The daemon: consumes raw CDRs from input.topic as a member "
                "of the\n"
                "consumer group input.group and writes the anonymised "
                "records,\n"
                "a sealed copy of every record and the dead letters to "
                "their\n"
                "topics.  With delivery: exactly-once (the default) the "
                "outputs\n"
                "and the input offsets are committed in one Kafka "
                "transaction.\n"
                "\n"
                "  -c, --config FILE          configuration (required)\n"
                "  -X, --property NAME=VALUE  librdkafka property, added to "
                "or\n"
                "                             replacing the kafka: section "
                "(repeatable)\n"
                "  -h, --help                 this help\n"
                "\n"
                "SIGTERM, SIGINT: commit (or abort) the open transaction, "
                "leave the\n"
                "group, flush and exit 0.  SIGHUP: reload the key ring and "
                "the\n"
                "suppression list at the next transaction boundary.  A "
                "summary line\n"
                "(counters only) goes to stderr every 10 s and at exit.\n"
                "\n"
                "Exit status: 0 after SIGTERM or SIGINT; 1 on a fatal error "
                "(another\n"
                "instance with the same transactional.id fenced this one, "
                "for one);\n"
                "2 on a bad command line.\n");
}

static const char *level_name(int level)
{
        static const char *const names[] = {"emerg", "alert",   "crit",
                                            "error", "warning", "notice",
                                            "info",  "debug"};

        return level >= 0 && level <= 7 ? names[level] : "log";
}

/* librdkafka's log lines: level, facility and message.  librdkafka does
 * not put message payloads in its logs. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
        (void)rk;
        fprintf(stderr, "cdranon %s: kafka %s %s: %s\n", CMD, level_name(level),
                fac, buf);
}

static void pipeline_event(void *opaque, int level, const char *msg)
{
        (void)opaque;
        fprintf(stderr, "cdranon %s: %s%s\n", CMD,
                level <= 3   ? "error: "
                : level == 4 ? "warning: "
                             : "",
                msg);
}

static void print_stats(const cdr_pipeline_t *pipeline, int eos,
                        const char *when)
{
        cdr_pipeline_stats_t st;

        cdr_pipeline_stats(pipeline, &st);
        fprintf(stderr,
                "cdranon %s: %s: %llu records: %llu published, %llu "
                "suppressed, %llu dead-lettered, %llu sealed; %llu %s, "
                "%llu aborted, %llu retries, %llu rewinds, %llu "
                "rebalances, %d partitions\n",
                CMD, when, (unsigned long long)st.records,
                (unsigned long long)st.published,
                (unsigned long long)st.suppressed, (unsigned long long)st.dead,
                (unsigned long long)st.sealed,
                (unsigned long long)st.txn_committed,
                eos ? "transactions" : "offset commits",
                (unsigned long long)st.txn_aborted,
                (unsigned long long)st.retries, (unsigned long long)st.rewinds,
                (unsigned long long)st.rebalances, st.partitions);
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void install_signals(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = on_reload;
        sigaction(SIGHUP, &sa, NULL);
}

int cdr_cmd_run(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"property", required_argument, NULL, 'X'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *config_path = NULL;
        const char *props[MAX_PROPS];
        size_t nprops = 0, i;
        char errstr[1024], name[256];
        cdr_config_t *config = NULL;
        cdr_engine_t *engine = NULL;
        cdr_pipeline_t *pipeline = NULL;
        cdr_pipeline_opts_t popts;
        int64_t next_stats;
        int opt, err, eos = 1, rc = CDR_EXIT_FAILURE;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'X':
                        if (nprops == MAX_PROPS) {
                                cdr_cmd_fail(CMD, "at most %d -X options",
                                             MAX_PROPS);
                                return CDR_EXIT_USAGE;
                        }
                        props[nprops++] = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CDR_EXIT_OK;
                default:
                        usage(stderr);
                        return CDR_EXIT_USAGE;
                }
        }
        if (config_path == NULL || optind != argc) {
                cdr_cmd_fail(CMD, "%s (try --help)",
                             config_path == NULL ? "-c FILE is required"
                                                 : "unexpected argument");
                return CDR_EXIT_USAGE;
        }
        for (i = 0; i < nprops; i++) {
                const char *value;

                if (cdr_kafka_split_prop(props[i], name, sizeof(name), &value,
                                         errstr, sizeof(errstr)) != CDR_OK) {
                        cdr_cmd_fail(CMD, "%s (try --help)", errstr);
                        return CDR_EXIT_USAGE;
                }
        }

        /* Installed before anything slow, so that a stop request during
         * start-up is seen by the first poll. */
        install_signals();

        config = cdr_config_load(config_path, errstr, sizeof(errstr));
        if (config == NULL)
                goto fail;
        for (i = 0; i < nprops; i++) {
                const char *value;

                if (cdr_kafka_split_prop(props[i], name, sizeof(name), &value,
                                         errstr, sizeof(errstr)) != CDR_OK ||
                    cdr_config_set(config, name, value, errstr,
                                   sizeof(errstr)) != CDR_OK)
                        goto fail;
        }
        eos = config->delivery == CDR_DELIVERY_EXACTLY_ONCE;
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        if (engine == NULL)
                goto fail;

        memset(&popts, 0, sizeof(popts));
        popts.kafka_log = kafka_log;
        popts.event = pipeline_event;
        pipeline = cdr_pipeline_new(engine, &popts, errstr, sizeof(errstr));
        if (pipeline == NULL)
                goto fail;
        fprintf(stderr,
                "cdranon %s: consuming %s as group %s, %d thread(s), %s%s\n",
                CMD, config->input_topic, config->input_group, config->threads,
                eos ? "exactly once, transactional.id " : "at least once",
                eos ? cdr_pipeline_transactional_id(pipeline) : "");

        next_stats = now_ms() + STATS_EVERY_MS;
        while (!stop_requested) {
                if (cdr_pipeline_poll(pipeline, POLL_MS, errstr,
                                      sizeof(errstr)) != CDR_OK)
                        goto fail;
                if (reload_requested) {
                        reload_requested = 0;
                        err = cdr_pipeline_reload(pipeline, errstr,
                                                  sizeof(errstr));
                        if (err == CDR_ERR_INVAL)
                                fprintf(stderr,
                                        "cdranon %s: warning: reload failed, "
                                        "the old keys and suppression list "
                                        "stay in force: %s\n",
                                        CMD, errstr);
                        else if (err != CDR_OK)
                                goto fail;
                        else
                                fprintf(stderr,
                                        "cdranon %s: reloaded the key ring "
                                        "(active key %s) and the suppression "
                                        "list\n",
                                        CMD, cdr_engine_key_id(engine));
                }
                if (now_ms() >= next_stats) {
                        print_stats(pipeline, eos, "running");
                        next_stats = now_ms() + STATS_EVERY_MS;
                }
        }
        if (cdr_pipeline_close(pipeline, errstr, sizeof(errstr)) != CDR_OK)
                goto fail;
        print_stats(pipeline, eos, "stopped");
        rc = CDR_EXIT_OK;
        goto out;

fail:
        /* The error is the last line: the summary and whatever leaving
         * the group reports come first. */
        if (pipeline != NULL) {
                print_stats(pipeline, eos, "failed");
                cdr_pipeline_destroy(pipeline);
                pipeline = NULL;
        }
        cdr_cmd_fail(CMD, "%s", errstr);
out:
        cdr_pipeline_destroy(pipeline);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return rc;
}
