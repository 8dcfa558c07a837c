/*
 * Tests for encode.h: UTF-8 validation (the classes of Markus Kuhn's
 * UTF-8 decoder stress test), JSON string escaping (RFC 8259, section 7),
 * the dead-letter record and base64 (RFC 4648, section 10 vectors).
 */
#include "cdranon/encode.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

typedef struct {
        const char *name;
        const char *bytes;
        size_t len;
} utf8_case_t;

#define U(name, s)                                                             \
        {                                                                      \
                name, s, sizeof(s) - 1                                         \
        }

static const utf8_case_t utf8_valid[] = {
    U("empty", ""),
    U("ascii", "hello, world"),
    U("greek kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
    U("U+0000", "\x00"),
    U("U+007F", "\x7f"),
    U("U+0080 first 2-byte", "\xc2\x80"),
    U("U+07FF last 2-byte", "\xdf\xbf"),
    U("U+0800 first 3-byte", "\xe0\xa0\x80"),
    U("U+D7FF before surrogates", "\xed\x9f\xbf"),
    U("U+E000 after surrogates", "\xee\x80\x80"),
    U("U+FFFD", "\xef\xbf\xbd"),
    U("U+FFFE noncharacter", "\xef\xbf\xbe"),
    U("U+FFFF last 3-byte", "\xef\xbf\xbf"),
    U("U+10000 first 4-byte", "\xf0\x90\x80\x80"),
    U("U+10FFFF last code point", "\xf4\x8f\xbf\xbf"),
    U("long ascii then 2-byte", "0123456789abcdefghij\xc3\xa9"),
    U("4-byte across word edge", "0123456\xf0\x9f\x98\x80xyz0123456789"),
};

static const utf8_case_t utf8_invalid[] = {
    /* 3.1 unexpected continuation bytes */
    U("first continuation", "\x80"),
    U("last continuation", "\xbf"),
    U("two continuations", "\x80\xbf"),
    U("continuation after ascii", "abc\x80"),
    /* 3.2 lonely start characters */
    U("lonely C0", "\xc0 "),
    U("lonely DF", "\xdf "),
    U("lonely E0", "\xe0 "),
    U("lonely F0", "\xf0 "),
    U("lonely F8", "\xf8 "),
    U("lonely FC", "\xfc "),
    /* 3.3 sequences with the last byte missing */
    U("2-byte truncated", "\xc2"),
    U("3-byte truncated", "\xe0\xa0"),
    U("4-byte truncated", "\xf0\x90\x80"),
    U("U+07FF truncated", "\xdf"),
    U("U+FFFF truncated", "\xef\xbf"),
    U("U+10FFFF truncated", "\xf4\x8f\xbf"),
    U("truncated then ascii", "\xe2\x82x"),
    /* 3.5 impossible bytes */
    U("FE", "\xfe"),
    U("FF", "\xff"),
    U("FE FE FF FF", "\xfe\xfe\xff\xff"),
    /* 4.1 overlong '/' */
    U("overlong / 2", "\xc0\xaf"),
    U("overlong / 3", "\xe0\x80\xaf"),
    U("overlong / 4", "\xf0\x80\x80\xaf"),
    U("overlong / 5", "\xf8\x80\x80\x80\xaf"),
    U("overlong / 6", "\xfc\x80\x80\x80\x80\xaf"),
    /* 4.2 maximum overlongs */
    U("overlong U+007F", "\xc1\xbf"),
    U("overlong U+07FF", "\xe0\x9f\xbf"),
    U("overlong U+FFFF", "\xf0\x8f\xbf\xbf"),
    /* 4.3 overlong NUL */
    U("overlong NUL 2", "\xc0\x80"),
    U("overlong NUL 3", "\xe0\x80\x80"),
    U("overlong NUL 4", "\xf0\x80\x80\x80"),
    /* 5.1 single surrogates */
    U("U+D800", "\xed\xa0\x80"),
    U("U+DB7F", "\xed\xad\xbf"),
    U("U+DB80", "\xed\xae\x80"),
    U("U+DBFF", "\xed\xaf\xbf"),
    U("U+DC00", "\xed\xb0\x80"),
    U("U+DF80", "\xed\xbe\x80"),
    U("U+DFFF", "\xed\xbf\xbf"),
    /* 5.2 paired surrogates */
    U("U+D800 U+DC00", "\xed\xa0\x80\xed\xb0\x80"),
    U("U+DBFF U+DFFF", "\xed\xaf\xbf\xed\xbf\xbf"),
    /* beyond Unicode */
    U("U+110000", "\xf4\x90\x80\x80"),
    U("F5 lead", "\xf5\x80\x80\x80"),
    U("F7 BF BF BF", "\xf7\xbf\xbf\xbf"),
    /* after the ASCII fast path */
    U("bad after 16 ascii", "0123456789abcdef\xff"),
    U("bad inside word", "0123\xc0\xaf"
                         "0123456789"),
};

Test(utf8, valid_sequences)
{
        size_t i;

        for (i = 0; i < sizeof(utf8_valid) / sizeof(utf8_valid[0]); i++)
                cr_expect(
                    cdr_utf8_valid(utf8_valid[i].bytes, utf8_valid[i].len),
                    "%s should be valid", utf8_valid[i].name);
}

Test(utf8, invalid_sequences)
{
        size_t i;

        for (i = 0; i < sizeof(utf8_invalid) / sizeof(utf8_invalid[0]); i++)
                cr_expect(
                    !cdr_utf8_valid(utf8_invalid[i].bytes, utf8_invalid[i].len),
                    "%s should be invalid", utf8_invalid[i].name);
}

Test(json_string, valid_utf8_copied_as_is)
{
        size_t i;

        for (i = 0; i < sizeof(utf8_valid) / sizeof(utf8_valid[0]); i++) {
                const utf8_case_t *c = &utf8_valid[i];
                cdr_buf_t buf = CDR_BUF_INIT;

                if (c->len == 1 && (unsigned char)c->bytes[0] < 0x20)
                        continue;
                cr_assert_eq(cdr_json_put_string(&buf, c->bytes, c->len),
                             CDR_OK, "%s", c->name);
                cr_expect_eq(buf.len, c->len + 2, "%s", c->name);
                cr_expect_eq(buf.data[0], '"');
                cr_expect_eq(memcmp(buf.data + 1, c->bytes, c->len), 0, "%s",
                             c->name);
                cr_expect_eq(buf.data[buf.len - 1], '"');
                cdr_buf_free(&buf);
        }
}

Test(json_string, invalid_utf8_rejected_buffer_unchanged)
{
        size_t i;

        for (i = 0; i < sizeof(utf8_invalid) / sizeof(utf8_invalid[0]); i++) {
                cdr_buf_t buf = CDR_BUF_INIT;

                cr_assert_eq(cdr_buf_puts(&buf, "{\"a\":"), CDR_OK);
                cr_expect_eq(cdr_json_put_string(&buf, utf8_invalid[i].bytes,
                                                 utf8_invalid[i].len),
                             CDR_ERR_MALFORMED, "%s", utf8_invalid[i].name);
                cr_expect_eq(buf.len, 5, "%s", utf8_invalid[i].name);
                cr_expect_str_eq(buf.data, "{\"a\":");
                cdr_buf_free(&buf);
        }
}

/* RFC 8259, section 7: the two-character escapes where they exist, \u00XX
 * for the other characters below U+0020. */
static const char *const control_escapes[32] = {
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006",
    "\\u0007", "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",
    "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014",
    "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b",
    "\\u001c", "\\u001d", "\\u001e", "\\u001f",
};

Test(json_string, every_control_character_escaped)
{
        unsigned c;

        for (c = 0; c < 32; c++) {
                cdr_buf_t buf = CDR_BUF_INIT;
                char in[3] = {'x', (char)c, 'y'};
                char want[16];

                snprintf(want, sizeof(want), "\"x%sy\"", control_escapes[c]);
                cr_assert_eq(cdr_json_put_string(&buf, in, 3), CDR_OK);
                cr_expect_str_eq(buf.data, want, "control 0x%02x", c);
                cdr_buf_free(&buf);
        }
}

typedef struct {
        const char *in;
        const char *want;
} esc_case_t;

static const esc_case_t escapes[] = {
    {"\"", "\"\\\"\""},
    {"\\", "\"\\\\\""},
    {"a\"b\\c", "\"a\\\"b\\\\c\""},
    {"/", "\"/\""},
    {"\x7f", "\"\x7f\""},
    {"line 1\r\nline 2", "\"line 1\\r\\nline 2\""},
    {"0123456789abcdef\"", "\"0123456789abcdef\\\"\""},
    {"0123456789abcdef\n0123456789", "\"0123456789abcdef\\n0123456789\""},
    {"\xe2\x80\xa8", "\"\\u2028\""},
    {"a\xe2\x80\xa9z", "\"a\\u2029z\""},
    {"\xe2\x80\xa7", "\"\xe2\x80\xa7\""},
    {"caf\xc3\xa9 \"x\"", "\"caf\xc3\xa9 \\\"x\\\"\""},
};

Test(json_string, quotes_backslashes_and_line_separators)
{
        size_t i;

        for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
                cdr_buf_t buf = CDR_BUF_INIT;

                cr_assert_eq(cdr_json_put_string(&buf, escapes[i].in,
                                                 strlen(escapes[i].in)),
                             CDR_OK);
                cr_expect_str_eq(buf.data, escapes[i].want, "case %zu", i);
                cdr_buf_free(&buf);
        }
}

