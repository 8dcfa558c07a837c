/*
 * Prometheus metrics: the registry and its text exposition (format
 * 0.0.4), the daemon's metric families, consumer lag out of librdkafka's
 * statistics, and the HTTP server.  See metrics.h.
 *
 * The registry is a list of families, each a list of series (one per
 * distinct label values), under one recursive mutex: updates come from
 * the driving thread a few times a second, renders from the server's
 * thread on each scrape, so one lock costs nothing that matters and keeps
 * a snapshot whole.
 */
#include "cdranon/metrics.h"
#include "cdranon/pipeline.h"
#include "cdranon/transform.h"

#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Histograms                                                          */
/* ------------------------------------------------------------------ */

const double cdr_stage_bounds[CDR_STAGE_NBOUNDS] = {
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2};

const double cdr_e2e_bounds[CDR_E2E_NBOUNDS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

void cdr_hist_observe(cdr_hist_t *h, const double *bounds, size_t nbounds,
                      double v)
{
        size_t i = 0;

        while (i < nbounds && v > bounds[i])
                i++;
        h->bucket[i]++;
        h->count++;
        h->sum += v;
}

void cdr_hist_merge(cdr_hist_t *dst, const cdr_hist_t *src)
{
        size_t i;

        for (i = 0; i <= CDR_HIST_BOUNDS_MAX; i++)
                dst->bucket[i] += src->bucket[i];
        dst->count += src->count;
        dst->sum += src->sum;
}

/* ------------------------------------------------------------------ */
/* Dead-letter reasons                                                 */
/* ------------------------------------------------------------------ */

enum {
        R_OTHER = 0,
        R_RECORD_TOO_LONG,
        R_CSV_SYNTAX,
        R_CSV_COLUMN_COUNT,
        R_CSV_EMPTY_RECORD,
        R_JSON_SYNTAX,
        R_JSON_NOT_AN_OBJECT,
        R_JSON_INVALID_UTF8,
        R_JSON_NESTED,
        R_JSON_DUPLICATE_FIELD,
        R_JSON_TOO_MANY_FIELDS,
        R_NUMBER_MALFORMED,
        R_NUMBER_TOO_LONG,
        R_NUMBER_TOO_SHORT,
        R_NUMBER_COUNTRY_CODE,
        R_IMSI_MALFORMED,
        R_IMEI_MALFORMED,
        R_ID_TOO_LONG,
        R_VALUE_INVALID_UTF8,
        R_VALUE_NOT_A_NUMBER,
        R_TIMESTAMP_MALFORMED,
        R_TIMESTAMP_OUT_OF_RANGE,
        R_VALUE_INVALID,
        R_NCLASSES
};

static const char *const reason_names[] = {
    "other",
    "record_too_long",
    "csv_syntax",
    "csv_column_count",
    "csv_empty_record",
    "json_syntax",
    "json_not_an_object",
    "json_invalid_utf8",
    "json_nested",
    "json_duplicate_field",
    "json_too_many_fields",
    "number_malformed",
    "number_too_long",
    "number_too_short",
    "number_country_code",
    "imsi_malformed",
    "imei_malformed",
    "id_too_long",
    "value_invalid_utf8",
    "value_not_a_number",
    "timestamp_malformed",
    "timestamp_out_of_range",
    "value_invalid",
};

_Static_assert(R_NCLASSES <= CDR_REASON_COUNT, "CDR_REASON_COUNT too small");
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == R_NCLASSES,
               "a name per reason class");

