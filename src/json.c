/*
 * One flat JSON object per line (RFC 8259), see json.h.
 *
 * A single left-to-right pass over the bytes: no token list, no tree.
 * Strings without escapes become views of the input; a string with
 * escapes is decoded into record->scratch only when its field is needed
 * (or when it is a field name, which duplicate detection must compare in
 * decoded form); otherwise it is validated and skipped.  Decoding never
 * lengthens a string, so scratch, reserved to the record's length by
 * cdr_record_reset, never moves while views point into it.
 */
#include "cdranon/json.h"
#include "namehash.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Duplicate detection: open addressing over twice the field limit, on
 * the stack.  Only the occupancy bitmap is cleared per record. */
#define JSON_KEY_BUCKETS (2 * CDR_JSON_MAX_FIELDS)

/* Outcomes of scanning a string. */
enum {
        JSON_STR_OK = 0,
        JSON_STR_EOF,
        JSON_STR_CTRL,
        JSON_STR_UTF8,
        JSON_STR_ESCAPE,
        JSON_STR_SURROGATE,
};

/* 1 for a byte that stands for itself in a string: printable ASCII but
 * the quote and the backslash.  Control bytes, quote, backslash and bytes
 * of multi-byte UTF-8 sequences take the slow path. */
/* clang-format off */
static const uint8_t json_plain[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */

static uint64_t json_load64(const char *p)
{
        uint64_t x;

        memcpy(&x, p, sizeof(x));
        return x;
}

/* Eight bytes at a time where the byte order lets the first flagged byte
 * be found with a count of trailing zeros. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JSON_SWAR  1
#define JSON_ONES  0x0101010101010101ull
#define JSON_HIGHS 0x8080808080808080ull

/* Nonzero when one of the 8 bytes in x is not plain (see json_plain):
 * a quote, a backslash, a byte below 0x20 or one with the high bit set.
 * Exact as a yes/no answer, which is all the scan needs. */
static uint64_t json_special8(uint64_t x)
{
        uint64_t q = x ^ (JSON_ONES * '"');
        uint64_t b = x ^ (JSON_ONES * '\\');

        return (((q - JSON_ONES) & ~q) | ((b - JSON_ONES) & ~b) |
                ((x - JSON_ONES * 0x20) & ~x) | x) &
               JSON_HIGHS;
}
#endif

/* Returns the index of the first byte from s[i] that is not plain, or
 * len, reading sixteen bytes at a time with SSE2, then eight with
 * json_special8 (whose flags can be wrong only above a byte that is truly
 * special, never below it), then one.  Never reads at or past len. */
static inline size_t json_scan_plain(const char *s, size_t len, size_t i)
{
#if defined(__SSE2__)
        /* Sixteen at a time: a signed compare with 0x20 flags control bytes
         * and bytes with the high bit set together. */
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i bslash = _mm_set1_epi8('\\');
        const __m128i space = _mm_set1_epi8(0x20);
        unsigned bits;

        while (len - i >= 16) {
                __m128i x = _mm_loadu_si128((const void *)(s + i));

                bits = (unsigned)_mm_movemask_epi8(
                    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                              _mm_cmpeq_epi8(x, bslash)),
                                 _mm_cmplt_epi8(x, space)));
                if (bits != 0)
                        return i + (size_t)__builtin_ctz(bits);
                i += 16;
        }
#endif
#if defined(JSON_SWAR)
        uint64_t m;

        while (len - i >= 8) {
                m = json_special8(json_load64(s + i));
                if (m != 0)
                        return i + (size_t)(__builtin_ctzll(m) >> 3);
                i += 8;
        }
#endif
        while (i < len && json_plain[(unsigned char)s[i]])
                i++;
        return i;
}

struct json_key {
        const char *p;
        uint32_t n;
        uint32_t hash;
};

struct json_keys {
        uint64_t used[JSON_KEY_BUCKETS / 64];
        struct json_key key[JSON_KEY_BUCKETS];
};

