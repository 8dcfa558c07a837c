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
        uint64_t scan_limit;
        /* The record that starts at buf[pos] (or, while it is handed out
         * in pieces, the rest of it). */
        size_t scanned;      /* bytes from buf[pos] known to belong to it */
        int ended;           /* its last byte is buf[pos + scanned - 1] */
        cdr_csv_scan_t scan; /* CSV framing state; .lines for JSON too */
        int pieces;          /* an over-long record is being handed out */
        uint64_t handed;     /* bytes of it handed out so far */
        int to_eof;          /* it had no end within scan_limit */
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
        in->scan_limit = CDR_FILEIN_SCAN_LIMIT;
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

void cdr_filein_set_scan_limit(cdr_filein_t *in, uint64_t limit)
{
        in->scan_limit = limit < (uint64_t)in->max_record + 2
                             ? (uint64_t)in->max_record + 2
                             : limit;
}

int cdr_filein_to_eof(const cdr_filein_t *in)
{
        return in->to_eof;
}

/* Forgets the record at buf[pos] once it has been consumed. */
static void filein_record_done(cdr_filein_t *in)
{
        in->line += in->scan.lines;
        in->scanned = 0;
        in->ended = 0;
        memset(&in->scan, 0, sizeof(in->scan));
        in->pieces = 0;
        in->handed = 0;
}

/* Scans the bytes read since the last call for the end of the record at
 * buf[pos], never past its first scan_limit bytes: a record whose end is
 * not within them runs to the end of the input (to_eof).  The end of the
 * input ends a record too. */
static void filein_scan(cdr_filein_t *in)
{
        const char *p = in->buf + in->pos + in->scanned;
        size_t avail = in->len - in->pos - in->scanned, n;
        uint64_t room = in->scan_limit - in->handed - in->scanned;

        if (in->ended)
                return;
        if (in->to_eof) {
                n = avail;
        } else {
                if (avail > room)
                        avail = (size_t)room;
                if (in->format == CDR_FORMAT_CSV) {
                        n = cdr_csv_scan(&in->scan, in->delimiter, p, avail);
                        in->ended = in->scan.done;
                } else {
                        const char *nl = memchr(p, '\n', avail);

                        n = nl != NULL ? (size_t)(nl - p) + 1 : avail;
                        if (nl != NULL) {
                                in->scan.lines++;
                                in->ended = 1;
                        }
                }
                if (!in->ended &&
                    in->handed + in->scanned + n >= in->scan_limit) {
                        in->to_eof = 1;
                        n = in->len - in->pos - in->scanned;
                }
        }
        in->scanned += n;
        if (!in->ended && in->eof && in->pos + in->scanned == in->len)
                in->ended = 1;
}

int cdr_filein_next_piece(cdr_filein_t *in, cdr_view_t *piece, char *errstr,
                          size_t errstr_size)
{
        if (!in->pieces)
                return 0;
        for (;;) {
                filein_scan(in);
                if (in->scanned > 0) {
                        piece->p = in->buf + in->pos;
                        piece->n = in->scanned;
                        in->pos += in->scanned;
                        in->handed += in->scanned;
                        in->scanned = 0;
                        return 1;
                }
                if (in->ended) {
                        filein_record_done(in);
                        return 0;
                }
                if (filein_fill(in, errstr, errstr_size) != CDR_OK)
                        return CDR_ERR_IO;
        }
}

int cdr_filein_next(cdr_filein_t *in, cdr_view_t *rec, uint64_t *line,
                    char *errstr, size_t errstr_size)
{
        cdr_view_t rest;
        int rc;

        while (in->pieces) {
                rc = cdr_filein_next_piece(in, &rest, errstr, errstr_size);
                if (rc < 0)
                        return rc;
        }
        if (!in->started) {
                if (filein_fill(in, errstr, errstr_size) != CDR_OK)
                        return CDR_ERR_IO;
                while (in->len < 3 && !in->eof)
                        if (filein_fill(in, errstr, errstr_size) != CDR_OK)
                                return CDR_ERR_IO;
                in->pos += cdr_csv_skip_bom(in->buf, in->len);
                in->started = 1;
        }
        for (;;) {
                filein_scan(in);
                if (in->ended) {
                        if (in->scanned == 0)
                                return 0; /* end of input */
                        rec->p = in->buf + in->pos;
                        rec->n = in->scanned;
                        *line = in->line;
                        if (cdr_record_body(rec->p, rec->n) == 0) {
                                /* a blank line is not a record */
                                in->pos += in->scanned;
                                filein_record_done(in);
                                continue;
                        }
                        if (cdr_record_body(rec->p, rec->n) > in->max_record) {
                                /* Whole in the buffer: one piece. */
                                in->pieces = 1;
                                return CDR_ERR_TOOBIG;
                        }
                        in->pos += in->scanned;
                        filein_record_done(in);
                        return 1;
                }
                /* Without its end, a record of max_record + 2 bytes is
                 * longer than max_record whatever its line end. */
                if (in->scanned >= in->max_record + 2 || in->to_eof) {
                        *line = in->line;
                        in->pieces = 1;
                        return CDR_ERR_TOOBIG;
                }
                if (filein_fill(in, errstr, errstr_size) != CDR_OK)
                        return CDR_ERR_IO;
        }
}
