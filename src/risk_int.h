/*
 * The risk meter's private parts, shared by its files:
 *
 *   risk.c         options, the meter, each record into hashed columns
 *   risk_group.c   dense ids and the groups of a set of fields
 *   risk_unicity.c traces and unicity
 *   risk_measure.c the report: planning, k-anonymity, unicity, the gate
 *   risk_format.c  the report as a table or JSON
 *
 * Each file uses only those above it in this list and this header.
 * Nothing here is API: include/cdranon/risk.h is.
 *
 * How the meter works (docs/anonymity.md).
 *
 * Reading.  Each record is parsed by the project's JSON reader into
 * views; every value is kept as a 64-bit hash in a column per field
 * (absent and null are values of their own, numbers and strings hash
 * apart).  The low bit of a hash says whether the value has the pseudonym
 * shape, so which fields link records can be decided once every record
 * is in.  A field first seen in a later record gets its column then,
 * filled with "absent" for the records before it; field names are found
 * by jansson on that (rare) record only.
 *
 * Measuring.  Each column's hashes become dense ids (one open-addressing
 * table per column, in place).  A combination of fields becomes one
 * dense id per record by mixed-radix keys, re-densified only when the
 * radix would overflow, and stopping as soon as every record is alone.
 * For a trace field, the (trace, point) pairs are radix sorted and made
 * distinct: each trace's sorted points, and each point's sorted traces.
 * A target trace with p chosen points is unique when no other trace in
 * the shortest of their point lists holds the other p - 1 (a binary
 * search in that trace's points).
 */
#ifndef CDRANON_RISK_INT_H
#define CDRANON_RISK_INT_H

#include "cdranon/risk.h"
#include "cdranon/encode.h"
#include "cdranon/json.h"
#include "cdranon/record.h"

#include <stdint.h>

/* Hashes of the two values that are not bytes; even, like every hash of
 * a value without the pseudonym shape. */
#define H_ABSENT 0x8f1bbcdcca62c1d6ull
#define H_NULL   0x5a827999ed9eba10ull
#define H_PSEUDO 1ull /* low bit: the value has the pseudonym shape */

#define ISO_LEN 20 /* YYYY-MM-DDTHH:MM:SSZ */

#define NO_ID UINT32_MAX

struct cdr_risk_s {
        char **trace_names, **point_names, **kset_specs;
        size_t ntrace_names, npoint_names, nkset_specs;
        uint64_t samples, seed, k;
        unsigned k_subsets;
        int exhaustive;
        char from[ISO_LEN + 1], to[ISO_LEN + 1];
        int have_from, have_to;
        char *time_field;
        int time_slot; /* -1: not known yet */

        cdr_schema_t *schema;
        cdr_record_t record;
        uint64_t *col[CDR_MAX_SLOTS]; /* value hashes, one per record */
        uint8_t pseudo[CDR_MAX_SLOTS];
        size_t ncols, n, cap;
        uint64_t lines, malformed, outside, without_time;
        int spent;
};

struct islot {
        uint64_t key;
        uint32_t id;
        uint32_t count; /* 0: empty */
};

/* Dense ids of 64-bit keys: open addressing, linear probing, on a buffer
 * kept from one use to the next (fresh pages cost more than the work). */
struct itab {
        struct islot *slot;
        size_t mask; /* slots in use - 1 */
        size_t cap;  /* slots allocated */
        uint32_t n;  /* ids given */
        int mix;     /* keys are not hashes already: mix them */
};

static inline uint64_t mix64(uint64_t x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ull;
        x ^= x >> 33;
        return x;
}

/* Work memory of one measurement, used again and again. */
struct scratch {
        uint64_t *key;   /* one per record */
        uint32_t *alive; /* one per record: records left to group */
        uint32_t *count; /* direct counts: DIRECT_MAX or one per record */
        size_t count_cap;
        uint64_t *bitmap; /* LC_BITS bits */
        struct itab tab;
};

/* A field's values as dense ids. */
#define KIND_PSEUDO 1 /* the value has the pseudonym shape */
#define KIND_NONE   2 /* absent or null */

struct dcol {
        uint32_t *id;    /* per record */
        uint32_t card;   /* distinct values */
        uint32_t *count; /* records per value */
        uint8_t *kind;   /* KIND_* per value */
        size_t singles;  /* values of one record */
        uint64_t *lone;  /* bit i: record i's value is one of those (made
                            when first needed) */
};

/* Groups of a set of fields. */
struct groups {
        uint32_t *id; /* per record, when asked for (the caller's) */
        uint32_t n;   /* distinct combinations */
        uint64_t min, below;
};

/* Every trace's distinct points and every point's distinct traces. */
struct traces {
        uint32_t ntraces, npoints;
        uint64_t *toff; /* trace t's points: tpt[toff[t] .. toff[t + 1]) */
        uint32_t *tpt;
        uint64_t *poff; /* point q's traces: ptr[poff[q] .. poff[q + 1]) */
        uint32_t *ptr;
        uint64_t records, pairs;
};

/* risk.c */
void risk_free_names(char **names, size_t n);

/* risk_group.c */
int risk_scratch_init(struct scratch *s, size_t n);
void risk_scratch_free(struct scratch *s);
int risk_dcol_make(uint64_t *hashes, size_t n, struct dcol *c,
                   struct scratch *s);
void risk_dcol_free(struct dcol *c);
int risk_group_by(struct dcol *cols, const size_t *set, size_t nset, size_t n,
                  uint64_t k, int want_ids, struct scratch *s,
                  struct groups *g);

/* risk_unicity.c */
int risk_traces_make(const struct dcol *f, int want, const uint32_t *point,
                     uint32_t npoints, size_t n, struct scratch *s,
                     struct traces *tr);
void risk_traces_free(struct traces *tr);
void risk_unicity_sampled(const struct traces *tr, uint64_t samples,
                          uint64_t seed, cdr_risk_trace_t *out);
void risk_unicity_exhaustive(const struct traces *tr, cdr_risk_trace_t *out);
uint64_t risk_exhaustive_subsets(const struct traces *tr);

#endif
