/*
 * The record transform: parse -> policy (canonicalise, pseudonymise,
 * generalise, drop) -> anonymised JSON | suppressed | dead-letter, and
 * seal every record.  See transform.h.  Nothing here knows Kafka.
 */
#include "cdranon/transform.h"
#include "cdranon/cells.h"
#include "cdranon/civil.h"
#include "cdranon/csv.h"
#include "cdranon/encode.h"
#include "cdranon/json.h"
#include "cdranon/policy.h"
#include "cdranon/pseudonym.h"
#include "cdranon/seal.h"
#include "cdranon/suppress.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a reload replaces, as a whole: the contents of the files the
 * configuration names. */
struct loaded {
        cdr_keyring_t *ring;
        cdr_suppress_t *suppress;        /* NULL: no suppression list */
        cdr_cells_t *cells;              /* NULL: no cell table */
        cdr_custodian_set_t *custodians; /* NULL: no sealing */
};

struct cdr_engine_s {
        const cdr_config_t *config; /* data, only read */
        /* Compiled from config->fields at start; a configuration is not
         * reloaded, so neither is the policy.  (One policy today; the
         * engine is where a policy per output would live.) */
        cdr_policy_t *policy;
        const cdr_schema_t *schema; /* owned by policy */
        cdr_csv_t *csv;             /* CSV input only */
        int header_pending;         /* CSV header line not seen yet */
        int seal;                   /* custodian keys loaded, records sealed */
        struct loaded files;
        /* Custodian sets replaced by a reload: a transform's sealer may
         * still use one until its next record, so they live as long as
         * the engine (a reload is rare and a set is small). */
        cdr_custodian_set_t **retired;
        size_t nretired;
        /* The sealer picks a custodian key by event time only when there
         * is more than one key or a key's period is bounded: with one key
         * for all time the event time is not read. */
        int event_time_picks_key;
        /* One policy per purpose (config->purposes), sharing the schema
         * of `policy`, which then has no output fields and holds the
         * suppression and event-time fields. */
        cdr_policy_t **purposes;
        size_t npurposes;
        int rotates;                 /* some purpose rotates its pseudonyms */
        _Atomic unsigned generation; /* bumped by each reload */
};

/* A purpose's state in a transform: two pseudonymisers, for the period
 * of the last record and the one before it, so that records around a
 * period's end (out of order by a little) do not empty the cache at
 * every switch; `last` is the one set most recently. */
struct purpose_state {
        cdr_pseudonymiser_t *ps[2];
        int last;
        cdr_buf_t json;
        char key[CDR_PSEUDONYM_MAX + 1];
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
        int parsed; /* the last record parsed (cdr_transform_numbers) */
        cdr_transform_stats_t stats;
        struct purpose_state *ps_of; /* one per engine purpose */
        cdr_purpose_out_t *outs;
};

/* An error of the configuration's: "PATH:LINE: key.path: msg" (the
 * error's name when msg is empty); out of memory is "PATH: out of
 * memory".  Returns rc. */
static int config_fail(const cdr_config_t *config, int rc, int line,
                       const char *path, const char *msg, char *errstr,
                       size_t errstr_size)
{
        if (rc == CDR_ERR_NOMEM)
                cdr_errf(errstr, errstr_size, "%s: out of memory",
                         config->path);
        else
                cdr_config_errf(config, line, path, errstr, errstr_size, "%s",
                                msg[0] ? msg : cdr_strerror(rc));
        return rc;
}

/* The allow-list, key field, event-time field and suppression fields of
 * the configuration, compiled.  Errors name the file, line and key as
 * the configuration's own do. */
