/*
 * JSON string output with strict UTF-8 validation, the dead-letter
 * record and RFC 4648 base64.  See encode.h.
 *
 * UTF-8 is validated against the well-formed byte sequences of the
 * Unicode Standard (chapter 3, table 3-7): no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated or
 * stray continuation bytes.
 */
#include "cdranon/encode.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static uint64_t load64(const unsigned char *p)
{
        uint64_t w;

        memcpy(&w, p, sizeof(w));
        return w;
}

/* Length of the well-formed UTF-8 sequence that starts a non-ASCII byte
 * at s (n >= 1 bytes available), or 0 when it is not well formed. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        unsigned char lo = 0x80, hi = 0xbf;
        size_t len, i;

        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef)
                len = 3;
        else if (c >= 0xf0 && c <= 0xf4)
                len = 4;
        else
                return 0; /* continuation byte, C0/C1, F5..FF */
        if (n < len)
                return 0;
        /* The second byte's range excludes overlongs, surrogates and
         * code points above U+10FFFF. */
        if (c == 0xe0)
                lo = 0xa0;
        else if (c == 0xed)
                hi = 0x9f;
        else if (c == 0xf0)
                lo = 0x90;
        else if (c == 0xf4)
                hi = 0x8f;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (i = 2; i < len; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return len;
}

int cdr_utf8_valid(const char *p, size_t n)
{
        const unsigned char *s = (const unsigned char *)p;
        size_t i = 0, k;

        while (i < n) {
                while (i + 8 <= n && (load64(s + i) & HIGHS) == 0)
                        i += 8;
                if (i >= n)
                        break;
                if (s[i] < 0x80) {
                        i++;
                        continue;
                }
                k = utf8_seq(s + i, n - i);
                if (k == 0)
                        return 0;
                i += k;
        }
        return 1;
}

/* 1 when none of the 8 bytes of w needs attention: all ASCII, none below
 * 0x20, none '"' or '\\'.  Exact because every byte is below 0x80 when
 * the subtractions are tested. */
static int word_plain(uint64_t w)
{
        uint64_t q = w ^ (ONES * '"');
        uint64_t b = w ^ (ONES * '\\');

        if (w & HIGHS)
                return 0;
        return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
                ((b - ONES) & ~b)) &
                       HIGHS
                   ? 0
                   : 1;
}

static const char hexdig[] = "0123456789abcdef";

/* Escapes p[0..n) into buf between quotes.  With `lossy`, each byte that
 * does not start a well-formed sequence becomes U+FFFD; without it, the
 * buffer is restored and CDR_ERR_MALFORMED returned.  U+2028 and U+2029
 * are escaped so that the output is also a valid JavaScript literal. */
static int put_escaped(cdr_buf_t *buf, const char *p, size_t n, int lossy)
{
        const unsigned char *s = (const unsigned char *)p;
        size_t start = buf->len;
        size_t i = 0, run = 0, k;
        char esc[8];
        size_t elen;
        int rc = CDR_ERR_NOMEM;

        /* Room for the value as it is and its quotes; each escape below
         * reserves what it adds, so that the plain runs are copied into
         * room already there. */
        if (cdr_buf_reserve(buf, n + 2) != CDR_OK)
                return CDR_ERR_NOMEM;
        buf->data[buf->len++] = '"';
        while (i < n) {
                unsigned char c;

                while (i + 8 <= n && word_plain(load64(s + i)))
                        i += 8;
                if (i >= n)
                        break;
                c = s[i];
                if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0x80) {
                        k = utf8_seq(s + i, n - i);
                        if (k != 0 &&
                            !(k == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
                              (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))) {
                                i += k;
                                continue;
                        }
                        if (k == 0 && !lossy) {
                                rc = CDR_ERR_MALFORMED;
                                goto fail;
                        }
                        if (k == 0) {
                                memcpy(esc, "\xef\xbf\xbd", 3);
                                elen = 3;
                                k = 1;
                        } else {
                                memcpy(esc,
                                       s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029",
                                       6);
                                elen = 6;
                        }
                } else {
                        k = 1;
                        esc[0] = '\\';
                        elen = 2;
                        switch (c) {
                        case '"':
                                esc[1] = '"';
                                break;
                        case '\\':
                                esc[1] = '\\';
                                break;
                        case '\b':
                                esc[1] = 'b';
                                break;
                        case '\f':
                                esc[1] = 'f';
                                break;
                        case '\n':
                                esc[1] = 'n';
                                break;
                        case '\r':
                                esc[1] = 'r';
                                break;
                        case '\t':
                                esc[1] = 't';
                                break;
                        default:
                                memcpy(esc + 1, "u00", 3);
                                esc[4] = hexdig[c >> 4];
                                esc[5] = hexdig[c & 0xf];
                                elen = 6;
                                break;
                        }
                }
                /* The run, the escape, the rest of the value as it is
                 * and the closing quote. */
                if (cdr_buf_reserve(buf, (i - run) + elen + (n - i - k) + 1) !=
                    CDR_OK)
                        goto fail;
                memcpy(buf->data + buf->len, s + run, i - run);
                buf->len += i - run;
                memcpy(buf->data + buf->len, esc, elen);
                buf->len += elen;
                i += k;
                run = i;
        }
        if (n > run) /* p may be NULL when n is 0 */
                memcpy(buf->data + buf->len, s + run, n - run);
        buf->len += n - run;
        buf->data[buf->len++] = '"';
        buf->data[buf->len] = '\0';
        return CDR_OK;
