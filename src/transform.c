/*
 * The record transform: parse -> policy (canonicalise, pseudonymise,
 * generalise, drop) -> anonymised JSON | suppressed | dead-letter, and
 * seal every record.  See transform.h.  Nothing here knows Kafka.
 */
#include "cdranon/transform.h"
#include "cdranon/csv.h"
#include "cdranon/encode.h"
#include "cdranon/json.h"
#include "cdranon/pseudonym.h"
#include "cdranon/seal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cdr_engine_s {
        const cdr_config_t *config;
        cdr_policy_t *policy;       /* owned by config */
        const cdr_schema_t *schema; /* owned by policy */
        cdr_csv_t *csv;             /* CSV input only */
        int header_pending;         /* CSV header line not seen yet */
        cdr_keyring_t *ring;
        cdr_custodian_set_t *custodians; /* NULL: no sealing */
        /* Sets replaced by a reload: a transform's sealer may still use
         * one until its next record, so they live as long as the
         * engine (a reload is rare and a set is small). */
        cdr_custodian_set_t **retired;
        size_t nretired;
        /* The sealer picks a custodian key by event time only when there
         * is more than one key or a key's period is bounded: with one key
         * for all time the event time is not read. */
        int event_time_picks_key;
        _Atomic unsigned generation; /* bumped by each reload */
};

struct cdr_transform_s {
        cdr_engine_t *engine;
        unsigned generation;
        cdr_pseudonymiser_t *ps;
        cdr_sealer_t *sealer;
        const cdr_custodian_set_t *sealer_keys; /* the set sealer uses */
        cdr_record_t record;
        cdr_buf_t json;
        cdr_buf_t dead_letter;
        cdr_buf_t sealed;
        char key[CDR_PSEUDONYM_MAX + 1];
        char reason[256];
        cdr_transform_stats_t stats;
};

/* The custodian public keys the configuration names, read now. */
static cdr_custodian_set_t *load_custodians(const cdr_config_t *config,
                                            char *errstr, size_t errstr_size)
{
        cdr_custodian_set_t *set;

        set = cdr_custodian_set_load(config->custodian, config->ncustodian,
                                     errstr, errstr_size);
        /* The set's errors start with the line number when the
         * configuration gave one. */
        if (set == NULL)
                cdr_err_prefix(errstr, errstr_size,
                               errstr[0] >= '0' && errstr[0] <= '9' ? "%s:"
                                                                    : "%s: ",
                               config->path);
        return set;
}

