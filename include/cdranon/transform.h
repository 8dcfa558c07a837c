/*
 * The record transform, as in PRODUCT.md's data flow:
 *
 *   raw bytes -> parse -> normalise numbers -> policy -> anonymised JSON
 *                                                     \-> suppressed
 *                                                     \-> dead-letter
 *   raw bytes -> seal (every record, malformed ones included)
 *
 * An engine holds what all threads share, read only: the configuration
 * (data, which it never writes), the policy it compiled from it, the key
 * ring, the suppression list and the custodian keys it loaded, the CSV
 * columns.  It owns all of them; a reload replaces the loaded ones as a
 * whole.  A transform holds one thread's state: record, pseudonymiser
 * (HMAC states and cache), sealer and output buffers.  Neither knows
 * Kafka: file mode (cmd_anonymise.c) and stream mode (pipeline.c) both
 * drive them.
 */
#ifndef CDRANON_TRANSFORM_H
#define CDRANON_TRANSFORM_H

#include "cdranon/config.h"
#include "cdranon/hist.h"
#include "cdranon/keyring.h"
#include "cdranon/policy.h"
#include "cdranon/record.h"
#include "cdranon/seal.h"

typedef struct cdr_engine_s cdr_engine_t;
typedef struct cdr_transform_s cdr_transform_t;

/* Builds an engine from a loaded configuration (which must outlive it):
 * loads the key ring, compiles the allow-list into the policy, loads the
 * suppression list and, when `seal`, the custodian keys (`seal` = 0
 * builds one that does not seal, for a command without sealed output).
 * What the configuration's contents break is reported as the loader
 * reports its own errors, "config.yaml:12: fields.x: unknown action
 * 'scramble'".  Returns NULL with errstr set. */
cdr_engine_t *cdr_engine_new(const cdr_config_t *config, int seal, char *errstr,
                             size_t errstr_size) CDR_MUST_CHECK;
void cdr_engine_destroy(cdr_engine_t *engine);

/* CSV with a header line: sets the columns from the header record.  A
 * no-op for JSON or configured columns. */
