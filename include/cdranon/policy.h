/*
 * The allow-list policy: which output fields exist and how each is made
 * from the input (PRODUCT.md, "Configuration", `fields:`).  A field not
 * named is dropped.  Building a policy registers the input fields it reads
 * in its schema (record.h); applying it to a parsed record writes the
 * anonymised JSON object, or says why the record is dead-lettered, or
 * that it is suppressed.
 *
 * Actions: keep, keep number, pseudonymise KIND, truncate minute|hour|day,
 * prefix N, country, tac, bucket B1,B2,..., drop.
 *
 * Values: an absent input field (JSON key missing) leaves its output field
 * out; a JSON null becomes null.  An empty value: `keep` -> "", number
 * kinds -> per number.h (msisdn: "withheld"), `keep number`, `truncate`,
 * `bucket`, `prefix`, `country`, `tac` -> null.  Service numbers and
 * withheld: `pseudonymise` and `prefix` write the class value ("999",
 * "withheld"), `country` and `tac` null.  `prefix N` of a number with N
 * digits or fewer is null (it would publish the whole number); `country`
 * of a number whose code is not in the E.164 list is null.
 */
#ifndef CDRANON_POLICY_H
#define CDRANON_POLICY_H

#include "cdranon/buf.h"
#include "cdranon/number.h"
#include "cdranon/pseudonym.h"
#include "cdranon/record.h"
#include "cdranon/suppress.h"

typedef struct cdr_policy_s cdr_policy_t;

/* A new empty policy with numbering plan `plan` (copied). */
cdr_policy_t *cdr_policy_new(const cdr_numbering_t *plan);
/* A new empty policy that registers its input fields in the schema of
 * `owner` (which must outlive it), so that one parsed record serves
 * both: the policies of several purposes over one input. */
cdr_policy_t *cdr_policy_new_shared(const cdr_numbering_t *plan,
                                    cdr_policy_t *owner);
void cdr_policy_destroy(cdr_policy_t *policy);
/* Makes `policy` read as msisdns (cdr_policy_record_mentions,
 * cdr_policy_record_numbers) the input fields that `other`, a policy
 * sharing its schema, reads as msisdns: the subject's records of every
 * purpose. */
void cdr_policy_add_mentions(cdr_policy_t *policy, const cdr_policy_t *other);

/* Adds output field `name` made by `action` (the action string as
 * written in the configuration, e.g. "pseudonymise msisdn", "prefix 4")
 * from input field `from` (NULL: the input field of the same name).
 * Fields are written in the order added.  Returns 0, or CDR_ERR_INVAL with
 * errstr naming only the problem ("unknown action 'scramble'", "prefix:
 * N must be 1-15"): the caller prefixes file, line and field. */
int cdr_policy_add_field(cdr_policy_t *policy, const char *name,
                         const char *action, const char *from, char *errstr,
                         size_t errstr_size) CDR_MUST_CHECK;

/* Makes the Kafka key of each anonymised record the value of output field
 * `name`, which must be a `pseudonymise` field.  Without it the key is
 * empty. */
int cdr_policy_set_key_field(cdr_policy_t *policy, const char *name,
                             char *errstr, size_t errstr_size) CDR_MUST_CHECK;

/* The cell table (cells.h) that `cell COLUMN` fields read, and what an
 * unknown cell gives: JSON null when unknown_null, else a dead letter
 * (cell_unknown).  Checks every such field's column first and changes
 * nothing on error: CDR_ERR_INVAL with *field (when not NULL) the output
 * field and errstr the problem; without cell fields it only stores the
 * table.  The table must outlive its use; set it again after replacing
 * it, while no cdr_policy_apply runs. */
typedef struct cdr_cells_s cdr_cells_t;
int cdr_policy_set_cells(cdr_policy_t *policy, const cdr_cells_t *cells,
                         int unknown_null, const char **field, char *errstr,
                         size_t errstr_size) CDR_MUST_CHECK;
