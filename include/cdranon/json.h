/*
 * One-JSON-object-per-line reader: a zero-copy tokenizer for flat objects
 * whose values are strings, numbers, true/false or null.  Values of fields
 * the schema names become views (into the line, or into record->scratch
 * when a string held escapes); other fields are validated and skipped.
 */
#ifndef CDRANON_JSON_H
#define CDRANON_JSON_H

#include "cdranon/record.h"

#define CDR_JSON_MAX_FIELDS 1024 /* fields in one object */

/* Parses one object (surrounding white space and line end allowed) into
 * `record`, which it resets first (cdr_record_reset).  Returns 0, or
 * CDR_ERR_MALFORMED with a reason that names the field (its name, never
 * its value) and the rule: "json: field 'x': nested objects are not
 * accepted", "json: unexpected end of input", "json: duplicate field
 * 'x'", "json: invalid UTF-8 in field 'x'".  A field name is only quoted
 * in a reason when it is printable ASCII of at most 64 bytes.
 * Thread-safe. */
int cdr_json_parse(const cdr_schema_t *schema, const char *rec, size_t len,
                   cdr_record_t *record, char *errstr,
                   size_t errstr_size) CDR_MUST_CHECK;

#endif
