/*
 * The allow-list policy and its field actions: see policy.h and
 * PRODUCT.md ("Configuration", `fields:`).
 *
 * Building a policy is configuration time: it may allocate and reports
 * errors in words, and does once what does not depend on the record
 * (parsing actions and bucket bounds, escaping keys, formatting bucket
 * labels).  Applying it is the hot path: it reads record slots by
 * precomputed index, canonicalises each input once per record however
 * many fields read it, works in stack buffers of CDR_CANON_MAX bytes and
 * writes values straight into room reserved in the caller's buffer, so it
 * allocates nothing but the growth of the output buffer and formats
 * nothing with printf.  Dead-letter reasons name the input field,
 * the action and the rule broken, never the value.
 */
#include "cdranon/policy.h"
#include "cdranon/cells.h"
#include "cdranon/civil.h"
#include "cdranon/encode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum action {
        ACT_KEEP,
        ACT_KEEP_NUMBER,
        ACT_PSEUDONYMISE,
        ACT_TRUNCATE,
        ACT_PREFIX,
        ACT_COUNTRY,
        ACT_TAC,
        ACT_BUCKET,
        ACT_DROP,
        ACT_CELL,
};

/* An exact decimal: 0.d[0]d[1]...d[nd-1] x 10^exp, d[0] != 0 and no
 * trailing zeros; nd == 0 is zero.  Buckets compare values in decimal so
 * that a bound such as 0.1 means exactly what it says. */
#define DEC_DIGITS 40
typedef struct {
        int neg;
        size_t nd;
        int64_t exp;
        char d[DEC_DIGITS];
} dec_t;

/* Integers of up to INT_DIGITS digits are bucketed without dec_t: for
 * an integer v and any bound B, v < B exactly when v < ceil(B), and a
 * ceiling beyond +-10^INT_DIGITS compares with every such v as the bound
 * itself does. */
#define INT_DIGITS 18
#define INT_LIMIT  1000000000000000000LL /* 10^INT_DIGITS */

typedef struct {
        dec_t value;
        int64_t ceil; /* ceil(value), clamped to +-INT_LIMIT */
        char *text;   /* as written in the configuration */
} bound_t;

typedef struct {
        char *name;     /* output field */
        char *from;     /* input field */
        char *action;   /* normalised action text */
        char *json_key; /* ,"name": escaped, with a leading comma */
        size_t json_key_len;
        int slot; /* input slot; -1 for drop */
        enum action act;
        cdr_kind_t kind;
        int pair;     /* index into policy->pairs, or -1: see pair_t */
        int64_t unit; /* truncate: seconds */
        unsigned prefix;
        bound_t *bounds;
        size_t nbounds;
        /* bucket: the nbounds + 1 output values as JSON strings ("<B1",
         * "B1-B2", ..., "Bn+"), label i at labels + label_off[i], of
         * length label_off[i + 1] - label_off[i]. */
        char *labels;
        size_t *label_off;
        size_t value_max;  /* most bytes a value of this action takes */
        char *cell_column; /* cell: the cell table's column */
        int cell_col;      /* cell: its index in policy->cells */
} field_t;

/* An input slot read as an identifier of one kind.  Several fields and
 * the suppression check may read the same slot as the same kind (an
 * msisdn pseudonymised, its country kept, and checked against the
 * opt-outs); each such pair is canonicalised once per record. */
#define POLICY_PAIRS 16
typedef struct {
        int slot;
        cdr_kind_t kind;
        int pseudonymised; /* a `pseudonymise` field reads it */
} pair_t;

struct cdr_policy_s {
        cdr_numbering_t plan;
        cdr_schema_t *schema;
        field_t *fields;
        size_t nfields;
        size_t cap;
        int key_field;     /* index into fields, or -1 */
        int event_slot;    /* set explicitly, or -1 */
        int truncate_slot; /* input of the first truncate field, or -1 */
        int supp_slots[CDR_MAX_SLOTS];
        int supp_pairs[CDR_MAX_SLOTS]; /* pair of each supp_slots[i] */
        size_t nsupp;
        int msisdn_slots[CDR_MAX_SLOTS]; /* inputs read as msisdns */
        size_t nmsisdn;
        pair_t pairs[POLICY_PAIRS];
        size_t npairs;
        const cdr_cells_t *cells; /* what `cell` fields read, or NULL */
        int cells_unknown_null;   /* unknown cell: null, else dead letter */
        int shares_schema;        /* schema owned by another policy */
};

/* Bytes of output values other than `keep` and `keep number`, whose
 * length follows the input's: a canonical form (service numbers and
 * withheld are written as such) or a pseudonym, quoted; null; an ISO
 * 8601 time, quoted. */
#define VALUE_MAX (CDR_CANON_MAX + 2)
#define NULL_LEN  4
_Static_assert(CDR_PSEUDONYM_MAX + 3 <= VALUE_MAX, "a pseudonym fits");

/* The rules of the values themselves (number.c and civil.c have those of
 * identifiers and timestamps). */
static const cdr_rule_t R_INVALID_UTF8 = {CDR_REASON_VALUE_INVALID_UTF8,
                                          "invalid UTF-8"};
static const cdr_rule_t R_NOT_A_NUMBER = {CDR_REASON_VALUE_NOT_A_NUMBER,
                                          "not a number"};
static const cdr_rule_t R_TOO_MANY_DIGITS = {CDR_REASON_VALUE_NOT_A_NUMBER,
                                             "too many significant digits"};
static const cdr_rule_t R_NOT_FINITE = {
    CDR_REASON_VALUE_NOT_A_NUMBER, "not a number within the range of a double"};
static const cdr_rule_t R_INVALID_VALUE = {CDR_REASON_VALUE_INVALID,
                                           "invalid value"};

/* --- small text helpers ---------------------------------------------- */

static int is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
               c == '\f';
}

static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static cdr_view_t trim(cdr_view_t v)
{
        while (v.n > 0 && is_space(v.p[0])) {
                v.p++;
                v.n--;
        }
        while (v.n > 0 && is_space(v.p[v.n - 1]))
                v.n--;
        return v;
}

static char ascii_lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when v equals the lower-case word s, ignoring ASCII case. */
static int word_eq(cdr_view_t v, const char *s)
{
        size_t i;

        for (i = 0; i < v.n; i++)
                if (s[i] == '\0' || ascii_lower(v.p[i]) != s[i])
                        return 0;
        return s[i] == '\0';
}

/* Splits the first white-space-delimited word off *rest. */
static cdr_view_t next_word(cdr_view_t *rest)
{
        cdr_view_t w;

        *rest = trim(*rest);
        w.p = rest->p;
        w.n = 0;
        while (w.n < rest->n && !is_space(rest->p[w.n]))
                w.n++;
        rest->p += w.n;
        rest->n -= w.n;
        *rest = trim(*rest);
        return w;
}

/* 1 when s[0..n) is exactly one JSON number (RFC 8259, section 6). */
static int json_number(const char *s, size_t n)
{
        size_t i = 0;

        if (i < n && s[i] == '-')
                i++;
        if (i < n && s[i] == '0') {
                i++;
        } else if (i < n && s[i] >= '1' && s[i] <= '9') {
                while (i < n && is_digit(s[i]))
                        i++;
        } else {
                return 0;
        }
        if (i < n && s[i] == '.') {
                i++;
                if (i >= n || !is_digit(s[i]))
                        return 0;
                while (i < n && is_digit(s[i]))
                        i++;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= n || !is_digit(s[i]))
                        return 0;
                while (i < n && is_digit(s[i]))
                        i++;
        }
        return i == n;
}

