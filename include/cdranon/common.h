/*
 * cdranon - common definitions and THE error convention.
 *
 * Error convention (every module follows it):
 *
 *   - A function that can fail returns 0 (CDR_OK) on success or one of the
 *     negative CDR_ERR_* codes below; a constructor returns NULL on failure.
 *   - A function that fails for a reason a user must read takes
 *     `char *errstr, size_t errstr_size` as its last two parameters and
 *     writes one line there (no trailing newline, no "error:" prefix).
 *     The text names the file, line and field where there is one
 *     ("config.yaml:12: fields.x: unknown action 'scramble'") and never
 *     contains the value of a record field: errors about records name the
 *     field and the rule broken, nothing more.
 *   - Library code (everything but src/main.c and src/cmd_*.c) never
 *     prints and never exits. Only main and the commands decide.
 *   - Ownership is written in each function's doc comment. Every
 *     x_destroy(NULL) is a no-op.
 */
#ifndef CDRANON_COMMON_H
#define CDRANON_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define CDR_OK            0
#define CDR_ERR_INVAL     -1  /* bad argument or configuration */
#define CDR_ERR_NOMEM     -2  /* allocation failed */
#define CDR_ERR_IO        -3  /* a file could not be read or written */
#define CDR_ERR_MALFORMED -4  /* a record (or value) breaks a rule */
#define CDR_ERR_CRYPTO    -5  /* a cryptographic primitive failed */
#define CDR_ERR_PERM      -6  /* a key file has unsafe permissions */
#define CDR_ERR_TOOBIG    -7  /* a value or record exceeds a limit */
#define CDR_ERR_AUTH      -8  /* a sealed record did not open */
#define CDR_ERR_NOTFOUND  -9  /* a named thing does not exist */
#define CDR_ERR_KAFKA     -10 /* a Kafka operation failed */

#if defined(__GNUC__)
#define CDR_MUST_CHECK   __attribute__((warn_unused_result))
#define CDR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CDR_LIKELY(x)    __builtin_expect(!!(x), 1)
#define CDR_UNLIKELY(x)  __builtin_expect(!!(x), 0)
#else
#define CDR_MUST_CHECK
#define CDR_PRINTF(f, a)
#define CDR_LIKELY(x)   (x)
#define CDR_UNLIKELY(x) (x)
#endif

/* A view of bytes owned by someone else; not NUL-terminated.
 * p == NULL means "absent" (as opposed to present and empty). */
typedef struct {
        const char *p;
        size_t n;
} cdr_view_t;

#define CDR_VIEW_LIT(s) ((cdr_view_t){(s), sizeof(s) - 1})

/* Returns 1 when the view equals the NUL-terminated string s. */
int cdr_view_eq(cdr_view_t v, const char *s);

/* Formats one line into errstr (always NUL-terminated, truncated to fit).
 * No operation is performed if errstr is NULL or errstr_size is 0. */
void cdr_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
    CDR_PRINTF(3, 4);

/* Prefixes errstr in place with the formatted text ("file:12: " + old). */
void cdr_err_prefix(char *errstr, size_t errstr_size, const char *fmt, ...)
    CDR_PRINTF(3, 4);

/* A short static description of a CDR_ERR_* code. */
const char *cdr_strerror(int err);

#endif