static cdr_policy_t *compile_policy(const cdr_config_t *config, char *errstr,
                                    size_t errstr_size)
{
        cdr_policy_t *policy;
        char path[640], msg[512];
        size_t i;
        int rc = CDR_OK;

        policy = cdr_policy_new(&config->numbers);
        if (policy == NULL) {
                config_fail(config, CDR_ERR_NOMEM, 0, NULL, "", errstr,
                            errstr_size);
                return NULL;
        }
        msg[0] = '\0';
        for (i = 0; i < config->nfields && rc == CDR_OK; i++) {
                const cdr_field_spec_t *f = &config->fields[i];

                rc = cdr_policy_add_field(policy, f->name, f->action, f->from,
                                          msg, sizeof(msg));
                if (rc != CDR_OK) {
                        snprintf(path, sizeof(path), "fields.%s%s", f->name,
                                 f->mapped ? ".action" : "");
                        config_fail(config, rc, f->action_line, path, msg,
                                    errstr, errstr_size);
                }
        }
        if (rc == CDR_OK && config->anonymised_key != NULL) {
                rc = cdr_policy_set_key_field(policy, config->anonymised_key,
                                              msg, sizeof(msg));
                if (rc != CDR_OK)
                        config_fail(
                            config, rc,
                            cdr_config_line(config, "output.anonymised.key"),
                            "output.anonymised.key", msg, errstr, errstr_size);
        }
        if (rc == CDR_OK && config->event_time_field != NULL) {
                rc = cdr_policy_set_event_time_field(
                    policy, config->event_time_field, msg, sizeof(msg));
                if (rc != CDR_OK)
                        config_fail(config, rc,
                                    cdr_config_line(config, "input.event_time"),
                                    "input.event_time", msg, errstr,
                                    errstr_size);
        }
        if (rc == CDR_OK && config->suppression_fields != NULL) {
                rc = cdr_policy_set_suppression_fields(
                    policy, (const char *const *)config->suppression_fields,
                    config->nsuppression_fields, msg, sizeof(msg));
                if (rc != CDR_OK)
                        config_fail(
                            config, rc,
                            cdr_config_line(config, "suppression.fields"),
                            "suppression.fields", msg, errstr, errstr_size);
        }
        if (rc != CDR_OK) {
                cdr_policy_destroy(policy);
                return NULL;
        }
        return policy;
}

/* The policy of purpose `i`, over the schema of `base`. */
static cdr_policy_t *compile_purpose(const cdr_config_t *config, size_t i,
                                     cdr_policy_t *base, char *errstr,
                                     size_t errstr_size)
{
        const cdr_purpose_spec_t *p = &config->purposes[i];
        cdr_policy_t *policy;
        char path[640], msg[512];
        size_t j;
        int rc = CDR_OK;

        policy = cdr_policy_new_shared(&config->numbers, base);
        if (policy == NULL) {
                config_fail(config, CDR_ERR_NOMEM, 0, NULL, "", errstr,
                            errstr_size);
                return NULL;
        }
        msg[0] = '\0';
        for (j = 0; j < p->nfields && rc == CDR_OK; j++) {
                const cdr_field_spec_t *f = &p->fields[j];

                rc = cdr_policy_add_field(policy, f->name, f->action, f->from,
                                          msg, sizeof(msg));
                snprintf(path, sizeof(path), "purposes.%s.fields.%s%s", p->name,
                         f->name, f->mapped ? ".action" : "");
                if (rc == CDR_OK && cdr_policy_uses_cells(policy)) {
                        rc = CDR_ERR_INVAL;
                        snprintf(msg, sizeof(msg),
                                 "the cell action is not available in "
                                 "purposes yet");
                }
                if (rc != CDR_OK)
                        config_fail(config, rc, f->action_line, path, msg,
                                    errstr, errstr_size);
        }
        if (rc == CDR_OK && p->key != NULL) {
                rc = cdr_policy_set_key_field(policy, p->key, msg, sizeof(msg));
                snprintf(path, sizeof(path), "purposes.%s.output.key", p->name);
                if (rc != CDR_OK)
                        config_fail(config, rc, p->key_line, path, msg, errstr,
                                    errstr_size);
        }
        if (rc != CDR_OK) {
                cdr_policy_destroy(policy);
                return NULL;
        }
        return policy;
}

/* The key ring the configuration names, read now.  At start its errors
 * name the configuration's file and line, on a reload the key file's. */
static cdr_keyring_t *load_ring(const cdr_config_t *config, int at_start,
                                char *errstr, size_t errstr_size)
{
        cdr_keyring_t *ring;
        char msg[512];

        msg[0] = '\0';
        ring = cdr_keyring_load(config->hmac_key_file, msg, sizeof(msg));
        if (ring != NULL)
                return ring;
        if (at_start)
                config_fail(config, CDR_ERR_INVAL,
                            cdr_config_line(config, "keys.hmac"), "keys.hmac",
                            msg[0] ? msg : "cannot load the key file", errstr,
                            errstr_size);
        else
                cdr_errf(errstr, errstr_size, "%s", msg);
        return NULL;
}

