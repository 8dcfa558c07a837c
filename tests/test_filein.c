/*
 * File-mode framing (filein.h): which bytes make each record, on which
 * line it starts, and how a record longer than max_record is handed out
 * in pieces.  A table of input layouts, each read from a regular file and
 * from a pipe whose writer hands out the bytes in chunks of several
 * sizes (each chunk read before the next is written), so that every
 * layout is framed the same wherever the reads split it.  No byte of an
 * over-long record may come out as a record of its own.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cdranon/buf.h"
#include "cdranon/filein.h"

#define MAX_EVENTS 25000

/* A record as a reader must find it: where it is in the input. */
typedef struct {
        uint64_t line;
        size_t off, n;
        int toobig; /* announced by CDR_ERR_TOOBIG, bytes in pieces */
        int to_eof; /* no end within the scan limit */
} want_t;

/* An input and the records in it, built together. */
typedef struct {
        cdr_buf_t in;
        want_t *want;
        size_t nwant;
        uint64_t line; /* line of the next byte */
} layout_t;

static size_t count_lf(const char *p, size_t n)
{
        size_t i, k = 0;

        for (i = 0; i < n; i++)
                k += p[i] == '\n';
        return k;
}

/* Bytes that are no record (a BOM, blank lines). */
static void put(layout_t *l, const char *p, size_t n)
{
        cr_assert_eq(cdr_buf_append(&l->in, p, n), 0);
        l->line += count_lf(p, n);
}

static void puts_(layout_t *l, const char *s)
{
        put(l, s, strlen(s));
}

/* A record: within max_record (toobig 0) or longer (1). */
static void rec(layout_t *l, const char *p, size_t n, int toobig)
{
        cr_assert_lt(l->nwant, MAX_EVENTS);
        l->want[l->nwant++] = (want_t){l->line, l->in.len, n, toobig, 0};
        put(l, p, n);
}

static void recs(layout_t *l, const char *s, int toobig)
{
        rec(l, s, strlen(s), toobig);
}

/* A record from a built buffer. */
static void recb(layout_t *l, cdr_buf_t *b, int toobig)
{
        rec(l, b->data, b->len, toobig);
        cdr_buf_reset(b);
}

static void app(cdr_buf_t *b, const char *s)
{
        cr_assert_eq(cdr_buf_puts(b, s), 0);
}

static void appn(cdr_buf_t *b, char c, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                cr_assert_eq(cdr_buf_putc(b, c), 0);
}

/* ---- the layouts ---- */

/* Issue 11's F1: a quoted field holding line feeds, one inner line
 * shaped like a record with a name and a number. */
static void quoted_field_with_lf(layout_t *l, const char *eol)
{
        cdr_buf_t b = CDR_BUF_INIT;
        int i;

        app(&b, "1,voice,07700900123,Ann Example");
        app(&b, eol);
        recb(l, &b, 0);
        app(&b, "2,voice,07700900124,\"");
        for (i = 0; i < 40; i++) {
                app(&b, "billing address line with padding");
                app(&b, eol);
        }
        app(&b, "9,voice,07700900999,Zed Canary,9 Canary Road");
        app(&b, eol);
        for (i = 0; i < 40; i++) {
                app(&b, "more address");
                app(&b, eol);
        }
        app(&b, "\",card");
        app(&b, eol);
        recb(l, &b, 1);
        app(&b, "3,sms,07700900125,Bo Example");
        app(&b, eol);
        recb(l, &b, 0);
        cdr_buf_free(&b);
}

static void build_f1_lf(layout_t *l)
{
        quoted_field_with_lf(l, "\n");
}

static void build_f1_crlf(layout_t *l)
{
        quoted_field_with_lf(l, "\r\n");
}