static int starts(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The policy's reasons are "field 'FROM': ACTION: RULE" where FROM and
 * ACTION come from the configuration and RULE from the code (policy.c,
 * number.c); only RULE, the text after the last ": ", is looked at.  The
 * readers' reasons may quote an input field name, so they are matched
 * only on their fixed prefixes and suffixes. */
static unsigned policy_class(const char *reason)
{
        const char *rule = reason, *p;

        while ((p = strstr(rule, ": ")) != NULL)
                rule = p + 2;
        if (strstr(rule, "IMSI") != NULL)
                return R_IMSI_MALFORMED;
        if (strstr(rule, "IMEI") != NULL)
                return R_IMEI_MALFORMED;
        if (strcmp(rule, "id too long") == 0)
                return R_ID_TOO_LONG;
        if (strstr(rule, "more than 15 digits") != NULL)
                return R_NUMBER_TOO_LONG;
        if (strstr(rule, "fewer than") != NULL ||
            strstr(rule, "too few") != NULL)
                return R_NUMBER_TOO_SHORT;
        if (strstr(rule, "country code") != NULL)
                return R_NUMBER_COUNTRY_CODE;
        if (strstr(rule, "UTF-8") != NULL)
                return R_VALUE_INVALID_UTF8;
        if (strstr(rule, "not a number") != NULL ||
            strstr(rule, "significant digits") != NULL)
                return R_VALUE_NOT_A_NUMBER;
        if (strstr(rule, "not a timestamp") != NULL)
                return R_TIMESTAMP_MALFORMED;
        if (strstr(rule, "out of range") != NULL)
                return R_TIMESTAMP_OUT_OF_RANGE;
        if (strstr(rule, "number") != NULL || strstr(rule, "URI") != NULL ||
            strstr(rule, "'+'") != NULL || strstr(rule, "prefix") != NULL)
                return R_NUMBER_MALFORMED;
        if (strcmp(rule, "invalid value") == 0)
                return R_VALUE_INVALID;
        return R_OTHER;
}

unsigned cdr_metrics_reason_class(const char *reason)
{
        if (reason == NULL)
                return R_OTHER;
        if (starts(reason, "record: longer than"))
                return R_RECORD_TOO_LONG;
        if (starts(reason, "json: ")) {
                if (strcmp(reason, "json: record too long") == 0)
                        return R_RECORD_TOO_LONG;
                if (strcmp(reason, "json: record is not an object") == 0)
                        return R_JSON_NOT_AN_OBJECT;
                if (starts(reason, "json: invalid UTF-8 in "))
                        return R_JSON_INVALID_UTF8;
                if (starts(reason, "json: duplicate "))
                        return R_JSON_DUPLICATE_FIELD;
                if (starts(reason, "json: more than "))
                        return R_JSON_TOO_MANY_FIELDS;
                if (ends(reason, ": nested objects are not accepted") ||
                    ends(reason, ": nested arrays are not accepted"))
                        return R_JSON_NESTED;
                return R_JSON_SYNTAX;
        }
        if (starts(reason, "csv: ")) {
                if (strcmp(reason, "csv: empty record") == 0)
                        return R_CSV_EMPTY_RECORD;
                if (starts(reason, "csv: too many columns") ||
                    (reason[5] >= '0' && reason[5] <= '9'))
                        return R_CSV_COLUMN_COUNT;
                return R_CSV_SYNTAX;
        }
        if (starts(reason, "field '"))
                return policy_class(reason);
        return R_OTHER;
}

const char *cdr_metrics_reason_name(unsigned c)
{
        return c < R_NCLASSES ? reason_names[c] : NULL;
}

/* ------------------------------------------------------------------ */
/* The registry                                                        */
/* ------------------------------------------------------------------ */

struct series {
        char *labels[CDR_METRIC_LABELS_MAX];
        double value;
        cdr_hist_t hist;
};

struct cdr_metric_s {
        cdr_metrics_t *owner;
        cdr_metric_type_t type;
        char *name;
        char *help;
        char *label_names[CDR_METRIC_LABELS_MAX];
        size_t nlabels;
        double bounds[CDR_HIST_BOUNDS_MAX];
        size_t nbounds;
        struct series *series;
        size_t nseries;
        size_t cap;
};

/* The daemon's families (cdr_metrics_add_daemon). */
struct daemon {
        cdr_metric_t *records_in, *published, *suppressed, *dead, *sealed;
        cdr_metric_t *committed, *aborted, *rebalances, *retries, *rewinds;
        cdr_metric_t *consumer_errors, *delivery_errors, *partitions;
        cdr_metric_t *cache_hits, *cache_misses, *stage, *e2e, *lag;
        cdr_metric_t *key_info, *epochs;
        char key_id[64];
};

struct cdr_metrics_s {
        pthread_mutex_t mu;
        cdr_metric_t **metrics;
        size_t n;
        size_t cap;
        atomic_int running;
        atomic_int partitions;
        atomic_llong beat_ms;
        int have_daemon;
        struct daemon d;
};

static int64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cdr_metrics_t *cdr_metrics_new(void)
{
        pthread_mutexattr_t attr;
        cdr_metrics_t *m;

        m = calloc(1, sizeof(*m));
        if (m == NULL)
                return NULL;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        if (pthread_mutex_init(&m->mu, &attr) != 0) {
                pthread_mutexattr_destroy(&attr);
                free(m);
                return NULL;
        }
        pthread_mutexattr_destroy(&attr);
        atomic_init(&m->running, 0);
        atomic_init(&m->partitions, 0);
        atomic_init(&m->beat_ms, 0);
        return m;
}

static void series_free(struct series *s, size_t nlabels)
{
        size_t i;

        for (i = 0; i < nlabels; i++)
                free(s->labels[i]);
}

static void metric_free(cdr_metric_t *metric)
{
        size_t i;

        if (metric == NULL)
                return;
        for (i = 0; i < metric->nseries; i++)
                series_free(&metric->series[i], metric->nlabels);
        for (i = 0; i < metric->nlabels; i++)
                free(metric->label_names[i]);
        free(metric->series);
        free(metric->name);
        free(metric->help);
        free(metric);
}

void cdr_metrics_destroy(cdr_metrics_t *m)
{
        size_t i;

        if (m == NULL)
                return;
        for (i = 0; i < m->n; i++)
                metric_free(m->metrics[i]);
        free(m->metrics);
        pthread_mutex_destroy(&m->mu);
        free(m);
}

void cdr_metrics_lock(cdr_metrics_t *m)
{
        pthread_mutex_lock(&m->mu);
}

void cdr_metrics_unlock(cdr_metrics_t *m)
{
        pthread_mutex_unlock(&m->mu);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names (colons allowed), without
 * colons for label names. */
static int name_ok(const char *s, int colon)
{
        size_t i;

        if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
                return 0;
        for (i = 0; s[i] != '\0'; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '_' ||
                      (colon && c == ':')))
                        return 0;
        }
        return 1;
}

