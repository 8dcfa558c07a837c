/*
 * Lists of source coordinates (sources.h).  Each source is kept as the
 * text source_key makes, in an array sorted once the list is complete;
 * matching a record is a binary search.  Dead-letter lines are read with
 * jansson: a list is read once, far from the hot path.
 */
#include "cdranon/sources.h"

#include <jansson.h>
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

/* A name of the "source" member into name[0..name_size): a string
 * without control characters (escaped or not). */
static int source_name(const json_t *v, char *name, size_t name_size)
{
        const char *text;
        size_t len, i;

        if (!json_is_string(v))
                return CDR_ERR_MALFORMED;
        text = json_string_value(v);
        len = json_string_length(v);
        for (i = 0; i < len; i++)
                if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
                        return CDR_ERR_MALFORMED;
        if (len + 1 > name_size)
                return CDR_ERR_TOOBIG;
        memcpy(name, text, len + 1);
        return CDR_OK;
}

/* A non-negative integer of at most `max`. */
static int source_uint(const json_t *v, long long max, long long *out)
{
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > max)
                return CDR_ERR_MALFORMED;
        *out = (long long)json_integer_value(v);
        return CDR_OK;
}

/* The "source" object of a dead-letter line: {"topic", "partition",
 * "offset"} or {"file", "line"}, nothing else. */
static int parse_dead_letter(const char *line, cdr_source_t *src, char *name,
                             size_t name_size)
{
        const json_t *source;
        json_error_t error;
        json_t *root;
        long long n;
        int rc = CDR_ERR_MALFORMED;

        root = json_loads(line, JSON_REJECT_DUPLICATES, &error);
        if (root == NULL)
                return CDR_ERR_MALFORMED;
        source = json_object_get(root, "source");
        if (!json_is_object(source))
                goto out;
        if (json_object_get(source, "topic") != NULL &&
            json_object_size(source) == 3) {
                rc = source_name(json_object_get(source, "topic"), name,
                                 name_size);
                if (rc != CDR_OK)
                        goto out;
                rc = CDR_ERR_MALFORMED;
                if (!topic_ok(name) ||
                    source_uint(json_object_get(source, "partition"), INT32_MAX,
                                &n) != CDR_OK)
                        goto out;
                src->partition = (int32_t)n;
                if (source_uint(json_object_get(source, "offset"), INT64_MAX,
                                &n) != CDR_OK)
                        goto out;
                src->offset = n;
                src->topic = name;
                rc = CDR_OK;
        } else if (json_object_get(source, "file") != NULL &&
                   json_object_size(source) == 2) {
                rc = source_name(json_object_get(source, "file"), name,
                                 name_size);
                if (rc != CDR_OK)
                        goto out;
                rc = CDR_ERR_MALFORMED;
                if (source_uint(json_object_get(source, "line"), INT64_MAX,
                                &n) != CDR_OK)
                        goto out;
                src->line = (uint64_t)n;
                src->file = name;
                rc = CDR_OK;
        }
out:
        json_decref(root);
        return rc;
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

/* s[0..len): a non-negative decimal integer of at most `max`. */
static int plain_uint(const char *s, size_t len, long long max, long long *out)
{
        long long v = 0;
        size_t i;

        if (len == 0)
                return CDR_ERR_MALFORMED;
        for (i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9' || v > (max - (s[i] - '0')) / 10)
                        return CDR_ERR_MALFORMED;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
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
