/*
 * The suppression list (opt-outs): a set of canonical msisdns whose
 * records are not published.  Lines are numbers in any accepted msisdn
 * shape; '#' starts a comment; each is canonicalised at load under the
 * numbering plan.  Errors name file:line (never the value).  The policy
 * (policy.h) checks a record's suppression fields against it.
 */
#ifndef CDRANON_SUPPRESS_H
#define CDRANON_SUPPRESS_H

#include "cdranon/number.h"

typedef struct cdr_suppress_s cdr_suppress_t;
cdr_suppress_t *cdr_suppress_load(const char *path, const cdr_numbering_t *plan,
                                  char *errstr,
                                  size_t errstr_size) CDR_MUST_CHECK;
void cdr_suppress_destroy(cdr_suppress_t *set);
size_t cdr_suppress_count(const cdr_suppress_t *set);
/* 1 when the canonical msisdn is in the set.  Thread-safe. */
int cdr_suppress_contains(const cdr_suppress_t *set, const char *canon,
                          size_t len);

#endif