/* 1 when some field has the `cell` action. */
int cdr_policy_uses_cells(const cdr_policy_t *policy);

/* Records whose input fields `fields` hold a canonical msisdn of the
 * suppression list given to cdr_policy_apply are suppressed.  Returns 0,
 * or CDR_ERR_INVAL with errstr naming the problem. */
int cdr_policy_set_suppression_fields(cdr_policy_t *policy,
                                      const char *const *fields, size_t nfields,
                                      char *errstr,
                                      size_t errstr_size) CDR_MUST_CHECK;

/* The input field that carries the event time (ISO 8601 or epoch
 * seconds), used to choose the custodian key's period.  Default: the
 * input of the first `truncate` field. */
int cdr_policy_set_event_time_field(cdr_policy_t *policy, const char *from,
                                    char *errstr,
                                    size_t errstr_size) CDR_MUST_CHECK;

/* The schema of input fields the policy reads; owned by the policy. */
const cdr_schema_t *cdr_policy_schema(const cdr_policy_t *policy);
/* The number of output fields written (`drop` fields not counted). */
size_t cdr_policy_field_count(const cdr_policy_t *policy);

/* Writes a human-readable description of the effective policy (one line
 * per output field, then key field, suppression with the size of
 * `suppress` (may be NULL), and event time). */
int cdr_policy_describe(const cdr_policy_t *policy,
                        const cdr_suppress_t *suppress,
                        cdr_buf_t *out) CDR_MUST_CHECK;

typedef enum {
        CDR_VERDICT_PUBLISH = 0,
        CDR_VERDICT_SUPPRESS = 1,
        CDR_VERDICT_DEAD = 2,
} cdr_verdict_t;

/* Applies the policy to a parsed record.  A record whose suppression
 * fields hold a number of `suppress` (NULL: none is suppressed) is
 * CDR_VERDICT_SUPPRESS.  On CDR_VERDICT_PUBLISH, `json` holds one JSON
 * object (no line end) and key[0..*keylen) the Kafka key (key cap
 * CDR_PSEUDONYM_MAX + 1).  On CDR_VERDICT_DEAD, *code (when not NULL)
 * is the rule broken (reason.h) and `reason` holds "field
 * 'calling_number': pseudonymise msisdn: letters in number" (names and
 * rule, never the value).  Returns the verdict, or CDR_ERR_NOMEM.
 * Thread-safe for distinct pseudonymisers and buffers. */
int cdr_policy_apply(const cdr_policy_t *policy, const cdr_suppress_t *suppress,
                     cdr_pseudonymiser_t *ps, const cdr_record_t *record,
                     cdr_buf_t *json, char *key, size_t *keylen,
                     cdr_reason_t *code, char *reason,
                     size_t reason_size) CDR_MUST_CHECK;

/* Event time of a record in epoch seconds, or CDR_ERR_NOTFOUND /
 * CDR_ERR_MALFORMED when it cannot be read. */
int cdr_policy_event_time(const cdr_policy_t *policy,
                          const cdr_record_t *record,
                          int64_t *epoch) CDR_MUST_CHECK;

/* 1 when canonical msisdn `canon` appears in any input field the policy
 * reads as an msisdn (`pseudonymise msisdn`, `prefix`, `country` and the
 * suppression fields), in any accepted spelling: a subject access
 * query. */
int cdr_policy_record_mentions(const cdr_policy_t *policy,
                               const cdr_record_t *record, const char *canon,
                               size_t len);

/* Calls fn with the canonical form of each value that
 * cdr_policy_record_mentions would match (the personal msisdns of the
 * fields read as msisdns), in field order, duplicates included: what the
 * sealed store's index tags.  Returns 0 or fn's first error. */
int cdr_policy_record_numbers(const cdr_policy_t *policy,
                              const cdr_record_t *record,
                              int (*fn)(void *ctx, const char *canon,
                                        size_t len),
                              void *ctx) CDR_MUST_CHECK;

#endif
