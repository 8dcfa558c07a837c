/*
 * The generator's types (gen.h): layouts, defects, options and the
 * generator handle.  Declarations only, so that every file of the
 * generator can use them without depending on gen.c.
 */
#ifndef CDRANON_GEN_TYPES_H
#define CDRANON_GEN_TYPES_H

#include <stdint.h>

typedef enum {
        CDR_GEN_CSV = 0,  /* generic layout, header line by default */
        CDR_GEN_JSON,     /* one object per line, generic field names */
        CDR_GEN_ASTERISK, /* Asterisk cdr_csv Master.csv, 18 columns */
        CDR_GEN_CUCM,     /* Cisco CUCM CDR export, 129 fields */
} cdr_gen_format_t;

/* What is wrong with a generated record. */
typedef enum {
        CDR_GEN_WELL_FORMED = 0,
        CDR_GEN_BAD_LETTERS, /* a letter in place of a digit of a number */
        CDR_GEN_BAD_DIGITS,  /* a number with more than 15 digits */
        CDR_GEN_BAD_QUOTE,   /* CSV: quotes that break RFC 4180 */
        CDR_GEN_BAD_COLUMNS, /* CSV: too few or too many columns */
        CDR_GEN_BAD_UTF8,    /* a number holding a byte that is not UTF-8 */
        CDR_GEN_BAD_JSON,    /* JSON: not a valid object */
} cdr_gen_defect_t;

#define CDR_GEN_DEFECTS 7

#define CDR_GEN_MAX_SUBSCRIBERS 10000000u
#define CDR_GEN_MAX_CELLS       65535u

typedef struct {
        cdr_gen_format_t format;
        uint64_t seed;
        uint32_t subscribers;   /* 1..CDR_GEN_MAX_SUBSCRIBERS; 100000 */
        double malformed_share; /* 0..1; 0.01 */
        double zipf_exponent;   /* activity of rank r ~ 1/r^s; 0..3; 0.7 */
        int64_t start_time;     /* epoch seconds; 2026-11-27T00:00:00Z */
        int crlf;               /* 1: CRLF line ends; 0: LF (default) */
        double activity;        /* records per subscriber per day, on average;
                                   (0, 1e6]; 20 */
        uint32_t cells;         /* cells of the network, 1..CDR_GEN_MAX_CELLS; 0
                                   (default): one per 200 subscribers, at least
                                   16 */
} cdr_gen_options_t;

typedef struct cdr_gen_s cdr_gen_t;

#endif