/* The exponent of a validated JSON number whose 'e' or 'E' is at s[i],
 * clamped to +-10^9 (beyond every bound this file compares with). */
static int64_t json_exponent(const char *s, size_t n, size_t i)
{
        int64_t e = 0;
        int neg = 0;

        i++;
        if (s[i] == '+' || s[i] == '-')
                neg = s[i++] == '-';
        for (; i < n; i++)
                if (e < 1000000000)
                        e = e * 10 + (s[i] - '0');
        return neg ? -e : e;
}

/* Significant digits kept by json_number_finite: more than the 752 of
 * 2^-1075 (half the least subnormal, below which a double reads 0) and
 * the 309 of 2^1024 - 2^970 (half an ulp above DBL_MAX, from which it
 * reads infinity), so that the digits dropped, standing for one sticky
 * digit, never move a value across either bound. */
#define FINITE_DIGITS 768

/* 1 when the validated JSON number s[0..n) reads back, as the nearest
 * IEEE 754 double (what standard JSON parsers make of it), as a finite
 * value, and as a non-zero one unless it is zero: 1e999 reads as
 * infinity and 1e-999 as 0, so neither is published.  Only magnitudes
 * beyond 1e308 or below 1e-323 go through strtod, whose input is written
 * without a decimal point so that no locale changes how it reads. */
static int json_number_finite(const char *s, size_t n)
{
        char buf[FINITE_DIGITS + 2 + 24];
        size_t i = s[0] == '-', nd = 0;
        int64_t exp10 = 0, e, mag;
        int frac = 0, sticky = 0;
        double d;

        /* value = buf[0..nd) x 10^exp10 */
        for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
                if (s[i] == '.') {
                        frac = 1;
                } else if (nd == 0 && s[i] == '0') {
                        exp10 -= frac;
                } else if (nd < FINITE_DIGITS) {
                        buf[nd++] = s[i];
                        exp10 -= frac;
                } else {
                        sticky |= s[i] != '0';
                        exp10 += !frac;
                }
        }
        if (nd == 0)
                return 1;
        if (i < n)
                exp10 += json_exponent(s, n, i);
        /* 10^(mag-1) <= value < 10^mag */
        mag = (int64_t)nd + exp10;
        if (mag <= 308 && mag > -323)
                return 1;
        if (mag > 400 || mag < -400)
                return 0;
        if (sticky) {
                buf[nd++] = '1';
                exp10--;
        }
        /* |exp10| < 10^4 here */
        buf[nd++] = 'e';
        if (exp10 < 0) {
                buf[nd++] = '-';
                exp10 = -exp10;
        }
        for (e = 1000; e > 0; e /= 10)
                buf[nd++] = (char)('0' + exp10 / e % 10);
        buf[nd] = '\0';
        d = strtod(buf, NULL);
        return isfinite(d) && d != 0;
}

/* Reads a validated JSON number into *dec.  Returns 0, or -1 when it has
 * more than DEC_DIGITS significant digits. */
static int dec_parse(const char *s, size_t n, dec_t *dec)
{
        size_t i = 0, pos = 0, zeros = 0, intdigits = 0;

        memset(dec, 0, sizeof(*dec));
        if (s[i] == '-') {
                dec->neg = 1;
                i++;
        }
        while (i < n && is_digit(s[i])) {
                i++;
                intdigits++;
        }
        i -= intdigits;
        for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
                if (s[i] == '.')
                        continue;
                if (s[i] == '0') {
                        /* Held back: only zeros followed by a non-zero
                         * digit are significant. */
                        if (dec->nd > 0)
                                zeros++;
                        pos++;
                        continue;
                }
                if (dec->nd == 0)
                        dec->exp = (int64_t)intdigits - (int64_t)pos;
                if (dec->nd + zeros + 1 > DEC_DIGITS)
                        return -1;
                memset(dec->d + dec->nd, '0', zeros);
                dec->nd += zeros;
                zeros = 0;
                dec->d[dec->nd++] = s[i];
                pos++;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E'))
                dec->exp += json_exponent(s, n, i);
        return 0;
}

static int dec_cmp(const dec_t *a, const dec_t *b)
{
        int sa = a->nd == 0 ? 0 : a->neg ? -1 : 1;
        int sb = b->nd == 0 ? 0 : b->neg ? -1 : 1;
        size_t m;
        int mag;

        if (sa != sb)
                return sa < sb ? -1 : 1;
        if (sa == 0)
                return 0;
        if (a->exp != b->exp) {
                mag = a->exp < b->exp ? -1 : 1;
        } else {
                m = a->nd < b->nd ? a->nd : b->nd;
                mag = memcmp(a->d, b->d, m);
                if (mag == 0)
                        mag = a->nd < b->nd ? -1 : a->nd > b->nd ? 1 : 0;
                else
                        mag = mag < 0 ? -1 : 1;
        }
        return sa * mag;
}

/* ceil(dec), clamped to +-INT_LIMIT. */
static int64_t dec_ceil(const dec_t *dec)
{
        int64_t whole = 0;
        size_t i;
        int frac;

        if (dec->nd == 0)
                return 0;
        if (dec->exp > INT_DIGITS)
                return dec->neg ? -INT_LIMIT : INT_LIMIT;
        /* The digits before the point are d[0..exp), zeros past nd. */
        for (i = 0; (int64_t)i < dec->exp; i++)
                whole = whole * 10 + (i < dec->nd ? dec->d[i] - '0' : 0);
        frac = dec->exp < 0 || (size_t)dec->exp < dec->nd;
        if (dec->neg)
                return -whole;
        return whole + frac;
}

/* Reads a JSON number (already validated) of at most INT_DIGITS digits,
 * with no fraction or exponent.  Returns 0, or -1 for any other. */
static int int_parse(const char *s, size_t n, int64_t *v)
{
        size_t i = s[0] == '-';
        int64_t x = 0;

        if (n - i > INT_DIGITS)
                return -1;
        for (; i < n; i++) {
                if (!is_digit(s[i]))
                        return -1;
                x = x * 10 + (s[i] - '0');
        }
        *v = s[0] == '-' ? -x : x;
        return 0;
}

/* --- building a policy ------------------------------------------------- */

cdr_policy_t *cdr_policy_new(const cdr_numbering_t *plan)
{
        cdr_policy_t *policy = calloc(1, sizeof(*policy));

        if (policy == NULL)
                return NULL;
        if (plan)
                policy->plan = *plan;
        else
                cdr_numbering_default(&policy->plan);
        policy->schema = cdr_schema_new();
        if (policy->schema == NULL) {
                free(policy);
                return NULL;
        }
        policy->key_field = -1;
        policy->event_slot = -1;
        policy->truncate_slot = -1;
        return policy;
}

cdr_policy_t *cdr_policy_new_shared(const cdr_numbering_t *plan,
                                    cdr_policy_t *owner)
{
        cdr_policy_t *policy = cdr_policy_new(plan);

        if (policy == NULL)
                return NULL;
        cdr_schema_destroy(policy->schema);
        policy->schema = owner->schema;
        policy->shares_schema = 1;
        return policy;
}

