/*
 * cdranon anonymise: the transform as a pipe filter over files.
 *
 *   input file -> filein (framing) -> transform -> --out (JSON lines)
 *                                              -> --dead-letter (JSON lines)
 *                                              -> --sealed (base64 lines)
 */
#include "cmd.h"
#include "cdranon/config.h"
#include "cdranon/encode.h"
#include "cdranon/filein.h"
#include "cdranon/keyring.h"
#include "cdranon/request.h"
#include "cdranon/sealidx.h"
#include "cdranon/transform.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const CMD = "anonymise";

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: cdranon anonymise -c FILE [--in PATH] [--out PATH |\n"
            "                         --out PURPOSE=PATH...]\n"
            "                         [--sealed PATH [--index PATH]]\n"
            "                         [--dead-letter PATH]\n"
            "\n"
            "Reads raw CDRs (CSV or JSON lines, as the configuration says),\n"
            "one record per line, and writes the anonymised records as JSON\n"
            "lines.  Malformed records go to the dead-letter output with\n"
            "their reason (never their content).  With --sealed, every input\n"
            "record is also sealed to the custodian's public key, one base64\n"
            "line per record, over-long ones too (dead-lettered, not parsed),\n"
            "after a CSV header line's own sealed line.  A summary line goes\n"
            "to stderr at the end.\n"
            "\n"
            "  -c, --config FILE      configuration (required)\n"
            "  -i, --in PATH          input (default: standard input)\n"
            "  -o, --out PATH         anonymised JSON lines (default: stdout)\n"
            "  -o, --out PURPOSE=PATH with purposes: that purpose's JSON\n"
            "                         lines (repeatable; default: its\n"
            "                         output.file, relative to the current\n"
            "                         folder)\n"
            "  -s, --sealed PATH      sealed records, base64 lines (default: "
            "none)\n"
            "  -x, --index PATH       with --sealed: the index of the sealed\n"
            "                         file, a line per sealed line with its\n"
            "                         byte offset and keyed tags of its\n"
            "                         subscriber numbers, for `cdranon\n"
            "                         request` (default: SEALED.idx when\n"
            "                         SEALED is a regular file)\n"
            "  -d, --dead-letter PATH dead-letter JSON lines (default: "
            "stderr)\n"
            "  -h, --help             this help\n"
            "\n"
            "Exit status: 0 on success (malformed records included), 1 on a\n"
            "fatal error, 2 on a bad command line.\n");
}

/* Output streams are written in blocks of OUT_BUFFER bytes rather than
 * stdio's default of a few kilobytes: one write(2) per thousands of
 * records.  The buffers are static because stdout's must outlive this
 * function. */
#define OUT_BUFFER (1 << 20)
static char out_buffer[OUT_BUFFER];
static char dl_buffer[OUT_BUFFER];
static char sealed_buffer[OUT_BUFFER];

static FILE *open_out(const char *path, char *buffer, char *errstr,
                      size_t errstr_size)
{
        FILE *f = fopen(path, "w");

        if (f == NULL)
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        else
                setvbuf(f, buffer, _IOFBF, OUT_BUFFER);
        return f;
}

#define CDR_MAX_PURPOSE_OUTS 64

/* With purposes: opens each purpose's output, the path of its `--out
 * PURPOSE=PATH` or else its output.file.  A plain --out PATH, an unknown
 * purpose or a purpose with neither is an error. */
