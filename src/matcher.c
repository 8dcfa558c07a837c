/*
 * The query on opened records shared by unseal and request (matcher.h).
 */
#include "matcher.h"
#include "cdranon/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tracks the file of an opened record; when it starts a file, its
 * content is that file's header and sets the columns.  Returns 0, or
 * CDR_ERR_INVAL or CDR_ERR_NOMEM with errstr set (naming no record
 * content). */
int cdr_matcher_follow(struct cdr_matcher *m, const cdr_sealed_meta_t *meta,
                       const cdr_buf_t *plain, char *errstr, size_t errstr_size)
{
        const cdr_schema_t *schema = cdr_policy_schema(m->policy);
        const char *file = meta->source.file;
        char why[256];
        size_t i, known = 0;

        if (!m->header_per_file)
                return CDR_OK;
        if (file == NULL && meta->source.topic != NULL) {
                cdr_errf(errstr, errstr_size,
                         "%s [%d] offset %lld: %s: the configuration "
                         "reads the CSV columns from a file's header line, "
                         "and records from a topic have none "
                         "(input.csv.columns names them in stream mode)",
                         meta->source.topic, (int)meta->source.partition,
                         (long long)meta->source.offset, m->config_path);
                return CDR_ERR_INVAL;
        }
        if (file == NULL)
                file = "";
        if (m->file != NULL && strcmp(file, m->file) == 0 &&
            meta->source.line > m->line) {
                m->line = meta->source.line;
                return CDR_OK;
        }
        free(m->file);
        m->file = strdup(file);
        if (m->file == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return CDR_ERR_NOMEM;
        }
        m->line = meta->source.line;
        /* The reader's own message may quote a name, and this may be a
         * record (a file sealed without its header): only ours is shown. */
        if (cdr_csv_set_header(m->csv, plain->data, plain->len, why,
                               sizeof(why)) == CDR_OK)
                for (i = 0; i < cdr_csv_column_count(m->csv); i++) {
                        const char *name = cdr_csv_column_name(m->csv, i);

                        known +=
                            cdr_schema_find(schema, name, strlen(name)) >= 0;
                }
        if (known == 0) {
                cdr_errf(errstr, errstr_size,
                         "%s:%llu: the first record of this file that "
                         "opened is not a CSV header line naming fields of "
                         "%s (give the key its header line was sealed to, "
                         "that of the time the file was processed; for a "
                         "file sealed without one, --header-from FILE)",
                         file, (unsigned long long)meta->source.line,
                         m->config_path);
                return CDR_ERR_INVAL;
        }
        return CDR_OK;
}

/* 1 when the record matches the query, 0 when not. */
int cdr_matcher_match(struct cdr_matcher *m, const char *rec, size_t len)
{
        const cdr_policy_t *policy = m->policy;
        const cdr_schema_t *schema = cdr_policy_schema(policy);
        char reason[256];
        int64_t t;
        int err;

        while (len > 0 && (rec[len - 1] == '\n' || rec[len - 1] == '\r'))
                len--;
        if (cdr_record_reset(&m->record, cdr_schema_count(schema), len) !=
            CDR_OK)
                return 0;
        if (m->csv != NULL)
                err = cdr_csv_parse(m->csv, rec, len, &m->record, reason,
                                    sizeof(reason));
        else
                err = cdr_json_parse(schema, rec, len, &m->record, reason,
                                     sizeof(reason));
        if (err != CDR_OK)
                return 0;
        if (m->have_subscriber &&
            !cdr_policy_record_mentions(policy, &m->record, m->canon,
                                        m->canon_len))
                return 0;
        if (m->have_from || m->have_to) {
                if (cdr_policy_event_time(policy, &m->record, &t) != CDR_OK)
                        return 0;
                if (m->have_from && t < m->from)
                        return 0;
                if (m->have_to && t >= m->to)
                        return 0;
        }
        return 1;
}

int cdr_matcher_header_from(struct cdr_matcher *m, const char *path,
                            char *errstr, size_t errstr_size)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        FILE *f = fopen(path, "r");
        int err;

        if (f == NULL) {
                cdr_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return CDR_ERR_IO;
        }
        n = getline(&line, &cap, f);
        fclose(f);
        if (n <= 0) {
                free(line);
                cdr_errf(errstr, errstr_size, "%s: no header line", path);
                return CDR_ERR_INVAL;
        }
        {
                size_t skip = cdr_csv_skip_bom(line, (size_t)n);

                err = cdr_csv_set_header(m->csv, line + skip, (size_t)n - skip,
                                         errstr, errstr_size);
        }
        free(line);
        if (err != CDR_OK)
                cdr_err_prefix(errstr, errstr_size, "%s:1: ", path);
        return err;
}
