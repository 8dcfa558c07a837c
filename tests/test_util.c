/*
 * The helpers every layer uses (common.h, buf.h, util.h): views, the
 * error line and its prefix, error names, the growable buffer, the
 * monotonic clock, the sleep and the write that finishes.
 */
#include <criterion/criterion.h>

#include "cdranon/buf.h"
#include "cdranon/common.h"
#include "cdranon/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(util, views)
{
        cdr_view_t v = CDR_VIEW_LIT("abc"), absent = {NULL, 0};

        cr_expect(cdr_view_eq(v, "abc"));
        cr_expect(!cdr_view_eq(v, "ab"));
        cr_expect(!cdr_view_eq(v, "abcd"));
        cr_expect(!cdr_view_eq(absent, ""), "absent is not empty");
        cr_expect(cdr_view_eq((cdr_view_t){"", 0}, ""));
}

Test(util, error_lines)
{
        char e[16];

        cdr_errf(e, sizeof(e), "%s:%d: %s", "f.yaml", 12, "a long message");
        cr_expect_str_eq(e, "f.yaml:12: a lo", "truncated, NUL-terminated");
        cdr_errf(NULL, 10, "ignored %d", 1);
        cdr_errf(e, 0, "ignored %d", 1);
        cr_expect_str_eq(e, "f.yaml:12: a lo", "size 0 writes nothing");

        char big[64];

        cdr_errf(big, sizeof(big), "bad key id");
        cdr_err_prefix(big, sizeof(big), "%s:%d: ", "keys/hmac.key", 3);
        cr_expect_str_eq(big, "keys/hmac.key:3: bad key id");
        cdr_err_prefix(e, sizeof(e), "longer than the buffer: ");
        cr_expect_eq(strlen(e), sizeof(e) - 1);
        cdr_err_prefix(NULL, 8, "x");
}

Test(util, error_names)
{
        static const int codes[] = {
            CDR_OK,           CDR_ERR_INVAL,     CDR_ERR_NOMEM,
            CDR_ERR_IO,       CDR_ERR_MALFORMED, CDR_ERR_CRYPTO,
            CDR_ERR_PERM,     CDR_ERR_TOOBIG,    CDR_ERR_AUTH,
            CDR_ERR_NOTFOUND, CDR_ERR_KAFKA};
        size_t i, j;

        for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                cr_assert_str_neq(cdr_strerror(codes[i]), "unknown error");
                for (j = 0; j < i; j++)
                        cr_expect_str_neq(cdr_strerror(codes[i]),
                                          cdr_strerror(codes[j]), "%d and %d",
                                          codes[i], codes[j]);
        }
        cr_expect_str_eq(cdr_strerror(-99), "unknown error");
        cr_expect_str_eq(cdr_strerror(CDR_ERR_NOMEM), "out of memory");
}

Test(util, buffers_grow_and_keep_a_nul)
{
        cdr_buf_t b = CDR_BUF_INIT;
        size_t i;

        cr_assert_eq(cdr_buf_puts(&b, "ab"), CDR_OK);
        cr_assert_eq(cdr_buf_putc(&b, 'c'), CDR_OK);
        cr_assert_eq(cdr_buf_append(&b, "de\0f", 4), CDR_OK);
        cr_assert_eq(b.len, 7);
        cr_assert_eq(memcmp(b.data, "abcde\0f", 8), 0, "NUL after the data");
        for (i = 0; i < 1000; i++)
                cr_assert_eq(cdr_buf_printf(&b, "%05zu", i), CDR_OK);
        cr_assert_eq(b.len, 7 + 5000);
        cr_assert_eq(strncmp(b.data + 7 + 5 * 999, "00999", 6), 0);
        cr_assert_geq(b.cap, b.len + 1);

        i = b.cap;
        cdr_buf_reset(&b);
        cr_expect_eq(b.len, 0);
        cr_expect_eq(b.data[0], '\0');
        cr_expect_eq(b.cap, i, "reset keeps the allocation");

        cr_expect_eq(cdr_buf_reserve(&b, SIZE_MAX), CDR_ERR_NOMEM);
        cr_expect_eq(cdr_buf_reserve(&b, SIZE_MAX - b.len), CDR_ERR_NOMEM,
                     "no room for the NUL");
        cr_expect_eq(b.cap, i, "a failed reserve leaves the buffer as it was");

        cdr_buf_free(&b);
        cr_expect_null(b.data);
        cr_expect_eq(b.len + b.cap, 0);
        cr_assert_eq(cdr_buf_puts(&b, "again"), CDR_OK, "usable after free");
        cr_expect_str_eq(b.data, "again");
        cdr_buf_free(&b);
        cdr_buf_free(&b);
}

Test(util, clock_and_sleep)
{
        int64_t a, b, c;

        a = cdr_now_ms();
        b = cdr_now_ms();
        cr_expect_geq(b, a, "monotonic");
        cdr_sleep_ms(30);
        c = cdr_now_ms();
        /* A sleep lasts at least as long as asked (POSIX), however busy
         * the machine: a lower bound only. */
        cr_expect_geq(c - b, 30, "slept %lld ms", (long long)(c - b));
        cdr_sleep_ms(0);
}

struct drain {
        int fd;
        size_t got;
};

static void *drain(void *arg)
{
        struct drain *d = arg;
        char buf[4096];
        ssize_t n;

        while ((n = read(d->fd, buf, sizeof(buf))) > 0)
                d->got += (size_t)n;
        return NULL;
}

Test(util, write_all_finishes_or_says_why)
{
        static char data[1 << 20];
        struct drain d = {-1, 0};
        pthread_t thread;
        int p[2];

        memset(data, 'x', sizeof(data));
        /* More than a pipe holds: short writes until the reader drains. */
        cr_assert_eq(pipe(p), 0);
        d.fd = p[0];
        cr_assert_eq(pthread_create(&thread, NULL, drain, &d), 0);
        cr_expect_eq(cdr_write_all(p[1], data, sizeof(data)), 0, "%s",
                     strerror(errno));
        close(p[1]);
        pthread_join(thread, NULL);
        close(p[0]);
        cr_expect_eq(d.got, sizeof(data));

        cr_expect_eq(cdr_write_all(p[1], data, 1), -1, "a closed descriptor");
        cr_expect_eq(errno, EBADF);
        cr_expect_eq(cdr_write_all(p[1], data, 0), 0, "nothing to write");
}