static void field_free(field_t *f)
{
        size_t i;

        free(f->name);
        free(f->from);
        free(f->action);
        free(f->json_key);
        free(f->cell_column);
        for (i = 0; i < f->nbounds; i++)
                free(f->bounds[i].text);
        free(f->bounds);
        free(f->labels);
        free(f->label_off);
        memset(f, 0, sizeof(*f));
}

void cdr_policy_destroy(cdr_policy_t *policy)
{
        size_t i;

        if (policy == NULL)
                return;
        for (i = 0; i < policy->nfields; i++)
                field_free(&policy->fields[i]);
        free(policy->fields);
        if (!policy->shares_schema)
                cdr_schema_destroy(policy->schema);
        free(policy);
}

static void add_msisdn_slot(cdr_policy_t *policy, int slot)
{
        size_t i;

        for (i = 0; i < policy->nmsisdn; i++)
                if (policy->msisdn_slots[i] == slot)
                        return;
        if (policy->nmsisdn < CDR_MAX_SLOTS)
                policy->msisdn_slots[policy->nmsisdn++] = slot;
}

void cdr_policy_add_mentions(cdr_policy_t *policy, const cdr_policy_t *other)
{
        size_t i;

        if (other->schema != policy->schema)
                return;
        for (i = 0; i < other->nmsisdn; i++)
                add_msisdn_slot(policy, other->msisdn_slots[i]);
}

/* Appends the bytes of a bucket label; returns 0 or CDR_ERR_NOMEM. */
static int label_put(cdr_buf_t *labels, const char *a, const char *b,
                     const char *c, const char *d)
{
        if (cdr_buf_puts(labels, a) != CDR_OK ||
            cdr_buf_puts(labels, b) != CDR_OK ||
            cdr_buf_puts(labels, c) != CDR_OK ||
            cdr_buf_puts(labels, d) != CDR_OK)
                return CDR_ERR_NOMEM;
        return CDR_OK;
}

/* Writes the bucket's output values once, so that applying the policy
 * copies one instead of formatting it. */
static int make_labels(field_t *f)
{
        cdr_buf_t labels = CDR_BUF_INIT;
        size_t i, n = f->nbounds;
        int rc;

        f->label_off = calloc(n + 2, sizeof(*f->label_off));
        if (f->label_off == NULL)
                return CDR_ERR_NOMEM;
        rc = label_put(&labels, "\"<", f->bounds[0].text, "\"", "");
        for (i = 1; i < n && rc == CDR_OK; i++) {
                f->label_off[i] = labels.len;
                rc = label_put(&labels, "\"", f->bounds[i - 1].text, "-",
                               f->bounds[i].text);
                if (rc == CDR_OK)
                        rc = cdr_buf_puts(&labels, "\"");
        }
        f->label_off[n] = labels.len;
        if (rc == CDR_OK)
                rc = label_put(&labels, "\"", f->bounds[n - 1].text, "+\"", "");
        f->label_off[n + 1] = labels.len;
        if (rc != CDR_OK) {
                cdr_buf_free(&labels);
                return rc;
        }
        f->labels = labels.data;
        f->value_max = 0;
        for (i = 0; i <= n; i++)
                if (f->label_off[i + 1] - f->label_off[i] > f->value_max)
                        f->value_max = f->label_off[i + 1] - f->label_off[i];
        return CDR_OK;
}

/* The index of pair (slot, kind) in policy->pairs, added when new, or -1
 * when POLICY_PAIRS are in use (such a field canonicalises on its own). */
static int add_pair(cdr_policy_t *policy, int slot, cdr_kind_t kind)
{
        size_t i;

        for (i = 0; i < policy->npairs; i++)
                if (policy->pairs[i].slot == slot &&
                    policy->pairs[i].kind == kind)
                        return (int)i;
        if (policy->npairs == POLICY_PAIRS)
                return -1;
        policy->pairs[policy->npairs].slot = slot;
        policy->pairs[policy->npairs].kind = kind;
        policy->pairs[policy->npairs].pseudonymised = 0;
        return (int)policy->npairs++;
}

static int parse_bounds(cdr_view_t rest, field_t *f, cdr_buf_t *text,
                        char *errstr, size_t errstr_size)
{
        size_t cap = 0;

        if (rest.n == 0) {
                cdr_errf(errstr, errstr_size,
                         "bucket: needs at least one bound");
                return CDR_ERR_INVAL;
        }
        while (rest.p != NULL) {
                const char *comma = memchr(rest.p, ',', rest.n);
                cdr_view_t tok = {rest.p,
                                  comma ? (size_t)(comma - rest.p) : rest.n};
                bound_t *b;

                if (comma) {
                        rest.n -= tok.n + 1;
                        rest.p = comma + 1;
                } else {
                        rest.p = NULL;
                }
                tok = trim(tok);
                if (!json_number(tok.p, tok.n)) {
                        cdr_errf(errstr, errstr_size,
                                 "bucket: bounds must be numbers "
                                 "separated by commas");
                        return CDR_ERR_INVAL;
                }
                if (f->nbounds == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        bound_t *nb = realloc(f->bounds, ncap * sizeof(*nb));

                        if (nb == NULL)
                                goto nomem;
                        f->bounds = nb;
                        cap = ncap;
                }
                b = &f->bounds[f->nbounds];
                if (dec_parse(tok.p, tok.n, &b->value) != 0) {
                        cdr_errf(errstr, errstr_size,
                                 "bucket: a bound has more than %d "
                                 "significant digits",
                                 DEC_DIGITS);
                        return CDR_ERR_INVAL;
                }
                b->ceil = dec_ceil(&b->value);
                b->text = strndup(tok.p, tok.n);
                if (b->text == NULL)
                        goto nomem;
                f->nbounds++;
                if (f->nbounds > 1 &&
                    dec_cmp(&f->bounds[f->nbounds - 2].value, &b->value) >= 0) {
                        cdr_errf(errstr, errstr_size,
                                 "bucket: bounds must be strictly "
                                 "increasing");
                        return CDR_ERR_INVAL;
                }
                if (cdr_buf_append(text, f->nbounds > 1 ? "," : " ", 1) !=
                        CDR_OK ||
                    cdr_buf_append(text, tok.p, tok.n) != CDR_OK)
                        goto nomem;
        }
        if (make_labels(f) != CDR_OK)
                goto nomem;
        return CDR_OK;
nomem:
        cdr_errf(errstr, errstr_size, "out of memory");
        return CDR_ERR_NOMEM;
}

/* truncate minute | hour | day | week | N minutes | N hours, N dividing
 * a day so that every period starts at a whole multiple from midnight.
 * A week starts on Monday 00:00 UTC (ISO 8601). */
