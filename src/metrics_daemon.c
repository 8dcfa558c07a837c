/*
 * The daemon's metric families, fed from the pipeline, and the consumer
 * lag out of librdkafka's statistics: see metrics_daemon.h.
 */
#include "cdranon/metrics_daemon.h"
#include "cdranon/reason.h"
#include "cdranon/risk_window.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cdr_daemon_metrics_s {
        cdr_metrics_t *metrics;
        cdr_metric_t *records_in, *published, *suppressed, *dead, *sealed;
        cdr_metric_t *committed, *aborted, *rebalances, *retries, *rewinds;
        cdr_metric_t *recreations;
        cdr_metric_t *consumer_errors, *delivery_errors, *partitions;
        cdr_metric_t *cache_hits, *cache_misses, *stage, *e2e, *lag;
        cdr_metric_t *key_info, *epochs, *purpose_published;
        cdr_metric_t *risk_unicity, *risk_tested, *risk_below, *risk_min_k;
        cdr_metric_t *risk_records, *risk_bytes, *risk_measures, *risk_seconds;
        char key_id[64];
};

static const char *const stage_names[CDR_STAGE_COUNT] = {"parse", "policy",
                                                         "seal"};

/* Adds the families to d->metrics, each into its slot of d. */
static int add_families(cdr_daemon_metrics_t *d, char *errstr,
                        size_t errstr_size)
{
        static const char *const reason[] = {"reason"};
        static const char *const stage[] = {"stage"};
        static const char *const lag[] = {"topic", "partition"};
        static const char *const key[] = {"key_id"};
        static const char *const purpose[] = {"purpose"};
        static const char *const pfield[] = {"purpose", "field", "points"};
        static const char *const pk[] = {"purpose", "k"};
        const struct {
                cdr_metric_t **slot;
                cdr_metric_type_t type;
                const char *name;
                const char *help;
                const char *const *labels;
                size_t nlabels;
                const double *bounds;
                size_t nbounds;
        } defs[] = {
#define C(f, n, h) {&d->f, CDR_METRIC_COUNTER, n, h, NULL, 0, NULL, 0}
#define G(f, n, h)                                                             \
        {                                                                      \
                &d->f, CDR_METRIC_GAUGE, n, h, NULL, 0, NULL, 0                \
        }
            C(records_in, "cdranon_records_in_total",
              "Input records transformed and produced (again after an "
              "abort)."),
            C(published, "cdranon_records_published_total",
              "Records published: to the anonymised topic, or to every "
              "purpose's topic."),
            {&d->purpose_published, CDR_METRIC_COUNTER,
             "cdranon_purpose_records_published_total",
             "Records written to each purpose's topic (with purposes).",
             purpose, 1, NULL, 0},
            C(suppressed, "cdranon_records_suppressed_total",
              "Records of opted-out subscribers: sealed, not published."),
            {&d->dead, CDR_METRIC_COUNTER,
             "cdranon_records_dead_lettered_total",
             "Records written to the dead-letter topic, by the rule broken.",
             reason, 1, NULL, 0},
            C(sealed, "cdranon_records_sealed_total",
              "Sealed copies written to the sealed topic."),
            C(committed, "cdranon_transactions_committed_total",
              "Transactions committed (at least once: offset commits)."),
            C(aborted, "cdranon_transactions_aborted_total",
              "Transactions aborted."),
            C(rebalances, "cdranon_rebalances_total",
              "Partition assign and revoke events."),
            C(retries, "cdranon_retries_total",
              "Retriable Kafka errors retried."),
            C(rewinds, "cdranon_rewinds_total",
              "Consumer rewound to the last committed offsets."),
            C(recreations, "cdranon_producer_recreations_total",
              "Transactional producer re-created after a commit or abort of "
              "unknown outcome or a fatal error a new epoch cures."),
            C(consumer_errors, "cdranon_consumer_errors_total",
              "Errors reported by the consumer."),
            C(delivery_errors, "cdranon_delivery_errors_total",
              "Output messages that failed delivery."),
            G(partitions, "cdranon_partitions_assigned",
              "Input partitions assigned to this instance."),
            C(cache_hits, "cdranon_pseudonym_cache_hits_total",
              "Pseudonyms found in the per-thread cache."),
            C(cache_misses, "cdranon_pseudonym_cache_misses_total",
              "Pseudonyms computed (not in the cache)."),
            {&d->stage, CDR_METRIC_HISTOGRAM, "cdranon_stage_duration_seconds",
             "Time per record in each transform stage (one record in "
             "64 timed; policy includes normalise, pseudonymise and "
             "encode).",
             stage, 1, cdr_stage_bounds, CDR_STAGE_NBOUNDS},
            {&d->e2e, CDR_METRIC_HISTOGRAM, "cdranon_end_to_end_seconds",
             "From the input message's timestamp to the commit of its "
             "outputs.",
             NULL, 0, cdr_e2e_bounds, CDR_E2E_NBOUNDS},
            {&d->lag, CDR_METRIC_GAUGE, "cdranon_consumer_lag",
             "Records between the consumer's position and the end of each "
             "assigned partition (librdkafka statistics).",
             lag, 2, NULL, 0},
            {&d->key_info, CDR_METRIC_GAUGE, "cdranon_key_info",
             "The active pseudonymisation key (value 1).", key, 1, NULL, 0},
            C(epochs, "cdranon_sealer_epochs_total",
              "Sealing epochs started (one HPKE encapsulation each)."),
            {&d->risk_unicity, CDR_METRIC_GAUGE, "cdranon_risk_unicity",
             "Share of a pseudonym field's traces that `points` random "
             "points of their own single out, over the risk window "
             "(docs/anonymity.md).",
             pfield, 3, NULL, 0},
            {&d->risk_tested, CDR_METRIC_GAUGE, "cdranon_risk_traces_tested",
             "Traces with at least `points` points tested for "
             "cdranon_risk_unicity.",
             pfield, 3, NULL, 0},
            {&d->risk_below, CDR_METRIC_GAUGE,
             "cdranon_risk_records_below_k_ratio",
             "Share of the risk window's records whose combination of all "
             "non-pseudonym fields is held by fewer than k records.",
             pk, 2, NULL, 0},
            {&d->risk_min_k, CDR_METRIC_GAUGE, "cdranon_risk_min_k",
             "Records in the smallest group of all non-pseudonym fields "
             "over the risk window.",
             purpose, 1, NULL, 0},
            {&d->risk_records, CDR_METRIC_GAUGE, "cdranon_risk_window_records",
             "Published records in the risk window at its last measurement.",
             purpose, 1, NULL, 0},
            {&d->risk_bytes, CDR_METRIC_GAUGE, "cdranon_risk_window_bytes",
             "Bytes of JSON in the risk window at its last measurement.",
             purpose, 1, NULL, 0},
            C(risk_measures, "cdranon_risk_measurements_total",
              "Measurements of the risk window."),
            G(risk_seconds, "cdranon_risk_measure_seconds",
              "Time the last measurement of the risk window took (on the "
              "driving thread)."),
#undef C
#undef G
        };
        size_t i;

        for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
                *defs[i].slot = cdr_metrics_add(
                    d->metrics, defs[i].type, defs[i].name, defs[i].help,
                    defs[i].labels, defs[i].nlabels, defs[i].bounds,
                    defs[i].nbounds, errstr, errstr_size);
                if (*defs[i].slot == NULL)
                        return CDR_ERR_NOMEM;
        }
        return CDR_OK;
}

