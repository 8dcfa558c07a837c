/*
 * Lists of source coordinates (sources.h).  Each source is kept as the
 * text source_key makes, in an array sorted once the list is complete;
 * matching a record is a binary search.
 */
#include "cdranon/sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 4096 /* a topic, or a path of PATH_MAX */
#define KEY_MAX        (NAME_MAX_BYTES + 64)

struct cdr_sources_s {
        char **keys;
        unsigned char *found;
        size_t n, cap;
};

cdr_sources_t *cdr_sources_new(void)
{
        return calloc(1, sizeof(cdr_sources_t));
}

void cdr_sources_destroy(cdr_sources_t *set)
{
        size_t i;

        if (set == NULL)
                return;
        for (i = 0; i < set->n; i++)
                free(set->keys[i]);
        free(set->keys);
        free(set->found);
        free(set);
}

/* "topic T [P] offset O" or "file F line L"; 0 when there is no source
 * or it does not fit. */
static int source_key(const cdr_source_t *src, char *buf, size_t size)
{
        int n;

        if (src->topic != NULL)
                n = snprintf(buf, size, "topic %s [%ld] offset %lld",
                             src->topic, (long)src->partition,
                             (long long)src->offset);
        else if (src->file != NULL)
                n = snprintf(buf, size, "file %s line %llu", src->file,
                             (unsigned long long)src->line);
        else
                return 0;
        return n > 0 && (size_t)n < size;
}

static int add(cdr_sources_t *set, const cdr_source_t *src)
{
        char key[KEY_MAX];

        if (!source_key(src, key, sizeof(key)))
                return CDR_ERR_TOOBIG;
        if (set->n == set->cap) {
                size_t cap = set->cap ? 2 * set->cap : 256;
                char **keys = realloc(set->keys, cap * sizeof(*keys));

                if (keys == NULL)
                        return CDR_ERR_NOMEM;
                set->keys = keys;
                set->cap = cap;
        }
        set->keys[set->n] = strdup(key);
        if (set->keys[set->n] == NULL)
                return CDR_ERR_NOMEM;
        set->n++;
        return CDR_OK;
}