static struct series *series_find(cdr_metric_t *metric,
                                  const char *const *values, int create)
{
        struct series *s;
        size_t i, j;

        for (i = 0; i < metric->nseries; i++) {
                s = &metric->series[i];
                for (j = 0; j < metric->nlabels; j++)
                        if (strcmp(s->labels[j], values[j]) != 0)
                                break;
                if (j == metric->nlabels)
                        return s;
        }
        if (!create)
                return NULL;
        if (metric->nseries == metric->cap) {
                size_t cap = metric->cap ? metric->cap * 2 : 4;
                struct series *more =
                    realloc(metric->series, cap * sizeof(*more));

                if (more == NULL)
                        return NULL;
                metric->series = more;
                metric->cap = cap;
        }
        s = &metric->series[metric->nseries];
        memset(s, 0, sizeof(*s));
        for (j = 0; j < metric->nlabels; j++) {
                s->labels[j] = strdup(values[j] != NULL ? values[j] : "");
                if (s->labels[j] == NULL) {
                        series_free(s, j);
                        return NULL;
                }
        }
        metric->nseries++;
        return s;
}

cdr_metric_t *cdr_metrics_add(cdr_metrics_t *m, cdr_metric_type_t type,
                              const char *name, const char *help,
                              const char *const *label_names, size_t nlabels,
                              const double *bounds, size_t nbounds,
                              char *errstr, size_t errstr_size)
{
        cdr_metric_t *metric = NULL;
        size_t i;

        if (!name_ok(name, 1)) {
                cdr_errf(errstr, errstr_size, "metric: bad name");
                return NULL;
        }
        if (type == CDR_METRIC_COUNTER && !ends(name, "_total")) {
                cdr_errf(errstr, errstr_size,
                         "metric %s: a counter's name ends in _total", name);
                return NULL;
        }
        if (nlabels > CDR_METRIC_LABELS_MAX ||
            (nlabels > 0 && label_names == NULL)) {
                cdr_errf(errstr, errstr_size, "metric %s: too many labels",
                         name);
                return NULL;
        }
        for (i = 0; i < nlabels; i++)
                if (!name_ok(label_names[i], 0) ||
                    strncmp(label_names[i], "__", 2) == 0 ||
                    (type == CDR_METRIC_HISTOGRAM &&
                     strcmp(label_names[i], "le") == 0)) {
                        cdr_errf(errstr, errstr_size,
                                 "metric %s: bad label name", name);
                        return NULL;
                }
        if (type == CDR_METRIC_HISTOGRAM) {
                if (bounds == NULL || nbounds < 1 ||
                    nbounds > CDR_HIST_BOUNDS_MAX) {
                        cdr_errf(errstr, errstr_size,
                                 "metric %s: 1 to %d bucket bounds", name,
                                 CDR_HIST_BOUNDS_MAX);
                        return NULL;
                }
                for (i = 0; i < nbounds; i++)
                        if (!isfinite(bounds[i]) ||
                            (i > 0 && bounds[i] <= bounds[i - 1])) {
                                cdr_errf(errstr, errstr_size,
                                         "metric %s: bounds must be finite "
                                         "and ascending",
                                         name);
                                return NULL;
                        }
        } else if (nbounds != 0) {
                cdr_errf(errstr, errstr_size,
                         "metric %s: only a histogram has buckets", name);
                return NULL;
        }

        metric = calloc(1, sizeof(*metric));
        if (metric == NULL)
                goto nomem;
        metric->owner = m;
        metric->type = type;
        metric->name = strdup(name);
        metric->help = strdup(help != NULL ? help : "");
        if (metric->name == NULL || metric->help == NULL)
                goto nomem;
        for (i = 0; i < nlabels; i++) {
                metric->label_names[i] = strdup(label_names[i]);
                if (metric->label_names[i] == NULL)
                        goto nomem;
                metric->nlabels = i + 1;
        }
        if (nbounds > 0)
                memcpy(metric->bounds, bounds, nbounds * sizeof(*bounds));
        metric->nbounds = nbounds;
        if (nlabels == 0 && series_find(metric, NULL, 1) == NULL)
                goto nomem;

        pthread_mutex_lock(&m->mu);
        if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 16;
                cdr_metric_t **more = realloc(m->metrics, cap * sizeof(*more));

                if (more == NULL) {
                        pthread_mutex_unlock(&m->mu);
                        goto nomem;
                }
                m->metrics = more;
                m->cap = cap;
        }
        m->metrics[m->n++] = metric;
        pthread_mutex_unlock(&m->mu);
        return metric;

nomem:
        metric_free(metric);
        cdr_errf(errstr, errstr_size, "out of memory");
        return NULL;
}

/* Runs `op` on the series of `values` under the registry's lock. */
enum { OP_SET, OP_ADD, OP_OBSERVE, OP_HIST };

static int metric_update(cdr_metric_t *metric, const char *const *values,
                         int op, double v, const cdr_hist_t *h)
{
        struct series *s;
        int rc = CDR_OK;

        if ((op == OP_SET || op == OP_ADD) ==
            (metric->type == CDR_METRIC_HISTOGRAM))
                return CDR_ERR_INVAL;
        if (metric->nlabels > 0 && values == NULL)
                return CDR_ERR_INVAL;
        pthread_mutex_lock(&metric->owner->mu);
        s = series_find(metric, values, 1);
        if (s == NULL) {
                rc = CDR_ERR_NOMEM;
        } else if (op == OP_SET) {
                s->value = v;
        } else if (op == OP_ADD) {
                s->value += v;
        } else if (op == OP_OBSERVE) {
                cdr_hist_observe(&s->hist, metric->bounds, metric->nbounds, v);
        } else {
                s->hist = *h;
        }
        pthread_mutex_unlock(&metric->owner->mu);
        return rc;
}