/* The suppression list, likewise. */
static cdr_suppress_t *load_suppression(const cdr_config_t *config,
                                        int at_start, char *errstr,
                                        size_t errstr_size)
{
        cdr_suppress_t *set;
        char msg[512];

        msg[0] = '\0';
        set = cdr_suppress_load(config->suppression_file, &config->numbers, msg,
                                sizeof(msg));
        if (set != NULL)
                return set;
        if (at_start)
                config_fail(config, CDR_ERR_INVAL,
                            cdr_config_line(config, "suppression.file"),
                            "suppression.file",
                            msg[0] ? msg : "cannot load the list", errstr,
                            errstr_size);
        else
                cdr_errf(errstr, errstr_size, "%s", msg);
        return NULL;
}

/* The cell table, likewise, given to the policy: at start a `cell`
 * field whose column the table lacks is an error of that field's line;
 * on a reload, of the table's.  On error the policy keeps its table. */
static cdr_cells_t *load_cells(const cdr_config_t *config, cdr_policy_t *policy,
                               int at_start, char *errstr, size_t errstr_size)
{
        cdr_cells_t *cells = NULL;
        const char *field = NULL;
        char msg[512], path[640];
        size_t i;

        msg[0] = '\0';
        if (config->cells_file != NULL) {
                cells = cdr_cells_load(config->cells_file, msg, sizeof(msg));
                if (cells == NULL) {
                        if (at_start)
                                config_fail(
                                    config, CDR_ERR_INVAL,
                                    cdr_config_line(config, "cells.file"),
                                    "cells.file",
                                    msg[0] ? msg : "cannot load the table",
                                    errstr, errstr_size);
                        else
                                cdr_errf(errstr, errstr_size, "%s", msg);
                        return NULL;
                }
        }
        if (cdr_policy_set_cells(
                policy, cells, config->cells_unknown == CDR_CELLS_UNKNOWN_NULL,
                &field, msg, sizeof(msg)) == CDR_OK)
                return cells;
        cdr_cells_destroy(cells);
        for (i = 0; i < config->nfields; i++) {
                const cdr_field_spec_t *f = &config->fields[i];

                if (field == NULL || strcmp(f->name, field) != 0)
                        continue;
                snprintf(path, sizeof(path), "fields.%s%s", f->name,
                         f->mapped ? ".action" : "");
                config_fail(config, CDR_ERR_INVAL, f->action_line, path, msg,
                            errstr, errstr_size);
                return NULL;
        }
        cdr_errf(errstr, errstr_size, "%s", msg);
        return NULL;
}

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
        engine->seal = seal;

        /* In the order the loader checked them when it did this work,
         * so that a configuration with several faults names the same
         * one first. */
        engine->files.ring = load_ring(config, 1, errstr, errstr_size);
        if (engine->files.ring == NULL)
                goto err;
        engine->policy = compile_policy(config, errstr, errstr_size);
        if (engine->policy == NULL)
                goto err;
        engine->schema = cdr_policy_schema(engine->policy);
        if (config->npurposes > 0) {
                size_t i;

                engine->purposes =
                    calloc(config->npurposes, sizeof(*engine->purposes));
                if (engine->purposes == NULL) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        goto err;
                }
                for (i = 0; i < config->npurposes; i++) {
                        engine->purposes[i] = compile_purpose(
                            config, i, engine->policy, errstr, errstr_size);
                        if (engine->purposes[i] == NULL)
                                goto err;
                        cdr_policy_add_mentions(engine->policy,
                                                engine->purposes[i]);
                        engine->npurposes++;
                        if (config->purposes[i].rotate != CDR_ROTATE_NEVER)
                                engine->rotates = 1;
                }
        }
        if (config->suppression_file != NULL) {
                engine->files.suppress =
                    load_suppression(config, 1, errstr, errstr_size);
                if (engine->files.suppress == NULL)
                        goto err;
        }
        if (config->cells_file != NULL ||
            cdr_policy_uses_cells(engine->policy)) {
                engine->files.cells =
                    load_cells(config, engine->policy, 1, errstr, errstr_size);
                if (engine->files.cells == NULL)
                        goto err;
        }

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

        if (seal) {
                if (config->ncustodian == 0) {
                        cdr_errf(errstr, errstr_size,
                                 "%s: keys.custodian_public: required for "
                                 "sealed output",
                                 config->path);
                        goto err;
                }
                engine->files.custodians =
                    load_custodians(config, errstr, errstr_size);
                if (engine->files.custodians == NULL)
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

static void loaded_free(struct loaded *files)
{
        cdr_custodian_set_destroy(files->custodians);
        cdr_suppress_destroy(files->suppress);
        cdr_cells_destroy(files->cells);
        cdr_keyring_destroy(files->ring);
        memset(files, 0, sizeof(*files));
}

void cdr_engine_destroy(cdr_engine_t *engine)
{
        size_t i;

        if (engine == NULL)
                return;
        for (i = 0; i < engine->nretired; i++)
                cdr_custodian_set_destroy(engine->retired[i]);
        free(engine->retired);
        loaded_free(&engine->files);
        cdr_csv_destroy(engine->csv);
        for (i = 0; i < engine->npurposes; i++)
                cdr_policy_destroy(engine->purposes[i]);
        free(engine->purposes);
        cdr_policy_destroy(engine->policy);
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
        return cdr_keyring_active_id(engine->files.ring);
}

const cdr_policy_t *cdr_engine_policy(const cdr_engine_t *engine)
{
        return engine->policy;
}

const cdr_keyring_t *cdr_engine_keyring(const cdr_engine_t *engine)
{
        return engine->files.ring;
}

const cdr_suppress_t *cdr_engine_suppression(const cdr_engine_t *engine)
{
        return engine->files.suppress;
}

int cdr_engine_describe(const cdr_engine_t *engine, cdr_buf_t *out)
{
        size_t i;
        int rc;

        if (cdr_buf_puts(out, "# policy\n") != CDR_OK)
                return CDR_ERR_NOMEM;
        rc = cdr_policy_describe(engine->policy, engine->files.suppress, out);
        for (i = 0; i < engine->npurposes && rc == CDR_OK; i++) {
                if (cdr_buf_printf(out,
                                   "# purpose %s (pseudonyms v2, domain "
                                   "%s/PERIOD)\n",
                                   engine->config->purposes[i].name,
                                   engine->config->purposes[i].name) != CDR_OK)
                        return CDR_ERR_NOMEM;
                rc = cdr_policy_describe(engine->purposes[i], NULL, out);
        }
        return rc;
}

int cdr_engine_reload(cdr_engine_t *engine, char *errstr, size_t errstr_size)
{
        const cdr_config_t *config = engine->config;
        struct loaded next = {NULL, NULL, NULL, NULL};
        cdr_custodian_set_t **retired;

        /* Everything is read before anything is replaced: a broken file
         * leaves them all as they were. */
        next.ring = load_ring(config, 0, errstr, errstr_size);
        if (next.ring == NULL)
                goto err;
        if (config->suppression_file != NULL) {
                next.suppress =
                    load_suppression(config, 0, errstr, errstr_size);
                if (next.suppress == NULL)
                        goto err;
        }
        if (config->cells_file != NULL) {
                /* Given to the policy last, once all else has loaded. */
                next.cells =
                    cdr_cells_load(config->cells_file, errstr, errstr_size);
                if (next.cells == NULL)
                        goto err;
        }
        if (engine->seal) {
                next.custodians = load_custodians(config, errstr, errstr_size);
                if (next.custodians == NULL)
                        goto err;
        }
        if (next.cells != NULL) {
                const char *field = NULL;
                char msg[512];

                if (cdr_policy_set_cells(engine->policy, next.cells,
                                         config->cells_unknown ==
                                             CDR_CELLS_UNKNOWN_NULL,
                                         &field, msg, sizeof(msg)) != CDR_OK) {
                        cdr_errf(errstr, errstr_size, "fields.%s: %s",
                                 field ? field : "?", msg);
                        goto err;
                }
        }
        if (engine->seal) {
                retired = realloc(engine->retired,
                                  (engine->nretired + 1) * sizeof(*retired));
                if (retired == NULL) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        goto err_cells;
                }
                engine->retired = retired;
                engine->retired[engine->nretired++] = engine->files.custodians;
                engine->files.custodians = NULL;
        }
        loaded_free(&engine->files);
        engine->files = next;
        atomic_fetch_add(&engine->generation, 1);
        return CDR_OK;

err_cells:
        /* The old table, which the policy accepted before. */
        if (next.cells != NULL &&
            cdr_policy_set_cells(engine->policy, engine->files.cells,
                                 config->cells_unknown ==
                                     CDR_CELLS_UNKNOWN_NULL,
                                 NULL, errstr, errstr_size) != CDR_OK)
                abort();
err:
        loaded_free(&next);
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
            engine->files.ring, cdr_keyring_count(engine->files.ring) - 1,
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
        for (size_t i = 0; i < engine->npurposes; i++) {
                struct purpose_state *st = &t->ps_of[i];

                for (int k = 0; k < 2; k++) {
                        ps = cdr_pseudonymiser_new(
                            engine->files.ring,
                            cdr_keyring_count(engine->files.ring) - 1,
                            engine->config->pseudonym_cache, errstr,
                            errstr_size);
                        if (ps == NULL)
                                return CDR_ERR_INVAL;
                        if (st->ps[k] != NULL) {
                                cdr_pseudonym_stats_t pst;

                                cdr_pseudonymiser_stats(st->ps[k], &pst);
                                t->stats.cache_hits += pst.hits;
                                t->stats.cache_misses += pst.misses;
                        }
                        cdr_pseudonymiser_destroy(st->ps[k]);
                        st->ps[k] = ps;
                }
        }
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

        if (engine->files.custodians == NULL ||
            engine->files.custodians == t->sealer_keys)
                return CDR_OK;
        sealer = cdr_sealer_new(
            engine->files.custodians, engine->config->epoch_records,
            engine->config->epoch_seconds, errstr, errstr_size);
        if (sealer == NULL)
                return CDR_ERR_INVAL;
        if (t->sealer != NULL)
                t->stats.sealer_epochs += cdr_sealer_epochs(t->sealer);
        cdr_sealer_destroy(t->sealer);
        t->sealer = sealer;
        t->sealer_keys = engine->files.custodians;
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
        if (engine->npurposes > 0) {
                t->ps_of = calloc(engine->npurposes, sizeof(*t->ps_of));
                t->outs = calloc(engine->npurposes, sizeof(*t->outs));
                if (t->ps_of == NULL || t->outs == NULL) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        goto err;
                }
        }
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
        for (size_t i = 0; t->ps_of != NULL && i < t->engine->npurposes; i++) {
                cdr_pseudonymiser_destroy(t->ps_of[i].ps[0]);
                cdr_pseudonymiser_destroy(t->ps_of[i].ps[1]);
                cdr_buf_free(&t->ps_of[i].json);
        }
        free(t->ps_of);
        free(t->outs);
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