static int open_purpose_outs(const cdr_config_t *config,
                             const char *const *outs, size_t nouts, FILE **pout,
                             char **pbuf, char *errstr, size_t errstr_size)
{
        size_t i, j;

        for (i = 0; i < nouts; i++) {
                const char *eq = strchr(outs[i], '=');

                for (j = 0; eq != NULL && j < config->npurposes; j++)
                        if (strlen(config->purposes[j].name) ==
                                (size_t)(eq - outs[i]) &&
                            strncmp(config->purposes[j].name, outs[i],
                                    (size_t)(eq - outs[i])) == 0)
                                break;
                if (eq == NULL || eq[1] == '\0') {
                        cdr_errf(errstr, errstr_size,
                                 "--out %s: with purposes, --out takes "
                                 "PURPOSE=PATH",
                                 outs[i]);
                        return CDR_ERR_INVAL;
                }
                if (j == config->npurposes) {
                        cdr_errf(errstr, errstr_size,
                                 "--out %.*s=: no such purpose in %s",
                                 (int)(eq - outs[i]), outs[i], config->path);
                        return CDR_ERR_INVAL;
                }
        }
        for (j = 0; j < config->npurposes; j++) {
                const cdr_purpose_spec_t *p = &config->purposes[j];
                const char *path = p->file;
                size_t n = strlen(p->name);

                for (i = 0; i < nouts; i++)
                        if (strncmp(outs[i], p->name, n) == 0 &&
                            outs[i][n] == '=')
                                path = outs[i] + n + 1;
                if (path == NULL) {
                        cdr_errf(errstr, errstr_size,
                                 "purpose %s: no output.file in %s and no "
                                 "--out %s=PATH",
                                 p->name, config->path, p->name);
                        return CDR_ERR_INVAL;
                }
                pbuf[j] = malloc(OUT_BUFFER);
                if (pbuf[j] == NULL) {
                        cdr_errf(errstr, errstr_size, "out of memory");
                        return CDR_ERR_NOMEM;
                }
                pout[j] = open_out(path, pbuf[j], errstr, errstr_size);
                if (pout[j] == NULL)
                        return CDR_ERR_IO;
        }
        return CDR_OK;
}

/* The streams belong to this thread alone, hence the unlocked calls. */
static int write_line(FILE *f, const char *p, size_t n)
{
        if (fwrite_unlocked(p, 1, n, f) != n || putc_unlocked('\n', f) == EOF)
                return CDR_ERR_IO;
        return CDR_OK;
}

/* Writes the binary sealed bytes gathered in `bin` as base64, every whole
 * group of three (all of them and the line end when `last`), and keeps
 * the rest in `bin`: a sealed line written while it is being sealed. */
static int write_base64_part(FILE *f, cdr_buf_t *bin, cdr_buf_t *b64, int last)
{
        size_t n = last ? bin->len : bin->len / 3 * 3;

        cdr_buf_reset(b64);
        if (cdr_base64_append(b64, (const unsigned char *)bin->data, n) !=
            CDR_OK)
                return CDR_ERR_NOMEM;
        if (fwrite_unlocked(b64->data, 1, b64->len, f) != b64->len ||
            (last && putc_unlocked('\n', f) == EOF))
                return CDR_ERR_IO;
        memmove(bin->data, bin->data + n, bin->len - n);
        bin->len -= n;
        return CDR_OK;
}

/* Plaintext bytes sealed per step of a record too long to hold: the
 * buffers of a long record stay this small whatever its length. */
#define LONG_STEP (192 * 1024)

/* A record longer than input.max_record_bytes, announced by
 * cdr_filein_next: never held whole, so not parsed, but sealed piece by
 * piece (when `sealed` is given) into the same sealed line a whole record
 * would have, and dead-lettered with one reason.  Its pieces come from
 * the framing, which follows the record to its real end.  Returns 0,
 * CDR_ERR_IO on a read error (errstr set), or another error with errstr
 * set; a write error is CDR_ERR_IO with errno set and errstr empty. */
