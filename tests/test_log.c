/*
 * Tests of the structured log lines (log.h): both formats, escaping,
 * cutting of long lines, level filtering and one write(2) per line.
 * The expected escapes are those of RFC 8259 (JSON) and of the logfmt
 * rules written in log.h; the UTF-8 validity cases are RFC 3629's.
 */
#include <criterion/criterion.h>

#include "cdranon/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* 2026-11-27T21:00:00.123Z */
static const struct timespec WHEN = {1795813200, 123456789};
#define TS "2026-11-27T21:00:00.123Z"

struct esc_case {
        const char *in;
        const char *logfmt; /* the msg value as written */
        const char *json;   /* the msg string, quotes included */
};

static const struct esc_case esc_cases[] = {
    {"started", "started", "\"started\""},
    {"", "\"\"", "\"\""},
    {"two words", "\"two words\"", "\"two words\""},
    {"a=b", "\"a=b\"", "\"a=b\""},
    {"say \"hi\"", "\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\""},
    {"back\\slash", "\"back\\\\slash\"", "\"back\\\\slash\""},
    {"l1\nl2\r\t", "\"l1\\nl2\\r\\t\"", "\"l1\\nl2\\r\\t\""},
    {"\b\f", "\"\\u0008\\u000c\"", "\"\\b\\f\""},
    {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "\"\\u0001\\u001f\\u007f\""},
    {"esc\x1b[31m", "\"esc\\u001b[31m\"", "\"esc\\u001b[31m\""},
    /* valid UTF-8 passes through: é, €, U+10348 */
    {"caf\xc3\xa9", "caf\xc3\xa9", "\"caf\xc3\xa9\""},
    {"\xe2\x82\xac\xf0\x90\x8d\x88", "\xe2\x82\xac\xf0\x90\x8d\x88",
     "\"\xe2\x82\xac\xf0\x90\x8d\x88\""},
    /* U+2028 is legal JSON but breaks JavaScript readers */
    {"a\xe2\x80\xa8", "a\xe2\x80\xa8", "\"a\\u2028\""},
    /* not UTF-8: a lone continuation byte, Latin-1, a cut sequence */
    {"\x80", "\"\\x80\"", "\"\xef\xbf\xbd\""},
    {"caf\xe9!", "\"caf\\xe9!\"", "\"caf\xef\xbf\xbd!\""},
    {"\xe2\x82", "\"\\xe2\\x82\"", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
    /* overlong '/', a surrogate, above U+10FFFF, 0xff */
    {"\xc0\xaf", "\"\\xc0\\xaf\"", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
    {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\"",
     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\"",
     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"\xff", "\"\\xff\"", "\"\xef\xbf\xbd\""},
};

Test(log, escaping_table)
{
        char buf[512], want[512];
        size_t i, n;

        for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
                const struct esc_case *c = &esc_cases[i];

                n = cdr_log_format(buf, sizeof(buf), CDR_LOG_LOGFMT, &WHEN,
                                   CDR_LOG_INFO, c->in, NULL, 0);
                snprintf(want, sizeof(want), "ts=" TS " level=info msg=%s\n",
                         c->logfmt);
                cr_expect_str_eq(buf, want, "logfmt case %zu", i);
                cr_expect_eq(n, strlen(want), "logfmt case %zu", i);

                n = cdr_log_format(buf, sizeof(buf), CDR_LOG_JSON, &WHEN,
                                   CDR_LOG_INFO, c->in, NULL, 0);
                snprintf(want, sizeof(want),
                         "{\"ts\":\"" TS "\",\"level\":\"info\",\"msg\":%s}\n",
                         c->json);
                cr_expect_str_eq(buf, want, "json case %zu", i);
                cr_expect_eq(n, strlen(want), "json case %zu", i);
        }
}

Test(log, fields_both_formats)
{
        const cdr_log_field_t fields[] = {
            CDR_LOG_F_STR("event", "summary"),
            CDR_LOG_F_U64("records", UINT64_MAX),
            CDR_LOG_F_I64("delta", INT64_MIN),
            CDR_LOG_F_BOOL("eos", 7),
            CDR_LOG_F_BOOL("quiet", 0),
            CDR_LOG_F_STR("topic", "cdr raw"),
            CDR_LOG_F_STR("none", NULL),
            CDR_LOG_F_STR("bad key=\"x\"", "v"),
            CDR_LOG_F_STR("", "v"),
        };
        char buf[1024];

        cdr_log_format(buf, sizeof(buf), CDR_LOG_LOGFMT, &WHEN, CDR_LOG_WARNING,
                       "counters", fields, sizeof(fields) / sizeof(fields[0]));
        cr_expect_str_eq(buf, "ts=" TS " level=warning msg=counters "
                              "event=summary records=18446744073709551615 "
                              "delta=-9223372036854775808 eos=true "
                              "quiet=false topic=\"cdr raw\" none=\"\" "
                              "bad_key__x_=v _=v\n");
        cdr_log_format(buf, sizeof(buf), CDR_LOG_JSON, &WHEN, CDR_LOG_ERROR,
                       "counters", fields, sizeof(fields) / sizeof(fields[0]));
        cr_expect_str_eq(buf, "{\"ts\":\"" TS "\",\"level\":\"error\","
                              "\"msg\":\"counters\",\"event\":\"summary\","
                              "\"records\":18446744073709551615,"
                              "\"delta\":-9223372036854775808,\"eos\":true,"
                              "\"quiet\":false,\"topic\":\"cdr raw\","
                              "\"none\":\"\",\"bad_key__x_\":\"v\","
                              "\"_\":\"v\"}\n");
}

Test(log, timestamps)
{
        static const struct {
                struct timespec when;
                const char *ts;
        } cases[] = {
            {{0, 0}, "1970-01-01T00:00:00.000Z"},
            {{951782400, 999999999}, "2000-02-29T00:00:00.999Z"},
            {{1795813200, 1000000}, "2026-11-27T21:00:00.001Z"},
            {{4102444799, 500000000}, "2099-12-31T23:59:59.500Z"},
        };
        char buf[256], want[256];
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cdr_log_format(buf, sizeof(buf), CDR_LOG_LOGFMT, &cases[i].when,
                               CDR_LOG_DEBUG, "x", NULL, 0);
                snprintf(want, sizeof(want), "ts=%s level=debug msg=x\n",
                         cases[i].ts);
                cr_expect_str_eq(buf, want);
        }
}

