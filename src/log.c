/*
 * Structured log lines (log.h).  A line is built in a buffer on the
 * caller's stack and written with one write(2) under a mutex, so that a
 * line from a librdkafka thread and one from the main thread never mix
 * even when a write comes back short.
 */
#include "cdranon/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cdr_log_s {
        int fd;
        cdr_log_format_t format;
        cdr_log_level_t level;
        pthread_mutex_t mu;
};

const char *cdr_log_level_name(cdr_log_level_t level)
{
        switch (level) {
        case CDR_LOG_ERROR:
                return "error";
        case CDR_LOG_WARNING:
                return "warning";
        case CDR_LOG_DEBUG:
                return "debug";
        default:
                return "info";
        }
}

cdr_log_level_t cdr_log_level_from_syslog(int severity)
{
        if (severity <= 3)
                return CDR_LOG_ERROR;
        if (severity == 4)
                return CDR_LOG_WARNING;
        if (severity <= 6)
                return CDR_LOG_INFO;
        return CDR_LOG_DEBUG;
}

/*
 * The line buffer.  `end` is where the content may go; the bytes after
 * it are kept for what closes the line (a quote, a brace, the newline),
 * so that a cut line is still well formed.
 */

#define CLOSE_RESERVE 8 /* "\"...\"}\n" and the NUL */

struct line {
        char *buf;
        size_t len;
        size_t end;
        int full; /* a value was cut: nothing more goes in */
};

/* Appends n bytes if they fit before `end`; returns 0 or -1. */
static int put(struct line *l, const char *s, size_t n)
{
        if (l->full || n > l->end - l->len)
                return -1;
        memcpy(l->buf + l->len, s, n);
        l->len += n;
        return 0;
}

static int puts_(struct line *l, const char *s)
{
        return put(l, s, strlen(s));
}

/* Appends after the end mark: only for what closes the line. */
static void put_close(struct line *l, const char *s)
{
        size_t n = strlen(s);

        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

/* The length of the valid UTF-8 sequence (2-4 bytes) at s, or 0
 * (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        unsigned c = s[0];

        if (c >= 0xc2 && c <= 0xdf)
                return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xe0 && s[1] < 0xa0)
                        return 0;
                if (c == 0xed && s[1] > 0x9f)
                        return 0;
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
                    (s[3] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xf0 && s[1] < 0x90)
                        return 0;
                if (c == 0xf4 && s[1] > 0x8f)
                        return 0;
                return 4;
        }
        return 0;
}

static int needs_quotes(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n = strlen(s), i = 0, k;

        if (n == 0)
                return 1;
        while (i < n) {
                if (p[i] <= ' ' || p[i] == '"' || p[i] == '=' || p[i] == '\\' ||
                    p[i] == 0x7f)
                        return 1;
                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                k = utf8_len(p + i, n - i);
                if (k == 0)
                        return 1;
                i += k;
        }
        return 0;
}

/* Writes the escaped form of s, one character at a time, so that a cut
 * never splits an escape sequence or a UTF-8 sequence. */
static void put_escaped(struct line *l, const char *s, cdr_log_format_t format)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *)s;
        size_t n = strlen(s), i = 0, k;
        char esc[8];

        while (i < n) {
                unsigned c = p[i];
                const char *out = esc;
                size_t outn = 0;

                k = 1;
                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        outn = 2;
                } else if (c == '\n' || c == '\r' || c == '\t' ||
                           (format == CDR_LOG_JSON &&
                            (c == '\b' || c == '\f'))) {
                        esc[0] = '\\';
                        esc[1] = c == '\n'   ? 'n'
                                 : c == '\r' ? 'r'
                                 : c == '\t' ? 't'
                                 : c == '\b' ? 'b'
                                             : 'f';
                        outn = 2;
                } else if (c < 0x20 || c == 0x7f) {
                        memcpy(esc, "\\u00", 4);
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 15];
                        outn = 6;
                } else if (c < 0x80) {
                        out = s + i;
                        outn = 1;
                } else if ((k = utf8_len(p + i, n - i)) > 0) {
                        if (format == CDR_LOG_JSON && k == 3 && c == 0xe2 &&
                            p[i + 1] == 0x80 &&
                            (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
                                memcpy(esc, "\\u202", 5);
                                esc[5] = p[i + 2] == 0xa8 ? '8' : '9';
                                outn = 6;
                        } else {
                                out = s + i;
                                outn = k;
                        }
                } else if (format == CDR_LOG_JSON) {
                        k = 1;
                        out = "\xef\xbf\xbd"; /* U+FFFD */
                        outn = 3;
                } else {
                        k = 1;
                        esc[0] = '\\';
                        esc[1] = 'x';
                        esc[2] = hex[c >> 4];
                        esc[3] = hex[c & 15];
                        outn = 4;
                }
                if (put(l, out, outn) != 0) {
                        put_close(l, "...");
                        l->full = 1;
                        return;
                }
                i += k;
        }
}