static int json_is_ws(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A byte that may follow a number or a literal. */
static int json_ends_value(unsigned char c)
{
        return json_is_ws(c) || c == ',' || c == '}';
}

static inline size_t json_skip_ws(const char *s, size_t len, size_t i)
{
        while (i < len && (unsigned char)s[i] <= ' ' &&
               json_is_ws((unsigned char)s[i]))
                i++;
        return i;
}

/* Length of the well-formed UTF-8 sequence of two to four bytes at p
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), or 0. */
static size_t json_utf8_len(const unsigned char *p, size_t n)
{
        unsigned char c = p[0], lo = 0x80, hi = 0xbf;

        if (c < 0xc2 || c > 0xf4)
                return 0;
        if (c < 0xe0)
                return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c < 0xf0) {
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
                if (n < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
                        return 0;
                return 3;
        }
        if (c == 0xf0)
                lo = 0x90;
        else if (c == 0xf4)
                hi = 0x8f;
        if (n < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 ||
            (p[3] & 0xc0) != 0x80)
                return 0;
        return 4;
}

static long json_hex4(const char *p)
{
        long v = 0;
        int i;

        for (i = 0; i < 4; i++) {
                unsigned char c = (unsigned char)p[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= c - '0';
                else if (c >= 'a' && c <= 'f')
                        v |= c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v |= c - 'A' + 10;
                else
                        return -1;
        }
        return v;
}

/* Decodes the escape at s[i] (a backslash) into out (when not NULL).
 * Returns JSON_STR_OK with *used input bytes and *wrote output bytes. */
static int json_escape(const char *s, size_t len, size_t i, char *out,
                       size_t *used, size_t *wrote)
{
        long cp, lo;
        char c;

        if (i + 1 >= len)
                return JSON_STR_EOF;
        switch (s[i + 1]) {
        case '"':
                c = '"';
                break;
        case '\\':
                c = '\\';
                break;
        case '/':
                c = '/';
                break;
        case 'b':
                c = '\b';
                break;
        case 'f':
                c = '\f';
                break;
        case 'n':
                c = '\n';
                break;
        case 'r':
                c = '\r';
                break;
        case 't':
                c = '\t';
                break;
        case 'u':
                goto unicode;
        default:
                return JSON_STR_ESCAPE;
        }
        if (out != NULL)
                out[0] = c;
        *used = 2;
        *wrote = 1;
        return JSON_STR_OK;

unicode:
        if (len - i < 6)
                return JSON_STR_EOF;
        cp = json_hex4(s + i + 2);
        if (cp < 0)
                return JSON_STR_ESCAPE;
        *used = 6;
        if (cp >= 0xdc00 && cp <= 0xdfff)
                return JSON_STR_SURROGATE;
        if (cp >= 0xd800 && cp <= 0xdbff) {
                if (len - i < 8 || s[i + 6] != '\\' || s[i + 7] != 'u')
                        return JSON_STR_SURROGATE;
                if (len - i < 12)
                        return JSON_STR_EOF;
                lo = json_hex4(s + i + 8);
                if (lo < 0)
                        return JSON_STR_ESCAPE;
                if (lo < 0xdc00 || lo > 0xdfff)
                        return JSON_STR_SURROGATE;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                *used = 12;
        }
        if (cp < 0x80) {
                if (out != NULL)
                        out[0] = (char)cp;
                *wrote = 1;
        } else if (cp < 0x800) {
                if (out != NULL) {
                        out[0] = (char)(0xc0 | (cp >> 6));
                        out[1] = (char)(0x80 | (cp & 0x3f));
                }
                *wrote = 2;
        } else if (cp < 0x10000) {
                if (out != NULL) {
                        out[0] = (char)(0xe0 | (cp >> 12));
                        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                        out[2] = (char)(0x80 | (cp & 0x3f));
                }
                *wrote = 3;
        } else {
                if (out != NULL) {
                        out[0] = (char)(0xf0 | (cp >> 18));
                        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                        out[3] = (char)(0x80 | (cp & 0x3f));
                }
                *wrote = 4;
        }
        return JSON_STR_OK;
}

#if defined(__GNUC__)
#define JSON_COLD __attribute__((noinline, cold))
#else
#define JSON_COLD
#endif

/* The rest of json_string() once s[i] is a backslash: start is where the
 * string's contents begin. */
JSON_COLD static int json_string_escaped(const char *s, size_t len,
                                         size_t start, size_t i, size_t *pos,
                                         int decode, cdr_buf_t *scratch,
                                         cdr_view_t *v)
{
        size_t seg, used, wrote, n;
        char *begin = NULL, *w = NULL;
        unsigned char c;
        int err;

        if (decode) {
                begin = w = scratch->data + scratch->len;
                memcpy(w, s + start, i - start);
                w += i - start;
        }
        for (;;) {
                /* s[i] is a byte the fast scan stopped at. */
                c = (unsigned char)s[i];
                if (c == '"')
                        break;
                if (c == '\\') {
                        err = json_escape(s, len, i, w, &used, &wrote);
                        if (err != JSON_STR_OK)
                                return err;
                        i += used;
                        if (w != NULL)
                                w += wrote;
                } else if (c < 0x20) {
                        return JSON_STR_CTRL;
                } else {
                        n = json_utf8_len((const unsigned char *)s + i,
                                          len - i);
                        if (n == 0)
                                return JSON_STR_UTF8;
                        if (w != NULL) {
                                memcpy(w, s + i, n);
                                w += n;
                        }
                        i += n;
                }
                seg = i;
                i = json_scan_plain(s, len, i);
                if (i >= len)
                        return JSON_STR_EOF;
                if (w != NULL) {
                        memcpy(w, s + seg, i - seg);
                        w += i - seg;
                }
        }
        if (decode) {
                v->p = begin;
                v->n = (size_t)(w - begin);
                scratch->len += v->n;
        } else {
                v->p = s + start;
                v->n = i - start;
        }
        *pos = i + 1;
        return JSON_STR_OK;
}

/*
 * Scans the string whose opening quote is at s[*pos - 1] and leaves *pos
 * after its closing quote.  Without escapes *v is a view of the input.
 * With escapes the string is decoded at scratch->data + scratch->len
 * (and scratch->len advanced) when `decode` is set, else only checked.
 */
static inline int json_string(const char *s, size_t len, size_t *pos,
                              int decode, cdr_buf_t *scratch, cdr_view_t *v)
{
        size_t i = *pos, start = i, n;
        unsigned char c;

        for (;;) {
                i = json_scan_plain(s, len, i);
                if (CDR_UNLIKELY(i >= len))
                        return JSON_STR_EOF;
                c = (unsigned char)s[i];
                if (CDR_LIKELY(c == '"')) {
                        v->p = s + start;
                        v->n = i - start;
                        *pos = i + 1;
                        return JSON_STR_OK;
                }
                if (c == '\\')
                        return json_string_escaped(s, len, start, i, pos,
                                                   decode, scratch, v);
                if (c < 0x20)
                        return JSON_STR_CTRL;
                n = json_utf8_len((const unsigned char *)s + i, len - i);
                if (n == 0)
                        return JSON_STR_UTF8;
                i += n;
        }
}

/* Checks the JSON number grammar at s[i]; returns its end or 0. */
static size_t json_number(const char *s, size_t len, size_t i)
{
        size_t d;

        if (i < len && s[i] == '-')
                i++;
        if (i >= len)
                return 0;
        if (s[i] == '0') {
                i++;
        } else if (s[i] >= '1' && s[i] <= '9') {
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++;
        } else {
                return 0;
        }
        if (i < len && s[i] == '.') {
                d = ++i;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++;
                if (i == d)
                        return 0;
        }
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < len && (s[i] == '+' || s[i] == '-'))
                        i++;
                d = i;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++;
                if (i == d)
                        return 0;
        }
        if (i < len && !json_ends_value((unsigned char)s[i]))
                return 0;
        return i;
}

