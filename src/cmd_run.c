/*
 * cdranon run: the daemon.  Raw CDRs from the input topic, as a member of
 * the consumer group, to the anonymised, sealed and dead-letter topics
 * (pipeline.h).
 *
 * Signal handlers only set flags; the loop below polls at least every
 * POLL_MS and acts on them at a transaction boundary.
 *
 * Once the configuration is loaded every line on stderr is a structured
 * log line (log.h) in log.format: the pipeline's events, librdkafka's own
 * lines (source=kafka), the summary every log.summary_seconds with its
 * counters as fields, and a fatal error as the last line (event=fatal,
 * msg "cdranon run: <error>").  Errors found before that (the command
 * line, the configuration itself) are the one plain line every command
 * prints.  No line holds any part of a record.
 */
#include "cmd.h"
#include "cdranon/config.h"
#include "cdranon/kafka_util.h"
#include "cdranon/log.h"
#include "cdranon/metrics.h"
#include "cdranon/metrics_daemon.h"
#include "cdranon/metrics_http.h"
#include "cdranon/pipeline.h"
#include "cdranon/transform.h"
#include "cdranon/util.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const CMD = "run";

#define POLL_MS   200
#define MAX_PROPS 256

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

/* Set before the pipeline exists and destroyed after it: librdkafka's
 * threads write through it. */
static cdr_log_t *run_log;

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
                "records\n"
                "(with purposes: each purpose's to its own topic), a sealed "
                "copy of\n"
                "every record and the dead letters to their topics.  With\n"
                "delivery: exactly-once (the default) the outputs and the "
                "input\n"
                "offsets are committed in one Kafka transaction.\n"
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
                "group, flush and exit 0.  SIGHUP: reload the key ring, the\n"
                "suppression list and the custodian public keys at the next\n"
                "transaction boundary; refused when the configuration file\n"
                "now names other topics or purposes (restart to apply).\n"
                "\n"
                "Log: one line per event on stderr, logfmt or JSON "
                "(log.format),\n"
                "filtered by log.level; a summary line with the counters "
                "every\n"
                "log.summary_seconds (10) and at exit.  A fatal error is the "
                "last\n"
                "line: event=fatal, msg \"cdranon run: ...\".\n"
                "\n"
                "Exit status: 0 after SIGTERM or SIGINT; 1 on a fatal error "
                "(another\n"
                "instance with the same transactional.id fenced this one, "
                "for one);\n"
                "2 on a bad command line.\n");
}

/* librdkafka's log lines.  librdkafka does not put message payloads
 * in its logs. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
        const cdr_log_field_t fields[] = {
            CDR_LOG_F_STR("source", "kafka"),
            CDR_LOG_F_STR("facility", fac),
            CDR_LOG_F_STR("client", rd_kafka_name(rk)),
        };

        cdr_log_write(run_log, cdr_log_level_from_syslog(level), buf, fields,
                      sizeof(fields) / sizeof(fields[0]));
}

static void pipeline_event(void *opaque, int level, const char *name,
                           const char *msg)
{
        const cdr_log_field_t field = CDR_LOG_F_STR("event", name);

        (void)opaque;
        cdr_log_write(run_log, cdr_log_level_from_syslog(level), msg, &field,
                      1);
}

/* event: summary (state running or failed) or stopped. */
static void log_stats(const cdr_pipeline_t *pipeline, int eos,
                      const char *event, const char *state)
{
        cdr_pipeline_stats_t st;

        cdr_pipeline_stats(pipeline, &st);
        const cdr_log_field_t fields[] = {
            CDR_LOG_F_STR("event", event),
            CDR_LOG_F_STR("state", state),
            CDR_LOG_F_U64("records", st.records),
            CDR_LOG_F_U64("published", st.published),
            CDR_LOG_F_U64("suppressed", st.suppressed),
            CDR_LOG_F_U64("dead_lettered", st.dead),
            CDR_LOG_F_U64("sealed", st.sealed),
            CDR_LOG_F_U64(eos ? "transactions" : "offset_commits",
                          st.txn.committed),
            CDR_LOG_F_U64("aborted", st.txn.aborted),
            CDR_LOG_F_U64("retries", st.txn.retries),
            CDR_LOG_F_U64("rewinds", st.rewinds),
            CDR_LOG_F_U64("recreations", st.recreations),
            CDR_LOG_F_U64("rebalances", st.rebalances),
            CDR_LOG_F_U64("consumer_errors", st.consumer_errors),
            CDR_LOG_F_U64("delivery_errors", st.delivery_errors),
            CDR_LOG_F_I64("partitions", st.partitions),
        };

        cdr_log_write(run_log, CDR_LOG_INFO, state, fields,
                      sizeof(fields) / sizeof(fields[0]));
}