/* The pseudonymiser of purpose i for domain "NAME/PERIOD". */
static cdr_pseudonymiser_t *purpose_ps(cdr_transform_t *t, size_t i,
                                       const char *domain)
{
        struct purpose_state *st = &t->ps_of[i];
        int k;

        for (k = 0; k < 2; k++)
                if (strcmp(cdr_pseudonymiser_domain(st->ps[k]), domain) == 0)
                        return st->ps[k];
        k = !st->last;
        /* The domain fits: a name of 32 and a period of 10 bytes. */
        if (cdr_pseudonymiser_set_domain(st->ps[k], domain, NULL, 0) != CDR_OK)
                return NULL;
        st->last = k;
        return st->ps[k];
}

/* Applies every purpose's policy to the parsed record, after the base
 * policy found it neither suppressed nor dead.  Returns the verdict
 * (PUBLISH or DEAD with *code and t->reason set) or a negative error. */
static int apply_purposes(cdr_transform_t *t, cdr_reason_t *code)
{
        const cdr_engine_t *engine = t->engine;
        const cdr_config_t *config = engine->config;
        char domain[CDR_PSEUDONYM_DOMAIN_MAX + 1], period[CDR_CIVIL_PERIOD_MAX];
        char reason[sizeof(t->reason)];
        int64_t when = 0;
        size_t i, keylen;
        int verdict;

        if (engine->rotates && cdr_policy_event_time(engine->policy, &t->record,
                                                     &when) != CDR_OK) {
                *code = CDR_REASON_EVENT_TIME_UNREADABLE;
                cdr_errf(t->reason, sizeof(t->reason),
                         "field '%s': a rotating purpose needs the event time",
                         config->event_time_field);
                return CDR_VERDICT_DEAD;
        }
        for (i = 0; i < engine->npurposes; i++) {
                const cdr_purpose_spec_t *p = &config->purposes[i];
                struct purpose_state *st = &t->ps_of[i];
                cdr_pseudonymiser_t *ps;

                if (p->rotate == CDR_ROTATE_NEVER)
                        snprintf(period, sizeof(period), "-");
                else
                        cdr_civil_period(when, (cdr_rotate_t)p->rotate, period);
                snprintf(domain, sizeof(domain), "%s/%s", p->name, period);
                ps = purpose_ps(t, i, domain);
                if (ps == NULL)
                        return CDR_ERR_INVAL;
                keylen = 0;
                verdict = cdr_policy_apply(
                    engine->purposes[i], NULL, ps, &t->record, &st->json,
                    st->key, &keylen, code, reason, sizeof(reason));
                if (verdict < 0)
                        return verdict;
                if (verdict == CDR_VERDICT_DEAD) {
                        cdr_errf(t->reason, sizeof(t->reason),
                                 "purpose '%s': %s", p->name, reason);
                        return CDR_VERDICT_DEAD;
                }
                t->outs[i].name = p->name;
                t->outs[i].anonymised.p = st->json.data;
                t->outs[i].anonymised.n = st->json.len;
                t->outs[i].key.p = st->key;
                t->outs[i].key.n = keylen;
        }
        return CDR_VERDICT_PUBLISH;
}