int cdr_metric_set(cdr_metric_t *metric, const char *const *values, double v)
{
        return metric_update(metric, values, OP_SET, v, NULL);
}

int cdr_metric_add(cdr_metric_t *metric, const char *const *values, double v)
{
        return metric_update(metric, values, OP_ADD, v, NULL);
}

int cdr_metric_observe(cdr_metric_t *metric, const char *const *values,
                       double v)
{
        return metric_update(metric, values, OP_OBSERVE, v, NULL);
}

int cdr_metric_set_hist(cdr_metric_t *metric, const char *const *values,
                        const cdr_hist_t *h)
{
        return metric_update(metric, values, OP_HIST, 0, h);
}

void cdr_metric_clear(cdr_metric_t *metric)
{
        size_t i;

        if (metric->nlabels == 0)
                return;
        pthread_mutex_lock(&metric->owner->mu);
        for (i = 0; i < metric->nseries; i++)
                series_free(&metric->series[i], metric->nlabels);
        metric->nseries = 0;
        pthread_mutex_unlock(&metric->owner->mu);
}

/* ------------------------------------------------------------------ */
/* Text exposition format 0.0.4                                        */
/* ------------------------------------------------------------------ */

#define PUT(...)                                                               \
        do {                                                                   \
                if (cdr_buf_printf(out, __VA_ARGS__) != CDR_OK)                \
                        return CDR_ERR_NOMEM;                                  \
        } while (0)

/* HELP text escapes \ and newline; label values also ". */
static int put_escaped(cdr_buf_t *out, const char *s, int quote)
{
        for (; *s != '\0'; s++) {
                const char *e = NULL;

                if (*s == '\\')
                        e = "\\\\";
                else if (*s == '\n')
                        e = "\\n";
                else if (quote && *s == '"')
                        e = "\\\"";
                if (e != NULL) {
                        if (cdr_buf_puts(out, e) != CDR_OK)
                                return CDR_ERR_NOMEM;
                } else if (cdr_buf_putc(out, *s) != CDR_OK) {
                        return CDR_ERR_NOMEM;
                }
        }
        return CDR_OK;
}

/* The shortest of %.15g and %.17g that reads back as v. */
static void format_double(double v, char *buf, size_t size)
{
        if (isnan(v)) {
                snprintf(buf, size, "NaN");
        } else if (isinf(v)) {
                snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
        } else {
                snprintf(buf, size, "%.15g", v);
                if (strtod(buf, NULL) != v)
                        snprintf(buf, size, "%.17g", v);
        }
}

/* {a="x",b="y"} with an optional le last; nothing without labels. */
static int put_labels(cdr_buf_t *out, const cdr_metric_t *metric,
                      const struct series *s, const char *le)
{
        size_t i;

        if (metric->nlabels == 0 && le == NULL)
                return CDR_OK;
        PUT("{");
        for (i = 0; i < metric->nlabels; i++) {
                PUT("%s%s=\"", i ? "," : "", metric->label_names[i]);
                if (put_escaped(out, s->labels[i], 1) != CDR_OK)
                        return CDR_ERR_NOMEM;
                PUT("\"");
        }
        if (le != NULL)
                PUT("%sle=\"%s\"", metric->nlabels ? "," : "", le);
        PUT("}");
        return CDR_OK;
}

static int render_metric(cdr_buf_t *out, const cdr_metric_t *metric)
{
        static const char *const types[] = {"counter", "gauge", "histogram"};
        char num[64], le[64];
        size_t i, b;

        PUT("# HELP %s ", metric->name);
        if (put_escaped(out, metric->help, 0) != CDR_OK)
                return CDR_ERR_NOMEM;
        PUT("\n# TYPE %s %s\n", metric->name, types[metric->type]);
        for (i = 0; i < metric->nseries; i++) {
                const struct series *s = &metric->series[i];

                if (metric->type != CDR_METRIC_HISTOGRAM) {
                        format_double(s->value, num, sizeof(num));
                        PUT("%s", metric->name);
                        if (put_labels(out, metric, s, NULL) != CDR_OK)
                                return CDR_ERR_NOMEM;
                        PUT(" %s\n", num);
                        continue;
                }
                uint64_t cum = 0;

                for (b = 0; b <= metric->nbounds; b++) {
                        cum += s->hist.bucket[b];
                        if (b < metric->nbounds)
                                format_double(metric->bounds[b], le,
                                              sizeof(le));
                        else
                                snprintf(le, sizeof(le), "+Inf");
                        PUT("%s_bucket", metric->name);
                        if (put_labels(out, metric, s, le) != CDR_OK)
                                return CDR_ERR_NOMEM;
                        PUT(" %llu\n", (unsigned long long)cum);
                }
                format_double(s->hist.sum, num, sizeof(num));
                PUT("%s_sum", metric->name);
                if (put_labels(out, metric, s, NULL) != CDR_OK)
                        return CDR_ERR_NOMEM;
                PUT(" %s\n%s_count", num, metric->name);
                if (put_labels(out, metric, s, NULL) != CDR_OK)
                        return CDR_ERR_NOMEM;
                PUT(" %llu\n", (unsigned long long)s->hist.count);
        }
        return CDR_OK;
}