static void log_start(const cdr_config_t *config,
                      const cdr_pipeline_t *pipeline, int eos)
{
        const char *txid = eos ? cdr_pipeline_transactional_id(pipeline) : "";
        char msg[1024];
        const cdr_log_field_t fields[] = {
            CDR_LOG_F_STR("event", "start"),
            CDR_LOG_F_STR("topic", config->input_topic),
            CDR_LOG_F_STR("group", config->input_group),
            CDR_LOG_F_I64("threads", config->threads),
            CDR_LOG_F_STR("delivery", eos ? "exactly-once" : "at-least-once"),
            CDR_LOG_F_STR("transactional_id", txid),
        };

        snprintf(
            msg, sizeof(msg), "consuming %s as group %s, %d thread(s), %s%s",
            config->input_topic, config->input_group, config->threads,
            eos ? "exactly once, transactional.id " : "at least once", txid);
        /* transactional_id, the last field, only in exactly-once mode */
        cdr_log_write(run_log, CDR_LOG_INFO, msg, fields,
                      sizeof(fields) / sizeof(fields[0]) - !eos);
}

/* errstr NULL: the reload worked.  key_id: the active key after it. */
static void log_reload(const char *errstr, const char *key_id)
{
        const cdr_log_field_t fields[] = {
            CDR_LOG_F_STR("event", errstr != NULL ? "reload_failed" : "reload"),
            CDR_LOG_F_STR("key_id", key_id),
        };
        char msg[1280];

        if (errstr != NULL)
                snprintf(msg, sizeof(msg),
                         "reload failed, the old key ring, suppression "
                         "list and custodian keys stay in force: %s",
                         errstr);
        else
                snprintf(msg, sizeof(msg),
                         "reloaded the key ring (active key %s), the "
                         "suppression list and the custodian keys",
                         key_id);
        cdr_log_write(run_log, errstr != NULL ? CDR_LOG_WARNING : CDR_LOG_INFO,
                      msg, fields, sizeof(fields) / sizeof(fields[0]));
}

/* The last line of a failed run.  The msg keeps the plain form of every
 * other command's error, "cdranon run: <error>", for people. */
static void log_fatal(const char *errstr)
{
        const cdr_log_field_t field = CDR_LOG_F_STR("event", "fatal");
        char msg[1280];

        snprintf(msg, sizeof(msg), "cdranon %s: %s", CMD, errstr);
        cdr_log_write(run_log, CDR_LOG_ERROR, msg, &field, 1);
}

/* SIGHUP: the configuration file as it is now must name the topics in
 * use, the purposes' included.  The policy is not reloaded (transform.h),
 * so a purpose or topic changed in the file would otherwise be ignored
 * in silence; instead nothing is reloaded until a restart.  Returns 0,
 * or CDR_ERR_INVAL with the reason in errstr. */