/* Records a field name; returns 1 when it was already there. */
static int json_key_seen(struct json_keys *keys, cdr_view_t name)
{
        uint32_t h = cdr_namehash(name.p, name.n);
        size_t b = h & (JSON_KEY_BUCKETS - 1);
        struct json_key *k;

        while (keys->used[b / 64] & ((uint64_t)1 << (b % 64))) {
                k = &keys->key[b];
                if (k->hash == h && k->n == name.n &&
                    memcmp(k->p, name.p, name.n) == 0)
                        return 1;
                b = (b + 1) & (JSON_KEY_BUCKETS - 1);
        }
        keys->used[b / 64] |= (uint64_t)1 << (b % 64);
        k = &keys->key[b];
        k->p = name.p;
        k->n = (uint32_t)name.n;
        k->hash = h;
        return 0;
}

/* "field 'name'" when the name may be shown, else "field N". */
static void json_label(char *out, size_t size, cdr_view_t name, size_t idx)
{
        size_t i;

        if (name.p != NULL && name.n > 0 && name.n <= 64) {
                for (i = 0; i < name.n; i++)
                        if ((unsigned char)name.p[i] < 0x20 ||
                            (unsigned char)name.p[i] > 0x7e)
                                break;
                if (i == name.n) {
                        cdr_errf(out, size, "field '%.*s'", (int)name.n,
                                 name.p);
                        return;
                }
        }
        cdr_errf(out, size, "field %zu", idx + 1);
}