static void put_string(struct line *l, const char *s, cdr_log_format_t format)
{
        if (s == NULL)
                s = "";
        if (format == CDR_LOG_LOGFMT && !needs_quotes(s)) {
                /* A bare value that does not fit is quoted after all,
                 * so that the "..." of the cut is unambiguous. */
                size_t save = l->len;

                if (puts_(l, s) == 0)
                        return;
                l->len = save;
        }
        if (put(l, "\"", 1) != 0) {
                put_close(l, "\"...\"");
                l->full = 1;
                return;
        }
        put_escaped(l, s, format);
        put_close(l, "\"");
}

static void put_key(struct line *l, const char *key, cdr_log_format_t format,
                    int first)
{
        char k[64];
        size_t n = 0;

        for (; key != NULL && *key != '\0' && n < sizeof(k) - 1; key++) {
                char c = *key;

                k[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c == '_' ||
                                 c == '.' || c == '-'
                             ? c
                             : '_';
        }
        if (n == 0)
                k[n++] = '_';
        k[n] = '\0';
        if (format == CDR_LOG_JSON) {
                if ((first ? 0 : put(l, ",", 1)) != 0 || put(l, "\"", 1) ||
                    put(l, k, n) || put(l, "\":", 2))
                        l->full = 1;
        } else {
                if ((first ? 0 : put(l, " ", 1)) != 0 || put(l, k, n) ||
                    put(l, "=", 1))
                        l->full = 1;
        }
}

static void put_field(struct line *l, const cdr_log_field_t *f,
                      cdr_log_format_t format)
{
        char num[32];
        size_t save = l->len;

        put_key(l, f->key, format, 0);
        if (l->full) {
                l->len = save;
                return;
        }
        switch (f->type) {
        case CDR_LOG_U64:
                snprintf(num, sizeof(num), "%llu", (unsigned long long)f->u);
                break;
        case CDR_LOG_I64:
                snprintf(num, sizeof(num), "%lld", (long long)f->i);
                break;
        case CDR_LOG_BOOL:
                snprintf(num, sizeof(num), "%s", f->u ? "true" : "false");
                break;
        default:
                put_string(l, f->s, format);
                return;
        }
        /* A number is never cut: the field is left out. */
        if (puts_(l, num) != 0) {
                l->len = save;
                l->full = 1;
        }
}

size_t cdr_log_format(char *buf, size_t size, cdr_log_format_t format,
                      const struct timespec *when, cdr_log_level_t level,
                      const char *msg, const cdr_log_field_t *fields,
                      size_t nfields)
{
        struct line l = {buf, 0, 0, 0};
        struct timespec now;
        struct tm tm;
        char ts[80];
        size_t i;

        if (buf == NULL || size < CDR_LOG_LINE_MIN)
                return 0;
        l.end = size - CLOSE_RESERVE;
        if (when == NULL) {
                clock_gettime(CLOCK_REALTIME, &now);
                when = &now;
        }
        gmtime_r(&when->tv_sec, &tm);
        snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)(when->tv_nsec / 1000000) % 1000);

        /* ts, level and the start of msg always fit in CDR_LOG_LINE_MIN. */
        if (format == CDR_LOG_JSON)
                put(&l, "{", 1);
        put_key(&l, "ts", format, 1);
        put_string(&l, ts, format);
        put_key(&l, "level", format, 0);
        put_string(&l, cdr_log_level_name(level), format);
        put_key(&l, "msg", format, 0);
        put_string(&l, msg, format);
        for (i = 0; i < nfields && !l.full; i++)
                put_field(&l, &fields[i], format);
        if (format == CDR_LOG_JSON)
                put_close(&l, "}");
        put_close(&l, "\n");
        buf[l.len] = '\0';
        return l.len;
}

cdr_log_t *cdr_log_new(int fd, cdr_log_format_t format, cdr_log_level_t level)
{
        cdr_log_t *log = calloc(1, sizeof(*log));

        if (log == NULL)
                return NULL;
        if (pthread_mutex_init(&log->mu, NULL) != 0) {
                free(log);
                return NULL;
        }
        log->fd = fd;
        log->format = format;
        log->level = level;
        return log;
}

void cdr_log_destroy(cdr_log_t *log)
{
        if (log == NULL)
                return;
        pthread_mutex_destroy(&log->mu);
        free(log);
}

int cdr_log_enabled(const cdr_log_t *log, cdr_log_level_t level)
{
        return log != NULL && level <= log->level;
}

int cdr_log_write(cdr_log_t *log, cdr_log_level_t level, const char *msg,
                  const cdr_log_field_t *fields, size_t nfields)
{
        char buf[CDR_LOG_LINE_MAX];
        size_t n, off = 0;
        int rc = CDR_OK;

        if (!cdr_log_enabled(log, level))
                return CDR_OK;
        n = cdr_log_format(buf, sizeof(buf), log->format, NULL, level, msg,
                           fields, nfields);
        pthread_mutex_lock(&log->mu);
        while (off < n) {
                ssize_t w = write(log->fd, buf + off, n - off);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        rc = CDR_ERR_IO;
                        break;
                }
                off += (size_t)w;
        }
        pthread_mutex_unlock(&log->mu);
        return rc;
}