cdr_daemon_metrics_t *cdr_daemon_metrics_new(cdr_metrics_t *metrics,
                                             char *errstr, size_t errstr_size)
{
        cdr_daemon_metrics_t *d = calloc(1, sizeof(*d));

        if (d == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        d->metrics = metrics;
        if (add_families(d, errstr, errstr_size) != CDR_OK) {
                free(d);
                return NULL;
        }
        return d;
}

void cdr_daemon_metrics_destroy(cdr_daemon_metrics_t *d)
{
        free(d);
}

void cdr_daemon_metrics_publish(cdr_daemon_metrics_t *d,
                                const cdr_pipeline_t *pipeline,
                                const cdr_engine_t *engine)
{
        cdr_metrics_t *m = d->metrics;
        cdr_pipeline_stats_t ps;
        cdr_transform_stats_t ts;
        const char *key_id, *name;
        unsigned r;
        size_t i;
        int s;

        cdr_pipeline_stats(pipeline, &ps);
        cdr_pipeline_transform_stats(pipeline, &ts);
        key_id = cdr_engine_key_id(engine);

        cdr_metrics_lock(m);
        cdr_metric_set(d->records_in, NULL, (double)ps.records);
        cdr_metric_set(d->published, NULL, (double)ps.published);
        for (i = 0; i < cdr_engine_config(engine)->npurposes; i++) {
                name = cdr_engine_config(engine)->purposes[i].name;
                cdr_metric_set(
                    d->purpose_published, &name,
                    (double)cdr_pipeline_purpose_published(pipeline, i));
        }
        cdr_metric_set(d->suppressed, NULL, (double)ps.suppressed);
        for (r = 0; (name = cdr_reason_name(r)) != NULL; r++)
                cdr_metric_set(d->dead, &name, (double)ps.dead_by_reason[r]);
        cdr_metric_set(d->sealed, NULL, (double)ps.sealed);
        cdr_metric_set(d->committed, NULL, (double)ps.txn.committed);
        cdr_metric_set(d->aborted, NULL, (double)ps.txn.aborted);
        cdr_metric_set(d->rebalances, NULL, (double)ps.rebalances);
        cdr_metric_set(d->retries, NULL, (double)ps.txn.retries);
        cdr_metric_set(d->rewinds, NULL, (double)ps.rewinds);
        cdr_metric_set(d->recreations, NULL, (double)ps.recreations);
        cdr_metric_set(d->consumer_errors, NULL, (double)ps.consumer_errors);
        cdr_metric_set(d->delivery_errors, NULL, (double)ps.delivery_errors);
        cdr_metric_set(d->partitions, NULL, (double)ps.partitions);
        cdr_metric_set(d->cache_hits, NULL, (double)ts.cache_hits);
        cdr_metric_set(d->cache_misses, NULL, (double)ts.cache_misses);
        for (s = 0; s < CDR_STAGE_COUNT; s++) {
                name = stage_names[s];
                cdr_metric_set_hist(d->stage, &name, &ts.stage[s]);
        }
        cdr_metric_set_hist(d->e2e, NULL, &ps.end_to_end);
        if (key_id != NULL && strcmp(key_id, d->key_id) != 0) {
                cdr_metric_clear(d->key_info);
                snprintf(d->key_id, sizeof(d->key_id), "%s", key_id);
        }
        if (key_id != NULL) {
                name = d->key_id;
                cdr_metric_set(d->key_info, &name, 1);
        }
        cdr_metric_set(d->epochs, NULL, (double)ts.sealer_epochs);
        cdr_metrics_unlock(m);
}

void cdr_daemon_metrics_risk(cdr_daemon_metrics_t *d,
                             const cdr_risk_window_t *window, double seconds)
{
        cdr_metrics_t *m = d->metrics;
        cdr_risk_window_stats_t st;
        char k[24], points[4];
        size_t i, j;
        unsigned p;

        cdr_metrics_lock(m);
        cdr_metric_clear(d->risk_unicity);
        cdr_metric_clear(d->risk_tested);
        cdr_metric_clear(d->risk_below);
        for (i = 0; i < cdr_risk_window_outputs(window); i++) {
                const cdr_risk_report_t *r = cdr_risk_window_report(window, i);
                const char *name = cdr_risk_window_name(window, i);

                cdr_risk_window_stats(window, i, &st);
                cdr_metric_set(d->risk_records, &name, (double)st.records);
                cdr_metric_set(d->risk_bytes, &name, (double)st.bytes);
                if (r == NULL)
                        continue;
                for (j = 0; j < r->ntraces; j++) {
                        const cdr_risk_trace_t *t = &r->traces[j];

                        for (p = 0; p < CDR_RISK_POINTS; p++) {
                                const char *values[3] = {name, t->field,
                                                         points};

                                snprintf(points, sizeof(points), "%u",
                                         t->at[p].points);
                                cdr_metric_set(d->risk_unicity, values,
                                               t->at[p].share);
                                cdr_metric_set(d->risk_tested, values,
                                               (double)t->at[p].tested);
                        }
                }
                if (r->nksets > 0) {
                        const char *values[2] = {name, k};

                        /* ksets[0] is the set of every point field. */
                        snprintf(k, sizeof(k), "%llu",
                                 (unsigned long long)r->k);
                        cdr_metric_set(d->risk_below, values,
                                       r->ksets[0].below_share);
                        cdr_metric_set(d->risk_min_k, &name,
                                       (double)r->ksets[0].min_k);
                }
        }
        cdr_metric_add(d->risk_measures, NULL, 1);
        cdr_metric_set(d->risk_seconds, NULL, seconds);
        cdr_metrics_unlock(m);
}

/* ------------------------------------------------------------------ */
/* librdkafka statistics                                               */
/* ------------------------------------------------------------------ */

/* Member `name` of a partition object into *v when it is there: 0, or -1
 * when it is not an integer. */
static int member_int(const json_t *part, const char *name, int64_t *v)
{
        const json_t *m = json_object_get(part, name);

        if (m == NULL)
                return 0;
        if (!json_is_integer(m))
                return -1;
        *v = (int64_t)json_integer_value(m);
        return 0;
}

/* One partition object: 0 with *use set when it is being fetched and its
 * lag is known, or -1 when it is malformed. */
static int read_partition(const json_t *part, int read_committed,
                          cdr_partition_lag_t *out, int *use)
{
        int64_t id = -1, app = -1, committed = -1, lo = -1, hi = -1, ls = -1,
                end, pos;
        const json_t *state;
        const char *s;
        int fetching = 0;

        *use = 0;
        if (!json_is_object(part))
                return -1;
        state = json_object_get(part, "fetch_state");
        if (state != NULL) {
                if (!json_is_string(state))
                        return -1;
                s = json_string_value(state);
                fetching = strcmp(s, "none") != 0 &&
                           strcmp(s, "stopping") != 0 &&
                           strcmp(s, "stopped") != 0;
        }
        if (member_int(part, "partition", &id) != 0 ||
            member_int(part, "app_offset", &app) != 0 ||
            member_int(part, "committed_offset", &committed) != 0 ||
            member_int(part, "lo_offset", &lo) != 0 ||
            member_int(part, "hi_offset", &hi) != 0 ||
            member_int(part, "ls_offset", &ls) != 0)
                return -1;
        end = read_committed ? ls : hi;
        pos = app > committed ? app : committed;
        if (pos < 0)
                pos = lo;
        *use = id >= 0 && id <= INT32_MAX && fetching && end >= 0 && pos >= 0;
        if (*use) {
                out->partition = (int32_t)id;
                out->lag = end > pos ? end - pos : 0;
        }
        return 0;
}

int cdr_kafka_stats_lag(const char *json, size_t len, const char *topic,
                        int read_committed, cdr_partition_lag_t *out,
                        size_t max, size_t *count)
{
        const json_t *node, *part;
        json_error_t error;
        const char *name;
        json_t *root;
        int rc = CDR_ERR_MALFORMED;

        *count = 0;
        root = json_loadb(json, len, 0, &error);
        if (root == NULL || !json_is_object(root))
                goto out;
        /* topics.TOPIC.partitions: objects when present; each member of
         * partitions a partition object, in the document's order. */
        node = json_object_get(root, "topics");
        if (node != NULL && json_is_object(node))
                node = json_object_get(node, topic);
        else if (node != NULL)
                goto out;
        if (node != NULL && json_is_object(node))
                node = json_object_get(node, "partitions");
        else if (node != NULL)
                goto out;
        if (node != NULL && !json_is_object(node))
                goto out;
        json_object_foreach((json_t *)node, name, part)
        {
                cdr_partition_lag_t pl;
                int use;

                if (read_partition(part, read_committed, &pl, &use) != 0) {
                        *count = 0;
                        goto out;
                }
                if (use && *count < max)
                        out[(*count)++] = pl;
        }
        rc = CDR_OK;
out:
        json_decref(root);
        return rc;
}

#define LAG_PARTITIONS_MAX 1024

int cdr_daemon_metrics_kafka_stats(cdr_daemon_metrics_t *d, const char *json,
                                   size_t len, const char *topic,
                                   int read_committed)
{
        cdr_metrics_t *m = d->metrics;
        cdr_partition_lag_t *lags;
        size_t n, i;
        int rc;

        lags = malloc(LAG_PARTITIONS_MAX * sizeof(*lags));
        if (lags == NULL)
                return CDR_ERR_NOMEM;
        rc = cdr_kafka_stats_lag(json, len, topic, read_committed, lags,
                                 LAG_PARTITIONS_MAX, &n);
        if (rc == CDR_OK) {
                cdr_metrics_lock(m);
                cdr_metric_clear(d->lag);
                for (i = 0; i < n; i++) {
                        char part[16];
                        const char *values[2] = {topic, part};

                        snprintf(part, sizeof(part), "%d",
                                 (int)lags[i].partition);
                        cdr_metric_set(d->lag, values, (double)lags[i].lag);
                }
                cdr_metrics_unlock(m);
        }
        free(lags);
        return rc;
}