/* A CR alone ends no line and no record, in quotes or not. */
static void build_lone_cr(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;
        int i;

        recs(l, "1,a\rb,c\r\n", 0);
        app(&b, "2,\"");
        for (i = 0; i < 60; i++)
                app(&b, "x\r9,FAKE,07700900999\r");
        app(&b, "\r\",y\r\n");
        recb(l, &b, 1);
        recs(l, "3,\"x\ry\",z\n", 0);
        app(&b, "4,");
        appn(&b, 'w', 300);
        app(&b, "\r\r\r\n");
        recb(l, &b, 1);
        recs(l, "5,e\n", 0);
        cdr_buf_free(&b);
}

/* Doubled quotes everywhere, so that some fall on every read boundary:
 * a doubled quote split by a read must not close the field. */
static void build_doubled_quotes(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;
        int i;

        recs(l, "1,a\n", 0);
        app(&b, "2,\"");
        for (i = 0; i < 120; i++) {
                appn(&b, 'p', (size_t)(i % 7));
                app(&b, "\"\"\n7,FAKE\"\",\"\"07700900999\n");
        }
        app(&b, "\"\"\",z\n");
        recb(l, &b, 1);
        recs(l, "3,\"\"\"q\"\"\",r\n", 0);
        /* Just over the limit, the doubled quote at the detection point. */
        app(&b, "4,\"");
        appn(&b, 'd', 61);
        app(&b, "\"\"\"\"\n\"\n");
        recb(l, &b, 1);
        recs(l, "5,s\n", 0);
        cdr_buf_free(&b);
}

/* A quote never closed: the rest of the input is one record. */
static void build_unterminated_long(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;
        int i;

        recs(l, "1,a\n", 0);
        app(&b, "2,\"never closed\n");
        for (i = 0; i < 20; i++)
                app(&b, "3,voice,07700900999,Zed Canary\n");
        recb(l, &b, 1);
        cdr_buf_free(&b);
}

static void build_unterminated_short(layout_t *l)
{
        recs(l, "1,a\n", 0);
        recs(l, "2,\"open\nx\n", 0);
}

static void build_json(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;

        recs(l, "{\"a\":1}\n", 0);
        app(&b, "{\"a\":\"");
        appn(&b, 'q', 500);
        app(&b, "\"}\n");
        recb(l, &b, 1);
        recs(l, "{\"b\":2}\r\n", 0);
        /* A quote does not hold a JSON line together. */
        app(&b, "{\"c\":\"");
        appn(&b, 'r', 100);
        app(&b, "\n");
        recb(l, &b, 1);
        recs(l, "\"}\n", 0);
        app(&b, "{\"d\":\"");
        appn(&b, 's', 200);
        recb(l, &b, 1); /* the last, without a line end */
        cdr_buf_free(&b);
}

static void build_bom_long_first(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;

        puts_(l, "\xef\xbb\xbf");
        app(&b, "x,\"");
        appn(&b, 'b', 300);
        app(&b, "\n\"\n");
        recb(l, &b, 1);
        recs(l, "y\n", 0);
        cdr_buf_free(&b);
}

/* max_record 64: the record without its line end (LF, CR before it). */
static void build_at_limit(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;

        appn(&b, 'a', 64);
        app(&b, "\n");
        recb(l, &b, 0);
        appn(&b, 'b', 64);
        app(&b, "\r\n");
        recb(l, &b, 0);
        appn(&b, 'c', 63);
        app(&b, "\r\r\n"); /* the first CR is the record's */
        recb(l, &b, 0);
        appn(&b, 'd', 65);
        app(&b, "\n");
        recb(l, &b, 1);
        appn(&b, 'e', 65);
        app(&b, "\r\n");
        recb(l, &b, 1);
        appn(&b, 'f', 64);
        app(&b, "\r\r\n");
        recb(l, &b, 1);
        appn(&b, 'g', 64);
        recb(l, &b, 0); /* at the end of input, no line end */
        cdr_buf_free(&b);
}

/* max_record 1024, read from a regular file: the buffer (max_record +
 * 64 KiB) ends just after the CR of a record exactly at the limit, so
 * the reader must wait for the LF before it can tell. */
