/*
 * Structured log lines for the daemon: one event per line, in logfmt or
 * JSON, each line written with one write(2) so that lines from several
 * threads never interleave.
 *
 * Every line holds, in this order, `ts` (RFC 3339 UTC with milliseconds,
 * "2026-11-28T01:02:03.456Z"), `level` (error, warning, info, debug),
 * `msg`, then the caller's fields in the caller's order:
 *
 *   ts=2026-11-28T01:02:03.456Z level=info msg="assigned 6 partition(s)" ...
 *   {"ts":"2026-11-28T01:02:03.456Z","level":"info","msg":"...",...}
 *
 * logfmt: a value is written bare when it is non-empty and holds only
 * printable ASCII other than space, '"', '=' and '\\', or valid UTF-8
 * above ASCII; otherwise it is quoted, with \" \\ \n \r \t, \u00XX for
 * other control characters and \xXX for each byte that is not part of
 * valid UTF-8.  JSON: RFC 8259 strings (\" \\ \b \f \n \r \t, \u00XX
 * for other control characters and DEL, \u2028 and \u2029 escaped) with
 * each byte that is not part of valid UTF-8 replaced by U+FFFD; numbers
 * as JSON numbers.  Keys are written as given, with any byte outside
 * [A-Za-z0-9_.-] replaced by '_'.  A line longer than CDR_LOG_LINE_MAX
 * is cut inside the value that overflows (which then ends in "...") and
 * the fields after it are left out; it stays a well-formed line.
 *
 * Library code: nothing here prints on its own or exits.
 */
#ifndef CDRANON_LOG_H
#define CDRANON_LOG_H

#include "cdranon/common.h"

#include <stdint.h>
#include <time.h>

/* Longest line written, newline included. */
#define CDR_LOG_LINE_MAX 8192
/* Smallest buffer cdr_log_format accepts. */
#define CDR_LOG_LINE_MIN 128

/* Values in the order of the configuration's `log.format` choices. */
typedef enum { CDR_LOG_LOGFMT = 0, CDR_LOG_JSON } cdr_log_format_t;

/* Values in the order of the configuration's `log.level` choices: a
 * logger set to level L writes the lines of level L and below. */
typedef enum {
        CDR_LOG_ERROR = 0,
        CDR_LOG_WARNING,
        CDR_LOG_INFO,
        CDR_LOG_DEBUG,
} cdr_log_level_t;

typedef enum {
        CDR_LOG_STR = 0, /* s: NUL-terminated; NULL is written as "" */
        CDR_LOG_U64,     /* u */
        CDR_LOG_I64,     /* i */
        CDR_LOG_BOOL,    /* u: 0 false, else true */
} cdr_log_type_t;

/* One key=value field; the key and a string value are borrowed. */
typedef struct {
        const char *key;
        cdr_log_type_t type;
        const char *s;
        uint64_t u;
        int64_t i;
} cdr_log_field_t;

#define CDR_LOG_F_STR(k, v) ((cdr_log_field_t){(k), CDR_LOG_STR, (v), 0, 0})
#define CDR_LOG_F_U64(k, v) ((cdr_log_field_t){(k), CDR_LOG_U64, NULL, (v), 0})
#define CDR_LOG_F_I64(k, v) ((cdr_log_field_t){(k), CDR_LOG_I64, NULL, 0, (v)})
#define CDR_LOG_F_BOOL(k, v)                                                   \
        ((cdr_log_field_t){(k), CDR_LOG_BOOL, NULL, !!(v), 0})

/* "error", "warning", "info", "debug"; "info" for an unknown level. */
const char *cdr_log_level_name(cdr_log_level_t level);

/* Maps a syslog severity (librdkafka's log levels, 0 emerg .. 7 debug)
 * to a log level: 0-3 error, 4 warning, 5-6 info, 7 and above debug. */
cdr_log_level_t cdr_log_level_from_syslog(int severity);

/* Formats one line, newline included, into buf (NUL-terminated) and
 * returns its length without the NUL; `when` NULL means now
 * (CLOCK_REALTIME).  msg NULL is written as "".  Returns 0 only when
 * size < CDR_LOG_LINE_MIN.  Pure apart from reading the clock; any
 * thread. */
size_t cdr_log_format(char *buf, size_t size, cdr_log_format_t format,
                      const struct timespec *when, cdr_log_level_t level,
                      const char *msg, const cdr_log_field_t *fields,
                      size_t nfields);

typedef struct cdr_log_s cdr_log_t;

/* A logger writing to `fd`, which it does not own or close.  Returns
 * NULL when out of memory. */
cdr_log_t *cdr_log_new(int fd, cdr_log_format_t format, cdr_log_level_t level);

/* NULL: no-op.  No thread may be writing through the logger. */
void cdr_log_destroy(cdr_log_t *log);

/* 1 when a line of `level` would be written. */
int cdr_log_enabled(const cdr_log_t *log, cdr_log_level_t level);

/* Formats a line (cdr_log_format) and writes it with one write(2); a
 * short write (a full pipe) is completed by further writes before any
 * other thread's line.  A line above the logger's level is not written.
 * Returns 0, or CDR_ERR_IO when the write failed (the line is lost).
 * Any thread. */
int cdr_log_write(cdr_log_t *log, cdr_log_level_t level, const char *msg,
                  const cdr_log_field_t *fields, size_t nfields);

#endif