static int anonymise_long(cdr_filein_t *in, cdr_sealer_t *sealer,
                          const cdr_source_t *source, FILE *sealed, FILE *dl,
                          cdr_buf_t *bin, cdr_buf_t *b64, cdr_buf_t *dead,
                          char *errstr, size_t errstr_size)
{
        char reason[128];
        cdr_view_t piece;
        size_t off, n;
        int err;

        errstr[0] = '\0';
        if (sealed != NULL &&
            (err = cdr_sealer_begin(sealer, source, INT64_MIN, bin, errstr,
                                    errstr_size)) != CDR_OK)
                return err;
        while ((err = cdr_filein_next_piece(in, &piece, errstr, errstr_size)) ==
               1) {
                for (off = 0; sealed != NULL && off < piece.n; off += n) {
                        n = piece.n - off < LONG_STEP ? piece.n - off
                                                      : LONG_STEP;
                        err = cdr_sealer_update(sealer, piece.p + off, n, bin,
                                                errstr, errstr_size);
                        if (err != CDR_OK)
                                return err;
                        err = write_base64_part(sealed, bin, b64, 0);
                        if (err != CDR_OK)
                                return err;
                }
        }
        if (err < 0)
                return err;
        if (sealed != NULL) {
                err = cdr_sealer_finish(sealer, bin, errstr, errstr_size);
                if (err == CDR_OK)
                        err = write_base64_part(sealed, bin, b64, 1);
                if (err != CDR_OK)
                        return err;
        }
        if (cdr_filein_to_eof(in))
                cdr_errf(reason, sizeof(reason),
                         "record: no record end within %llu bytes; the rest "
                         "of the input is this record",
                         (unsigned long long)CDR_FILEIN_SCAN_LIMIT);
        else
                cdr_errf(reason, sizeof(reason),
                         "record: longer than input.max_record_bytes");
        cdr_buf_reset(dead);
        if (cdr_deadletter_encode(dead, reason, source) != CDR_OK)
                return CDR_ERR_NOMEM;
        return write_line(dl, dead->data, dead->len);
}

/* The index of the sealed file (request.h): a line per sealed line,
 * written before it, with its byte offset and the tags of its record's
 * subscriber numbers. */
struct index {
        FILE *f;
        cdr_hmac_t *key;
        cdr_buf_t line;
        cdr_idx_entry_t entry;
};

static int index_open(struct index *ix, const cdr_engine_t *engine,
                      const char *path, char *errstr, size_t errstr_size)
{
        const cdr_keyring_t *ring = cdr_engine_keyring(engine);
        size_t active = cdr_keyring_count(ring) - 1;

        ix->key =
            cdr_idx_key_new(cdr_keyring_key(ring, active), CDR_HMAC_KEY_LEN);
        if (ix->key == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        ix->f = fopen(path, "w");
        if (ix->f == NULL) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return CDR_ERR_IO;
        }
        if (cdr_idx_put_header(&ix->line, cdr_keyring_id(ring, active)) !=
                CDR_OK ||
            fwrite(ix->line.data, 1, ix->line.len, ix->f) != ix->line.len) {
                cdr_errf(errstr, errstr_size, "%s: write failed", path);
                return CDR_ERR_IO;
        }
        return CDR_OK;
}

static int index_add(void *ctx, const char *canon, size_t len)
{
        struct index *ix = ctx;
        uint8_t tag[CDR_IDX_TAG_LEN];

        if (cdr_idx_tag(ix->key, "number", canon, len, tag) == CDR_OK)
                cdr_idx_entry_add(&ix->entry, "number", tag);
        return CDR_OK;
}

/* The index line of the sealed line about to be written to `sealed`:
 * a header's, or a record's with the tags of `transform`'s last record
 * (NULL: none, a record too long to parse). */
static int index_line(struct index *ix, FILE *sealed, int header,
                      const cdr_transform_t *transform)
{
        off_t at;

        if (ix->f == NULL)
                return CDR_OK;
        at = ftello(sealed);
        if (at < 0)
                return CDR_ERR_IO;
        ix->entry.ntags = 0;
        if (transform != NULL &&
            cdr_transform_numbers(transform, index_add, ix) != CDR_OK)
                return CDR_ERR_IO;
        cdr_buf_reset(&ix->line);
        if (cdr_idx_put_line(&ix->line, (uint64_t)at, header, &ix->entry) !=
                CDR_OK ||
            fwrite(ix->line.data, 1, ix->line.len, ix->f) != ix->line.len)
                return CDR_ERR_IO;
        return CDR_OK;
}

