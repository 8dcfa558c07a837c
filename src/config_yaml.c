/*
 * The YAML of a configuration file as a small tree with line numbers,
 * built from libyaml events: see config_yaml.h.
 */
#include "config_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct yload {
        cdr_yaml_err_t err;
        cdr_ynode_t *root;
};

int cdr_yaml_verrf(char *errstr, size_t errstr_size, const char *file, int line,
                   const char *path, const char *fmt, va_list ap)
{
        char msg[768];
        char *p;

        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (path != NULL && path[0] != '\0')
                cdr_errf(errstr, errstr_size, "%s:%d: %s: %s", file, line, path,
                         msg);
        else
                cdr_errf(errstr, errstr_size, "%s:%d: %s", file, line, msg);
        /* One line, whatever a quoted key or value holds. */
        for (p = errstr; p != NULL && errstr_size > 0 && *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        return CDR_ERR_INVAL;
}

int cdr_yaml_fail(const cdr_yaml_err_t *err, int line, const char *path,
                  const char *fmt, ...)
{
        va_list ap;
        int rc;

        va_start(ap, fmt);
        rc = cdr_yaml_verrf(err->errstr, err->errstr_size, err->file, line,
                            path, fmt, ap);
        va_end(ap);
        return rc;
}

int cdr_yaml_nomem(const cdr_yaml_err_t *err)
{
        cdr_errf(err->errstr, err->errstr_size, "%s: out of memory", err->file);
        return CDR_ERR_NOMEM;
}

void cdr_ynode_free(cdr_ynode_t *node)
{
        size_t i;

        if (node == NULL)
                return;
        for (i = 0; i < node->nkids; i++)
                cdr_ynode_free(node->kids[i]);
        free(node->kids);
        free(node->str);
        free(node);
}

const char *cdr_ynode_kind(const cdr_ynode_t *node)
{
        if (node->type == CDR_YN_MAP)
                return "a mapping";
        if (node->type == CDR_YN_SEQ)
                return "a list";
        return node->null ? "nothing" : "a scalar";
}

void cdr_ynode_path(const cdr_ynode_t *node, char *buf, size_t size)
{
        const cdr_ynode_t *chain[CDR_YAML_MAX_DEPTH + 2];
        size_t depth = 0, len = 0, i, j;

        buf[0] = '\0';
        while (node != NULL && node->parent != NULL &&
               depth < CDR_YAML_MAX_DEPTH + 2) {
                chain[depth++] = node;
                node = node->parent;
        }
        for (i = depth; i-- > 0;) {
                const cdr_ynode_t *n = chain[i], *p = n->parent;

                for (j = 0; j < p->nkids && p->kids[j] != n; j++)
                        ;
                if (p->type == CDR_YN_SEQ)
                        snprintf(buf + len, size - len, "[%zu]", j);
                else
                        snprintf(buf + len, size - len, "%s%s", len ? "." : "",
                                 p->kids[j & ~(size_t)1]->str);
                len = strlen(buf);
        }
}

static int ynode_add(cdr_ynode_t *parent, cdr_ynode_t *node)
{
        cdr_ynode_t **kids;
        size_t cap;

        if (parent->nkids == parent->cap) {
                cap = parent->cap ? parent->cap * 2 : 8;
                kids = realloc(parent->kids, cap * sizeof(*kids));
                if (kids == NULL)
                        return CDR_ERR_NOMEM;
                parent->kids = kids;
                parent->cap = cap;
        }
        parent->kids[parent->nkids++] = node;
        node->parent = parent;
        return CDR_OK;
}

/* Attaches a new node under the open container `cur` (or as the root).
 * Mapping keys must be unique scalars. */
static int attach(struct yload *ld, cdr_ynode_t *cur, cdr_ynode_t *node)
{
        char path[512];
        size_t i;

        if (cur == NULL) {
                ld->root = node;
                return CDR_OK;
        }
        if (cur->type == CDR_YN_MAP && cur->nkids % 2 == 0) {
                cdr_ynode_path(cur, path, sizeof(path));
                if (node->type != CDR_YN_SCALAR) {
                        int line = node->line;
                        const char *kind = cdr_ynode_kind(node);

                        cdr_ynode_free(node);
                        return cdr_yaml_fail(&ld->err, line, path,
                                             "a key must be a scalar, not %s",
                                             kind);
                }
                for (i = 0; i < cur->nkids; i += 2) {
                        int first = cur->kids[i]->line, line = node->line;

                        if (strcmp(cur->kids[i]->str, node->str) != 0)
                                continue;
                        snprintf(path + strlen(path),
                                 sizeof(path) - strlen(path), "%s%s",
                                 path[0] != '\0' ? "." : "", node->str);
                        cdr_ynode_free(node);
                        return cdr_yaml_fail(&ld->err, line, path,
                                             "duplicate key (first at line %d)",
                                             first);
                }
        }
        /* An absent value is reported on its key's line (libyaml marks
         * it where the next token starts). */
        if (cur->type == CDR_YN_MAP && cur->nkids % 2 == 1 &&
            node->type == CDR_YN_SCALAR && node->null)
                node->line = cur->kids[cur->nkids - 1]->line;
        if (ynode_add(cur, node) != CDR_OK) {
                cdr_ynode_free(node);
                return cdr_yaml_nomem(&ld->err);
        }
        return CDR_OK;
}

/* The path of the place the parser had reached in the tree under
 * construction: the pending key, or the next list item. */
static void context_path(const cdr_ynode_t *cur, char *buf, size_t size)
{
        size_t len;

        buf[0] = '\0';
        if (cur == NULL)
                return;
        if (cur->type == CDR_YN_MAP && cur->nkids % 2 == 1) {
                cdr_ynode_path(cur->kids[cur->nkids - 1], buf, size);
                return;
        }
        cdr_ynode_path(cur, buf, size);
        if (cur->type == CDR_YN_SEQ) {
                len = strlen(buf);
                snprintf(buf + len, size - len, "[%zu]", cur->nkids);
        }
}

static int syntax_error(struct yload *ld, const yaml_parser_t *parser,
                        const cdr_ynode_t *cur)
{
        const char *problem = parser->problem ? parser->problem : "bad input";
        char path[512];
        int line = (int)parser->problem_mark.line + 1;

        if (parser->error == YAML_MEMORY_ERROR)
                return cdr_yaml_nomem(&ld->err);
        context_path(cur, path, sizeof(path));
        if (parser->error == YAML_READER_ERROR)
                return cdr_yaml_fail(&ld->err, (int)parser->mark.line + 1, path,
                                     "YAML syntax error: %s", problem);
        if (parser->context == NULL)
                return cdr_yaml_fail(&ld->err, line, path,
                                     "YAML syntax error: %s", problem);
        /* A scanner error's context is the token at fault (an unclosed
         * quote runs to the end of the file); a parser error's context is
         * the enclosing collection, so its problem is the better line. */
        if (parser->error == YAML_SCANNER_ERROR)
                return cdr_yaml_fail(&ld->err,
                                     (int)parser->context_mark.line + 1, path,
                                     "YAML syntax error: %s, %s at line %d",
                                     parser->context, problem, line);
        return cdr_yaml_fail(
            &ld->err, line, path, "YAML syntax error: %s (%s at line %d)",
            problem, parser->context, (int)parser->context_mark.line + 1);
}

static int scalar_is_null(const yaml_event_t *event)
{
        const char *v = (const char *)event->data.scalar.value;

        if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return 0;
        return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
               strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static cdr_ynode_t *ynode_new(int type, int line)
{
        cdr_ynode_t *node = calloc(1, sizeof(*node));

        if (node != NULL) {
                node->type = type;
                node->line = line;
        }
        return node;
}

static int parse_yaml(struct yload *ld, FILE *f)
{
        yaml_parser_t parser;
        yaml_event_t event;
        cdr_ynode_t *cur = NULL, *node;
        char path[512];
        int done = 0, ndocs = 0, depth = 0, rc = CDR_OK, line;

        if (!yaml_parser_initialize(&parser))
                return cdr_yaml_nomem(&ld->err);
        yaml_parser_set_input_file(&parser, f);
        while (!done && rc == CDR_OK) {
                if (!yaml_parser_parse(&parser, &event)) {
                        rc = syntax_error(ld, &parser, cur);
                        break;
                }
                node = NULL;
                line = (int)event.start_mark.line + 1;
                switch (event.type) {
                case YAML_DOCUMENT_START_EVENT:
                        if (++ndocs > 1)
                                rc = cdr_yaml_fail(
                                    &ld->err, line, NULL,
                                    "more than one YAML document");
                        break;
                case YAML_ALIAS_EVENT:
                        context_path(cur, path, sizeof(path));
                        rc = cdr_yaml_fail(
                            &ld->err, line, path,
                            "YAML aliases (*%s) are not supported",
                            (const char *)event.data.alias.anchor);
                        break;
                case YAML_SCALAR_EVENT:
                        node = ynode_new(CDR_YN_SCALAR, line);
                        if (node == NULL)
                                break;
                        node->len = event.data.scalar.length;
                        node->str = malloc(node->len + 1);
                        if (node->str == NULL)
                                break;
                        memcpy(node->str, event.data.scalar.value, node->len);
                        node->str[node->len] = '\0';
                        node->null = scalar_is_null(&event);
                        break;
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                        if (++depth > CDR_YAML_MAX_DEPTH) {
                                context_path(cur, path, sizeof(path));
                                rc = cdr_yaml_fail(
                                    &ld->err, line, path,
                                    "nested more than %d levels deep",
                                    CDR_YAML_MAX_DEPTH);
                                break;
                        }
                        node = ynode_new(event.type == YAML_MAPPING_START_EVENT
                                             ? CDR_YN_MAP
                                             : CDR_YN_SEQ,
                                         line);
                        break;
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT:
                        depth--;
                        cur = cur->parent;
                        break;
                case YAML_STREAM_END_EVENT:
                        done = 1;
                        break;
                default:
                        break;
                }
                if ((event.type == YAML_SCALAR_EVENT ||
                     event.type == YAML_MAPPING_START_EVENT ||
                     event.type == YAML_SEQUENCE_START_EVENT) &&
                    rc == CDR_OK) {
                        if (node == NULL || (node->type == CDR_YN_SCALAR &&
                                             node->str == NULL)) {
                                cdr_ynode_free(node);
                                rc = cdr_yaml_nomem(&ld->err);
                        } else {
                                rc = attach(ld, cur, node);
                                if (rc == CDR_OK && node->type != CDR_YN_SCALAR)
                                        cur = node;
                        }
                }
                yaml_event_delete(&event);
        }
        yaml_parser_delete(&parser);
        return rc;
}

int cdr_yaml_load(FILE *f, const char *file, cdr_ynode_t **root, char *errstr,
                  size_t errstr_size)
{
        struct yload ld = {{file, errstr, errstr_size}, NULL};
        int rc;

        *root = NULL;
        rc = parse_yaml(&ld, f);
        if (rc != CDR_OK) {
                cdr_ynode_free(ld.root);
                return rc;
        }
        *root = ld.root;
        return CDR_OK;
}