static void build_limit_at_buffer_end(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;
        size_t i;

        for (i = 0; i < 21843; i++)
                recs(l, "ab\n", 0);
        recs(l, "abcde\n", 0);
        cr_assert_eq(l->in.len, 65535);
        appn(&b, 'x', 1024);
        app(&b, "\r\n");
        recb(l, &b, 0);
        appn(&b, 'y', 1025);
        app(&b, "\r\n");
        recb(l, &b, 1);
        recs(l, "z\n", 0);
        cdr_buf_free(&b);
}

/* Scan limit 512: a record whose end does not come within its first
 * 512 bytes runs to the end of the input. */
static void build_scan_limit(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;
        int i;

        recs(l, "1,a\n", 0);
        app(&b, "2,\"");
        for (i = 0; i < 30; i++)
                app(&b, "line in a long quoted field\n");
        app(&b, "\",x\n");
        for (i = 0; i < 10; i++)
                app(&b, "3,voice,07700900999,Zed Canary\n");
        recb(l, &b, 1);
        l->want[l->nwant - 1].to_eof = 1;
        cdr_buf_free(&b);
}

/* Scan limit 512: an end as the 512th byte is found; as the 513th not. */
static void build_scan_limit_exact(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;

        appn(&b, 'a', 511);
        app(&b, "\n");
        recb(l, &b, 1);
        recs(l, "b\n", 0);
        appn(&b, 'c', 512);
        app(&b, "\n");
        app(&b, "d\n");
        recb(l, &b, 1);
        l->want[l->nwant - 1].to_eof = 1;
        cdr_buf_free(&b);
}

static void build_blank_lines(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;

        puts_(l, "\n");
        recs(l, "a\n", 0);
        puts_(l, "\r\n");
        appn(&b, 'l', 100);
        app(&b, "\n");
        recb(l, &b, 1);
        puts_(l, "\n\n\r\n");
        recs(l, "\"\n\",q\n", 0);
        recs(l, "b\n", 0);
        puts_(l, "\r"); /* the last byte: a blank line */
        cdr_buf_free(&b);
}

/* Over-long and short records in turn: the line numbers go on. */
static void build_many(layout_t *l)
{
        cdr_buf_t b = CDR_BUF_INIT;
        int i, j;

        for (i = 0; i < 40; i++) {
                app(&b, "k,\"");
                for (j = 0; j < i % 5 + 1; j++) {
                        appn(&b, 'm', (size_t)(70 + 7 * i));
                        app(&b, i % 2 ? "\r\n" : "\n");
                }
                app(&b, "\"\n");
                recb(l, &b, 1);
                recs(l, "s,1\n", 0);
        }
        cdr_buf_free(&b);
}

/* A header, a BOM, CRLF, a quoted CRLF, a blank line, no final line end. */
static void build_sample(layout_t *l)
{
        puts_(l, "\xef\xbb\xbf");
        recs(l, "h1,h2\r\n", 0);
        recs(l, "a,\"multi\r\nline\"\r\n", 0);
        puts_(l, "\r\n");
        recs(l, "b,c", 0);
}

typedef struct {
        const char *name;
        cdr_format_t format;
        size_t max_record;
        uint64_t scan_limit; /* 0: the default */
        void (*build)(layout_t *l);
} layout_case_t;

static const layout_case_t layouts[] = {
    {"F1: quoted field with LF", CDR_FORMAT_CSV, 256, 0, build_f1_lf},
    {"F1 with CRLF", CDR_FORMAT_CSV, 256, 0, build_f1_crlf},
    {"lone CR", CDR_FORMAT_CSV, 64, 0, build_lone_cr},
    {"doubled quotes on read boundaries", CDR_FORMAT_CSV, 64, 0,
     build_doubled_quotes},
    {"unterminated quote, over-long, to end of input", CDR_FORMAT_CSV, 64, 0,
     build_unterminated_long},
    {"unterminated quote, short, at end of input", CDR_FORMAT_CSV, 64, 0,
     build_unterminated_short},
    {"JSON lines", CDR_FORMAT_JSON, 64, 0, build_json},
    {"BOM and an over-long first record", CDR_FORMAT_CSV, 64, 0,
     build_bom_long_first},
    {"at the limit and one byte over", CDR_FORMAT_CSV, 64, 0, build_at_limit},
    {"limit at the buffer's end", CDR_FORMAT_CSV, 1024, 0,
     build_limit_at_buffer_end},
    {"scan limit", CDR_FORMAT_CSV, 64, 512, build_scan_limit},
    {"scan limit, exact", CDR_FORMAT_CSV, 64, 512, build_scan_limit_exact},
    {"blank lines", CDR_FORMAT_CSV, 64, 0, build_blank_lines},
    {"many over-long records", CDR_FORMAT_CSV, 64, 0, build_many},
    {"BOM, CRLF, quoted CRLF, blank line, no final LF", CDR_FORMAT_CSV, 1024, 0,
     build_sample},
};