Test(log, level_names_and_syslog_mapping)
{
        static const struct {
                int syslog;
                cdr_log_level_t level;
        } map[] = {
            {0, CDR_LOG_ERROR}, {1, CDR_LOG_ERROR},   {2, CDR_LOG_ERROR},
            {3, CDR_LOG_ERROR}, {4, CDR_LOG_WARNING}, {5, CDR_LOG_INFO},
            {6, CDR_LOG_INFO},  {7, CDR_LOG_DEBUG},
        };
        size_t i;

        for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                cr_expect_eq(cdr_log_level_from_syslog(map[i].syslog),
                             map[i].level, "syslog %d", map[i].syslog);
        cr_expect_str_eq(cdr_log_level_name(CDR_LOG_ERROR), "error");
        cr_expect_str_eq(cdr_log_level_name(CDR_LOG_WARNING), "warning");
        cr_expect_str_eq(cdr_log_level_name(CDR_LOG_INFO), "info");
        cr_expect_str_eq(cdr_log_level_name(CDR_LOG_DEBUG), "debug");
}

Test(log, small_buffer_refused)
{
        char buf[CDR_LOG_LINE_MIN];

        cr_expect_eq(cdr_log_format(buf, sizeof(buf) - 1, CDR_LOG_JSON, &WHEN,
                                    CDR_LOG_INFO, "x", NULL, 0),
                     0);
        cr_expect_gt(cdr_log_format(buf, sizeof(buf), CDR_LOG_JSON, &WHEN,
                                    CDR_LOG_INFO, "x", NULL, 0),
                     0);
}

/* A value too long for the line is cut at a character boundary, ends in
 * "...", and the fields after it are left out; the line stays well
 * formed in both formats. */
