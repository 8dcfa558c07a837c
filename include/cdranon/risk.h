/*
 * Re-identification risk of an anonymised output (docs/anonymity.md):
 * the unicity of its pseudonym traces and the k-anonymity of its other
 * fields' combinations.  Pure computation: records go in as JSON
 * objects (one per call, as `cdranon anonymise` writes them), a report
 * comes out; nothing here reads a file or talks to Kafka.
 *
 * Words used below.  A *trace field* links records: every field whose
 * values have the pseudonym shape (PRODUCT.md "Pseudonyms": KEY_ID ":"
 * 26 lower-case base32 characters), or the fields named.  A *trace* is
 * the set of records sharing one value of a trace field.  A *point* is a
 * record's values of the *point fields*: by default every field that
 * holds no pseudonym in any record.  The *unicity at p* of a trace field
 * is the share of its traces that p distinct points drawn at random
 * from the trace single out: no other trace of the field holds all p
 * (de Montjoye et al., "Unique in the Crowd", 2013).
 */
#ifndef CDRANON_RISK_H
#define CDRANON_RISK_H

#include "cdranon/buf.h"
#include "cdranon/common.h"

#define CDR_RISK_POINTS          5    /* unicity is measured at p = 1..5 */
#define CDR_RISK_DEFAULT_SAMPLES 5000 /* target traces per trace field */
#define CDR_RISK_DEFAULT_K       5
#define CDR_RISK_DEFAULT_SUBSETS 1
#define CDR_RISK_MAX_SETS        4096 /* k-anonymity field sets */
/* --exhaustive tests every p-subset of every trace; it refuses to start
 * when their number, summed over p and trace fields, exceeds this. */
#define CDR_RISK_MAX_SUBSETS 100000000ull

typedef struct {
        /* Trace fields (names, not owned).  None: every field that holds
         * a pseudonym-shaped value in some record.  A named field's trace
         * keys are its pseudonym-shaped values when it holds any, else
         * every value that is present and not null. */
        const char *const *trace_fields;
        size_t ntrace_fields;
        /* Point fields.  None: every field that is not a trace field and
         * holds no pseudonym-shaped value. */
        const char *const *point_fields;
        size_t npoint_fields;
        /* Target traces tested per trace field, drawn at random without
         * replacement; 0 or more than there are: every trace.  The
         * traces they are compared with are always all of them. */
        uint64_t samples;
        /* Every trace and every p-subset of its distinct points instead of
         * one random draw: the exact expected unicity (small data). */
        int exhaustive;
        uint64_t seed;
        /* k-anonymity: the threshold, every subset of the point fields of
         * at most k_subsets fields, and more sets by name ("a,b,c"; not
         * owned).  The set of all point fields is always reported. */
        uint64_t k;
        unsigned k_subsets;
        const char *const *k_sets;
        size_t nk_sets;
        /* A time window: only records whose time field holds an ISO 8601
         * UTC time "YYYY-MM-DDTHH:MM:SSZ" with from <= time < to (either
         * NULL: open).  Both in that form.  The time field is time_field,
         * or the first field of the first record that holds such a
         * time. */
        const char *from, *to;
        const char *time_field;
} cdr_risk_options_t;

/* Fills options with the defaults above (no window, detection on). */
void cdr_risk_options_init(cdr_risk_options_t *options);

/* Unicity of one trace field at p points. */
typedef struct {
        unsigned points;       /* p */
        uint64_t tested;       /* target traces with at least p points */
        uint64_t short_traces; /* targets with fewer: not tested at p */
        uint64_t unique;       /* sampled: tested traces singled out */
        double share;          /* unique / tested (0 when none tested) */
        double se;             /* its binomial standard error */
        double lo, hi;         /* 95% Wilson interval; = share if exact */
        /* --exhaustive: p-subsets tested and those that single out;
         * share is then the mean over traces of unique/subsets. */
        uint64_t subsets, unique_subsets;
} cdr_risk_unicity_t;

typedef struct {
        char *field;
        uint64_t records; /* records carrying a trace key */
        uint64_t traces;  /* distinct trace keys */
        uint64_t targets; /* traces tested (sampled or all) */
        uint64_t points;  /* distinct (trace, point) pairs */
        int pseudonymous; /* its trace keys have the pseudonym shape */
        cdr_risk_unicity_t at[CDR_RISK_POINTS];
} cdr_risk_trace_t;