cdr_engine_t *cdr_engine_new(const cdr_config_t *config, int seal, char *errstr,
                             size_t errstr_size)
{
        cdr_engine_t *engine;

        engine = calloc(1, sizeof(*engine));
        if (engine == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        engine->config = config;
        engine->policy = config->policy;
        engine->schema = cdr_policy_schema(config->policy);

        if (config->format == CDR_FORMAT_CSV) {
                engine->csv = cdr_csv_new(config->csv_delimiter, engine->schema,
                                          errstr, errstr_size);
                if (engine->csv == NULL)
                        goto err;
                if (config->columns != NULL) {
                        if (cdr_csv_set_columns(
                                engine->csv,
                                (const char *const *)config->columns,
                                config->ncolumns, errstr,
                                errstr_size) != CDR_OK) {
                                cdr_err_prefix(
                                    errstr, errstr_size,
                                    "%s: input.csv.columns: ", config->path);
                                goto err;
                        }
                }
                engine->header_pending = config->csv_header;
        }

        engine->ring =
            cdr_keyring_load(config->hmac_key_file, errstr, errstr_size);
        if (engine->ring == NULL)
                goto err;

        if (seal) {
                if (config->ncustodian == 0) {
                        cdr_errf(errstr, errstr_size,
                                 "%s: keys.custodian_public: required for "
                                 "sealed output",
                                 config->path);
                        goto err;
                }
                engine->custodians =
                    load_custodians(config, errstr, errstr_size);
                if (engine->custodians == NULL)
                        goto err;
                engine->event_time_picks_key =
                    config->ncustodian > 1 ||
                    config->custodian[0].not_before != INT64_MIN ||
                    config->custodian[0].not_after != INT64_MAX;
        }
        return engine;

err:
        cdr_engine_destroy(engine);
        return NULL;
}

void cdr_engine_destroy(cdr_engine_t *engine)
{
        size_t i;

        if (engine == NULL)
                return;
        for (i = 0; i < engine->nretired; i++)
                cdr_custodian_set_destroy(engine->retired[i]);
        free(engine->retired);
        cdr_custodian_set_destroy(engine->custodians);
        cdr_keyring_destroy(engine->ring);
        cdr_csv_destroy(engine->csv);
        free(engine);
}

int cdr_engine_wants_header(const cdr_engine_t *engine)
{
        return engine->header_pending;
}

int cdr_engine_set_header(cdr_engine_t *engine, const char *rec, size_t len,
                          char *errstr, size_t errstr_size)
{
        int err;

        if (!engine->header_pending)
                return CDR_OK;
        err = cdr_csv_set_header(engine->csv, rec, len, errstr, errstr_size);
        if (err != CDR_OK)
                return err;
        engine->header_pending = 0;
        return CDR_OK;
}

const cdr_config_t *cdr_engine_config(const cdr_engine_t *engine)
{
        return engine->config;
}

const char *cdr_engine_key_id(const cdr_engine_t *engine)
{
        return cdr_keyring_active_id(engine->ring);
}

int cdr_engine_reload(cdr_engine_t *engine, char *errstr, size_t errstr_size)
{
        const cdr_config_t *config = engine->config;
        cdr_keyring_t *ring;
        cdr_suppress_t *set = NULL;
        cdr_custodian_set_t *custodians = NULL, **retired;

        /* Everything is read before anything is replaced: a broken file
         * leaves all three as they were. */
        ring = cdr_keyring_load(config->hmac_key_file, errstr, errstr_size);
        if (ring == NULL)
                return CDR_ERR_INVAL;
        if (config->suppression_file != NULL) {
                set = cdr_suppress_load(config->suppression_file,
                                        &config->numbers, errstr, errstr_size);
                if (set == NULL)
                        goto err;
        }
        if (engine->custodians != NULL) {
                custodians = load_custodians(config, errstr, errstr_size);
                if (custodians == NULL)
                        goto err;
                retired = realloc(engine->retired,
                                  (engine->nretired + 1) * sizeof(*retired));
                if (retired == NULL) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        goto err;
                }
                engine->retired = retired;
                engine->retired[engine->nretired++] = engine->custodians;
                engine->custodians = custodians;
        }
        if (set != NULL)
                cdr_policy_replace_suppression(engine->policy, set);
        cdr_keyring_destroy(engine->ring);
        engine->ring = ring;
        atomic_fetch_add(&engine->generation, 1);
        return CDR_OK;

err:
        cdr_custodian_set_destroy(custodians);
        cdr_suppress_destroy(set);
        cdr_keyring_destroy(ring);
        return CDR_ERR_INVAL;
}

/* (Re)creates the pseudonymiser for the engine's active key. */
static int transform_load_key(cdr_transform_t *t, char *errstr,
                              size_t errstr_size)
{
        cdr_engine_t *engine = t->engine;
        cdr_pseudonymiser_t *ps;

        t->generation = atomic_load(&engine->generation);
        ps = cdr_pseudonymiser_new(
            engine->ring, cdr_keyring_count(engine->ring) - 1,
            engine->config->pseudonym_cache, errstr, errstr_size);
        if (ps == NULL)
                return CDR_ERR_INVAL;
        if (t->ps != NULL) {
                cdr_pseudonym_stats_t st;

                cdr_pseudonymiser_stats(t->ps, &st);
                t->stats.cache_hits += st.hits;
                t->stats.cache_misses += st.misses;
        }
        cdr_pseudonymiser_destroy(t->ps);
        t->ps = ps;
        return CDR_OK;
}

/* A sealer over the engine's custodian keys, when they are not the ones
 * the current sealer uses (a reload replaced them): its first record
 * starts a new epoch under the new keys. */
static int transform_load_sealer(cdr_transform_t *t, char *errstr,
                                 size_t errstr_size)
{
        const cdr_engine_t *engine = t->engine;
        cdr_sealer_t *sealer;

        if (engine->custodians == NULL || engine->custodians == t->sealer_keys)
                return CDR_OK;
        sealer =
            cdr_sealer_new(engine->custodians, engine->config->epoch_records,
                           engine->config->epoch_seconds, errstr, errstr_size);
        if (sealer == NULL)
                return CDR_ERR_INVAL;
        if (t->sealer != NULL)
                t->stats.sealer_epochs += cdr_sealer_epochs(t->sealer);
        cdr_sealer_destroy(t->sealer);
        t->sealer = sealer;
        t->sealer_keys = engine->custodians;
        return CDR_OK;
}