Test(log, long_values_cut)
{
        static const char fill[] = {'a', '\x01', '"', '\xe9'};
        static const size_t unit_logfmt[] = {1, 6, 2, 4};
        static const size_t unit_json[] = {1, 6, 2, 3};
        char *msg = malloc(20001), buf[1000];
        size_t f, n, body, unit;
        int json;

        cr_assert_not_null(msg);
        for (f = 0; f < sizeof(fill); f++) {
                memset(msg, fill[f], 20000);
                msg[20000] = '\0';
                for (json = 0; json < 2; json++) {
                        const cdr_log_field_t after = CDR_LOG_F_U64("n", 1);
                        const char *head =
                            json ? "{\"ts\":\"" TS
                                   "\",\"level\":\"info\",\"msg\":\""
                                 : "ts=" TS " level=info msg=\"";
                        const char *tail = json ? "...\"}\n" : "...\"\n";

                        n = cdr_log_format(buf, sizeof(buf),
                                           json ? CDR_LOG_JSON : CDR_LOG_LOGFMT,
                                           &WHEN, CDR_LOG_INFO, msg, &after, 1);
                        cr_assert_lt(n, sizeof(buf));
                        cr_assert_eq(strlen(buf), n);
                        cr_expect_eq(strncmp(buf, head, strlen(head)), 0,
                                     "fill %zu json %d: %.60s", f, json, buf);
                        cr_expect_str_eq(buf + n - strlen(tail), tail,
                                         "fill %zu json %d", f, json);
                        cr_expect_null(strstr(buf, json ? "\"n\":" : " n="));
                        /* Whole escapes only: the body is a multiple of
                         * one character's rendering. */
                        body = n - strlen(head) - strlen(tail);
                        unit = json ? unit_json[f] : unit_logfmt[f];
                        cr_expect_eq(body % unit, 0, "fill %zu json %d", f,
                                     json);
                        cr_expect_gt(body, sizeof(buf) / 2);
                }
        }
        free(msg);
}

