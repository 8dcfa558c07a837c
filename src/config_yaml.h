/*
 * The YAML of a configuration file as a small tree with line numbers,
 * built from libyaml events, for the configuration loader (config.c).
 * One document; anchors are ignored and aliases refused, so the tree is
 * a tree and every node has one line.  Mapping keys are unique scalars.
 *
 * Errors are one line "FILE:LINE: dotted.path: message" (without the
 * path at the top), control characters replaced by '?'.
 */
#ifndef CDRANON_CONFIG_YAML_H
#define CDRANON_CONFIG_YAML_H

#include "cdranon/common.h"

#include <stdarg.h>
#include <stdio.h>

/* Far deeper than any valid configuration (which nests 4 levels); the
 * bound keeps the recursive walks of the tree shallow. */
#define CDR_YAML_MAX_DEPTH 32

enum { CDR_YN_SCALAR, CDR_YN_MAP, CDR_YN_SEQ };

typedef struct cdr_ynode_s {
        int type;  /* CDR_YN_* */
        int line;  /* 1-based */
        int null;  /* plain "", "~" or "null": no value */
        char *str; /* scalars: NUL-terminated text (may hold a NUL) */
        size_t len;
        struct cdr_ynode_s **kids; /* map: key, value, key, value...; seq */
        size_t nkids;
        size_t cap;
        struct cdr_ynode_s *parent;
} cdr_ynode_t;

/* Reads the one YAML document of `f` (named `file` in messages) into
 * *root, which the caller frees with cdr_ynode_free; *root is NULL when
 * the file holds no document.  Returns 0, CDR_ERR_INVAL (syntax, more
 * than one document, an alias, too deep, a duplicate or non-scalar key)
 * or CDR_ERR_NOMEM, with errstr set. */
int cdr_yaml_load(FILE *f, const char *file, cdr_ynode_t **root, char *errstr,
                  size_t errstr_size) CDR_MUST_CHECK;

/* Frees a node and everything under it.  NULL: no-op. */
void cdr_ynode_free(cdr_ynode_t *node);

/* "a mapping", "a list", "a scalar" or "nothing", for messages. */
const char *cdr_ynode_kind(const cdr_ynode_t *node);

/* Writes the dotted path of `node` ("input.csv.columns[2]"); for a key,
 * the path of its value. */
void cdr_ynode_path(const cdr_ynode_t *node, char *buf, size_t size);

/* Where errors go: the file they name, the caller's errstr. */
typedef struct {
        const char *file; /* as the caller gave it */
        char *errstr;
        size_t errstr_size;
} cdr_yaml_err_t;

/* Formats "FILE:LINE: PATH: message" (without PATH when empty or NULL)
 * into err's errstr, one line, and returns CDR_ERR_INVAL. */
int cdr_yaml_fail(const cdr_yaml_err_t *err, int line, const char *path,
                  const char *fmt, ...) CDR_PRINTF(4, 5);
/* "FILE: out of memory"; returns CDR_ERR_NOMEM. */
int cdr_yaml_nomem(const cdr_yaml_err_t *err);

/* cdr_yaml_fail with errstr, file and a va_list given. */
int cdr_yaml_verrf(char *errstr, size_t errstr_size, const char *file, int line,
                   const char *path, const char *fmt, va_list ap)
    CDR_PRINTF(6, 0);

#endif