/* Kafka's rule for topic names: 1-249 of [a-zA-Z0-9._-]. */
static int topic_ok(const char *t)
{
        size_t n = strlen(t);

        return n >= 1 && n <= 249 &&
               strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789._-") == n;
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* A JSON string at *p (after its opening quote) into out, NUL-terminated;
 * *p is left after the closing quote.  Only what cdranon writes in names
 * is accepted: \\, \", \/ and \uXXXX for printable ASCII; other bytes
 * as they are, control characters excepted. */
static int json_string(const char **p, char *out, size_t size)
{
        const char *s = *p;
        size_t n = 0;

        while (*s != '"') {
                char c = *s++;

                if ((unsigned char)c < 0x20 || c == 0x7f)
                        return CDR_ERR_MALFORMED;
                if (c == '\\') {
                        c = *s++;
                        if (c == 'u') {
                                int v = 0, i, d;

                                for (i = 0; i < 4; i++) {
                                        d = hex_digit(s[i]);
                                        if (d < 0)
                                                return CDR_ERR_MALFORMED;
                                        v = v * 16 + d;
                                }
                                if (v < 0x20 || v >= 0x7f)
                                        return CDR_ERR_MALFORMED;
                                c = (char)v;
                                s += 4;
                        } else if (c != '"' && c != '\\' && c != '/') {
                                return CDR_ERR_MALFORMED;
                        }
                }
                if (n + 1 >= size)
                        return CDR_ERR_TOOBIG;
                out[n++] = c;
        }
        out[n] = '\0';
        *p = s + 1;
        return CDR_OK;
}

/* A non-negative decimal integer at *p, at most `max`. */
static int json_uint(const char **p, long long max, long long *out)
{
        const char *s = *p;
        long long v = 0;

        if (*s < '0' || *s > '9')
                return CDR_ERR_MALFORMED;
        while (*s >= '0' && *s <= '9') {
                if (v > (max - (*s - '0')) / 10)
                        return CDR_ERR_MALFORMED;
                v = v * 10 + (*s++ - '0');
        }
        *out = v;
        *p = s;
        return CDR_OK;
}

/* The "source" object of a dead-letter line.  A quote inside the reason
 * string is escaped, so the first `"source":{` is the member. */
static int parse_dead_letter(const char *line, cdr_source_t *src, char *name,
                             size_t name_size)
{
        static const char SOURCE[] = "\"source\":{";
        const char *p = strstr(line, SOURCE);
        char member[16];
        int have_offset = 0, have_line = 0, have_partition = 0, rc;
        long long v;

        if (p == NULL)
                return CDR_ERR_MALFORMED;
        p += sizeof(SOURCE) - 1;
        while (*p != '}') {
                if (*p++ != '"' ||
                    json_string(&p, member, sizeof(member)) != CDR_OK ||
                    *p++ != ':')
                        return CDR_ERR_MALFORMED;
                if (*p == '"') {
                        p++;
                        rc = json_string(&p, name, name_size);
                        if (rc != CDR_OK)
                                return rc;
                        if (strcmp(member, "topic") == 0 && src->file == NULL)
                                src->topic = name;
                        else if (strcmp(member, "file") == 0 &&
                                 src->topic == NULL)
                                src->file = name;
                        else
                                return CDR_ERR_MALFORMED;
                } else if (strcmp(member, "partition") == 0) {
                        if (json_uint(&p, INT32_MAX, &v) != CDR_OK)
                                return CDR_ERR_MALFORMED;
                        src->partition = (int32_t)v;
                        have_partition = 1;
                } else if (strcmp(member, "offset") == 0) {
                        if (json_uint(&p, INT64_MAX, &v) != CDR_OK)
                                return CDR_ERR_MALFORMED;
                        src->offset = v;
                        have_offset = 1;
                } else if (strcmp(member, "line") == 0) {
                        if (json_uint(&p, INT64_MAX, &v) != CDR_OK)
                                return CDR_ERR_MALFORMED;
                        src->line = (uint64_t)v;
                        have_line = 1;
                } else {
                        return CDR_ERR_MALFORMED;
                }
                if (*p == ',')
                        p++;
                else if (*p != '}')
                        return CDR_ERR_MALFORMED;
        }
        if (src->topic != NULL && have_partition && have_offset && !have_line &&
            topic_ok(src->topic))
                return CDR_OK;
        if (src->file != NULL && have_line && !have_partition && !have_offset)
                return CDR_OK;
        return CDR_ERR_MALFORMED;
}

/* The next field of a plain line (runs of spaces and tabs between). */
static const char *field(const char **p, size_t *len)
{
        const char *s = *p, *start;

        while (*s == ' ' || *s == '\t')
                s++;
        start = s;
        while (*s != '\0' && *s != ' ' && *s != '\t')
                s++;
        *len = (size_t)(s - start);
        *p = s;
        return start;
}

static int plain_uint(const char *s, size_t len, long long max, long long *out)
{
        const char *p = s;

        if (json_uint(&p, max, out) != CDR_OK || (size_t)(p - s) != len)
                return CDR_ERR_MALFORMED;
        return CDR_OK;
}

/* "TOPIC PARTITION OFFSET" or "FILE LINE". */
static int parse_plain(const char *line, cdr_source_t *src, char *name,
                       size_t name_size)
{
        const char *f[4], *p = line;
        size_t len[4], n, i;
        long long v;

        for (n = 0; n < 4; n++) {
                f[n] = field(&p, &len[n]);
                if (len[n] == 0)
                        break;
        }
        if (n != 2 && n != 3)
                return CDR_ERR_MALFORMED;
        if (len[0] >= name_size)
                return CDR_ERR_TOOBIG;
        for (i = 0; i < len[0]; i++)
                if ((unsigned char)f[0][i] < 0x20 || f[0][i] == 0x7f)
                        return CDR_ERR_MALFORMED;
        memcpy(name, f[0], len[0]);
        name[len[0]] = '\0';
        if (n == 2) {
                if (plain_uint(f[1], len[1], INT64_MAX, &v) != CDR_OK)
                        return CDR_ERR_MALFORMED;
                src->file = name;
                src->line = (uint64_t)v;
                return CDR_OK;
        }
        if (plain_uint(f[1], len[1], INT32_MAX, &v) != CDR_OK)
                return CDR_ERR_MALFORMED;
        src->partition = (int32_t)v;
        if (plain_uint(f[2], len[2], INT64_MAX, &v) != CDR_OK)
                return CDR_ERR_MALFORMED;
        if (!topic_ok(name))
                return CDR_ERR_MALFORMED;
        src->topic = name;
        src->offset = v;
        return CDR_OK;
}

int cdr_sources_add_line(cdr_sources_t *set, const char *line, size_t len,
                         char *errstr, size_t errstr_size)
{
        cdr_source_t src = {0};
        char name[NAME_MAX_BYTES + 1], *text;
        const char *p;
        int rc;

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                len--;
        if (memchr(line, '\0', len) != NULL) {
                cdr_errf(errstr, errstr_size, "a NUL byte in the line");
                return CDR_ERR_MALFORMED;
        }
        text = malloc(len + 1);
        if (text == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        memcpy(text, line, len);
        text[len] = '\0';
        for (p = text; *p == ' ' || *p == '\t'; p++)
                ;
        if (*p == '\0' || *p == '#')
                rc = CDR_OK;
        else if (*p == '{')
                rc = parse_dead_letter(p, &src, name, sizeof(name));
        else
                rc = parse_plain(p, &src, name, sizeof(name));
        if (rc == CDR_OK && (src.topic != NULL || src.file != NULL))
                rc = add(set, &src);
        if (rc == CDR_ERR_MALFORMED)
                cdr_errf(errstr, errstr_size,
                         "not a dead letter with a source, nor TOPIC "
                         "PARTITION OFFSET, nor FILE LINE");
        else if (rc == CDR_ERR_TOOBIG)
                cdr_errf(errstr, errstr_size,
                         "a topic or file name over %d bytes", NAME_MAX_BYTES);
        else if (rc == CDR_ERR_NOMEM)
                cdr_errf(errstr, errstr_size, "out of memory");
        free(text);
        return rc;
}

static int cmp_key(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int cdr_sources_finish(cdr_sources_t *set)
{
        size_t i, n;

        if (set->n > 0)
                qsort(set->keys, set->n, sizeof(*set->keys), cmp_key);
        for (i = 1, n = set->n > 0; i < set->n; i++) {
                if (strcmp(set->keys[i], set->keys[n - 1]) == 0)
                        free(set->keys[i]);
                else
                        set->keys[n++] = set->keys[i];
        }
        set->n = n;
        free(set->found);
        set->found = calloc(set->n > 0 ? set->n : 1, 1);
        return set->found != NULL ? CDR_OK : CDR_ERR_NOMEM;
}

size_t cdr_sources_count(const cdr_sources_t *set)
{
        return set->n;
}

int cdr_sources_match(cdr_sources_t *set, const cdr_source_t *src)
{
        char buf[KEY_MAX], *key = buf, **hit;

        if (set->n == 0 || set->found == NULL ||
            !source_key(src, buf, sizeof(buf)))
                return 0;
        hit = bsearch(&key, set->keys, set->n, sizeof(*set->keys), cmp_key);
        if (hit == NULL)
                return 0;
        set->found[hit - set->keys] = 1;
        return 1;
}

const char *cdr_sources_get(const cdr_sources_t *set, size_t i, int *found)
{
        if (found != NULL)
                *found = set->found != NULL && set->found[i];
        return set->keys[i];
}