static int json_string_error(int err, const char *label, cdr_reason_t *code,
                             char *errstr, size_t errstr_size)
{
        *code = CDR_REASON_JSON_SYNTAX;
        switch (err) {
        case JSON_STR_EOF:
                cdr_errf(errstr, errstr_size, "json: unexpected end of input");
                break;
        case JSON_STR_CTRL:
                cdr_errf(errstr, errstr_size,
                         "json: %s: control character in string", label);
                break;
        case JSON_STR_UTF8:
                cdr_errf(errstr, errstr_size, "json: invalid UTF-8 in %s",
                         label);
                *code = CDR_REASON_JSON_INVALID_UTF8;
                break;
        case JSON_STR_SURROGATE:
                cdr_errf(errstr, errstr_size,
                         "json: %s: unpaired surrogate in \\u escape", label);
                break;
        default:
                cdr_errf(errstr, errstr_size, "json: %s: invalid escape",
                         label);
                break;
        }
        return CDR_ERR_MALFORMED;
}

static int json_literal(const char *s, size_t len, size_t i, const char *lit,
                        size_t n)
{
        return len - i >= n && memcmp(s + i, lit, n) == 0 &&
               (len - i == n || json_ends_value((unsigned char)s[i + n]));
}

/* A record the reader refuses, for rule `code`. */
static int refused(cdr_record_t *record, cdr_reason_t code)
{
        record->reason = code;
        return CDR_ERR_MALFORMED;
}