Test(json_string, appends_to_existing_content)
{
        cdr_buf_t buf = CDR_BUF_INIT;

        cr_assert_eq(cdr_buf_puts(&buf, "{\"k\":"), CDR_OK);
        cr_assert_eq(cdr_json_put_string(&buf, "v\t", 2), CDR_OK);
        cr_expect_str_eq(buf.data, "{\"k\":\"v\\t\"");
        cdr_buf_free(&buf);
}

Test(json_string, long_value_with_escapes_everywhere)
{
        cdr_buf_t buf = CDR_BUF_INIT;
        char in[1000];
        size_t i, quotes = 0;

        for (i = 0; i < sizeof(in); i++) {
                in[i] = i % 7 == 3 ? '"' : (char)('a' + i % 26);
                quotes += in[i] == '"';
        }
        cr_assert_eq(cdr_json_put_string(&buf, in, sizeof(in)), CDR_OK);
        cr_expect_eq(buf.len, sizeof(in) + quotes + 2);
        for (i = 1; i + 1 < buf.len; i++)
                if (buf.data[i] == '"')
                        cr_assert_eq(buf.data[i - 1], '\\', "at %zu", i);
        cdr_buf_free(&buf);
}

Test(deadletter, file_source)
{
        cdr_buf_t buf = CDR_BUF_INIT;
        cdr_source_t src = {.file = "in.csv", .line = 12};

        cr_assert_eq(cdr_deadletter_encode(
                         &buf, "field 'a': keep number: not a number", &src),
                     CDR_OK);
        cr_expect_str_eq(buf.data,
                         "{\"reason\":\"field 'a': keep number: not a "
                         "number\",\"source\":{\"file\":\"in.csv\","
                         "\"line\":12}}");
        cdr_buf_free(&buf);
}