int cdr_metrics_render(cdr_metrics_t *m, cdr_buf_t *out)
{
        size_t i;
        int rc = CDR_OK;

        pthread_mutex_lock(&m->mu);
        for (i = 0; i < m->n && rc == CDR_OK; i++)
                rc = render_metric(out, m->metrics[i]);
        pthread_mutex_unlock(&m->mu);
        return rc;
}

/* ------------------------------------------------------------------ */
/* Health                                                              */
/* ------------------------------------------------------------------ */

void cdr_metrics_set_running(cdr_metrics_t *m, int running)
{
        if (running)
                atomic_store(&m->beat_ms, mono_ms());
        atomic_store(&m->running, running ? 1 : 0);
}

void cdr_metrics_heartbeat(cdr_metrics_t *m, int partitions)
{
        atomic_store(&m->partitions, partitions);
        atomic_store(&m->beat_ms, mono_ms());
}

static int64_t beat_age_ms(const cdr_metrics_t *m)
{
        return mono_ms() - atomic_load(&((cdr_metrics_t *)m)->beat_ms);
}

int cdr_metrics_live(const cdr_metrics_t *m)
{
        return atomic_load(&((cdr_metrics_t *)m)->running) &&
               beat_age_ms(m) < CDR_METRICS_LIVE_S * 1000;
}

int cdr_metrics_ready(const cdr_metrics_t *m)
{
        return atomic_load(&((cdr_metrics_t *)m)->running) &&
               atomic_load(&((cdr_metrics_t *)m)->partitions) > 0 &&
               beat_age_ms(m) < CDR_METRICS_READY_S * 1000;
}

/* ------------------------------------------------------------------ */
/* The daemon's metrics                                                */
/* ------------------------------------------------------------------ */

static const char *const stage_names[CDR_STAGE_COUNT] = {"parse", "policy",
                                                         "seal"};

int cdr_metrics_add_daemon(cdr_metrics_t *m, char *errstr, size_t errstr_size)
{
        static const char *const reason[] = {"reason"};
        static const char *const stage[] = {"stage"};
        static const char *const lag[] = {"topic", "partition"};
        static const char *const key[] = {"key_id"};
        struct daemon *d = &m->d;
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
              "Records written to the anonymised topic."),
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
#undef C
#undef G
        };
        size_t i;

        if (m->have_daemon)
                return CDR_OK;
        for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
                *defs[i].slot = cdr_metrics_add(
                    m, defs[i].type, defs[i].name, defs[i].help, defs[i].labels,
                    defs[i].nlabels, defs[i].bounds, defs[i].nbounds, errstr,
                    errstr_size);
                if (*defs[i].slot == NULL)
                        return CDR_ERR_NOMEM;
        }
        m->have_daemon = 1;
        return CDR_OK;
}

void cdr_metrics_publish(cdr_metrics_t *m, const cdr_pipeline_t *pipeline,
                         const cdr_engine_t *engine)
{
        struct daemon *d = &m->d;
        cdr_pipeline_stats_t ps;
        cdr_transform_stats_t ts;
        const char *key_id;
        unsigned r;
        int s;

        if (!m->have_daemon)
                return;
        cdr_pipeline_stats(pipeline, &ps);
        cdr_pipeline_transform_stats(pipeline, &ts);
        key_id = cdr_engine_key_id(engine);

        cdr_metrics_lock(m);
        cdr_metric_set(d->records_in, NULL, (double)ps.records);
        cdr_metric_set(d->published, NULL, (double)ps.published);
        cdr_metric_set(d->suppressed, NULL, (double)ps.suppressed);
        for (r = 0; r < R_NCLASSES; r++) {
                const char *name = reason_names[r];

                cdr_metric_set(d->dead, &name, (double)ps.dead_by_reason[r]);
        }
        cdr_metric_set(d->sealed, NULL, (double)ps.sealed);
        cdr_metric_set(d->committed, NULL, (double)ps.txn_committed);
        cdr_metric_set(d->aborted, NULL, (double)ps.txn_aborted);
        cdr_metric_set(d->rebalances, NULL, (double)ps.rebalances);
        cdr_metric_set(d->retries, NULL, (double)ps.retries);
        cdr_metric_set(d->rewinds, NULL, (double)ps.rewinds);
        cdr_metric_set(d->consumer_errors, NULL, (double)ps.consumer_errors);
        cdr_metric_set(d->delivery_errors, NULL, (double)ps.delivery_errors);
        cdr_metric_set(d->partitions, NULL, (double)ps.partitions);
        cdr_metric_set(d->cache_hits, NULL, (double)ts.cache_hits);
        cdr_metric_set(d->cache_misses, NULL, (double)ts.cache_misses);
        for (s = 0; s < CDR_STAGE_COUNT; s++) {
                const char *name = stage_names[s];

                cdr_metric_set_hist(d->stage, &name, &ts.stage[s]);
        }
        cdr_metric_set_hist(d->e2e, NULL, &ps.end_to_end);
        if (key_id != NULL && strcmp(key_id, d->key_id) != 0) {
                cdr_metric_clear(d->key_info);
                snprintf(d->key_id, sizeof(d->key_id), "%s", key_id);
        }
        if (key_id != NULL) {
                const char *name = d->key_id;

                cdr_metric_set(d->key_info, &name, 1);
        }
        cdr_metric_set(d->epochs, NULL, (double)ts.sealer_epochs);
        cdr_metrics_unlock(m);
}

