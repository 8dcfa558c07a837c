/*
 * Canonical forms of subscriber identifiers (PRODUCT.md, "Number
 * canonical forms"): msisdn -> E.164 with '+', imsi -> 6-15 digits,
 * imei -> first 14 of 14-16 digits, id -> trimmed value.
 * Pure functions: no allocation, no global state.
 */
#ifndef CDRANON_NUMBER_H
#define CDRANON_NUMBER_H

#include "cdranon/common.h"
#include "cdranon/reason.h"

typedef enum {
        CDR_KIND_MSISDN = 0,
        CDR_KIND_IMSI,
        CDR_KIND_IMEI,
        CDR_KIND_ID,
} cdr_kind_t;

/* "msisdn", "imsi", "imei", "id". */
const char *cdr_kind_name(cdr_kind_t kind);
/* Returns 0 and sets *kind, or CDR_ERR_INVAL for an unknown name. */
int cdr_kind_parse(const char *name, size_t len, cdr_kind_t *kind);

/* The home network's numbering plan (config `numbers:`). */
typedef struct {
        char country_code[4];           /* digits, e.g. "44" */
        char national_prefix[4];        /* digits, e.g. "0" ("" = none) */
        char international_prefix[8];   /* digits, e.g. "00" */
        unsigned short_code_max_digits; /* e.g. 6: 999, 112, 150 */
} cdr_numbering_t;

/* UK defaults: 44, 0, 00, 6. */
void cdr_numbering_default(cdr_numbering_t *plan);

typedef enum {
        CDR_NUM_PERSONAL = 0, /* a subscriber's identifier: pseudonymise */
        CDR_NUM_SERVICE,      /* short code (999, 112): kept as is */
        CDR_NUM_WITHHELD,     /* empty/anonymous/withheld/...: "withheld" */
} cdr_numclass_t;

#define CDR_CANON_MAX 256 /* bytes of a canonical form (ids included) */

/* Canonicalises `in[0..len)` as `kind` under `plan` into out (cap
 * CDR_CANON_MAX, NUL-terminated), setting *outlen and *cls.  For
 * CDR_NUM_WITHHELD the output is "withheld"; for CDR_NUM_SERVICE the
 * digits of the short code.  Returns 0, or CDR_ERR_MALFORMED with *rule
 * set to the static rule broken: its code (reason.h) and its text
 * ("letters in number", "more than 15 digits", ...), which never
 * contains the value. */
int cdr_number_canonical(const cdr_numbering_t *plan, cdr_kind_t kind,
                         const char *in, size_t len, char *out, size_t *outlen,
                         cdr_numclass_t *cls, const cdr_rule_t **rule);

/* Length in digits (1-3) of the E.164 country calling code at the start
 * of a canonical msisdn ("+447700900123" -> 2), from the ITU-T E.164
 * assignment list; 0 when none matches. */
size_t cdr_number_country_code_len(const char *canon, size_t len);

#endif