Test(deadletter, topic_source)
{
        cdr_buf_t buf = CDR_BUF_INIT;
        cdr_source_t src = {.topic = "cdr.raw", .partition = 3, .offset = 42};

        cr_assert_eq(cdr_deadletter_encode(&buf, "csv: \"quote\"", &src),
                     CDR_OK);
        cr_expect_str_eq(buf.data,
                         "{\"reason\":\"csv: \\\"quote\\\"\",\"source\":{"
                         "\"topic\":\"cdr.raw\",\"partition\":3,"
                         "\"offset\":42}}");
        cdr_buf_free(&buf);
}

Test(deadletter, invalid_utf8_in_file_name_replaced)
{
        cdr_buf_t buf = CDR_BUF_INIT;
        cdr_source_t src = {.file = "in\xff.csv",
                            .line = 18446744073709551615ULL};

        cr_assert_eq(cdr_deadletter_encode(&buf, "r", &src), CDR_OK);
        cr_expect_str_eq(buf.data, "{\"reason\":\"r\",\"source\":{\"file\":"
                                   "\"in\xef\xbf\xbd.csv\",\"line\":"
                                   "18446744073709551615}}");
        cr_expect(cdr_utf8_valid(buf.data, buf.len));
        cdr_buf_free(&buf);
}

Test(deadletter, appends_after_existing_content)
{
        cdr_buf_t buf = CDR_BUF_INIT;

        cr_assert_eq(cdr_buf_puts(&buf, "x"), CDR_OK);
        cr_assert_eq(cdr_deadletter_encode(&buf, "r", NULL), CDR_OK);
        cr_expect_str_eq(buf.data, "x{\"reason\":\"r\",\"source\":{}}");
        cdr_buf_free(&buf);
}

/* RFC 4648, section 10. */
static const struct {
        const char *plain;
        const char *b64;
} rfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

Test(base64, rfc4648_encode)
{
        size_t i;

        for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
                cdr_buf_t buf = CDR_BUF_INIT;

                cr_assert_eq(cdr_base64_append(
                                 &buf, (const unsigned char *)rfc4648[i].plain,
                                 strlen(rfc4648[i].plain)),
                             CDR_OK);
                cr_expect_eq(buf.len, strlen(rfc4648[i].b64));
                if (buf.len)
                        cr_expect_str_eq(buf.data, rfc4648[i].b64);
                cdr_buf_free(&buf);
        }
}