int cdr_json_parse(const cdr_schema_t *schema, const char *rec, size_t len,
                   cdr_record_t *record, char *errstr, size_t errstr_size)
{
        struct json_keys keys;
        char label[96];
        cdr_view_t name, v;
        size_t i, end, nfields = 0;
        uint8_t flags;
        int err, slot;

        if (cdr_record_reset(record, cdr_schema_count(schema), len) != CDR_OK) {
                cdr_errf(errstr, errstr_size, "json: out of memory");
                return CDR_ERR_NOMEM;
        }
        record->raw.p = rec;
        record->raw.n = len;
        if (CDR_UNLIKELY(len > UINT32_MAX)) {
                cdr_errf(errstr, errstr_size, "json: record too long");
                return refused(record, CDR_REASON_RECORD_TOO_LONG);
        }
        memset(keys.used, 0, sizeof(keys.used));

        i = json_skip_ws(rec, len, 0);
        if (i >= len)
                goto eof;
        if (rec[i] != '{') {
                cdr_errf(errstr, errstr_size, "json: record is not an object");
                return refused(record, CDR_REASON_JSON_NOT_AN_OBJECT);
        }
        i = json_skip_ws(rec, len, i + 1);
        if (i < len && rec[i] == '}') {
                i++;
                goto done;
        }
        for (;;) {
                if (i >= len)
                        goto eof;
                if (rec[i] != '"') {
                        cdr_errf(errstr, errstr_size,
                                 "json: expected a field name at field %zu",
                                 nfields + 1);
                        return refused(record, CDR_REASON_JSON_SYNTAX);
                }
                if (CDR_UNLIKELY(nfields == CDR_JSON_MAX_FIELDS)) {
                        cdr_errf(errstr, errstr_size,
                                 "json: more than %d fields",
                                 CDR_JSON_MAX_FIELDS);
                        return refused(record, CDR_REASON_JSON_TOO_MANY_FIELDS);
                }
                i++;
                err = json_string(rec, len, &i, 1, &record->scratch, &name);
                if (CDR_UNLIKELY(err != JSON_STR_OK)) {
                        cdr_errf(label, sizeof(label), "name of field %zu",
                                 nfields + 1);
                        return json_string_error(err, label, &record->reason,
                                                 errstr, errstr_size);
                }
                if (CDR_UNLIKELY(json_key_seen(&keys, name))) {
                        json_label(label, sizeof(label), name, nfields);
                        cdr_errf(errstr, errstr_size, "json: duplicate %s",
                                 label);
                        return refused(record, CDR_REASON_JSON_DUPLICATE_FIELD);
                }
                slot = cdr_schema_find(schema, name.p, name.n);
                if (CDR_UNLIKELY(i >= len || rec[i] != ':'))
                        i = json_skip_ws(rec, len, i);
                if (i >= len)
                        goto eof;
                if (rec[i] != ':') {
                        json_label(label, sizeof(label), name, nfields);
                        cdr_errf(errstr, errstr_size,
                                 "json: %s: expected ':' after the name",
                                 label);
                        return refused(record, CDR_REASON_JSON_SYNTAX);
                }
                i++;
                if (CDR_UNLIKELY(i >= len || json_is_ws((unsigned char)rec[i])))
                        i = json_skip_ws(rec, len, i);
                if (i >= len)
                        goto eof;

                flags = 0;
                switch (rec[i]) {
                case '"':
                        i++;
                        err = json_string(rec, len, &i, slot >= 0,
                                          &record->scratch, &v);
                        if (CDR_UNLIKELY(err != JSON_STR_OK)) {
                                json_label(label, sizeof(label), name, nfields);
                                return json_string_error(err, label,
                                                         &record->reason,
                                                         errstr, errstr_size);
                        }
                        break;
                case '-':
                case '0':
                case '1':
                case '2':
                case '3':
                case '4':
                case '5':
                case '6':
                case '7':
                case '8':
                case '9':
                        end = json_number(rec, len, i);
                        if (end == 0) {
                                json_label(label, sizeof(label), name, nfields);
                                cdr_errf(errstr, errstr_size,
                                         "json: %s: invalid number", label);
                                return refused(record, CDR_REASON_JSON_SYNTAX);
                        }
                        v.p = rec + i;
                        v.n = end - i;
                        flags = CDR_VAL_NUMBER;
                        i = end;
                        break;
                case 't':
                case 'f':
                case 'n':
                        v.p = rec + i;
                        if (json_literal(rec, len, i, "true", 4)) {
                                v.n = 4;
                                i += 4;
                        } else if (json_literal(rec, len, i, "false", 5)) {
                                v.n = 5;
                                i += 5;
                        } else if (json_literal(rec, len, i, "null", 4)) {
                                v.n = 0;
                                flags = CDR_VAL_NULL;
                                i += 4;
                        } else {
                                goto bad_value;
                        }
                        break;
                case '{':
                        json_label(label, sizeof(label), name, nfields);
                        cdr_errf(errstr, errstr_size,
                                 "json: %s: nested objects are not accepted",
                                 label);
                        return refused(record, CDR_REASON_JSON_NESTED);
                case '[':
                        json_label(label, sizeof(label), name, nfields);
                        cdr_errf(errstr, errstr_size,
                                 "json: %s: nested arrays are not accepted",
                                 label);
                        return refused(record, CDR_REASON_JSON_NESTED);
                default:
                        goto bad_value;
                }
                if (slot >= 0) {
                        record->value[slot] = v;
                        record->flags[slot] = flags;
                }
                nfields++;

                if (CDR_UNLIKELY(i >= len || json_is_ws((unsigned char)rec[i])))
                        i = json_skip_ws(rec, len, i);
                if (i >= len)
                        goto eof;
                if (rec[i] == '}') {
                        i++;
                        break;
                }
                if (rec[i] != ',') {
                        json_label(label, sizeof(label), name, nfields - 1);
                        cdr_errf(errstr, errstr_size,
                                 "json: %s: expected ',' or '}' after the "
                                 "value",
                                 label);
                        return refused(record, CDR_REASON_JSON_SYNTAX);
                }
                i++;
                if (CDR_UNLIKELY(i >= len || rec[i] != '"'))
                        i = json_skip_ws(rec, len, i);
        }
done:
        record->nfields = nfields;
        if (json_skip_ws(rec, len, i) != len) {
                cdr_errf(errstr, errstr_size,
                         "json: trailing characters after the object");
                return refused(record, CDR_REASON_JSON_SYNTAX);
        }
        return CDR_OK;

bad_value:
        json_label(label, sizeof(label), name, nfields);
        cdr_errf(errstr, errstr_size, "json: %s: invalid value", label);
        return refused(record, CDR_REASON_JSON_SYNTAX);
eof:
        cdr_errf(errstr, errstr_size, "json: unexpected end of input");
        return refused(record, CDR_REASON_JSON_SYNTAX);
}
