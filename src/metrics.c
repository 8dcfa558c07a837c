/*
 * Prometheus metrics: the registry, its text exposition (format 0.0.4)
 * and the health state the server reports.  See metrics.h.
 *
 * The registry is a list of families, each a list of series (one per
 * distinct label values), under one recursive mutex: updates come from
 * the driving thread a few times a second, renders from the server's
 * thread on each scrape, so one lock costs nothing that matters and keeps
 * a snapshot whole.
 */
#include "cdranon/metrics.h"
#include "cdranon/util.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct cdr_metrics_s {
        pthread_mutex_t mu;
        cdr_metric_t **metrics;
        size_t n;
        size_t cap;
        atomic_int running;
        atomic_int partitions;
        atomic_llong beat_ms;
};

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

static int ends(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
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
                atomic_store(&m->beat_ms, cdr_now_ms());
        atomic_store(&m->running, running ? 1 : 0);
}

void cdr_metrics_heartbeat(cdr_metrics_t *m, int partitions)
{
        atomic_store(&m->partitions, partitions);
        atomic_store(&m->beat_ms, cdr_now_ms());
}

static int64_t beat_age_ms(const cdr_metrics_t *m)
{
        return cdr_now_ms() - atomic_load(&((cdr_metrics_t *)m)->beat_ms);
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