/* ------------------------------------------------------------------ */
/* librdkafka statistics: a scanner for the parts read                 */
/* ------------------------------------------------------------------ */

/* Zero-copy over the document; strings are compared raw (the names
 * looked for have no escapes). */
struct js {
        const char *p;
        const char *end;
};

#define JS_DEPTH_MAX 64

static void js_ws(struct js *j)
{
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
                                 *j->p == '\n' || *j->p == '\r'))
                j->p++;
}

static int js_lit(struct js *j, char c)
{
        js_ws(j);
        if (j->p < j->end && *j->p == c) {
                j->p++;
                return 1;
        }
        return 0;
}

/* A string's raw bytes between its quotes. */
static int js_string(struct js *j, const char **s, size_t *n)
{
        const char *start;

        if (!js_lit(j, '"'))
                return -1;
        start = j->p;
        while (j->p < j->end && *j->p != '"') {
                if (*j->p == '\\')
                        j->p++;
                j->p++;
        }
        if (j->p >= j->end)
                return -1;
        *s = start;
        *n = (size_t)(j->p - start);
        j->p++;
        return 0;
}

static int js_skip(struct js *j, int depth)
{
        const char *s;
        size_t n;

        if (depth > JS_DEPTH_MAX)
                return -1;
        js_ws(j);
        if (j->p >= j->end)
                return -1;
        if (*j->p == '"')
                return js_string(j, &s, &n);
        if (*j->p == '{' || *j->p == '[') {
                char close = *j->p == '{' ? '}' : ']';
                int obj = *j->p == '{';

                j->p++;
                if (js_lit(j, close))
                        return 0;
                do {
                        if (obj &&
                            (js_string(j, &s, &n) != 0 || !js_lit(j, ':')))
                                return -1;
                        if (js_skip(j, depth + 1) != 0)
                                return -1;
                } while (js_lit(j, ','));
                return js_lit(j, close) ? 0 : -1;
        }
        /* number, true, false, null */
        s = j->p;
        while (j->p < j->end &&
               ((*j->p >= '0' && *j->p <= '9') || *j->p == '-' ||
                *j->p == '+' || *j->p == '.' || *j->p == 'e' || *j->p == 'E' ||
                (*j->p >= 'a' && *j->p <= 'z')))
                j->p++;
        return j->p > s ? 0 : -1;
}

static int js_int(struct js *j, int64_t *v)
{
        char buf[32];
        const char *s;
        size_t n;
        char *endp;

        js_ws(j);
        s = j->p;
        if (js_skip(j, 0) != 0)
                return -1;
        n = (size_t)(j->p - s);
        if (n == 0 || n >= sizeof(buf))
                return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        *v = strtoll(buf, &endp, 10);
        return errno == 0 && *endp == '\0' ? 0 : -1;
}