static int parse_truncate(cdr_view_t rest, field_t *f, cdr_buf_t *text,
                          char *errstr, size_t errstr_size)
{
        static const struct {
                const char *name;
                int64_t seconds;
        } units[] = {{"minute", 60},
                     {"hour", 3600},
                     {"day", CDR_CIVIL_DAY},
                     {"week", CDR_CIVIL_WEEK}};
        /* N minutes, N hours: N must divide the units of a day. */
        static const struct {
                const char *name, *plural;
                int64_t seconds;
                int per_day;
        } multiples[] = {{"minute", "minutes", 60, 1440},
                         {"hour", "hours", 3600, 24}};
        cdr_view_t arg = next_word(&rest);
        cdr_view_t unit;
        int64_t n = 0;
        size_t i;

        for (i = 0; rest.n == 0 && i < sizeof(units) / sizeof(units[0]); i++) {
                if (word_eq(arg, units[i].name)) {
                        f->act = ACT_TRUNCATE;
                        f->unit = units[i].seconds;
                        return cdr_buf_printf(text, "truncate %s",
                                              units[i].name);
                }
        }
        for (i = 0; i < arg.n && i < 5 && is_digit(arg.p[i]); i++)
                n = n * 10 + (arg.p[i] - '0');
        unit = next_word(&rest);
        if (arg.n == 0 || i != arg.n || rest.n != 0 || unit.n == 0)
                goto bad;
        for (i = 0; i < sizeof(multiples) / sizeof(multiples[0]); i++) {
                if (!word_eq(unit, multiples[i].name) &&
                    !word_eq(unit, multiples[i].plural))
                        continue;
                if (n < 1 || multiples[i].per_day % n != 0) {
                        cdr_errf(errstr, errstr_size,
                                 "truncate: %lld %s does not divide a day "
                                 "(%d %s)",
                                 (long long)n, multiples[i].plural,
                                 multiples[i].per_day, multiples[i].plural);
                        return CDR_ERR_INVAL;
                }
                f->act = ACT_TRUNCATE;
                f->unit = n * multiples[i].seconds;
                return cdr_buf_printf(text, "truncate %lld %s", (long long)n,
                                      multiples[i].plural);
        }
bad:
        cdr_errf(errstr, errstr_size,
                 "truncate: unit must be minute, hour, day, week, "
                 "N minutes or N hours");
        return CDR_ERR_INVAL;
}

/* cell COLUMN: the cell table's column, resolved by cdr_policy_set_cells.
 * Not cell_id, which is the cell itself. */
static int parse_cell(cdr_view_t rest, field_t *f, cdr_buf_t *text,
                      char *errstr, size_t errstr_size)
{
        cdr_view_t arg = next_word(&rest);

        if (arg.n == 0 || rest.n != 0) {
                cdr_errf(errstr, errstr_size,
                         "cell: name one column of the cell table "
                         "(cell area)");
                return CDR_ERR_INVAL;
        }
        if (word_eq(arg, "cell_id")) {
                cdr_errf(errstr, errstr_size,
                         "cell: cell_id is the cell itself; name another "
                         "column of the cell table");
                return CDR_ERR_INVAL;
        }
        f->cell_column = strndup(arg.p, arg.n);
        if (f->cell_column == NULL)
                return CDR_ERR_NOMEM;
        f->act = ACT_CELL;
        f->cell_col = -1;
        return cdr_buf_printf(text, "cell %s", f->cell_column);
}

/* Parses an action string into f->act and its arguments, and its
 * normalised text into `text`. */
static int parse_action(const char *action, field_t *f, cdr_buf_t *text,
                        char *errstr, size_t errstr_size)
{
        cdr_view_t rest = {action, strlen(action)};
        cdr_view_t word = next_word(&rest);
        cdr_view_t arg;
        const char *noarg = NULL;
        int rc;

        if (word.n == 0) {
                cdr_errf(errstr, errstr_size, "empty action");
                return CDR_ERR_INVAL;
        }
        if (word_eq(word, "keep")) {
                if (rest.n == 0) {
                        f->act = ACT_KEEP;
                        return cdr_buf_puts(text, "keep");
                }
                arg = next_word(&rest);
                if (!word_eq(arg, "number") || rest.n != 0) {
                        cdr_errf(errstr, errstr_size,
                                 "keep: the only option is 'number'");
                        return CDR_ERR_INVAL;
                }
                f->act = ACT_KEEP_NUMBER;
                return cdr_buf_puts(text, "keep number");
        }
        if (word_eq(word, "pseudonymise") || word_eq(word, "pseudonymize")) {
                char kind[8];
                size_t i;

                arg = next_word(&rest);
                if (arg.n == 0 || arg.n >= sizeof(kind) || rest.n != 0)
                        goto bad_kind;
                for (i = 0; i < arg.n; i++)
                        kind[i] = ascii_lower(arg.p[i]);
                if (cdr_kind_parse(kind, arg.n, &f->kind) != CDR_OK)
                        goto bad_kind;
                f->act = ACT_PSEUDONYMISE;
                return cdr_buf_printf(text, "pseudonymise %s",
                                      cdr_kind_name(f->kind));
        bad_kind:
                cdr_errf(errstr, errstr_size,
                         "pseudonymise: kind must be msisdn, imsi, imei "
                         "or id");
                return CDR_ERR_INVAL;
        }
        if (word_eq(word, "truncate"))
                return parse_truncate(rest, f, text, errstr, errstr_size);
        if (word_eq(word, "prefix")) {
                unsigned n = 0;
                size_t i;

                arg = next_word(&rest);
                for (i = 0; i < arg.n && i < 3 && is_digit(arg.p[i]); i++)
                        n = n * 10 + (unsigned)(arg.p[i] - '0');
                if (arg.n == 0 || i != arg.n || rest.n != 0 || n < 1 ||
                    n > 15) {
                        cdr_errf(errstr, errstr_size, "prefix: N must be 1-15");
                        return CDR_ERR_INVAL;
                }
                f->act = ACT_PREFIX;
                f->prefix = n;
                return cdr_buf_printf(text, "prefix %u", n);
        }
        if (word_eq(word, "bucket")) {
                f->act = ACT_BUCKET;
                rc = cdr_buf_puts(text, "bucket");
                if (rc != CDR_OK)
                        return rc;
                return parse_bounds(rest, f, text, errstr, errstr_size);
        }
        if (word_eq(word, "cell"))
                return parse_cell(rest, f, text, errstr, errstr_size);
        if (word_eq(word, "country")) {
                f->act = ACT_COUNTRY;
                noarg = "country";
        } else if (word_eq(word, "tac")) {
                f->act = ACT_TAC;
                noarg = "tac";
        } else if (word_eq(word, "drop")) {
                f->act = ACT_DROP;
                noarg = "drop";
        } else {
                cdr_errf(errstr, errstr_size, "unknown action '%.*s'",
                         word.n > 40 ? 40 : (int)word.n, word.p);
                return CDR_ERR_INVAL;
        }
        if (rest.n != 0) {
                cdr_errf(errstr, errstr_size, "%s: takes no argument", noarg);
                return CDR_ERR_INVAL;
        }
        return cdr_buf_puts(text, noarg);
}