fail:
        buf->len = start;
        if (buf->data)
                buf->data[start] = '\0';
        return rc;
}

int cdr_json_put_string(cdr_buf_t *buf, const char *p, size_t n)
{
        return put_escaped(buf, p, n, 0);
}

/* Appends the decimal text of v, with a '-' when neg (v is then the
 * magnitude). */
static int put_decimal(cdr_buf_t *buf, uint64_t v, int neg)
{
        char text[24];
        size_t i = sizeof(text);

        do {
                text[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v != 0);
        if (neg)
                text[--i] = '-';
        return cdr_buf_append(buf, text + i, sizeof(text) - i);
}

static int put_signed(cdr_buf_t *buf, int64_t v)
{
        /* The magnitude of INT64_MIN does not fit an int64_t. */
        return v < 0 ? put_decimal(buf, (uint64_t)(-(v + 1)) + 1, 1)
                     : put_decimal(buf, (uint64_t)v, 0);
}

int cdr_deadletter_encode(cdr_buf_t *buf, const char *reason,
                          const cdr_source_t *source)
{
        size_t start = buf->len;
        int rc;

        rc = cdr_buf_puts(buf, "{\"reason\":");
        if (rc == CDR_OK)
                rc = put_escaped(buf, reason ? reason : "",
                                 reason ? strlen(reason) : 0, 1);
        if (rc == CDR_OK)
                rc = cdr_buf_puts(buf, ",\"source\":{");
        if (rc == CDR_OK && source && source->file) {
                rc = cdr_buf_puts(buf, "\"file\":");
                if (rc == CDR_OK)
                        rc = put_escaped(buf, source->file,
                                         strlen(source->file), 1);
                if (rc == CDR_OK)
                        rc = cdr_buf_puts(buf, ",\"line\":");
                if (rc == CDR_OK)
                        rc = put_decimal(buf, source->line, 0);
        }
        if (rc == CDR_OK && source && source->topic) {
                if (source->file)
                        rc = cdr_buf_putc(buf, ',');
                if (rc == CDR_OK)
                        rc = cdr_buf_puts(buf, "\"topic\":");
                if (rc == CDR_OK)
                        rc = put_escaped(buf, source->topic,
                                         strlen(source->topic), 1);
                if (rc == CDR_OK)
                        rc = cdr_buf_puts(buf, ",\"partition\":");
                if (rc == CDR_OK)
                        rc = put_signed(buf, source->partition);
                if (rc == CDR_OK)
                        rc = cdr_buf_puts(buf, ",\"offset\":");
                if (rc == CDR_OK)
                        rc = put_signed(buf, source->offset);
        }
        if (rc == CDR_OK)
                rc = cdr_buf_puts(buf, "}}");
        if (rc != CDR_OK) {
                buf->len = start;
                if (buf->data)
                        buf->data[start] = '\0';
        }
        return rc;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* b64_pairs[v] spells the 12-bit value v in two characters, so that six
 * input bytes take four lookups.  File mode writes every sealed record
 * in base64, which makes this one of the per-record costs. */
static char b64_pairs[4096][2];
static pthread_once_t b64_pairs_once = PTHREAD_ONCE_INIT;

static void b64_pairs_init(void)
{
        size_t v;

        for (v = 0; v < 4096; v++) {
                b64_pairs[v][0] = b64[v >> 6];
                b64_pairs[v][1] = b64[v & 63];
        }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <tmmintrin.h>
#define B64_SSSE3 1

/* Twelve input bytes at a time into sixteen characters, with SSSE3 (the
 * method of W. Mula and D. Lemire, "Faster Base64 Encoding and Decoding
 * using AVX2 Instructions", 2018, in its 128-bit form): each 3-byte group
 * is spread over a 32-bit lane, its four 6-bit values moved into the
 * lane's bytes by two masked multiplies, and each value turned into its
 * character by adding an offset looked up by its range.  Reads 16 bytes
 * for every 12 it encodes, so it stops while 16 remain; returns the input
 * bytes done (a multiple of 12), having written 4/3 as many characters. */
__attribute__((target("ssse3"))) static size_t
base64_ssse3(const unsigned char *in, size_t n, char *o)
{
        const __m128i spread =
            _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
        const __m128i offsets = _mm_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4,
                                              -4, -4, -4, -4, -19, -16, 0, 0);
        size_t i;

        for (i = 0; i + 16 <= n; i += 12, o += 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(in + i));
                __m128i hi, lo, idx;

                v = _mm_shuffle_epi8(v, spread);
                hi = _mm_mulhi_epu16(
                    _mm_and_si128(v, _mm_set1_epi32(0x0fc0fc00)),
                    _mm_set1_epi32(0x04000040));
                lo = _mm_mullo_epi16(
                    _mm_and_si128(v, _mm_set1_epi32(0x003f03f0)),
                    _mm_set1_epi32(0x01000010));
                v = _mm_or_si128(hi, lo); /* one 6-bit value a byte */
                /* 0..25 -> 0, 26..51 -> 1, 52..61 -> 2..11, 62 -> 12,
                 * 63 -> 13: the row of offsets[] for the value's range. */
                idx = _mm_subs_epu8(v, _mm_set1_epi8(51));
                idx = _mm_sub_epi8(idx, _mm_cmpgt_epi8(v, _mm_set1_epi8(25)));
                v = _mm_add_epi8(v, _mm_shuffle_epi8(offsets, idx));
                _mm_storeu_si128((__m128i *)o, v);
        }
        return i;
}
#endif

int cdr_base64_append(cdr_buf_t *buf, const unsigned char *in, size_t n)
{
        size_t out, i = 0;
        char *o;

        if (n > (SIZE_MAX - 4) / 4 * 3)
                return CDR_ERR_NOMEM;
        out = (n + 2) / 3 * 4;
        if (cdr_buf_reserve(buf, out) != CDR_OK)
                return CDR_ERR_NOMEM;
        pthread_once(&b64_pairs_once, b64_pairs_init);
        o = buf->data + buf->len;
#ifdef B64_SSSE3
        if (n >= 16 && __builtin_cpu_supports("ssse3")) {
                i = base64_ssse3(in, n, o);
                o += i / 3 * 4;
        }
#endif
        for (; i + 6 <= n; i += 6, o += 8) {
                uint64_t v = (uint64_t)in[i] << 40 | (uint64_t)in[i + 1] << 32 |
                             (uint64_t)in[i + 2] << 24 |
                             (uint64_t)in[i + 3] << 16 |
                             (uint64_t)in[i + 4] << 8 | in[i + 5];

                memcpy(o, b64_pairs[v >> 36], 2);
                memcpy(o + 2, b64_pairs[(v >> 24) & 4095], 2);
                memcpy(o + 4, b64_pairs[(v >> 12) & 4095], 2);
                memcpy(o + 6, b64_pairs[v & 4095], 2);
        }
        for (; i + 3 <= n; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                             in[i + 2];
                *o++ = b64[v >> 18];
                *o++ = b64[(v >> 12) & 63];
                *o++ = b64[(v >> 6) & 63];
                *o++ = b64[v & 63];
        }
        if (n - i == 1) {
                uint32_t v = (uint32_t)in[i] << 16;
                *o++ = b64[v >> 18];
                *o++ = b64[(v >> 12) & 63];
                *o++ = '=';
                *o++ = '=';
        } else if (n - i == 2) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
                *o++ = b64[v >> 18];
                *o++ = b64[(v >> 12) & 63];
                *o++ = b64[(v >> 6) & 63];
                *o++ = '=';
        }
        buf->len += out;
        buf->data[buf->len] = '\0';
        return CDR_OK;
}