Test(base64, rfc4648_decode)
{
        size_t i;

        for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
                cdr_buf_t buf = CDR_BUF_INIT;

                cr_assert_eq(cdr_base64_decode(&buf, rfc4648[i].b64,
                                               strlen(rfc4648[i].b64)),
                             CDR_OK, "%s", rfc4648[i].b64);
                cr_expect_eq(buf.len, strlen(rfc4648[i].plain));
                cr_expect_eq(memcmp(buf.data, rfc4648[i].plain, buf.len), 0);
                cdr_buf_free(&buf);
        }
}

Test(base64, strict_decoder_rejects)
{
        static const char *const bad[] = {
            "Zg",       /* no padding */
            "Zg=",      /* short padding */
            "Zm9",      /* length not a multiple of 4 */
            "Z===",     /* three pad characters */
            "====",     /* padding only */
            "=Zm9",     /* padding first */
            "Zg==Zg==", /* padding inside */
            "Zh==",     /* non-zero bits under padding */
            "Zm9=",     /* non-zero bits under padding */
            "Zm9v\n",   /* line end */
            "Zm 9v",    /* space */
            "Zm9v!!==", /* outside the alphabet */
            "Zm-v",     /* base64url alphabet */
            "Zm_v",     /* base64url alphabet */
        };
        size_t i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cdr_buf_t buf = CDR_BUF_INIT;

                cr_assert_eq(cdr_buf_puts(&buf, "keep"), CDR_OK);
                cr_expect_eq(cdr_base64_decode(&buf, bad[i], strlen(bad[i])),
                             CDR_ERR_MALFORMED, "'%s'", bad[i]);
                cr_expect_str_eq(buf.data, "keep", "'%s'", bad[i]);
                cdr_buf_free(&buf);
        }
}

Test(base64, round_trip_every_byte_and_length)
{
        unsigned char in[300];
        size_t len, i;

        for (i = 0; i < sizeof(in); i++)
                in[i] = (unsigned char)(i * 7 + 3);
        for (len = 0; len <= sizeof(in); len += len < 20 ? 1 : 37) {
                cdr_buf_t enc = CDR_BUF_INIT, dec = CDR_BUF_INIT;

                cr_assert_eq(cdr_base64_append(&enc, in, len), CDR_OK);
                cr_expect_eq(enc.len, (len + 2) / 3 * 4);
                cr_assert_eq(cdr_base64_decode(&dec, enc.data, enc.len),
                             CDR_OK);
                cr_expect_eq(dec.len, len);
                cr_expect_eq(memcmp(dec.data, in, len), 0, "len %zu", len);
                cdr_buf_free(&enc);
                cdr_buf_free(&dec);
        }
}

/* One character at a time, straight from RFC 4648's table. */
static size_t base64_reference(const unsigned char *in, size_t n, char *out)
{
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t i, o = 0;

        for (i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t)in[i + 1] << 8;
                if (i + 2 < n)
                        v |= in[i + 2];
                out[o++] = alphabet[v >> 18];
                out[o++] = alphabet[(v >> 12) & 63];
                out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
                out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
        }
        out[o] = '\0';
        return o;
}

/* The encoder takes twelve bytes at a time where the CPU allows: every
 * length up to 400 (every tail after the wide loop), from every offset
 * of a buffer that already holds text, over bytes that give every 6-bit
 * value in every position, matches the reference. */
Test(base64, matches_reference_every_length)
{
        unsigned char in[420];
        char want[600];
        size_t len, off, i;
        uint32_t x = 12345;

        for (i = 0; i < sizeof(in); i++) {
                x = x * 1103515245u + 12345u;
                in[i] = i < 192 ? (unsigned char)(i < 64 ? i << 2 : i)
                                : (unsigned char)(x >> 16);
        }
        for (off = 0; off < 4; off++)
                for (len = 0; len + off <= 400; len++) {
                        cdr_buf_t buf = CDR_BUF_INIT;
                        size_t n = base64_reference(in + off, len, want);

                        cr_assert_eq(cdr_buf_puts(&buf, "x:"), CDR_OK);
                        cr_assert_eq(cdr_base64_append(&buf, in + off, len),
                                     CDR_OK);
                        cr_assert_eq(buf.len, n + 2, "len %zu", len);
                        cr_assert_eq(memcmp(buf.data + 2, want, n), 0,
                                     "len %zu off %zu", len, off);
                        cr_assert_eq(buf.data[buf.len], '\0');
                        cdr_buf_free(&buf);
                }
}