int cdr_policy_add_field(cdr_policy_t *policy, const char *name,
                         const char *action, const char *from, char *errstr,
                         size_t errstr_size)
{
        field_t f;
        cdr_buf_t text = CDR_BUF_INIT;
        cdr_buf_t key = CDR_BUF_INIT;
        size_t i;
        int rc, slot;

        memset(&f, 0, sizeof(f));
        f.slot = -1;
        if (from == NULL)
                from = name;
        if (name == NULL || name[0] == '\0' || from[0] == '\0') {
                cdr_errf(errstr, errstr_size, "empty field name");
                return CDR_ERR_INVAL;
        }
        if (strlen(name) > CDR_FIELD_NAME_MAX ||
            strlen(from) > CDR_FIELD_NAME_MAX) {
                cdr_errf(errstr, errstr_size, "field name longer than %d bytes",
                         CDR_FIELD_NAME_MAX);
                return CDR_ERR_INVAL;
        }
        if (!cdr_utf8_valid(name, strlen(name)) ||
            !cdr_utf8_valid(from, strlen(from))) {
                cdr_errf(errstr, errstr_size, "field name is not valid UTF-8");
                return CDR_ERR_INVAL;
        }
        for (i = 0; i < policy->nfields; i++) {
                if (strcmp(policy->fields[i].name, name) == 0) {
                        cdr_errf(errstr, errstr_size,
                                 "output field defined twice");
                        return CDR_ERR_INVAL;
                }
        }
        rc = parse_action(action ? action : "", &f, &text, errstr, errstr_size);
        if (rc == CDR_ERR_NOMEM)
                cdr_errf(errstr, errstr_size, "out of memory");
        if (rc != CDR_OK)
                goto err;

        rc = CDR_ERR_NOMEM;
        if (cdr_buf_putc(&key, ',') != CDR_OK ||
            cdr_json_put_string(&key, name, strlen(name)) != CDR_OK ||
            cdr_buf_putc(&key, ':') != CDR_OK)
                goto nomem;
        f.name = strdup(name);
        f.from = strdup(from);
        if (f.name == NULL || f.from == NULL)
                goto nomem;
        if (policy->nfields == policy->cap) {
                size_t ncap = policy->cap ? policy->cap * 2 : 16;
                field_t *nf = realloc(policy->fields, ncap * sizeof(*nf));

                if (nf == NULL)
                        goto nomem;
                policy->fields = nf;
                policy->cap = ncap;
        }
        if (f.act != ACT_DROP) {
                slot = cdr_schema_add(policy->schema, from, strlen(from));
                if (slot < 0) {
                        cdr_errf(errstr, errstr_size,
                                 "more than %d input fields", CDR_MAX_SLOTS);
                        rc = CDR_ERR_INVAL;
                        goto err;
                }
                f.slot = slot;
        }
        f.pair = -1;
        if (f.act == ACT_PSEUDONYMISE) {
                f.pair = add_pair(policy, f.slot, f.kind);
                if (f.pair >= 0)
                        policy->pairs[f.pair].pseudonymised = 1;
        } else if (f.act == ACT_PREFIX || f.act == ACT_COUNTRY) {
                f.pair = add_pair(policy, f.slot, CDR_KIND_MSISDN);
        } else if (f.act == ACT_TAC) {
                f.pair = add_pair(policy, f.slot, CDR_KIND_IMEI);
        }
        if (f.act != ACT_BUCKET)
                f.value_max = VALUE_MAX;
        if (f.value_max < NULL_LEN)
                f.value_max = NULL_LEN;
        f.action = text.data;
        f.json_key = key.data;
        f.json_key_len = key.len;
        text = (cdr_buf_t)CDR_BUF_INIT;
        key = (cdr_buf_t)CDR_BUF_INIT;

        if (f.act == ACT_TRUNCATE && policy->truncate_slot < 0)
                policy->truncate_slot = f.slot;
        if ((f.act == ACT_PSEUDONYMISE && f.kind == CDR_KIND_MSISDN) ||
            f.act == ACT_PREFIX || f.act == ACT_COUNTRY)
                add_msisdn_slot(policy, f.slot);
        policy->fields[policy->nfields++] = f;
        return CDR_OK;
nomem:
        cdr_errf(errstr, errstr_size, "out of memory");
err:
        field_free(&f);
        free(text.data);
        free(key.data);
        return rc;
}

int cdr_policy_set_key_field(cdr_policy_t *policy, const char *name,
                             char *errstr, size_t errstr_size)
{
        size_t i;

        for (i = 0; i < policy->nfields; i++) {
                if (strcmp(policy->fields[i].name, name) != 0)
                        continue;
                if (policy->fields[i].act != ACT_PSEUDONYMISE) {
                        cdr_errf(errstr, errstr_size,
                                 "key field '%.128s' is not a pseudonymise "
                                 "field",
                                 name);
                        return CDR_ERR_INVAL;
                }
                policy->key_field = (int)i;
                return CDR_OK;
        }
        cdr_errf(errstr, errstr_size,
                 "key field '%.128s' is not an output "
                 "field",
                 name);
        return CDR_ERR_INVAL;
}

int cdr_policy_set_suppression_fields(cdr_policy_t *policy,
                                      const char *const *fields, size_t nfields,
                                      char *errstr, size_t errstr_size)
{
        int slots[CDR_MAX_SLOTS];
        size_t i, n = 0, j;

        if (nfields == 0) {
                cdr_errf(errstr, errstr_size, "suppression: no fields named");
                return CDR_ERR_INVAL;
        }
        for (i = 0; i < nfields; i++) {
                int slot;

                if (fields[i] == NULL || fields[i][0] == '\0') {
                        cdr_errf(errstr, errstr_size,
                                 "suppression: empty field name");
                        return CDR_ERR_INVAL;
                }
                slot = cdr_schema_add(policy->schema, fields[i],
                                      strlen(fields[i]));
                if (slot < 0) {
                        cdr_errf(errstr, errstr_size,
                                 "suppression: more than %d input fields",
                                 CDR_MAX_SLOTS);
                        return CDR_ERR_INVAL;
                }
                for (j = 0; j < n && slots[j] != slot; j++)
                        ;
                if (j == n)
                        slots[n++] = slot;
        }
        memcpy(policy->supp_slots, slots, n * sizeof(slots[0]));
        policy->nsupp = n;
        for (i = 0; i < n; i++) {
                add_msisdn_slot(policy, slots[i]);
                policy->supp_pairs[i] =
                    add_pair(policy, slots[i], CDR_KIND_MSISDN);
        }
        return CDR_OK;
}

int cdr_policy_set_event_time_field(cdr_policy_t *policy, const char *from,
                                    char *errstr, size_t errstr_size)
{
        int slot;

        if (from == NULL || from[0] == '\0') {
                cdr_errf(errstr, errstr_size, "empty field name");
                return CDR_ERR_INVAL;
        }
        slot = cdr_schema_add(policy->schema, from, strlen(from));
        if (slot < 0) {
                cdr_errf(errstr, errstr_size, "more than %d input fields",
                         CDR_MAX_SLOTS);
                return CDR_ERR_INVAL;
        }
        policy->event_slot = slot;
        return CDR_OK;
}

const cdr_schema_t *cdr_policy_schema(const cdr_policy_t *policy)
{
        return policy->schema;
}

size_t cdr_policy_field_count(const cdr_policy_t *policy)
{
        size_t i, n = 0;

        for (i = 0; i < policy->nfields; i++)
                n += policy->fields[i].act != ACT_DROP;
        return n;
}