/* k-anonymity of one set of point fields over every record. */
typedef struct {
        size_t *fields; /* indexes into the report's fields[] */
        size_t nfields;
        uint64_t groups; /* distinct combinations */
        uint64_t min_k;  /* records in the smallest group (0: no record) */
        uint64_t below;  /* records in groups of fewer than k records */
        double below_share;
} cdr_risk_kset_t;

typedef struct {
        uint64_t lines;          /* records offered */
        uint64_t records;        /* measured: parsed and in the window */
        uint64_t malformed;      /* not parsed: skipped */
        uint64_t outside_window; /* parsed, time outside --from/--to */
        uint64_t without_time;   /* parsed, no time to place in a window */
        char **fields;           /* every field seen, in order of first sight */
        size_t nfields;
        size_t *point_fields; /* indexes into fields[] */
        size_t npoint_fields;
        cdr_risk_trace_t *traces;
        size_t ntraces;
        uint64_t k;
        cdr_risk_kset_t *ksets;
        size_t nksets;
        uint64_t samples; /* as asked (0: every trace) */
        uint64_t seed;
        int exhaustive;
        int windowed;
        char *time_field; /* NULL without a window */
} cdr_risk_report_t;

typedef struct cdr_risk_s cdr_risk_t;

/* A risk meter for the options (copied: the strings need not outlive
 * the call).  Returns NULL with errstr set on a bad option or no
 * memory. */
cdr_risk_t *cdr_risk_new(const cdr_risk_options_t *options, char *errstr,
                         size_t errstr_size);
void cdr_risk_destroy(cdr_risk_t *risk);

/* Adds one record: one flat JSON object (surrounding white space and the
 * line end allowed), read with the project's JSON reader (json.h).
 * Returns 0 (counted, or outside the window), CDR_ERR_MALFORMED (the
 * record is skipped and counted as malformed; errstr names the field and
 * the rule, never a value), or a fatal CDR_ERR_TOOBIG (more than
 * CDR_MAX_SLOTS distinct field names, or one longer than
 * CDR_FIELD_NAME_MAX), CDR_ERR_NOMEM, or CDR_ERR_INVAL after
 * cdr_risk_compute.  `rec` is not kept. */
int cdr_risk_add(cdr_risk_t *risk, const char *rec, size_t len, char *errstr,
                 size_t errstr_size) CDR_MUST_CHECK;

/* Counts a record the caller could not even frame (too long) as
 * malformed. */
void cdr_risk_count_malformed(cdr_risk_t *risk);

/* Bytes of heap the meter holds for its records now. */
size_t cdr_risk_bytes(const cdr_risk_t *risk);

/* Measures what was added.  On success *report is the caller's (free
 * with cdr_risk_report_destroy).  The meter may not be used again but
 * to destroy it.  Errors: CDR_ERR_INVAL (a named field was never seen,
 * a point field is a trace field), CDR_ERR_TOOBIG (--exhaustive over too
 * many subsets), CDR_ERR_NOMEM; errstr set. */
int cdr_risk_compute(cdr_risk_t *risk, cdr_risk_report_t **report, char *errstr,
                     size_t errstr_size) CDR_MUST_CHECK;

void cdr_risk_report_destroy(cdr_risk_report_t *report);

/* The trace field whose unicity at `points` exceeds `max_share` by the
 * upper end of its 95% interval (so a sample too small to tell fails),
 * the worst one first; NULL when none does.  A field with no trace of
 * `points` points passes.  points: 1..CDR_RISK_POINTS. */
const cdr_risk_trace_t *cdr_risk_gate(const cdr_risk_report_t *report,
                                      unsigned points, double max_share);

/* The report as a readable table, or as one JSON object (with a line
 * end), appended to out.  Return 0 or CDR_ERR_NOMEM. */
int cdr_risk_report_table(const cdr_risk_report_t *report,
                          cdr_buf_t *out) CDR_MUST_CHECK;
int cdr_risk_report_json(const cdr_risk_report_t *report,
                         cdr_buf_t *out) CDR_MUST_CHECK;

/* Unicity against p as a PNG image (libgd): one line per trace field,
 * its 95% interval as bars.  Appends the PNG bytes to png.  Returns 0,
 * or CDR_ERR_NOMEM with errstr set. */
int cdr_risk_plot_png(const cdr_risk_report_t *report, cdr_buf_t *png,
                      char *errstr, size_t errstr_size) CDR_MUST_CHECK;

#endif
