/*
 * JSON output: string escaping that never emits invalid UTF-8, and the
 * dead-letter record.
 */
#ifndef CDRANON_ENCODE_H
#define CDRANON_ENCODE_H

#include "cdranon/buf.h"
#include "cdranon/record.h"

/* Appends `p[0..n)` as a JSON string with quotes.  Escapes '"', '\\' and
 * control characters (\n, \t, ... and \u00XX), and U+2028 and U+2029 so
 * that the text is also a JavaScript literal; copies other valid UTF-8 as
 * is.
 * Returns 0, CDR_ERR_MALFORMED (buffer unchanged) when the bytes are not
 * valid UTF-8 (overlongs, surrogates and code points above U+10FFFF
 * included), or CDR_ERR_NOMEM. */
int cdr_json_put_string(cdr_buf_t *buf, const char *p, size_t n) CDR_MUST_CHECK;

/* 1 when p[0..n) is valid UTF-8. */
int cdr_utf8_valid(const char *p, size_t n);

/* Appends a dead-letter object:
 *   {"reason":"...","source":{"file":"in.csv","line":12}}
 *   {"reason":"...","source":{"topic":"t","partition":3,"offset":42}}
 * The reason must not contain record values (callers guarantee it).
 * Bytes of the reason or file name that are not valid UTF-8 are written
 * as U+FFFD.  On failure (CDR_ERR_NOMEM) the buffer is unchanged. */
int cdr_deadletter_encode(cdr_buf_t *buf, const char *reason,
                          const cdr_source_t *source) CDR_MUST_CHECK;

/* RFC 4648 base64 (with padding) of in[0..n) appended to buf. */
int cdr_base64_append(cdr_buf_t *buf, const unsigned char *in,
                      size_t n) CDR_MUST_CHECK;
/* Decodes base64 text (padding required, no white space, zero bits under
 * the padding) and appends the bytes to buf.  Returns 0, or
 * CDR_ERR_MALFORMED / CDR_ERR_NOMEM with buf's content unchanged. */
int cdr_base64_decode(cdr_buf_t *buf, const char *in, size_t n) CDR_MUST_CHECK;

#endif
