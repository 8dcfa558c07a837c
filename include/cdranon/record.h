/*
 * A parsed record: views into the bytes it was parsed from.
 *
 * The policy decides which input fields it needs; each needed field name
 * gets a slot in a schema.  Readers (csv.h, json.h) fill only those slots,
 * so a field the policy does not name is never copied anywhere.  A value is
 * a view into the input buffer, or into the record's scratch buffer when it
 * had to be unescaped (CSV doubled quotes, JSON escapes).  Nothing is
 * allocated per field: the scratch buffer is reserved once per record to
 * the record's length, which bounds any unescaped value.
 */
#ifndef CDRANON_RECORD_H
#define CDRANON_RECORD_H

#include "cdranon/buf.h"
#include "cdranon/common.h"
#include "cdranon/reason.h"

#define CDR_MAX_SLOTS      64  /* input fields a policy may read */
#define CDR_FIELD_NAME_MAX 128 /* bytes in a field name */

/* The input fields a policy reads, each with a slot index 0..n-1. */
typedef struct cdr_schema_s cdr_schema_t;

cdr_schema_t *cdr_schema_new(void);
void cdr_schema_destroy(cdr_schema_t *schema);

/* Returns the slot of `name` (adding it when new), or CDR_ERR_TOOBIG when
 * CDR_MAX_SLOTS are in use or the name is longer than
 * CDR_FIELD_NAME_MAX. */
int cdr_schema_add(cdr_schema_t *schema, const char *name, size_t len);

/* Returns the slot of `name`, or -1 when the schema does not hold it.
 * Safe to call from several threads once the schema is built. */
int cdr_schema_find(const cdr_schema_t *schema, const char *name, size_t len);

size_t cdr_schema_count(const cdr_schema_t *schema);
/* The NUL-terminated name of a slot; owned by the schema. */
const char *cdr_schema_name(const cdr_schema_t *schema, int slot);

/* Value flags. */
#define CDR_VAL_NUMBER 0x1 /* JSON: the value was a bare number */
#define CDR_VAL_NULL   0x2 /* JSON: the value was null (view is empty) */

typedef struct {
        cdr_view_t raw;                  /* the whole record as received */
        cdr_view_t value[CDR_MAX_SLOTS]; /* .p == NULL: field absent */
        uint8_t flags[CDR_MAX_SLOTS];    /* CDR_VAL_* */
        size_t nfields;                  /* fields in the record, all */
        cdr_buf_t scratch;               /* unescaped values live here */
        /* When a reader (csv.h, json.h) returns CDR_ERR_MALFORMED: the
         * rule the record broke, beside the text it wrote. */
        cdr_reason_t reason;
} cdr_record_t;

/* Prepares a record for reuse: clears every slot and reserves scratch for
 * a raw record of `len` bytes.  Returns 0 or CDR_ERR_NOMEM. */
int cdr_record_reset(cdr_record_t *record, size_t nslots,
                     size_t len) CDR_MUST_CHECK;

/* Frees the record's scratch memory (not the record itself). */
void cdr_record_free(cdr_record_t *record);

/* The length of a raw record without its line end: a final LF, then a CR
 * before it (or a final CR alone, at the end of a file's input). */
size_t cdr_record_body(const char *rec, size_t len);

/* Where a record came from: a file and line (file mode, file != NULL) or
 * a topic, partition and offset (stream mode, topic != NULL). */
typedef struct {
        const char *file;
        uint64_t line;
        const char *topic;
        int32_t partition;
        int64_t offset;
} cdr_source_t;

#endif
