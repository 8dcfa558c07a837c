/* Error helpers, views, buffers, the clock and writes: see common.h,
 * buf.h and util.h. */
#include "cdranon/common.h"
#include "cdranon/buf.h"
#include "cdranon/util.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cdr_view_eq(cdr_view_t v, const char *s)
{
        size_t n = strlen(s);
        return v.p != NULL && v.n == n && memcmp(v.p, s, n) == 0;
}

void cdr_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
{
        va_list ap;

        if (errstr == NULL || errstr_size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

void cdr_err_prefix(char *errstr, size_t errstr_size, const char *fmt, ...)
{
        char prefix[512];
        char old[1024];
        va_list ap;

        if (errstr == NULL || errstr_size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        snprintf(old, sizeof(old), "%s", errstr);
        snprintf(errstr, errstr_size, "%s%s", prefix, old);
}

const char *cdr_strerror(int err)
{
        switch (err) {
        case CDR_OK:
                return "success";
        case CDR_ERR_INVAL:
                return "invalid argument";
        case CDR_ERR_NOMEM:
                return "out of memory";
        case CDR_ERR_IO:
                return "input/output error";
        case CDR_ERR_MALFORMED:
                return "malformed";
        case CDR_ERR_CRYPTO:
                return "cryptographic failure";
        case CDR_ERR_PERM:
                return "unsafe permissions";
        case CDR_ERR_TOOBIG:
                return "too big";
        case CDR_ERR_AUTH:
                return "authentication failed";
        case CDR_ERR_NOTFOUND:
                return "not found";
        case CDR_ERR_KAFKA:
                return "Kafka error";
        default:
                return "unknown error";
        }
}

int cdr_buf_grow(cdr_buf_t *buf, size_t extra)
{
        size_t need, cap;
        char *p;

        if (extra > SIZE_MAX - buf->len - 1)
                return CDR_ERR_NOMEM;
        need = buf->len + extra + 1;
        if (need <= buf->cap)
                return CDR_OK;
        cap = buf->cap ? buf->cap : 256;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        p = realloc(buf->data, cap);
        if (p == NULL)
                return CDR_ERR_NOMEM;
        buf->data = p;
        buf->cap = cap;
        return CDR_OK;
}

int cdr_buf_append(cdr_buf_t *buf, const void *p, size_t n)
{
        if (cdr_buf_reserve(buf, n) != CDR_OK)
                return CDR_ERR_NOMEM;
        if (n)
                memcpy(buf->data + buf->len, p, n);
        buf->len += n;
        buf->data[buf->len] = '\0';
        return CDR_OK;
}

int cdr_buf_puts(cdr_buf_t *buf, const char *s)
{
        return cdr_buf_append(buf, s, strlen(s));
}

int cdr_buf_putc(cdr_buf_t *buf, char c)
{
        return cdr_buf_append(buf, &c, 1);
}

int cdr_buf_printf(cdr_buf_t *buf, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return CDR_ERR_INVAL;
        if (cdr_buf_reserve(buf, (size_t)n) != CDR_OK)
                return CDR_ERR_NOMEM;
        va_start(ap, fmt);
        vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        buf->len += (size_t)n;
        return CDR_OK;
}

void cdr_buf_free(cdr_buf_t *buf)
{
        if (buf->data) {
                OPENSSL_cleanse(buf->data, buf->cap);
                free(buf->data);
        }
        buf->data = NULL;
        buf->len = buf->cap = 0;
}

int64_t cdr_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cdr_sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

int cdr_write_all(int fd, const void *p, size_t n)
{
        const char *c = p;

        while (n > 0) {
                ssize_t w = write(fd, c, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -1;
                if (w == 0) {
                        errno = EIO;
                        return -1;
                }
                c += w;
                n -= (size_t)w;
        }
        return 0;
}