int cdr_engine_set_header(cdr_engine_t *engine, const char *rec, size_t len,
                          char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* 1 when the input has a header line that the caller must feed to
 * cdr_engine_set_header before any record. */
int cdr_engine_wants_header(const cdr_engine_t *engine);

const cdr_config_t *cdr_engine_config(const cdr_engine_t *engine);
/* The active HMAC key id. */
const char *cdr_engine_key_id(const cdr_engine_t *engine);
/* The compiled policy, the key ring and the suppression list (NULL:
 * none), owned by the engine (the last two until the next reload). */
const cdr_policy_t *cdr_engine_policy(const cdr_engine_t *engine);
const cdr_keyring_t *cdr_engine_keyring(const cdr_engine_t *engine);
const cdr_suppress_t *cdr_engine_suppression(const cdr_engine_t *engine);

/* Appends "# policy" and the effective policy (cdr_policy_describe,
 * with the suppression list's size), for check-config.  Returns 0 or
 * CDR_ERR_NOMEM. */
int cdr_engine_describe(const cdr_engine_t *engine,
                        cdr_buf_t *out) CDR_MUST_CHECK;

/* Re-reads the key ring, the suppression list and, when sealing, the
 * custodian public keys (SIGHUP), from the configuration's paths, and
 * replaces them as a whole.  All are read before any is replaced: on
 * error all the old ones stay in force.  The configuration, and so the
 * policy, stays as it was.  Call only when no transform is running a
 * record; transforms pick the new key and start a new sealing epoch
 * under the new custodian keys at their next cdr_transform_record. */
int cdr_engine_reload(cdr_engine_t *engine, char *errstr,
                      size_t errstr_size) CDR_MUST_CHECK;

/* One thread's transform over `engine` (which must outlive it). */
cdr_transform_t *cdr_transform_new(cdr_engine_t *engine, char *errstr,
                                   size_t errstr_size) CDR_MUST_CHECK;
void cdr_transform_destroy(cdr_transform_t *transform);

/* One purpose's output of a published record. */
typedef struct {
        const char *name;      /* the purpose's */
        cdr_view_t anonymised; /* JSON object */
        cdr_view_t key;        /* Kafka key (may be empty) */
} cdr_purpose_out_t;

typedef struct {
        cdr_verdict_t verdict;
        cdr_view_t anonymised;  /* JSON object, PUBLISH only */
        cdr_view_t key;         /* Kafka key, PUBLISH only (may be empty) */
        cdr_view_t dead_letter; /* JSON object, DEAD only */
        const char *reason;     /* DEAD only; NUL-terminated */
        cdr_reason_t code;      /* DEAD only: the rule broken (reason.h) */
        cdr_view_t sealed;      /* binary sealed record; empty if no seal */
        /* With purposes (config->npurposes > 0): on PUBLISH one output
         * per purpose, in the configuration's order, and `anonymised`
         * and `key` are empty.  A record's fate is one for all purposes:
         * dead-lettered if any purpose's rule dead-letters it (that
         * rule's reason, prefixed "purpose 'NAME': "), and a record
         * whose event time is unreadable while a purpose rotates is
         * dead-lettered (event_time_unreadable). */
        size_t npurposes;
        const cdr_purpose_out_t *purposes;
} cdr_result_t;

/* Transforms one raw record (line end allowed).  The views in *result
 * stay valid until the next call on the same transform.  A malformed
 * record is not an error: it is a CDR_VERDICT_DEAD result.  Returns 0, or
 * a negative error (out of memory, sealing failed) that the caller must
 * treat as fatal. */
int cdr_transform_record(cdr_transform_t *transform, const char *rec,
                         size_t len, const cdr_source_t *source,
                         cdr_result_t *result, char *errstr,
                         size_t errstr_size) CDR_MUST_CHECK;

/* The transform's sealer (NULL when its engine does not seal), for a
 * record that file mode seals piece by piece (cdr_sealer_begin) because
 * it is too long to hold.  Owned by the transform; valid until its next
 * cdr_transform_record. */
cdr_sealer_t *cdr_transform_sealer(cdr_transform_t *transform);

/* Seals a line of the input that is not a record, a CSV header line, so
 * that the sealed copy of a file holds all of it and the custodian can
 * read its records' columns: as cdr_transform_record seals a record
 * (source coordinates in the header, line end included), to the
 * custodian key of the processing time, but not counted as a record.
 * *sealed is empty when the engine does not seal; it stays valid until
 * the next call on the transform.  Returns 0 or a negative error, fatal
 * as for cdr_transform_record. */
int cdr_transform_seal_line(cdr_transform_t *transform, const char *rec,
                            size_t len, const cdr_source_t *source,
                            cdr_view_t *sealed, char *errstr,
                            size_t errstr_size);

/* Calls fn with the canonical form of each subscriber number of the
 * record of the last cdr_transform_record (cdr_policy_record_numbers),
 * for the sealed store's index; none when that record did not parse.
 * The record's bytes must still be valid.  Returns 0 or fn's error. */
int cdr_transform_numbers(const cdr_transform_t *transform,
                          int (*fn)(void *ctx, const char *canon, size_t len),
                          void *ctx) CDR_MUST_CHECK;

/* Stages timed for the metrics: parse; policy (normalise, pseudonymise
 * and encode run interleaved field by field, so they are timed as one);
 * seal.  One record in CDR_STAGE_SAMPLE is timed. */
enum { CDR_STAGE_PARSE = 0, CDR_STAGE_POLICY, CDR_STAGE_SEAL, CDR_STAGE_COUNT };
#define CDR_STAGE_SAMPLE 64

typedef struct {
        uint64_t records;
        uint64_t published;
        uint64_t suppressed;
        uint64_t dead;
        uint64_t sealed;
        uint64_t cache_hits;
        uint64_t cache_misses;
        uint64_t sealer_epochs; /* epochs started by its sealers */
        /* seconds per sampled record, buckets cdr_stage_bounds */
        cdr_hist_t stage[CDR_STAGE_COUNT];
} cdr_transform_stats_t;

void cdr_transform_stats(const cdr_transform_t *transform,
                         cdr_transform_stats_t *stats);
/* Adds src's counters and timings to dst's. */
void cdr_transform_stats_merge(cdr_transform_stats_t *dst,
                               const cdr_transform_stats_t *src);

#endif