int cdr_cmd_anonymise(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"in", required_argument, NULL, 'i'},
            {"out", required_argument, NULL, 'o'},
            {"sealed", required_argument, NULL, 's'},
            {"dead-letter", required_argument, NULL, 'd'},
            {"index", required_argument, NULL, 'x'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *config_path = NULL, *in_path = NULL, *out_path = NULL;
        const char *sealed_path = NULL, *dl_path = NULL, *idx_path = NULL;
        char idx_default[4096];
        struct index ix = {0};
        char errstr[1024];
        cdr_config_t *config = NULL;
        cdr_engine_t *engine = NULL;
        cdr_transform_t *transform = NULL;
        cdr_filein_t *in = NULL;
        FILE *out = stdout, *sealed = NULL, *dl = stderr;
        const char *outs[CDR_MAX_PURPOSE_OUTS];
        size_t nouts = 0, np = 0, i;
        FILE **pout = NULL;
        char **pbuf = NULL;
        cdr_buf_t b64 = CDR_BUF_INIT, toobig = CDR_BUF_INIT, bin = CDR_BUF_INIT;
        cdr_transform_stats_t stats;
        uint64_t oversized = 0, oversized_sealed = 0;
        int opt, rc = CDR_EXIT_FAILURE, err;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:i:o:s:d:x:h", opts, NULL)) !=
               -1) {
                switch (opt) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'i':
                        in_path = optarg;
                        break;
                case 'o':
                        out_path = optarg;
                        if (nouts == CDR_MAX_PURPOSE_OUTS) {
                                cdr_cmd_fail(CMD, "--out: at most %d",
                                             CDR_MAX_PURPOSE_OUTS);
                                return CDR_EXIT_USAGE;
                        }
                        outs[nouts++] = optarg;
                        break;
                case 's':
                        sealed_path = optarg;
                        break;
                case 'd':
                        dl_path = optarg;
                        break;
                case 'x':
                        idx_path = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CDR_EXIT_OK;
                default:
                        usage(stderr);
                        return CDR_EXIT_USAGE;
                }
        }
        if (config_path == NULL || optind != argc) {
                cdr_cmd_fail(CMD, "%s (try --help)",
                             config_path == NULL ? "-c FILE is required"
                                                 : "unexpected argument");
                return CDR_EXIT_USAGE;
        }

        config = cdr_config_load(config_path, errstr, sizeof(errstr));
        if (config == NULL)
                goto fail;
        engine =
            cdr_engine_new(config, sealed_path != NULL, errstr, sizeof(errstr));
        if (engine == NULL)
                goto fail;
        transform = cdr_transform_new(engine, errstr, sizeof(errstr));
        if (transform == NULL)
                goto fail;
        in = cdr_filein_open(in_path, config->format, config->csv_delimiter,
                             config->max_record_bytes, errstr, sizeof(errstr));
        if (in == NULL)
                goto fail;
        if (config->npurposes > 0) {
                np = config->npurposes;
                pout = calloc(np, sizeof(*pout));
                pbuf = calloc(np, sizeof(*pbuf));
                if (pout == NULL || pbuf == NULL) {
                        cdr_errf(errstr, sizeof(errstr), "out of memory");
                        goto fail;
                }
                if (open_purpose_outs(config, outs, nouts, pout, pbuf, errstr,
                                      sizeof(errstr)) != CDR_OK)
                        goto fail;
                out = NULL;
        } else if (out_path == NULL) {
                /* A terminal keeps its line buffering. */
                if (!isatty(fileno(stdout)))
                        setvbuf(stdout, out_buffer, _IOFBF, OUT_BUFFER);
        } else if ((out = open_out(out_path, out_buffer, errstr,
                                   sizeof(errstr))) == NULL)
                goto fail;
        if (dl_path != NULL &&
            (dl = open_out(dl_path, dl_buffer, errstr, sizeof(errstr))) == NULL)
                goto fail;
        if (sealed_path != NULL &&
            (sealed = open_out(sealed_path, sealed_buffer, errstr,
                               sizeof(errstr))) == NULL)
                goto fail;
        if (idx_path != NULL && sealed_path == NULL) {
                cdr_errf(errstr, sizeof(errstr),
                         "--index needs --sealed (try --help)");
                rc = CDR_EXIT_USAGE;
                goto fail;
        }
        /* Offsets index a file: a sealed pipe or /dev/null gets an index
         * only when one is asked for. */
        if (sealed_path != NULL && idx_path == NULL) {
                struct stat st;

                if (fstat(fileno(sealed), &st) == 0 && S_ISREG(st.st_mode)) {
                        snprintf(idx_default, sizeof(idx_default), "%s.idx",
                                 sealed_path);
                        idx_path = idx_default;
                }
        }
        if (idx_path != NULL) {
                if (index_open(&ix, engine, idx_path, errstr, sizeof(errstr)) !=
                    CDR_OK)
                        goto fail;
        }

        for (;;) {
                cdr_view_t rec;
                uint64_t line;
                cdr_source_t source = {0};
                cdr_result_t result;

                err = cdr_filein_next(in, &rec, &line, errstr, sizeof(errstr));
                if (err == 0)
                        break;
                source.file = cdr_filein_name(in);
                source.line = line;
                if (err == CDR_ERR_TOOBIG && cdr_engine_wants_header(engine)) {
                        /* Without its header no record can be read: the
                         * next record must not be taken for it. */
                        cdr_errf(errstr, sizeof(errstr),
                                 "%s:%llu: header: longer than "
                                 "input.max_record_bytes (%zu)",
                                 source.file, (unsigned long long)line,
                                 config->max_record_bytes);
                        goto fail;
                }
                if (err == CDR_ERR_TOOBIG) {
                        if (index_line(&ix, sealed, 0, NULL) != CDR_OK)
                                goto write_fail;
                        err =
                            anonymise_long(in, cdr_transform_sealer(transform),
                                           &source, sealed, dl, &bin, &b64,
                                           &toobig, errstr, sizeof(errstr));
                        if (err == CDR_ERR_IO && errstr[0] == '\0')
                                goto write_fail;
                        if (err != CDR_OK && errstr[0] == '\0')
                                cdr_errf(errstr, sizeof(errstr), "%s",
                                         cdr_strerror(err));
                        if (err != CDR_OK) {
                                cdr_err_prefix(errstr, sizeof(errstr),
                                               "%s:%llu: ", source.file,
                                               (unsigned long long)line);
                                goto fail;
                        }
                        oversized++;
                        oversized_sealed += sealed != NULL;
                        continue;
                }
                if (err < 0)
                        goto fail;
                if (cdr_engine_wants_header(engine)) {
                        cdr_view_t copy;

                        if (cdr_engine_set_header(engine, rec.p, rec.n, errstr,
                                                  sizeof(errstr)) != CDR_OK) {
                                cdr_err_prefix(errstr, sizeof(errstr),
                                               "%s:%llu: header: ", source.file,
                                               (unsigned long long)line);
                                goto fail;
                        }
                        /* Sealed too, first: unseal reads the columns of
                         * the file's records from it. */
                        if (sealed == NULL)
                                continue;
                        if (cdr_transform_seal_line(transform, rec.p, rec.n,
                                                    &source, &copy, errstr,
                                                    sizeof(errstr)) != CDR_OK)
                                goto fail;
                        if (index_line(&ix, sealed, 1, NULL) != CDR_OK)
                                goto write_fail;
                        cdr_buf_reset(&b64);
                        if (cdr_base64_append(&b64,
                                              (const unsigned char *)copy.p,
                                              copy.n) != CDR_OK ||
                            write_line(sealed, b64.data, b64.len) != CDR_OK)
                                goto write_fail;
                        continue;
                }
                if (cdr_transform_record(transform, rec.p, rec.n, &source,
                                         &result, errstr,
                                         sizeof(errstr)) != CDR_OK) {
                        cdr_err_prefix(errstr, sizeof(errstr),
                                       "%s:%llu: ", source.file,
                                       (unsigned long long)line);
                        goto fail;
                }
                switch (result.verdict) {
                case CDR_VERDICT_PUBLISH:
                        for (i = 0; i < result.npurposes; i++)
                                if (write_line(
                                        pout[i],
                                        result.purposes[i].anonymised.p,
                                        result.purposes[i].anonymised.n) !=
                                    CDR_OK)
                                        goto write_fail;
                        if (np > 0)
                                break;
                        if (write_line(out, result.anonymised.p,
                                       result.anonymised.n) != CDR_OK)
                                goto write_fail;
                        break;
                case CDR_VERDICT_DEAD:
                        if (write_line(dl, result.dead_letter.p,
                                       result.dead_letter.n) != CDR_OK)
                                goto write_fail;
                        break;
                default:
                        break;
                }
                if (sealed != NULL) {
                        if (index_line(&ix, sealed, 0, transform) != CDR_OK)
                                goto write_fail;
                        cdr_buf_reset(&b64);
                        if (cdr_base64_append(
                                &b64, (const unsigned char *)result.sealed.p,
                                result.sealed.n) != CDR_OK ||
                            write_line(sealed, b64.data, b64.len) != CDR_OK)
                                goto write_fail;
                }
        }

        if ((out != NULL && fflush(out) != 0) || fflush(dl) != 0 ||
            (sealed != NULL && fflush(sealed) != 0) ||
            (ix.f != NULL && fflush(ix.f) != 0))
                goto write_fail;
        for (i = 0; i < np; i++)
                if (fflush(pout[i]) != 0)
                        goto write_fail;
        cdr_transform_stats(transform, &stats);
        fprintf(stderr,
                "cdranon anonymise: %llu records read: %llu published, "
                "%llu suppressed, %llu dead-lettered, %llu sealed\n",
                (unsigned long long)(stats.records + oversized),
                (unsigned long long)stats.published,
                (unsigned long long)stats.suppressed,
                (unsigned long long)(stats.dead + oversized),
                (unsigned long long)(stats.sealed + oversized_sealed));
        /* A record's fate is one for all purposes: each purpose has a
         * line for every published record. */
        for (i = 0; i < np; i++)
                fprintf(stderr,
                        "cdranon anonymise: purpose %s: %llu published\n",
                        config->purposes[i].name,
                        (unsigned long long)stats.published);
        rc = CDR_EXIT_OK;
        goto out;