/* A number that does not fit is left out whole, never cut. */
Test(log, numbers_never_cut)
{
        char msg[CDR_LOG_LINE_MIN], buf[CDR_LOG_LINE_MIN + 10];
        const cdr_log_field_t f = CDR_LOG_F_U64("records", UINT64_MAX);
        size_t n;

        memset(msg, 'm', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';
        /* msg is cut, so the number cannot come */
        n = cdr_log_format(buf, sizeof(buf), CDR_LOG_LOGFMT, &WHEN,
                           CDR_LOG_INFO, msg, &f, 1);
        cr_expect_null(strstr(buf, "records"));
        cr_expect_eq(buf[n - 1], '\n');
        /* short msg: the number fits whole or not at all */
        n = cdr_log_format(buf, sizeof(buf), CDR_LOG_LOGFMT, &WHEN,
                           CDR_LOG_INFO, "m", &f, 1);
        cr_expect(strstr(buf, "records=18446744073709551615\n") != NULL ||
                      strstr(buf, "records") == NULL,
                  "%s", buf);
}

/* Reads what is in the pipe (everything written has been written). */
static size_t drain(int fd, char *buf, size_t size)
{
        size_t n = 0;
        ssize_t r;

        while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
                n += (size_t)r;
        buf[n] = '\0';
        return n;
}

static size_t count_lines(const char *s)
{
        size_t n = 0;

        for (; *s != '\0'; s++)
                n += *s == '\n';
        return n;
}

Test(log, level_filtering)
{
        static const cdr_log_level_t levels[] = {CDR_LOG_ERROR, CDR_LOG_WARNING,
                                                 CDR_LOG_INFO, CDR_LOG_DEBUG};
        char buf[4096];
        size_t set, l;

        for (set = 0; set < 4; set++) {
                int fds[2];
                cdr_log_t *log;

                cr_assert_eq(pipe(fds), 0);
                log = cdr_log_new(fds[1], CDR_LOG_LOGFMT, levels[set]);
                cr_assert_not_null(log);
                for (l = 0; l < 4; l++) {
                        cr_expect_eq(cdr_log_enabled(log, levels[l]), l <= set);
                        cr_expect_eq(
                            cdr_log_write(log, levels[l],
                                          cdr_log_level_name(levels[l]), NULL,
                                          0),
                            CDR_OK);
                }
                cdr_log_destroy(log);
                close(fds[1]);
                drain(fds[0], buf, sizeof(buf));
                close(fds[0]);
                cr_expect_eq(count_lines(buf), set + 1, "level %zu: %s", set,
                             buf);
                for (l = 0; l < 4; l++) {
                        char want[64];

                        snprintf(want, sizeof(want), "level=%s msg=%s\n",
                                 cdr_log_level_name(levels[l]),
                                 cdr_log_level_name(levels[l]));
                        cr_expect_eq(strstr(buf, want) != NULL, l <= set,
                                     "level %zu line %zu", set, l);
                }
        }
        cr_expect_eq(cdr_log_enabled(NULL, CDR_LOG_ERROR), 0);
        cr_expect_eq(cdr_log_write(NULL, CDR_LOG_ERROR, "x", NULL, 0), CDR_OK);
        cdr_log_destroy(NULL);
}

Test(log, write_error_reported)
{
        int fds[2];
        cdr_log_t *log;

        cr_assert_eq(pipe(fds), 0);
        close(fds[0]);
        signal(SIGPIPE, SIG_IGN);
        log = cdr_log_new(fds[1], CDR_LOG_JSON, CDR_LOG_INFO);
        cr_assert_not_null(log);
        cr_expect_eq(cdr_log_write(log, CDR_LOG_INFO, "x", NULL, 0),
                     CDR_ERR_IO);
        cdr_log_destroy(log);
        close(fds[1]);
}

/*
 * One write(2) per line, from several threads at once: on a
 * SOCK_SEQPACKET socket every write arrives as one packet, so each
 * packet received must be exactly one whole line.
 */

#define WRITERS 4
#define LINES   200

struct writer {
        cdr_log_t *log;
        int id;
};

static void *write_lines(void *arg)
{
        const struct writer *w = arg;
        char msg[64];
        int i;

        for (i = 0; i < LINES; i++) {
                const cdr_log_field_t f[] = {
                    CDR_LOG_F_I64("writer", w->id),
                    CDR_LOG_F_I64("line", i),
                    CDR_LOG_F_STR("text", "with \"quotes\"\nand a newline"),
                };

                snprintf(msg, sizeof(msg), "line %d of writer %d", i, w->id);
                if (cdr_log_write(w->log, CDR_LOG_INFO, msg, f, 3) != CDR_OK)
                        return (void *)1;
        }
        return NULL;
}

Test(log, one_write_per_line)
{
        static const cdr_log_format_t formats[] = {CDR_LOG_LOGFMT,
                                                   CDR_LOG_JSON};
        size_t fi;

        for (fi = 0; fi < 2; fi++) {
                pthread_t th[WRITERS];
                struct writer w[WRITERS];
                int sv[2], i, seen[WRITERS] = {0}, packets = 0;
                char pkt[CDR_LOG_LINE_MAX + 1];
                cdr_log_t *log;
                ssize_t r;

                cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
                log = cdr_log_new(sv[1], formats[fi], CDR_LOG_INFO);
                cr_assert_not_null(log);
                for (i = 0; i < WRITERS; i++) {
                        w[i].log = log;
                        w[i].id = i;
                        cr_assert_eq(
                            pthread_create(&th[i], NULL, write_lines, &w[i]),
                            0);
                }
                while (packets < WRITERS * LINES &&
                       (r = recv(sv[0], pkt, sizeof(pkt) - 1, 0)) > 0) {
                        int writer, line;
                        const char *p;

                        pkt[r] = '\0';
                        packets++;
                        cr_assert_eq(pkt[r - 1], '\n', "packet %d: %s", packets,
                                     pkt);
                        cr_assert_eq(strchr(pkt, '\n'), pkt + r - 1,
                                     "packet %d holds more than a line: %s",
                                     packets, pkt);
                        p = strstr(pkt, "line ");
                        cr_assert_not_null(p);
                        cr_assert_eq(
                            sscanf(p, "line %d of writer %d", &line, &writer),
                            2);
                        cr_assert(writer >= 0 && writer < WRITERS);
                        /* each writer's lines come in its own order */
                        cr_assert_eq(line, seen[writer], "writer %d", writer);
                        seen[writer]++;
                }
                for (i = 0; i < WRITERS; i++) {
                        void *ret;

                        pthread_join(th[i], &ret);
                        cr_expect_null(ret);
                        cr_expect_eq(seen[i], LINES);
                }
                cr_expect_eq(packets, WRITERS * LINES);
                cdr_log_destroy(log);
                close(sv[0]);
                close(sv[1]);
        }
}
