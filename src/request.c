/*
 * The index file's lines (request.h).
 */
#include "cdranon/request.h"

#include <string.h>

int cdr_idx_put_header(cdr_buf_t *out, const char *key_id)
{
        return cdr_buf_printf(out, "%s%s\n", CDR_IDX_MAGIC, key_id);
}

void cdr_idx_entry_add(cdr_idx_entry_t *e, const char *kind,
                       const uint8_t tag[CDR_IDX_TAG_LEN])
{
        size_t i;

        for (i = 0; i < e->ntags; i++)
                if (strcmp(e->kind[i], kind) == 0 &&
                    memcmp(e->tag[i], tag, CDR_IDX_TAG_LEN) == 0)
                        return;
        if (e->ntags == CDR_IDX_MAX_TAGS)
                return;
        e->kind[e->ntags] = kind;
        memcpy(e->tag[e->ntags], tag, CDR_IDX_TAG_LEN);
        e->ntags++;
}

int cdr_idx_put_line(cdr_buf_t *out, uint64_t offset, int header,
                     const cdr_idx_entry_t *e)
{
        char hex[CDR_IDX_TAG_HEX];
        int err = cdr_buf_printf(out, "%llu", (unsigned long long)offset);
        size_t i;

        if (header)
                err |= cdr_buf_puts(out, " h");
        for (i = 0; e != NULL && i < e->ntags; i++) {
                cdr_idx_tag_hex(e->tag[i], hex);
                err |= cdr_buf_printf(out, " %s:%s", e->kind[i], hex);
        }
        err |= cdr_buf_puts(out, "\n");
        return err ? CDR_ERR_NOMEM : CDR_OK;
}

static size_t trim_end(const char *line, size_t len)
{
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                len--;
        return len;
}

int cdr_idx_parse_header(const char *line, size_t len, char *id, size_t cap)
{
        size_t m = strlen(CDR_IDX_MAGIC), n;

        len = trim_end(line, len);
        if (len <= m || memcmp(line, CDR_IDX_MAGIC, m) != 0)
                return CDR_ERR_MALFORMED;
        n = len - m;
        if (n >= cap || memchr(line + m, ' ', n) != NULL)
                return CDR_ERR_MALFORMED;
        memcpy(id, line + m, n);
        id[n] = '\0';
        return CDR_OK;
}

int cdr_idx_parse_line(const char *line, size_t len, const char *kind,
                       const char *want_hex, uint64_t *offset, int *header,
                       int *hit)
{
        size_t i = 0, klen = kind ? strlen(kind) : 0;
        uint64_t v = 0;

        len = trim_end(line, len);
        *header = 0;
        *hit = 0;
        if (len == 0 || line[0] < '0' || line[0] > '9')
                return CDR_ERR_MALFORMED;
        for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return CDR_ERR_MALFORMED;
                v = v * 10 + (uint64_t)(line[i] - '0');
        }
        *offset = v;
        while (i < len) {
                size_t start, n;

                if (line[i] != ' ')
                        return CDR_ERR_MALFORMED;
                start = ++i;
                while (i < len && line[i] != ' ')
                        i++;
                n = i - start;
                if (n == 1 && line[start] == 'h') {
                        *header = 1;
                        continue;
                }
                if (n < 2 + CDR_IDX_TAG_HEX - 1 ||
                    line[i - CDR_IDX_TAG_HEX] != ':')
                        return CDR_ERR_MALFORMED;
                if (want_hex != NULL && n == klen + CDR_IDX_TAG_HEX &&
                    memcmp(line + start, kind, klen) == 0 &&
                    memcmp(line + start + klen + 1, want_hex,
                           CDR_IDX_TAG_HEX - 1) == 0)
                        *hit = 1;
        }
        return CDR_OK;
}