cdr_transform_t *cdr_transform_new(cdr_engine_t *engine, char *errstr,
                                   size_t errstr_size)
{
        cdr_transform_t *t;

        t = calloc(1, sizeof(*t));
        if (t == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        t->engine = engine;
        if (transform_load_key(t, errstr, errstr_size) != CDR_OK ||
            transform_load_sealer(t, errstr, errstr_size) != CDR_OK)
                goto err;
        return t;

err:
        cdr_transform_destroy(t);
        return NULL;
}

void cdr_transform_destroy(cdr_transform_t *t)
{
        if (t == NULL)
                return;
        cdr_sealer_destroy(t->sealer);
        cdr_pseudonymiser_destroy(t->ps);
        cdr_record_free(&t->record);
        cdr_buf_free(&t->json);
        cdr_buf_free(&t->dead_letter);
        cdr_buf_free(&t->sealed);
        free(t);
}

static int64_t stage_clock_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void stage_observe(cdr_transform_t *t, int stage, int64_t from,
                          int64_t to)
{
        cdr_hist_observe(&t->stats.stage[stage], cdr_stage_bounds,
                         CDR_STAGE_NBOUNDS, (double)(to - from) * 1e-9);
}

/* The length of rec without its line end (LF or CRLF). */
static size_t strip_line_end(const char *rec, size_t len)
{
        if (len > 0 && rec[len - 1] == '\n')
                len--;
        if (len > 0 && rec[len - 1] == '\r')
                len--;
        return len;
}

static int transform_dead(cdr_transform_t *t, const cdr_source_t *source,
                          cdr_result_t *result)
{
        cdr_buf_reset(&t->dead_letter);
        if (cdr_deadletter_encode(&t->dead_letter, t->reason, source) != CDR_OK)
                return CDR_ERR_NOMEM;
        result->verdict = CDR_VERDICT_DEAD;
        result->reason = t->reason;
        result->dead_letter.p = t->dead_letter.data;
        result->dead_letter.n = t->dead_letter.len;
        t->stats.dead++;
        return CDR_OK;
}

int cdr_transform_record(cdr_transform_t *t, const char *rec, size_t len,
                         const cdr_source_t *source, cdr_result_t *result,
                         char *errstr, size_t errstr_size)
{
        const cdr_engine_t *engine = t->engine;
        const cdr_config_t *config = engine->config;
        size_t body = strip_line_end(rec, len);
        int64_t event_time = INT64_MIN;
        int parsed = 0, err, verdict;
        size_t keylen = 0;
        int64_t t0 = 0, t1 = 0, t2, t3;
        int timed;

        memset(result, 0, sizeof(*result));
        t->stats.records++;
        /* Sampled, so that the clock reads cost nothing measurable. */
        timed = CDR_UNLIKELY((t->stats.records & (CDR_STAGE_SAMPLE - 1)) == 1);
        if (CDR_UNLIKELY(atomic_load_explicit(&engine->generation,
                                              memory_order_relaxed) !=
                         t->generation)) {
                err = transform_load_key(t, errstr, errstr_size);
                if (err == CDR_OK)
                        err = transform_load_sealer(t, errstr, errstr_size);
                if (err != CDR_OK)
                        return err;
        }

        t->reason[0] = '\0';
        if (timed)
                t0 = stage_clock_ns();
        if (body > config->max_record_bytes) {
                cdr_errf(t->reason, sizeof(t->reason),
                         "record: longer than input.max_record_bytes (%zu)",
                         config->max_record_bytes);
        } else {
                /* The readers reset the record themselves. */
                if (engine->csv != NULL)
                        err = cdr_csv_parse(engine->csv, rec, body, &t->record,
                                            t->reason, sizeof(t->reason));
                else
                        err = cdr_json_parse(engine->schema, rec, body,
                                             &t->record, t->reason,
                                             sizeof(t->reason));
                if (err == CDR_OK)
                        parsed = 1;
                else if (err != CDR_ERR_MALFORMED)
                        return err;
        }

        if (timed) {
                t1 = stage_clock_ns();
                stage_observe(t, CDR_STAGE_PARSE, t0, t1);
        }
        if (parsed) {
                cdr_buf_reset(&t->json);
                verdict = cdr_policy_apply(engine->policy, t->ps, &t->record,
                                           &t->json, t->key, &keylen, t->reason,
                                           sizeof(t->reason));
                if (verdict < 0)
                        return verdict;
                if (t->sealer != NULL && engine->event_time_picks_key &&
                    cdr_policy_event_time(engine->policy, &t->record,
                                          &event_time) != CDR_OK)
                        event_time = INT64_MIN;
                if (timed) {
                        t2 = stage_clock_ns();
                        stage_observe(t, CDR_STAGE_POLICY, t1, t2);
                }
        } else {
                verdict = CDR_VERDICT_DEAD;
        }

        switch (verdict) {
        case CDR_VERDICT_PUBLISH:
                result->verdict = CDR_VERDICT_PUBLISH;
                result->anonymised.p = t->json.data;
                result->anonymised.n = t->json.len;
                result->key.p = t->key;
                result->key.n = keylen;
                t->stats.published++;
                break;
        case CDR_VERDICT_SUPPRESS:
                result->verdict = CDR_VERDICT_SUPPRESS;
                t->stats.suppressed++;
                break;
        default:
                err = transform_dead(t, source, result);
                if (err != CDR_OK)
                        return err;
                break;
        }

        /* Lawful retention covers everything received: malformed and
         * suppressed records are sealed too.  The sealed plaintext is the
         * record exactly as received, line end included. */
        if (t->sealer != NULL) {
                if (timed)
                        t2 = stage_clock_ns();
                err = cdr_sealer_seal(t->sealer, rec, len, source, event_time,
                                      &t->sealed, errstr, errstr_size);
                if (err != CDR_OK)
                        return err;
                result->sealed.p = t->sealed.data;
                result->sealed.n = t->sealed.len;
                t->stats.sealed++;
                if (timed) {
                        t3 = stage_clock_ns();
                        stage_observe(t, CDR_STAGE_SEAL, t2, t3);
                }
        }
        return CDR_OK;
}

int cdr_transform_seal_line(cdr_transform_t *t, const char *rec, size_t len,
                            const cdr_source_t *source, cdr_view_t *sealed,
                            char *errstr, size_t errstr_size)
{
        int err;

        sealed->p = NULL;
        sealed->n = 0;
        if (atomic_load(&t->engine->generation) != t->generation) {
                err = transform_load_key(t, errstr, errstr_size);
                if (err == CDR_OK)
                        err = transform_load_sealer(t, errstr, errstr_size);
                if (err != CDR_OK)
                        return err;
        }
        if (t->sealer == NULL)
                return CDR_OK;
        err = cdr_sealer_seal(t->sealer, rec, len, source, INT64_MIN,
                              &t->sealed, errstr, errstr_size);
        if (err != CDR_OK)
                return err;
        sealed->p = t->sealed.data;
        sealed->n = t->sealed.len;
        return CDR_OK;
}

void cdr_transform_stats(const cdr_transform_t *t, cdr_transform_stats_t *stats)
{
        cdr_pseudonym_stats_t st;

        *stats = t->stats;
        if (t->ps != NULL) {
                cdr_pseudonymiser_stats(t->ps, &st);
                stats->cache_hits += st.hits;
                stats->cache_misses += st.misses;
        }
        if (t->sealer != NULL)
                stats->sealer_epochs += cdr_sealer_epochs(t->sealer);
}

void cdr_transform_stats_merge(cdr_transform_stats_t *dst,
                               const cdr_transform_stats_t *src)
{
        int i;

        dst->records += src->records;
        dst->published += src->published;
        dst->suppressed += src->suppressed;
        dst->dead += src->dead;
        dst->sealed += src->sealed;
        dst->cache_hits += src->cache_hits;
        dst->cache_misses += src->cache_misses;
        dst->sealer_epochs += src->sealer_epochs;
        for (i = 0; i < CDR_STAGE_COUNT; i++)
                cdr_hist_merge(&dst->stage[i], &src->stage[i]);
}