int cdr_policy_describe(const cdr_policy_t *policy,
                        const cdr_suppress_t *suppress, cdr_buf_t *out)
{
        int wname = 0, wfrom = 0, rc = CDR_OK;
        int event_slot;
        size_t i;

        for (i = 0; i < policy->nfields; i++) {
                int a = (int)strlen(policy->fields[i].name);
                int b = (int)strlen(policy->fields[i].from);

                wname = a > wname ? a : wname;
                wfrom = b > wfrom ? b : wfrom;
        }
        for (i = 0; i < policy->nfields && rc == CDR_OK; i++) {
                const field_t *f = &policy->fields[i];

                rc = cdr_buf_printf(out, "%-*s  <- %-*s  %s\n", wname, f->name,
                                    wfrom, f->from, f->action);
        }
        if (rc == CDR_OK)
                rc = cdr_buf_printf(out, "key: %s\n",
                                    policy->key_field >= 0
                                        ? policy->fields[policy->key_field].name
                                        : "(none: empty keys)");
        if (rc == CDR_OK && policy->nsupp == 0)
                rc = cdr_buf_puts(out, "suppression: none\n");
        if (rc == CDR_OK && policy->nsupp > 0) {
                rc = cdr_buf_printf(
                    out, "suppression: %zu numbers; fields",
                    suppress != NULL ? cdr_suppress_count(suppress) : 0);
                for (i = 0; i < policy->nsupp && rc == CDR_OK; i++)
                        rc = cdr_buf_printf(
                            out, "%s %s", i ? "," : "",
                            cdr_schema_name(policy->schema,
                                            policy->supp_slots[i]));
                if (rc == CDR_OK)
                        rc = cdr_buf_putc(out, '\n');
        }
        event_slot = policy->event_slot >= 0 ? policy->event_slot
                                             : policy->truncate_slot;
        if (rc == CDR_OK)
                rc = cdr_buf_printf(
                    out, "event time: %s\n",
                    event_slot >= 0
                        ? cdr_schema_name(policy->schema, event_slot)
                        : "(none)");
        return rc;
}

/* --- applying a policy ------------------------------------------------- */

/* One input value canonicalised as one kind (number.h). */
typedef struct {
        int rc; /* of cdr_number_canonical */
        cdr_numclass_t cls;
        const cdr_rule_t *rule; /* rc != CDR_OK: the rule broken */
        size_t len;
        char text[CDR_CANON_MAX];
} canon_t;

/* The canonical forms of one record's pairs, each made when first
 * needed. */
typedef struct {
        uint32_t done; /* bit i: memo[i] holds pair i's form */
        canon_t memo[POLICY_PAIRS];
} canon_memo_t;
_Static_assert(POLICY_PAIRS <= 32, "done has a bit per pair");

static void canonicalise(const cdr_policy_t *policy, cdr_kind_t kind,
                         cdr_view_t v, canon_t *c)
{
        c->rc = cdr_number_canonical(&policy->plan, kind, v.p, v.n, c->text,
                                     &c->len, &c->cls, &c->rule);
}

/* The canonical form of pair `pair`, whose value in the record is
 * present and not null. */
static const canon_t *pair_canon(const cdr_policy_t *policy,
                                 const cdr_record_t *record, int pair,
                                 canon_memo_t *memo)
{
        canon_t *c = &memo->memo[pair];

        if (!(memo->done & (1u << pair))) {
                canonicalise(policy, policy->pairs[pair].kind,
                             record->value[policy->pairs[pair].slot], c);
                memo->done |= 1u << pair;
        }
        return c;
}

/* The canonical form as `kind` of field f's value v (present, not null):
 * from the memo when the field has a pair, else made in `own`.  A value
 * and its trimmed form have one canonical form, as number.h trims. */
static const canon_t *field_canon(const cdr_policy_t *policy, const field_t *f,
                                  const cdr_record_t *record, cdr_kind_t kind,
                                  cdr_view_t v, canon_memo_t *memo,
                                  canon_t *own)
{
        if (f->pair >= 0)
                return pair_canon(policy, record, f->pair, memo);
        canonicalise(policy, kind, v, own);
        return own;
}

/* The writers below append to a buffer the caller has reserved room
 * for; cdr_policy_apply NUL-terminates it at the end. */
static void put_raw(cdr_buf_t *json, const char *s, size_t n)
{
        memcpy(json->data + json->len, s, n);
        json->len += n;
}

static void put_quoted(cdr_buf_t *json, const char *s, size_t n)
{
        char *o = json->data + json->len;

        o[0] = '"';
        memcpy(o + 1, s, n);
        o[n + 1] = '"';
        json->len += n + 2;
}

static void put_null(cdr_buf_t *json)
{
        put_raw(json, "null", NULL_LEN);
}

/* The value of `keep number` and `bucket`, trimmed in *v: an empty one
 * is written as null (returns 1), one that is not a JSON number is
 * refused (CDR_ERR_MALFORMED with *rule set), any other is left to the
 * caller (returns 0). */
static inline int number_or_null(cdr_view_t *v, cdr_buf_t *json,
                                 const cdr_rule_t **rule)
{
        *v = trim(*v);
        if (v->n == 0) {
                put_null(json);
                return 1;
        }
        if (!json_number(v->p, v->n)) {
                *rule = &R_NOT_A_NUMBER;
                return CDR_ERR_MALFORMED;
        }
        return 0;
}

static const cdr_rule_t R_CELL_UNKNOWN = {CDR_REASON_CELL_UNKNOWN,
                                          "cell not in the cell table"};

/* A `cell` field: the table's value for the record's cell; an unknown
 * cell is null or a dead letter (policy->cells_unknown_null), never the
 * cell itself.  An empty cell is null, as for every action. */
static int put_cell(const cdr_policy_t *policy, const field_t *f, cdr_view_t v,
                    cdr_buf_t *json, const cdr_rule_t **rule)
{
        cdr_view_t out;

        v = trim(v);
        if (v.n == 0) {
                put_null(json);
                return CDR_OK;
        }
        if (policy->cells != NULL && f->cell_col >= 0 &&
            cdr_cells_lookup(policy->cells, v.p, v.n, f->cell_col, &out))
                return cdr_buf_append(json, out.p, out.n);
        if (policy->cells_unknown_null && policy->cells != NULL) {
                put_null(json);
                return CDR_OK;
        }
        *rule = &R_CELL_UNKNOWN;
        return CDR_ERR_MALFORMED;
}

/* Writes one field's value (present, not JSON null) into the room
 * cdr_policy_apply reserved: f->value_max bytes, or the value's length
 * for `keep number` (`keep` reserves its own).  Returns 0,
 * CDR_ERR_NOMEM, or CDR_ERR_MALFORMED with *rule set. */