static int b64_value(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Strict: the length is a multiple of 4, '=' appears only as the one or
 * two last characters, and the bits that padding discards are zero, so
 * each byte string has exactly one accepted encoding (RFC 4648, 3.5). */
int cdr_base64_decode(cdr_buf_t *buf, const char *in, size_t n)
{
        const unsigned char *s = (const unsigned char *)in;
        size_t i, pad = 0;
        unsigned char *o;

        if (n % 4 != 0)
                return CDR_ERR_MALFORMED;
        if (n == 0)
                return cdr_buf_reserve(buf, 0);
        if (s[n - 1] == '=')
                pad = s[n - 2] == '=' ? 2 : 1;
        if (cdr_buf_reserve(buf, n / 4 * 3) != CDR_OK)
                return CDR_ERR_NOMEM;
        o = (unsigned char *)buf->data + buf->len;
        for (i = 0; i < n; i += 4) {
                int last = i + 4 == n;
                int v0 = b64_value(s[i]), v1 = b64_value(s[i + 1]);
                int v2 = last && pad == 2 ? 0 : b64_value(s[i + 2]);
                int v3 = last && pad >= 1 ? 0 : b64_value(s[i + 3]);
                uint32_t v;

                if (v0 < 0 || v1 < 0 || v2 < 0 || v3 < 0)
                        goto bad;
                v = (uint32_t)v0 << 18 | (uint32_t)v1 << 12 |
                    (uint32_t)v2 << 6 | (uint32_t)v3;
                *o++ = (unsigned char)(v >> 16);
                if (last && pad == 2) {
                        if (v & 0xffff)
                                goto bad;
                        break;
                }
                *o++ = (unsigned char)(v >> 8);
                if (last && pad == 1) {
                        if (v & 0xff)
                                goto bad;
                        break;
                }
                *o++ = (unsigned char)v;
        }
        buf->len = (size_t)((char *)o - buf->data);
        buf->data[buf->len] = '\0';
        return CDR_OK;
bad:
        if (buf->data)
                buf->data[buf->len] = '\0';
        return CDR_ERR_MALFORMED;
}
