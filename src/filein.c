/* File-mode record framing: see filein.h. */
#include "cdranon/filein.h"
#include "cdranon/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILEIN_SLACK (64 * 1024)

struct cdr_filein_s {
        int fd;
        int close_fd;
        const char *name;
        cdr_format_t format;
        char delimiter;
        char *buf;
        size_t cap;
        size_t pos; /* start of unread bytes */
        size_t len; /* end of valid bytes */
        int eof;
        int started;   /* BOM check done */
        uint64_t line; /* line number of buf[pos] */
        size_t max_record;
};

cdr_filein_t *cdr_filein_open(const char *path, cdr_format_t format,
                              char delimiter, size_t max_record, char *errstr,
                              size_t errstr_size)
{
        cdr_filein_t *in;

        in = calloc(1, sizeof(*in));
        if (in == NULL)
                goto nomem;
        in->format = format;
        in->delimiter = delimiter;
        in->max_record = max_record;
        in->cap = max_record + FILEIN_SLACK;
        in->line = 1;
        in->buf = malloc(in->cap);
        if (in->buf == NULL)
                goto nomem;
        if (path == NULL || !strcmp(path, "-")) {
                in->fd = 0;
                in->name = "-";
        } else {
                in->fd = open(path, O_RDONLY | O_CLOEXEC);
                if (in->fd < 0) {
                        cdr_errf(errstr, errstr_size, "%s: %s", path,
                                 strerror(errno));
                        free(in->buf);
                        free(in);
                        return NULL;
                }
                in->close_fd = 1;
                in->name = path;
        }
        return in;

nomem:
        if (in != NULL)
                free(in->buf);
        free(in);
        cdr_errf(errstr, errstr_size, "out of memory");
        return NULL;
}

void cdr_filein_close(cdr_filein_t *in)
{
        if (in == NULL)
                return;
        if (in->close_fd)
                close(in->fd);
        free(in->buf);
        free(in);
}

const char *cdr_filein_name(const cdr_filein_t *in)
{
        return in->name;
}

/* Moves unread bytes to the front and reads more.  Returns 0, or
 * CDR_ERR_IO. */
static int filein_fill(cdr_filein_t *in, char *errstr, size_t errstr_size)
{
        ssize_t n;

        if (in->pos > 0) {
                memmove(in->buf, in->buf + in->pos, in->len - in->pos);
                in->len -= in->pos;
                in->pos = 0;
        }
        while (in->len < in->cap) {
                n = read(in->fd, in->buf + in->len, in->cap - in->len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        cdr_errf(errstr, errstr_size, "%s: %s", in->name,
                                 strerror(errno));
                        return CDR_ERR_IO;
                }
                if (n == 0) {
                        in->eof = 1;
                        break;
                }
                in->len += (size_t)n;
                /* One read is enough when a record is likely framed. */
                break;
        }
        return CDR_OK;
}

static size_t count_lf(const char *p, size_t n)
{
        size_t lines = 0;
        const char *end = p + n;

        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
                lines++;
                p++;
        }
        return lines;
}

/* Length of the first record in the unread bytes, or 0 if incomplete. */
static size_t filein_frame(cdr_filein_t *in, size_t *lines)
{
        const char *p = in->buf + in->pos;
        size_t avail = in->len - in->pos;
        const char *nl;

        if (in->format == CDR_FORMAT_CSV)
                return cdr_csv_frame(in->delimiter, p, avail, in->eof, lines);
        nl = memchr(p, '\n', avail);
        if (nl != NULL) {
                *lines = 1;
                return (size_t)(nl - p) + 1;
        }
        *lines = 0;
        return in->eof ? avail : 0;
}

/* Skips to just past the next line end, reading as needed. */
static int filein_skip_line(cdr_filein_t *in, char *errstr, size_t errstr_size)
{
        for (;;) {
                const char *p = in->buf + in->pos;
                const char *nl = memchr(p, '\n', in->len - in->pos);

                if (nl != NULL) {
                        in->pos += (size_t)(nl - p) + 1;
                        in->line++;
                        return CDR_OK;
                }
                in->pos = in->len;
                if (in->eof)
                        return CDR_OK;
                if (filein_fill(in, errstr, errstr_size) != CDR_OK)
                        return CDR_ERR_IO;
        }
}

int cdr_filein_next(cdr_filein_t *in, cdr_view_t *rec, uint64_t *line,
                    char *errstr, size_t errstr_size)
{
        size_t reclen, lines, body;

        for (;;) {
                if (!in->started) {
                        if (filein_fill(in, errstr, errstr_size) != CDR_OK)
                                return CDR_ERR_IO;
                        while (in->len < 3 && !in->eof)
                                if (filein_fill(in, errstr, errstr_size) !=
                                    CDR_OK)
                                        return CDR_ERR_IO;
                        in->pos += cdr_csv_skip_bom(in->buf, in->len);
                        in->started = 1;
                }
                if (in->pos == in->len && in->eof)
                        return 0;
                lines = 0;
                reclen = filein_frame(in, &lines);
                if (reclen == 0) {
                        if (in->len - in->pos > in->max_record) {
                                *line = in->line;
                                if (filein_skip_line(in, errstr, errstr_size) !=
                                    CDR_OK)
                                        return CDR_ERR_IO;
                                return CDR_ERR_TOOBIG;
                        }
                        if (in->eof)
                                return 0;
                        if (filein_fill(in, errstr, errstr_size) != CDR_OK)
                                return CDR_ERR_IO;
                        continue;
                }
                rec->p = in->buf + in->pos;
                rec->n = reclen;
                *line = in->line;
                in->pos += reclen;
                in->line += lines ? lines : count_lf(rec->p, reclen);
                body = reclen;
                while (body > 0 &&
                       (rec->p[body - 1] == '\n' || rec->p[body - 1] == '\r'))
                        body--;
                if (body == 0)
                        continue; /* a blank line is not a record */
                if (body > in->max_record) {
                        return CDR_ERR_TOOBIG;
                }
                return 1;
        }
}