static int put_value(const cdr_policy_t *policy, const field_t *f,
                     cdr_pseudonymiser_t *ps, const cdr_record_t *record,
                     cdr_view_t v, canon_memo_t *memo, cdr_buf_t *json,
                     char *key, size_t *keylen, int is_key,
                     const cdr_rule_t **rule)
{
        const canon_t *c;
        canon_t own;
        char *o;
        size_t n, i;
        int64_t t, x;
        dec_t d;
        int rc;

        switch (f->act) {
        case ACT_KEEP:
                if (cdr_json_put_string(json, v.p, v.n) == CDR_OK)
                        return CDR_OK;
                if (cdr_utf8_valid(v.p, v.n))
                        return CDR_ERR_NOMEM;
                *rule = &R_INVALID_UTF8;
                return CDR_ERR_MALFORMED;
        case ACT_KEEP_NUMBER:
                rc = number_or_null(&v, json, rule);
                if (rc != 0)
                        return rc > 0 ? CDR_OK : rc;
                if (!json_number_finite(v.p, v.n)) {
                        *rule = &R_NOT_FINITE;
                        return CDR_ERR_MALFORMED;
                }
                put_raw(json, v.p, v.n);
                return CDR_OK;
        case ACT_PSEUDONYMISE:
                c = field_canon(policy, f, record, f->kind, v, memo, &own);
                if (c->rc != CDR_OK) {
                        *rule = c->rule != NULL ? c->rule : &R_INVALID_VALUE;
                        return CDR_ERR_MALFORMED;
                }
                if (c->cls != CDR_NUM_PERSONAL) {
                        put_quoted(json, c->text, c->len);
                        return CDR_OK;
                }
                if (ps == NULL)
                        return CDR_ERR_INVAL;
                /* Written in place: the room holds the quotes and the
                 * pseudonym's CDR_PSEUDONYM_MAX + 1 bytes of capacity. */
                o = json->data + json->len;
                o[0] = '"';
                n = cdr_pseudonymise(ps, f->kind, c->text, c->len, o + 1);
                o[n + 1] = '"';
                json->len += n + 2;
                if (is_key && key != NULL) {
                        memcpy(key, o + 1, n);
                        key[n] = '\0';
                        if (keylen)
                                *keylen = n;
                }
                return CDR_OK;
        case ACT_TRUNCATE:
                v = trim(v);
                if (v.n == 0) {
                        put_null(json);
                        return CDR_OK;
                }
                if (cdr_civil_parse_time(v.p, v.n, &t, rule) != CDR_OK)
                        return CDR_ERR_MALFORMED;
                o = json->data + json->len;
                o[0] = '"';
                cdr_civil_format_iso(cdr_civil_truncate(t, f->unit), o + 1);
                o[21] = '"';
                json->len += 22;
                return CDR_OK;
        case ACT_PREFIX:
        case ACT_COUNTRY:
        case ACT_TAC:
                v = trim(v);
                if (v.n == 0) {
                        put_null(json);
                        return CDR_OK;
                }
                c = field_canon(policy, f, record,
                                f->act == ACT_TAC ? CDR_KIND_IMEI
                                                  : CDR_KIND_MSISDN,
                                v, memo, &own);
                if (c->rc != CDR_OK) {
                        *rule = c->rule != NULL ? c->rule : &R_INVALID_VALUE;
                        return CDR_ERR_MALFORMED;
                }
                /* A prefix as long as the number would publish the
                 * number itself. */
                if (f->act == ACT_PREFIX) {
                        if (c->cls != CDR_NUM_PERSONAL)
                                put_quoted(json, c->text, c->len);
                        else if (c->len < 2 || c->len - 1 <= f->prefix)
                                put_null(json);
                        else
                                put_quoted(json, c->text, 1 + f->prefix);
                        return CDR_OK;
                }
                if (c->cls != CDR_NUM_PERSONAL) {
                        put_null(json);
                        return CDR_OK;
                }
                if (f->act == ACT_TAC) {
                        if (c->len >= 8)
                                put_quoted(json, c->text, 8);
                        else
                                put_null(json);
                        return CDR_OK;
                }
                n = c->text[0] == '+'
                        ? cdr_number_country_code_len(c->text, c->len)
                        : 0;
                if (n == 0)
                        put_null(json);
                else
                        put_quoted(json, c->text + 1, n);
                return CDR_OK;
        case ACT_BUCKET:
                rc = number_or_null(&v, json, rule);
                if (rc != 0)
                        return rc > 0 ? CDR_OK : rc;
                if (int_parse(v.p, v.n, &x) == 0) {
                        for (i = 0; i < f->nbounds; i++)
                                if (x < f->bounds[i].ceil)
                                        break;
                } else {
                        if (dec_parse(v.p, v.n, &d) != 0) {
                                *rule = &R_TOO_MANY_DIGITS;
                                return CDR_ERR_MALFORMED;
                        }
                        for (i = 0; i < f->nbounds; i++)
                                if (dec_cmp(&d, &f->bounds[i].value) < 0)
                                        break;
                }
                put_raw(json, f->labels + f->label_off[i],
                        f->label_off[i + 1] - f->label_off[i]);
                return CDR_OK;
        case ACT_CELL:
                return put_cell(policy, f, v, json, rule);
        case ACT_DROP:
                break;
        }
        return CDR_OK;
}

/* 1 when the record's value in any suppression field is a listed
 * subscriber.  A value that is not a valid number is not suppressed
 * here: normal processing decides what becomes of it. */
static int is_suppressed(const cdr_policy_t *policy,
                         const cdr_suppress_t *suppress,
                         const cdr_record_t *record, canon_memo_t *memo)
{
        const canon_t *c;
        canon_t own;
        size_t i;

        if (suppress == NULL || policy->nsupp == 0)
                return 0;
        for (i = 0; i < policy->nsupp; i++) {
                int slot = policy->supp_slots[i];
                cdr_view_t v = record->value[slot];

                if (v.p == NULL || (record->flags[slot] & CDR_VAL_NULL))
                        continue;
                if (policy->supp_pairs[i] >= 0) {
                        c = pair_canon(policy, record, policy->supp_pairs[i],
                                       memo);
                } else {
                        canonicalise(policy, CDR_KIND_MSISDN, v, &own);
                        c = &own;
                }
                if (c->rc != CDR_OK || c->cls != CDR_NUM_PERSONAL)
                        continue;
                if (cdr_suppress_contains(suppress, c->text, c->len))
                        return 1;
        }
        return 0;
}

/* Canonicalises the record's values that are to be pseudonymised and
 * starts loading their pseudonym cache entries, so that the waits for
 * memory overlap each other and the work on the fields before them. */
static void prefetch_pseudonyms(const cdr_policy_t *policy,
                                const cdr_pseudonymiser_t *ps,
                                const cdr_record_t *record, canon_memo_t *memo)
{
        const canon_t *c;
        size_t i;

        for (i = 0; i < policy->npairs; i++) {
                const pair_t *pair = &policy->pairs[i];

                if (!pair->pseudonymised ||
                    record->value[pair->slot].p == NULL ||
                    (record->flags[pair->slot] & CDR_VAL_NULL))
                        continue;
                c = pair_canon(policy, record, (int)i, memo);
                if (c->rc == CDR_OK && c->cls == CDR_NUM_PERSONAL)
                        cdr_pseudonymise_prefetch(ps, pair->kind, c->text,
                                                  c->len);
        }
}

/* Writes "field 'FROM': ACTION: RULE" into reason as cdr_errf would
 * (truncated to fit, NUL-terminated), without a printf on the path every
 * malformed record takes. */
static void put_reason(char *reason, size_t size, const char *from,
                       const char *action, const cdr_rule_t *rule)
{
        const char *part[6];
        size_t i, n, len = 0;

        if (reason == NULL || size == 0)
                return;
        part[0] = "field '";
        part[1] = from;
        part[2] = "': ";
        part[3] = action;
        part[4] = ": ";
        part[5] = rule->text;
        for (i = 0; i < 6; i++) {
                n = strlen(part[i]);
                if (n > size - 1 - len)
                        n = size - 1 - len;
                memcpy(reason + len, part[i], n);
                len += n;
        }
        reason[len] = '\0';
}