static int transform_dead(cdr_transform_t *t, const cdr_source_t *source,
                          cdr_reason_t code, cdr_result_t *result)
{
        cdr_buf_reset(&t->dead_letter);
        if (cdr_deadletter_encode(&t->dead_letter, t->reason, source) != CDR_OK)
                return CDR_ERR_NOMEM;
        result->verdict = CDR_VERDICT_DEAD;
        result->reason = t->reason;
        result->code = code;
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
        size_t body = cdr_record_body(rec, len);
        int64_t event_time = INT64_MIN;
        cdr_reason_t code = CDR_REASON_OTHER;
        int parsed = 0, err, verdict;
        size_t keylen = 0;
        int64_t t0 = 0, t1 = 0, t2, t3;
        int timed;

        memset(result, 0, sizeof(*result));
        t->parsed = 0;
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
                code = CDR_REASON_RECORD_TOO_LONG;
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
                        parsed = t->parsed = 1;
                else if (err != CDR_ERR_MALFORMED)
                        return err;
                code = t->record.reason;
        }

        if (timed) {
                t1 = stage_clock_ns();
                stage_observe(t, CDR_STAGE_PARSE, t0, t1);
        }
        if (parsed) {
                cdr_buf_reset(&t->json);
                verdict = cdr_policy_apply(
                    engine->policy, engine->files.suppress, t->ps, &t->record,
                    &t->json, t->key, &keylen, &code, t->reason,
                    sizeof(t->reason));
                if (verdict == CDR_VERDICT_PUBLISH && engine->npurposes > 0)
                        verdict = apply_purposes(t, &code);
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
                if (engine->npurposes > 0) {
                        result->npurposes = engine->npurposes;
                        result->purposes = t->outs;
                        t->stats.published++;
                        break;
                }
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
                err = transform_dead(t, source, code, result);
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

cdr_sealer_t *cdr_transform_sealer(cdr_transform_t *t)
{
        return t->sealer;
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

int cdr_transform_numbers(const cdr_transform_t *t,
                          int (*fn)(void *ctx, const char *canon, size_t len),
                          void *ctx)
{
        if (!t->parsed)
                return CDR_OK;
        return cdr_policy_record_numbers(t->engine->policy, &t->record, fn,
                                         ctx);
}
