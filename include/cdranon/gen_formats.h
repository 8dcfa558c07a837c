/*
 * The generator's layouts (gen.h, gen_formats.c): their column names.
 */
#ifndef CDRANON_GEN_FORMATS_H
#define CDRANON_GEN_FORMATS_H

#include "cdranon/gen_types.h"

#include <stddef.h>

/* The column names of a layout, in order: 16 for CSV and JSON, 18 for
 * Asterisk, 129 for CUCM.  Names are static strings. */
size_t cdr_gen_column_count(cdr_gen_format_t format);
const char *cdr_gen_column_name(cdr_gen_format_t format, size_t i);

#endif
