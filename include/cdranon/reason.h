/*
 * Dead-letter rules as codes.  Every producer of a dead letter (the
 * readers csv.c and json.c, number.c's canonical forms, civil.c's
 * timestamps, the policy, the transform's length check) says which rule
 * a record broke with one of these codes, beside the text it writes for
 * people.  Metrics count by the code (`reason` label of
 * cdranon_records_dead_lettered_total, docs/operations.md); a text may
 * be reworded, a code and its name stay.  A reason text may quote a
 * field name taken from the input, so it is never a label: the code's
 * name is.
 */
#ifndef CDRANON_REASON_H
#define CDRANON_REASON_H

#include "cdranon/common.h"

typedef enum {
        CDR_REASON_OTHER = 0,
        CDR_REASON_RECORD_TOO_LONG,
        CDR_REASON_CSV_SYNTAX,
        CDR_REASON_CSV_COLUMN_COUNT,
        CDR_REASON_CSV_EMPTY_RECORD,
        CDR_REASON_JSON_SYNTAX,
        CDR_REASON_JSON_NOT_AN_OBJECT,
        CDR_REASON_JSON_INVALID_UTF8,
        CDR_REASON_JSON_NESTED,
        CDR_REASON_JSON_DUPLICATE_FIELD,
        CDR_REASON_JSON_TOO_MANY_FIELDS,
        CDR_REASON_NUMBER_MALFORMED,
        CDR_REASON_NUMBER_TOO_LONG,
        CDR_REASON_NUMBER_TOO_SHORT,
        CDR_REASON_NUMBER_COUNTRY_CODE,
        CDR_REASON_IMSI_MALFORMED,
        CDR_REASON_IMEI_MALFORMED,
        CDR_REASON_ID_TOO_LONG,
        CDR_REASON_VALUE_INVALID_UTF8,
        CDR_REASON_VALUE_NOT_A_NUMBER,
        CDR_REASON_TIMESTAMP_MALFORMED,
        CDR_REASON_TIMESTAMP_OUT_OF_RANGE,
        CDR_REASON_VALUE_INVALID,
        CDR_REASON_NUMBER_URI_PARAMETER,
        CDR_REASON_NUMBER_PHONE_CONTEXT,
        CDR_REASON_NUMBER_TRUNK_PREFIX,
        CDR_REASON_CELL_UNKNOWN,
        CDR_REASON_EVENT_TIME_UNREADABLE, /* a rotating purpose needs it */
        CDR_REASON_COUNT /* codes are 0 .. CDR_REASON_COUNT - 1 */
} cdr_reason_t;

/* A rule a value breaks: its code, and its text for people ("letters in
 * number"), which never holds the value.  Producers return pointers to
 * static rules. */
typedef struct {
        cdr_reason_t code;
        const char *text;
} cdr_rule_t;

/* The label value of `code` ("csv_syntax", static), or NULL when it is
 * not a code.  Thread-safe. */
const char *cdr_reason_name(cdr_reason_t code);

#endif