static int view_is(const char *s, size_t n, const char *lit)
{
        return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* One partition object: its fields of interest. */
static int js_partition(struct js *j, int read_committed,
                        cdr_partition_lag_t *out, int *use)
{
        int64_t part = -1, app = -1, committed = -1, lo = -1, hi = -1, ls = -1,
                end, pos;
        int fetching = 0;
        const char *s, *v;
        size_t n, vn;

        if (!js_lit(j, '{'))
                return -1;
        if (!js_lit(j, '}')) {
                do {
                        int64_t *dst = NULL;

                        if (js_string(j, &s, &n) != 0 || !js_lit(j, ':'))
                                return -1;
                        if (view_is(s, n, "fetch_state")) {
                                if (js_string(j, &v, &vn) != 0)
                                        return -1;
                                fetching = !view_is(v, vn, "none") &&
                                           !view_is(v, vn, "stopping") &&
                                           !view_is(v, vn, "stopped");
                                continue;
                        }
                        if (view_is(s, n, "partition"))
                                dst = &part;
                        else if (view_is(s, n, "app_offset"))
                                dst = &app;
                        else if (view_is(s, n, "committed_offset"))
                                dst = &committed;
                        else if (view_is(s, n, "lo_offset"))
                                dst = &lo;
                        else if (view_is(s, n, "hi_offset"))
                                dst = &hi;
                        else if (view_is(s, n, "ls_offset"))
                                dst = &ls;
                        if (dst != NULL ? js_int(j, dst) != 0
                                        : js_skip(j, 1) != 0)
                                return -1;
                } while (js_lit(j, ','));
                if (!js_lit(j, '}'))
                        return -1;
        }
        end = read_committed ? ls : hi;
        pos = app > committed ? app : committed;
        if (pos < 0)
                pos = lo;
        *use =
            part >= 0 && part <= INT32_MAX && fetching && end >= 0 && pos >= 0;
        if (*use) {
                out->partition = (int32_t)part;
                out->lag = end > pos ? end - pos : 0;
        }
        return 0;
}

/* Where the partitions found go. */
struct lag_sink {
        int read_committed;
        cdr_partition_lag_t *out;
        size_t max;
        size_t *count;
};

/* The object at j: each member named path[0] is walked into with the
 * rest of the path; at the end of the path every member is a partition
 * object.  Every other member is skipped, and checked as it is. */
static int js_walk(struct js *j, const char *const *path, int depth,
                   struct lag_sink *sink)
{
        const char *s;
        size_t n;

        if (!js_lit(j, '{'))
                return -1;
        if (js_lit(j, '}'))
                return 0;
        do {
                if (js_string(j, &s, &n) != 0 || !js_lit(j, ':'))
                        return -1;
                if (path[0] == NULL) {
                        cdr_partition_lag_t pl;
                        int use = 0;

                        if (js_partition(j, sink->read_committed, &pl, &use) !=
                            0)
                                return -1;
                        if (use && *sink->count < sink->max)
                                sink->out[(*sink->count)++] = pl;
                } else if (view_is(s, n, path[0])) {
                        if (js_walk(j, path + 1, depth + 1, sink) != 0)
                                return -1;
                } else if (js_skip(j, depth + 1) != 0) {
                        return -1;
                }
        } while (js_lit(j, ','));
        return js_lit(j, '}') ? 0 : -1;
}

int cdr_kafka_stats_lag(const char *json, size_t len, const char *topic,
                        int read_committed, cdr_partition_lag_t *out,
                        size_t max, size_t *count)
{
        const char *const path[] = {"topics", topic, "partitions", NULL};
        struct lag_sink sink = {read_committed, out, max, count};
        struct js j = {json, json + len};

        *count = 0;
        if (js_walk(&j, path, 0, &sink) != 0)
                return CDR_ERR_MALFORMED;
        js_ws(&j);
        return j.p == j.end ? CDR_OK : CDR_ERR_MALFORMED;
}

#define LAG_PARTITIONS_MAX 1024

int cdr_metrics_kafka_stats(cdr_metrics_t *m, const char *json, size_t len,
                            const char *topic, int read_committed)
{
        cdr_partition_lag_t *lags;
        size_t n, i;
        int rc;

        if (!m->have_daemon)
                return CDR_OK;
        lags = malloc(LAG_PARTITIONS_MAX * sizeof(*lags));
        if (lags == NULL)
                return CDR_ERR_NOMEM;
        rc = cdr_kafka_stats_lag(json, len, topic, read_committed, lags,
                                 LAG_PARTITIONS_MAX, &n);
        if (rc == CDR_OK) {
                cdr_metrics_lock(m);
                cdr_metric_clear(m->d.lag);
                for (i = 0; i < n; i++) {
                        char part[16];
                        const char *values[2] = {topic, part};

                        snprintf(part, sizeof(part), "%d",
                                 (int)lags[i].partition);
                        cdr_metric_set(m->d.lag, values, (double)lags[i].lag);
                }
                cdr_metrics_unlock(m);
        }
        free(lags);
        return rc;
}

/* ------------------------------------------------------------------ */
/* The HTTP server                                                     */
/* ------------------------------------------------------------------ */

struct cdr_metrics_server_s {
        cdr_metrics_t *metrics;
        struct MHD_Daemon *daemon;
        int port;
};

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT    "text/plain; charset=utf-8"
#define CONNECTIONS_MAX      32
#define CONNECTION_TIMEOUT_S 10

/* Splits "HOST:PORT" / "[V6]:PORT" into host and port strings. */
static int split_listen(const char *addr, char *host, size_t host_size,
                        char *port, size_t port_size, char *errstr,
                        size_t errstr_size)
{
        const char *colon, *h = addr;
        size_t hn, i;
        long v;

        if (addr == NULL || addr[0] == '\0') {
                cdr_errf(errstr, errstr_size, "empty address");
                return CDR_ERR_INVAL;
        }
        colon = strrchr(addr, ':');
        if (colon == NULL) {
                cdr_errf(errstr, errstr_size,
                         "expected HOST:PORT (127.0.0.1:9464)");
                return CDR_ERR_INVAL;
        }
        hn = (size_t)(colon - addr);
        if (addr[0] == '[') {
                if (hn < 3 || addr[hn - 1] != ']') {
                        cdr_errf(errstr, errstr_size,
                                 "expected [IPV6]:PORT for an IPv6 address");
                        return CDR_ERR_INVAL;
                }
                h = addr + 1;
                hn -= 2;
        } else if (memchr(addr, ':', hn) != NULL) {
                cdr_errf(errstr, errstr_size,
                         "an IPv6 address goes in brackets: [::1]:9464");
                return CDR_ERR_INVAL;
        }
        if (hn == 0) {
                cdr_errf(errstr, errstr_size,
                         "no host (0.0.0.0 listens on every address)");
                return CDR_ERR_INVAL;
        }
        if (hn >= host_size) {
                cdr_errf(errstr, errstr_size, "host name too long");
                return CDR_ERR_INVAL;
        }
        colon++;
        for (i = 0; colon[i] != '\0'; i++)
                if (colon[i] < '0' || colon[i] > '9')
                        break;
        v = i > 0 && i <= 5 && colon[i] == '\0' ? strtol(colon, NULL, 10) : -1;
        if (v < 0 || v > 65535) {
                cdr_errf(errstr, errstr_size, "port must be 0-65535");
                return CDR_ERR_INVAL;
        }
        memcpy(host, h, hn);
        host[hn] = '\0';
        snprintf(port, port_size, "%ld", v);
        return CDR_OK;
}

int cdr_metrics_check_listen(const char *addr, char *errstr, size_t errstr_size)
{
        char host[256], port[8];

        return split_listen(addr, host, sizeof(host), port, sizeof(port),
                            errstr, errstr_size);
}

static enum MHD_Result respond(struct MHD_Connection *connection,
                               unsigned status, const char *type,
                               const char *body, size_t len, int allow)
{
        struct MHD_Response *response;
        enum MHD_Result ret;

        response = MHD_create_response_from_buffer(len, (void *)body,
                                                   MHD_RESPMEM_MUST_COPY);
        if (response == NULL)
                return MHD_NO;
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL,
                                "no-store");
        if (allow)
                MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW,
                                        "GET, HEAD");
        ret = MHD_queue_response(connection, status, response);
        MHD_destroy_response(response);
        return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *connection,
                                    unsigned status, const char *text,
                                    int allow)
{
        return respond(connection, status, CONTENT_TYPE_TEXT, text,
                       strlen(text), allow);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *connection,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
        cdr_metrics_server_t *server = cls;
        cdr_buf_t out = CDR_BUF_INIT;
        enum MHD_Result ret;
        int get, ok;

        (void)version;
        (void)upload_data;
        (void)con_cls;
        get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
              strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        if (strcmp(url, "/metrics") != 0 && strcmp(url, "/healthz") != 0 &&
            strcmp(url, "/readyz") != 0)
                return respond_text(connection, MHD_HTTP_NOT_FOUND,
                                    "not found\n", 0);
        if (!get) {
                /* A body, if any, is not read: the connection closes. */
                *upload_data_size = 0;
                return respond_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                                    "method not allowed\n", 1);
        }
        if (strcmp(url, "/healthz") == 0) {
                ok = cdr_metrics_live(server->metrics);
                return respond_text(
                    connection, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                    ok ? "ok\n" : "not running\n", 0);
        }
        if (strcmp(url, "/readyz") == 0) {
                ok = cdr_metrics_ready(server->metrics);
                return respond_text(
                    connection, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                    ok ? "ok\n" : "not ready\n", 0);
        }
        if (cdr_metrics_render(server->metrics, &out) != CDR_OK) {
                free(out.data);
                return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                    "out of memory\n", 0);
        }
        ret = respond(connection, MHD_HTTP_OK, CONTENT_TYPE_METRICS,
                      out.data != NULL ? out.data : "", out.len, 0);
        free(out.data);
        return ret;
}

