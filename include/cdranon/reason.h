/*
 * Dead-letter reasons as label values.  A reason string (cdr_result_t)
 * may quote a field name taken from the input, so it is never used as a
 * metric label: it is mapped to one of at most CDR_REASON_COUNT fixed
 * rule names ("json_syntax", "number_malformed", ...; "other" for a
 * reason no rule matches).  The names are listed in docs/operations.md.
 */
#ifndef CDRANON_REASON_H
#define CDRANON_REASON_H

#include "cdranon/common.h"

#define CDR_REASON_COUNT 24

/* The class of `reason` (NULL: "other"), 0 <= class < CDR_REASON_COUNT.
 * Thread-safe. */
unsigned cdr_reason_class(const char *reason);
/* The label value of class c (static), or NULL when c is out of range. */
const char *cdr_reason_name(unsigned c);

#endif