write_fail:
        cdr_errf(errstr, sizeof(errstr), "write failed: %s", strerror(errno));
fail:
        cdr_cmd_fail(CMD, "%s", errstr);
out:
        if (out != NULL && out != stdout)
                fclose(out);
        if (dl != NULL && dl != stderr)
                fclose(dl);
        for (i = 0; i < np; i++) {
                if (pout[i] != NULL)
                        fclose(pout[i]);
                free(pbuf[i]);
        }
        free(pout);
        free(pbuf);
        if (sealed != NULL && fclose(sealed) != 0 && rc == CDR_EXIT_OK) {
                cdr_cmd_fail(CMD, "%s: %s", sealed_path, strerror(errno));
                rc = CDR_EXIT_FAILURE;
        }
        if (ix.f != NULL && fclose(ix.f) != 0 && rc == CDR_EXIT_OK) {
                cdr_cmd_fail(CMD, "%s: %s", idx_path, strerror(errno));
                rc = CDR_EXIT_FAILURE;
        }
        cdr_hmac_destroy(ix.key);
        cdr_buf_free(&ix.line);
        cdr_buf_free(&b64);
        cdr_buf_free(&toobig);
        cdr_buf_free(&bin);
        cdr_filein_close(in);
        cdr_transform_destroy(transform);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return rc;
}
