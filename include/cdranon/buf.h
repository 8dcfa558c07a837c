/*
 * A growable byte buffer for output.  Buffers are reused record after
 * record: cdr_buf_reset() keeps the allocation, so the hot path allocates
 * only until the buffer has reached its working size.
 */
#ifndef CDRANON_BUF_H
#define CDRANON_BUF_H

#include "cdranon/common.h"

typedef struct {
        char *data; /* owned; NUL-terminated after each append */
        size_t len;
        size_t cap;
} cdr_buf_t;

#define CDR_BUF_INIT                                                           \
        {                                                                      \
                NULL, 0, 0                                                     \
        }

/* The growing half of cdr_buf_reserve(), out of line. */
int cdr_buf_grow(cdr_buf_t *buf, size_t extra) CDR_MUST_CHECK;

/* Makes room for at least `extra` more bytes (plus a NUL).
 * Returns 0 or CDR_ERR_NOMEM; on failure the buffer is unchanged.
 * Inline: the policy reserves room a dozen times a record, and the
 * buffer has room nearly always. */
CDR_MUST_CHECK static inline int cdr_buf_reserve(cdr_buf_t *buf, size_t extra)
{
        if (extra < buf->cap - buf->len)
                return CDR_OK;
        return cdr_buf_grow(buf, extra);
}
int cdr_buf_append(cdr_buf_t *buf, const void *p, size_t n) CDR_MUST_CHECK;
int cdr_buf_puts(cdr_buf_t *buf, const char *s) CDR_MUST_CHECK;
int cdr_buf_putc(cdr_buf_t *buf, char c) CDR_MUST_CHECK;
int cdr_buf_printf(cdr_buf_t *buf, const char *fmt, ...)
    CDR_PRINTF(2, 3) CDR_MUST_CHECK;

/* Empties the buffer, keeping its allocation. */
static inline void cdr_buf_reset(cdr_buf_t *buf)
{
        buf->len = 0;
        if (buf->data)
                buf->data[0] = '\0';
}

/* Wipes (OPENSSL_cleanse) and frees the buffer's memory; the buffer is
 * left empty and may be used again. */
void cdr_buf_free(cdr_buf_t *buf);

#endif