/* Out of memory half-way: the buffer keeps what was written, terminated. */
static int apply_nomem(cdr_buf_t *json)
{
        if (json->data != NULL)
                json->data[json->len] = '\0';
        return CDR_ERR_NOMEM;
}

int cdr_policy_apply(const cdr_policy_t *policy, const cdr_suppress_t *suppress,
                     cdr_pseudonymiser_t *ps, const cdr_record_t *record,
                     cdr_buf_t *json, char *key, size_t *keylen,
                     cdr_reason_t *code, char *reason, size_t reason_size)
{
        canon_memo_t memo;
        size_t i;
        int first = 1, rc;

        memo.done = 0;
        cdr_buf_reset(json);
        if (keylen)
                *keylen = 0;
        if (key)
                key[0] = '\0';
        if (reason && reason_size)
                reason[0] = '\0';
        if (code != NULL)
                *code = CDR_REASON_OTHER;
        /* First, so that the suppression check overlaps the loads. */
        if (ps != NULL)
                prefetch_pseudonyms(policy, ps, record, &memo);
        if (is_suppressed(policy, suppress, record, &memo))
                return CDR_VERDICT_SUPPRESS;
        if (cdr_buf_reserve(json, 1) != CDR_OK)
                return CDR_ERR_NOMEM;
        json->data[json->len++] = '{';
        for (i = 0; i < policy->nfields; i++) {
                const field_t *f = &policy->fields[i];
                const cdr_rule_t *rule = &R_INVALID_VALUE;
                size_t room;
                cdr_view_t v;
                int null;

                if (f->act == ACT_DROP)
                        continue;
                v = record->value[f->slot];
                null = (record->flags[f->slot] & CDR_VAL_NULL) != 0;
                if (v.p == NULL && !null)
                        continue;
                room = f->value_max;
                if (f->act == ACT_KEEP_NUMBER && v.n > room)
                        room = v.n;
                if (cdr_buf_reserve(json, f->json_key_len + room) != CDR_OK)
                        return apply_nomem(json);
                /* The key's leading comma separates it from the field
                 * before. */
                put_raw(json, f->json_key + first, f->json_key_len - first);
                first = 0;
                if (null) {
                        put_null(json);
                        rc = CDR_OK;
                } else {
                        if (v.p == NULL)
                                v.p = "";
                        rc = put_value(policy, f, ps, record, v, &memo, json,
                                       key, keylen, (int)i == policy->key_field,
                                       &rule);
                }
                if (rc == CDR_ERR_MALFORMED) {
                        if (code != NULL)
                                *code = rule->code;
                        put_reason(reason, reason_size, f->from, f->action,
                                   rule);
                        cdr_buf_reset(json);
                        if (keylen)
                                *keylen = 0;
                        if (key)
                                key[0] = '\0';
                        return CDR_VERDICT_DEAD;
                }
                if (rc == CDR_ERR_NOMEM)
                        return apply_nomem(json);
                if (rc != CDR_OK)
                        return rc;
        }
        if (cdr_buf_reserve(json, 1) != CDR_OK)
                return apply_nomem(json);
        json->data[json->len++] = '}';
        json->data[json->len] = '\0';
        return CDR_VERDICT_PUBLISH;
}

int cdr_policy_event_time(const cdr_policy_t *policy,
                          const cdr_record_t *record, int64_t *epoch)
{
        int slot = policy->event_slot >= 0 ? policy->event_slot
                                           : policy->truncate_slot;
        const cdr_rule_t *rule;
        cdr_view_t v;

        if (slot < 0)
                return CDR_ERR_NOTFOUND;
        v = record->value[slot];
        if (v.p == NULL || (record->flags[slot] & CDR_VAL_NULL))
                return CDR_ERR_NOTFOUND;
        v = trim(v);
        if (v.n == 0)
                return CDR_ERR_NOTFOUND;
        if (cdr_civil_parse_time(v.p, v.n, epoch, &rule) != CDR_OK)
                return CDR_ERR_MALFORMED;
        return CDR_OK;
}

int cdr_policy_record_mentions(const cdr_policy_t *policy,
                               const cdr_record_t *record, const char *canon,
                               size_t len)
{
        char buf[CDR_CANON_MAX];
        cdr_numclass_t cls;
        const cdr_rule_t *rule;
        size_t i, clen = 0;

        for (i = 0; i < policy->nmsisdn; i++) {
                int slot = policy->msisdn_slots[i];
                cdr_view_t v = record->value[slot];

                if (v.p == NULL || (record->flags[slot] & CDR_VAL_NULL))
                        continue;
                if (cdr_number_canonical(&policy->plan, CDR_KIND_MSISDN, v.p,
                                         v.n, buf, &clen, &cls,
                                         &rule) != CDR_OK)
                        continue;
                if (cls == CDR_NUM_PERSONAL && clen == len &&
                    memcmp(buf, canon, len) == 0)
                        return 1;
        }
        return 0;
}

int cdr_policy_uses_cells(const cdr_policy_t *policy)
{
        size_t i;

        for (i = 0; i < policy->nfields; i++)
                if (policy->fields[i].act == ACT_CELL)
                        return 1;
        return 0;
}

int cdr_policy_set_cells(cdr_policy_t *policy, const cdr_cells_t *cells,
                         int unknown_null, const char **field, char *errstr,
                         size_t errstr_size)
{
        size_t i;

        for (i = 0; i < policy->nfields; i++) {
                const field_t *f = &policy->fields[i];

                if (f->act != ACT_CELL)
                        continue;
                if (field != NULL)
                        *field = f->name;
                if (cells == NULL) {
                        cdr_errf(errstr, errstr_size,
                                 "cell: no cell table (cells.file)");
                        return CDR_ERR_INVAL;
                }
                if (cdr_cells_column(cells, f->cell_column) < 0) {
                        cdr_errf(errstr, errstr_size,
                                 "cell: no column '%s' in the cell table %s",
                                 f->cell_column, cdr_cells_path(cells));
                        return CDR_ERR_INVAL;
                }
        }
        for (i = 0; i < policy->nfields; i++) {
                field_t *f = &policy->fields[i];

                if (f->act == ACT_CELL)
                        f->cell_col = cdr_cells_column(cells, f->cell_column);
        }
        policy->cells = cells;
        policy->cells_unknown_null = unknown_null;
        return CDR_OK;
}

int cdr_policy_record_numbers(
    const cdr_policy_t *policy, const cdr_record_t *record,
    int (*fn)(void *ctx, const char *canon, size_t len), void *ctx)
{
        char buf[CDR_CANON_MAX];
        cdr_numclass_t cls;
        const cdr_rule_t *rule;
        size_t i, clen = 0;
        int err;

        for (i = 0; i < policy->nmsisdn; i++) {
                int slot = policy->msisdn_slots[i];
                cdr_view_t v = record->value[slot];

                if (v.p == NULL || (record->flags[slot] & CDR_VAL_NULL))
                        continue;
                if (cdr_number_canonical(&policy->plan, CDR_KIND_MSISDN, v.p,
                                         v.n, buf, &clen, &cls,
                                         &rule) != CDR_OK ||
                    cls != CDR_NUM_PERSONAL)
                        continue;
                err = fn(ctx, buf, clen);
                if (err != CDR_OK)
                        return err;
        }
        return CDR_OK;
}