static int outputs_unchanged(const cdr_config_t *config, char *errstr,
                             size_t errstr_size)
{
        cdr_config_t *now = cdr_config_load(config->path, errstr, errstr_size);
        int same;

        if (now == NULL)
                return CDR_ERR_INVAL;
        same = cdr_config_same_outputs(config, now, errstr, errstr_size);
        cdr_config_destroy(now);
        if (same)
                return CDR_OK;
        cdr_err_prefix(errstr, errstr_size,
                       "SIGHUP does not change the outputs (restart to "
                       "apply): ");
        return CDR_ERR_INVAL;
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

/* metrics.listen: the registry the loop feeds and the server that
 * serves it.  The loop publishes a snapshot at most every
 * METRICS_EVERY_MS and reports each iteration for /healthz and /readyz. */
#define METRICS_EVERY_MS 100

struct metrics_feed {
        cdr_metrics_t *metrics;
        cdr_daemon_metrics_t *daemon;
        cdr_metrics_server_t *server;
        const char *topic;
        int64_t next_ms;
        cdr_risk_window_t *risk; /* risk.enabled: the risk window */
};

static int metrics_start(struct metrics_feed *feed, const char *listen,
                         char *errstr, size_t errstr_size)
{
        feed->metrics = cdr_metrics_new();
        if (feed->metrics == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        feed->daemon =
            cdr_daemon_metrics_new(feed->metrics, errstr, errstr_size);
        if (feed->daemon == NULL)
                return CDR_ERR_NOMEM;
        feed->server = cdr_metrics_server_start(feed->metrics, listen, errstr,
                                                errstr_size);
        return feed->server != NULL ? CDR_OK : CDR_ERR_INVAL;
}

/* risk.enabled (with metrics): a window per output, purpose i's at i,
 * the single output's named "anonymised" when there are no purposes. */
static int risk_start(struct metrics_feed *feed, const cdr_config_t *config,
                      char *errstr, size_t errstr_size)
{
        static const char *const single[] = {"anonymised"};
        cdr_risk_window_options_t options;
        const char **names = NULL;
        size_t i, n = config->npurposes;

        if (n > 0) {
                names = calloc(n, sizeof(*names));
                if (names == NULL) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        return CDR_ERR_NOMEM;
                }
                for (i = 0; i < n; i++)
                        names[i] = config->purposes[i].name;
        }
        cdr_risk_window_options_init(&options);
        options.records = (size_t)config->risk_window_records;
        options.bytes = config->risk_window_bytes;
        options.refresh_ms = (int64_t)config->risk_refresh_seconds * 1000;
        options.samples = config->risk_samples;
        options.k = config->risk_k;
        feed->risk = cdr_risk_window_new(n > 0 ? names : single, n > 0 ? n : 1,
                                         &options, errstr, errstr_size);
        free(names);
        return feed->risk != NULL ? CDR_OK : CDR_ERR_NOMEM;
}

/* Measures the risk window when due and publishes it.  A failed
 * measurement is a warning: the previous figures stay. */
static void risk_feed(struct metrics_feed *feed)
{
        char errstr[512];
        int64_t start = cdr_now_ms();
        int rc =
            cdr_risk_window_refresh(feed->risk, start, errstr, sizeof(errstr));

        if (rc == 1) {
                cdr_daemon_metrics_risk(feed->daemon, feed->risk,
                                        (double)(cdr_now_ms() - start) / 1e3);
        } else if (rc < 0) {
                const cdr_log_field_t field =
                    CDR_LOG_F_STR("event", "risk_failed");

                cdr_log_write(run_log, CDR_LOG_WARNING, errstr, &field, 1);
        }
}

/* The consumer's statistics, on the driving thread. */
static void metrics_kafka_stats(void *opaque, const char *json, size_t len)
{
        struct metrics_feed *feed = opaque;

        cdr_daemon_metrics_kafka_stats(feed->daemon, json, len, feed->topic, 1);
}

static void metrics_feed(struct metrics_feed *feed,
                         const cdr_pipeline_t *pipeline,
                         const cdr_engine_t *engine)
{
        cdr_pipeline_stats_t st;

        if (feed->metrics == NULL)
                return;
        cdr_pipeline_stats(pipeline, &st);
        cdr_metrics_heartbeat(feed->metrics, st.partitions);
        if (cdr_now_ms() < feed->next_ms)
                return;
        cdr_daemon_metrics_publish(feed->daemon, pipeline, engine);
        if (feed->risk != NULL)
                risk_feed(feed);
        feed->next_ms = cdr_now_ms() + METRICS_EVERY_MS;
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
        struct metrics_feed feed = {NULL, NULL, NULL, NULL, 0, NULL};
        int64_t next_stats, stats_every_ms;
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
        run_log =
            cdr_log_new(STDERR_FILENO, config->log_format, config->log_level);
        if (run_log == NULL) {
                cdr_errf(errstr, sizeof(errstr), "%s",
                         cdr_strerror(CDR_ERR_NOMEM));
                goto fail;
        }
        /* Up before the cluster is reached: /healthz and /readyz say
         * 503 during start-up. */
        if (config->metrics_listen != NULL &&
            metrics_start(&feed, config->metrics_listen, errstr,
                          sizeof(errstr)) != CDR_OK)
                goto fail;
        if (feed.metrics != NULL && config->risk_enabled &&
            risk_start(&feed, config, errstr, sizeof(errstr)) != CDR_OK)
                goto fail;
        engine = cdr_engine_new(config, 1, errstr, sizeof(errstr));
        if (engine == NULL)
                goto fail;

        memset(&popts, 0, sizeof(popts));
        popts.kafka_log = kafka_log;
        popts.event = pipeline_event;
        if (feed.metrics != NULL) {
                feed.topic = config->input_topic;
                popts.kafka_stats = metrics_kafka_stats;
                popts.stats_opaque = &feed;
                popts.risk_window = feed.risk;
        }
        pipeline = cdr_pipeline_new(engine, &popts, errstr, sizeof(errstr));
        if (pipeline == NULL)
                goto fail;
        if (feed.metrics != NULL)
                cdr_metrics_set_running(feed.metrics, 1);
        log_start(config, pipeline, eos);

        stats_every_ms = (int64_t)config->log_summary_seconds * 1000;
        next_stats = cdr_now_ms() + stats_every_ms;
        while (!stop_requested) {
                if (cdr_pipeline_poll(pipeline, POLL_MS, errstr,
                                      sizeof(errstr)) != CDR_OK)
                        goto fail;
                if (reload_requested) {
                        reload_requested = 0;
                        err = outputs_unchanged(config, errstr, sizeof(errstr));
                        if (err == CDR_OK)
                                err = cdr_pipeline_reload(pipeline, errstr,
                                                          sizeof(errstr));
                        if (err != CDR_OK && err != CDR_ERR_INVAL)
                                goto fail;
                        log_reload(err == CDR_OK ? NULL : errstr,
                                   cdr_engine_key_id(engine));
                }
                metrics_feed(&feed, pipeline, engine);
                if (cdr_now_ms() >= next_stats) {
                        log_stats(pipeline, eos, "summary", "running");
                        next_stats = cdr_now_ms() + stats_every_ms;
                }
        }
        /* Stopping: no longer ready, still alive while it closes. */
        if (feed.metrics != NULL)
                cdr_metrics_heartbeat(feed.metrics, 0);
        if (cdr_pipeline_close(pipeline, errstr, sizeof(errstr)) != CDR_OK)
                goto fail;
        log_stats(pipeline, eos, "stopped", "stopped");
        rc = CDR_EXIT_OK;
        goto out;

fail:
        /* The error is the last line: the summary and whatever leaving
         * the group reports come first. */
        if (pipeline != NULL) {
                log_stats(pipeline, eos, "summary", "failed");
                cdr_pipeline_destroy(pipeline);
                pipeline = NULL;
        }
        if (run_log != NULL)
                log_fatal(errstr);
        else
                cdr_cmd_fail(CMD, "%s", errstr);
out:
        cdr_metrics_server_stop(feed.server);
        cdr_daemon_metrics_destroy(feed.daemon);
        cdr_metrics_destroy(feed.metrics);
        cdr_pipeline_destroy(pipeline);
        cdr_risk_window_destroy(feed.risk); /* the pipeline observed it */
        cdr_log_destroy(run_log);
        run_log = NULL;
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return rc;
}