/* libmicrohttpd's own messages: library code does not print. */
static void quiet_log(void *cls, const char *fmt, va_list ap)
{
        (void)cls;
        (void)fmt;
        (void)ap;
}

/* A listening socket bound to the first address of addr that binds. */
static int bind_listen(const char *addr, int *port, char *errstr,
                       size_t errstr_size)
{
        struct addrinfo hints, *res = NULL, *ai;
        struct sockaddr_storage ss;
        socklen_t sslen = sizeof(ss);
        char host[256], portstr[8];
        int fd = -1, err = 0, one = 1, rc;

        if (split_listen(addr, host, sizeof(host), portstr, sizeof(portstr),
                         errstr, errstr_size) != CDR_OK)
                return -1;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        rc = getaddrinfo(host, portstr, &hints, &res);
        if (rc != 0) {
                cdr_errf(errstr, errstr_size, "cannot resolve %s: %s", host,
                         gai_strerror(rc));
                return -1;
        }
        for (ai = res; ai != NULL; ai = ai->ai_next) {
                fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                            ai->ai_protocol);
                if (fd < 0) {
                        err = errno;
                        continue;
                }
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                    listen(fd, 64) == 0)
                        break;
                err = errno;
                close(fd);
                fd = -1;
        }
        freeaddrinfo(res);
        if (fd < 0) {
                cdr_errf(errstr, errstr_size, "cannot listen: %s",
                         strerror(err));
                return -1;
        }
        *port = 0;
        if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
                if (ss.ss_family == AF_INET)
                        *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
                else if (ss.ss_family == AF_INET6)
                        *port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        return fd;
}

cdr_metrics_server_t *cdr_metrics_server_start(cdr_metrics_t *metrics,
                                               const char *addr, char *errstr,
                                               size_t errstr_size)
{
        cdr_metrics_server_t *server;
        int fd;

        server = calloc(1, sizeof(*server));
        if (server == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        server->metrics = metrics;
        fd = bind_listen(addr, &server->port, errstr, errstr_size);
        if (fd < 0)
                goto err;
        server->daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
            handle, server, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
            MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL, MHD_OPTION_END);
        if (server->daemon == NULL) {
                close(fd);
                cdr_errf(errstr, errstr_size, "cannot start the HTTP server");
                goto err;
        }
        return server;

err:
        cdr_err_prefix(errstr, errstr_size, "metrics.listen %s: ", addr);
        free(server);
        return NULL;
}

int cdr_metrics_server_port(const cdr_metrics_server_t *server)
{
        return server->port;
}

void cdr_metrics_server_stop(cdr_metrics_server_t *server)
{
        if (server == NULL)
                return;
        MHD_stop_daemon(server->daemon);
        free(server);
}