/* ---- feeding the input ---- */

static char dir[64];

static void setup(void)
{
        signal(SIGPIPE, SIG_IGN);
        snprintf(dir, sizeof(dir), "/tmp/cdranon-test-filein-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}

typedef struct {
        int fd;
        const char *p;
        size_t n;
        const size_t *chunks; /* sizes, in turn, 0-terminated */
} feeder_t;

/* Writes one chunk, then waits until the reader has taken all of it
 * (or has gone), so that each read ends where a chunk ends. */
static void *feed(void *arg)
{
        feeder_t *f = arg;
        size_t off = 0, i = 0;

        while (off < f->n) {
                size_t k = f->chunks[i];
                int pending = 0;

                i = f->chunks[i + 1] ? i + 1 : 0;
                if (k > f->n - off)
                        k = f->n - off;
                while (k > 0) {
                        ssize_t w = write(f->fd, f->p + off, k);

                        if (w <= 0)
                                goto out;
                        off += (size_t)w;
                        k -= (size_t)w;
                }
                for (;;) {
                        struct pollfd pfd = {f->fd, 0, 0};

                        if (ioctl(f->fd, FIONREAD, &pending) != 0 ||
                            pending == 0)
                                break;
                        if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
                                goto out;
                        sched_yield();
                }
        }
out:
        close(f->fd);
        return NULL;
}

static const size_t chunks_1[] = {1, 0};
static const size_t chunks_mixed[] = {3, 1, 7, 2, 64, 5, 0};
static const size_t chunks_page[] = {4093, 0};
static const size_t chunks_big[] = {65536, 131072, 0};
static const size_t *const feeds[] = {NULL, chunks_1, chunks_mixed, chunks_page,
                                      chunks_big};
static const char *const feed_names[] = {"regular file", "pipe, 1 byte",
                                         "pipe, mixed", "pipe, 4093",
                                         "pipe, 64 KiB+"};

typedef struct {
        cdr_filein_t *in;
        pthread_t thread;
        feeder_t feeder;
        int threaded;
} source_t;

static void source_open(source_t *s, const layout_case_t *lc, const layout_t *l,
                        size_t feed_index)
{
        char path[128], errstr[256] = "";
        int fds[2];

        memset(s, 0, sizeof(*s));
        if (feeds[feed_index] == NULL) {
                FILE *f;

                snprintf(path, sizeof(path), "%s/input", dir);
                f = fopen(path, "wb");
                cr_assert_not_null(f);
                cr_assert_eq(fwrite(l->in.data, 1, l->in.len, f), l->in.len);
                cr_assert_eq(fclose(f), 0);
        } else {
                cr_assert_eq(pipe(fds), 0);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
                s->feeder = (feeder_t){fds[1], l->in.data, l->in.len,
                                       feeds[feed_index]};
        }
        s->in = cdr_filein_open(path, lc->format, ',', lc->max_record, errstr,
                                sizeof(errstr));
        cr_assert_not_null(s->in, "%s", errstr);
        if (feeds[feed_index] != NULL) {
                close(fds[0]);
                cr_assert_eq(pthread_create(&s->thread, NULL, feed, &s->feeder),
                             0);
                s->threaded = 1;
        }
        if (lc->scan_limit != 0)
                cdr_filein_set_scan_limit(s->in, lc->scan_limit);
}

static void source_close(source_t *s)
{
        cdr_filein_close(s->in);
        if (s->threaded)
                pthread_join(s->thread, NULL);
}

/* Reads every record and checks it against the layout. */
static void check_layout(const layout_case_t *lc, const layout_t *l,
                         size_t feed_index, int read_pieces)
{
        const char *how = feed_names[feed_index];
        char errstr[256] = "";
        cdr_buf_t got = CDR_BUF_INIT;
        source_t s;
        cdr_view_t v;
        uint64_t line;
        size_t i = 0;
        int rc;

        source_open(&s, lc, l, feed_index);
        while ((rc = cdr_filein_next(s.in, &v, &line, errstr,
                                     sizeof(errstr))) != 0) {
                const want_t *w;

                cr_assert(rc == 1 || rc == CDR_ERR_TOOBIG, "%s, %s: rc %d: %s",
                          lc->name, how, rc, errstr);
                cr_assert_lt(i, l->nwant,
                             "%s, %s: a record more than the %zu expected, "
                             "at line %llu",
                             lc->name, how, l->nwant, (unsigned long long)line);
                w = &l->want[i];
                cr_assert_eq(rc == CDR_ERR_TOOBIG, w->toobig,
                             "%s, %s: record %zu (line %llu): over-long %d, "
                             "want %d",
                             lc->name, how, i, (unsigned long long)line,
                             rc == CDR_ERR_TOOBIG, w->toobig);
                cr_assert_eq(line, w->line,
                             "%s, %s: record %zu: line %llu, want %llu",
                             lc->name, how, i, (unsigned long long)line,
                             (unsigned long long)w->line);
                cdr_buf_reset(&got);
                if (rc == 1) {
                        cr_assert_eq(cdr_buf_append(&got, v.p, v.n), 0);
                } else if (read_pieces) {
                        while ((rc = cdr_filein_next_piece(
                                    s.in, &v, errstr, sizeof(errstr))) == 1) {
                                cr_assert_gt(v.n, 0);
                                cr_assert_eq(cdr_buf_append(&got, v.p, v.n), 0);
                        }
                        cr_assert_eq(rc, 0, "%s", errstr);
                        cr_assert_eq(cdr_filein_to_eof(s.in), w->to_eof,
                                     "%s, %s: record %zu: to_eof", lc->name,
                                     how, i);
                }
                if (rc == 1 || read_pieces) {
                        cr_assert_eq(got.len, w->n,
                                     "%s, %s: record %zu: %zu bytes, want %zu",
                                     lc->name, how, i, got.len, w->n);
                        cr_assert(memcmp(got.data, l->in.data + w->off, w->n) ==
                                      0,
                                  "%s, %s: record %zu: other bytes", lc->name,
                                  how, i);
                }
                i++;
        }
        cr_assert_eq(i, l->nwant, "%s, %s: %zu records, want %zu", lc->name,
                     how, i, l->nwant);
        /* The end stays the end. */
        cr_assert_eq(cdr_filein_next(s.in, &v, &line, errstr, sizeof(errstr)),
                     0);
        source_close(&s);
        cdr_buf_free(&got);
}

static void layout_build(const layout_case_t *lc, layout_t *l)
{
        memset(l, 0, sizeof(*l));
        l->line = 1;
        l->want = calloc(MAX_EVENTS, sizeof(*l->want));
        cr_assert_not_null(l->want);
        lc->build(l);
}

static void layout_free(layout_t *l)
{
        cdr_buf_free(&l->in);
        free(l->want);
}

/* Criterion runs each parameter in a new process image, where pointers
 * into the parent's data are not valid: a parameter is an index into
 * `layouts`. */
static size_t layout_index[sizeof(layouts) / sizeof(layouts[0])] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};

ParameterizedTestParameters(filein, layouts)
{
        return cr_make_param_array(size_t, layout_index,
                                   sizeof(layout_index) /
                                       sizeof(layout_index[0]));
}

ParameterizedTest(size_t *index, filein, layouts, .init = setup,
                  .fini = teardown, .timeout = 120)
{
        const layout_case_t *lc = &layouts[*index];
        layout_t l;
        size_t f;

        layout_build(lc, &l);
        for (f = 0; f < sizeof(feeds) / sizeof(feeds[0]); f++)
                check_layout(lc, &l, f, 1);
        layout_free(&l);
}

/* A caller that does not read the pieces (nothing to seal) still gets
 * the records after the over-long one, and only those. */
ParameterizedTestParameters(filein, layouts_skipped)
{
        return cr_make_param_array(size_t, layout_index,
                                   sizeof(layout_index) /
                                       sizeof(layout_index[0]));
}

ParameterizedTest(size_t *index, filein, layouts_skipped, .init = setup,
                  .fini = teardown, .timeout = 120)
{
        const layout_case_t *lc = &layouts[*index];
        layout_t l;

        layout_build(lc, &l);
        check_layout(lc, &l, 0, 0);
        check_layout(lc, &l, 2, 0);
        layout_free(&l);
}

/* Standard input, by NULL or "-": named "-". */
Test(filein, standard_input, .init = setup, .fini = teardown)
{
        static const char text[] = "a,\"b\nc\"\n"
                                   "d\n";
        char errstr[256];
        const char *const paths[] = {NULL, "-"};
        cdr_filein_t *in;
        cdr_view_t v;
        uint64_t line;
        int fds[2], i;

        for (i = 0; i < 2; i++) {
                cr_assert_eq(pipe(fds), 0);
                cr_assert_eq(write(fds[1], text, sizeof(text) - 1),
                             (ssize_t)sizeof(text) - 1);
                close(fds[1]);
                cr_assert_eq(dup2(fds[0], 0), 0);
                close(fds[0]);
                in = cdr_filein_open(paths[i], CDR_FORMAT_CSV, ',', 1024,
                                     errstr, sizeof(errstr));
                cr_assert_not_null(in);
                cr_assert_str_eq(cdr_filein_name(in), "-");
                cr_assert_eq(
                    cdr_filein_next(in, &v, &line, errstr, sizeof(errstr)), 1);
                cr_assert_eq(v.n, 8);
                cr_assert_eq(
                    cdr_filein_next(in, &v, &line, errstr, sizeof(errstr)), 1);
                cr_assert_eq(line, 3);
                cr_assert_eq(
                    cdr_filein_next(in, &v, &line, errstr, sizeof(errstr)), 0);
                cdr_filein_close(in);
        }
}

Test(filein, names_a_missing_file)
{
        char errstr[256];

        cr_assert_null(cdr_filein_open("/nonexistent/in.csv", CDR_FORMAT_CSV,
                                       ',', 1024, errstr, sizeof(errstr)));
        cr_assert_str_eq(errstr,
                         "/nonexistent/in.csv: No such file or directory");
}

Test(filein, scan_limit_is_at_least_max_record_plus_two, .init = setup,
     .fini = teardown)
{
        char path[128], errstr[256];
        FILE *f;
        cdr_filein_t *in;
        cdr_view_t v;
        uint64_t line;

        /* A record of max_record + 2 bytes (CRLF) is framed whole even
         * with a lower limit asked for. */
        snprintf(path, sizeof(path), "%s/input", dir);
        f = fopen(path, "wb");
        cr_assert_not_null(f);
        fprintf(f, "%0*d\r\nb\n", 1024, 7);
        fclose(f);
        in = cdr_filein_open(path, CDR_FORMAT_CSV, ',', 1024, errstr,
                             sizeof(errstr));
        cr_assert_not_null(in);
        cdr_filein_set_scan_limit(in, 10);
        cr_assert_eq(cdr_filein_next(in, &v, &line, errstr, sizeof(errstr)), 1);
        cr_assert_eq(v.n, 1026);
        cr_assert_eq(cdr_filein_next(in, &v, &line, errstr, sizeof(errstr)), 1);
        cr_assert_eq(line, 2);
        cdr_filein_close(in);
}
