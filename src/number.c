/*
 * Canonical forms of subscriber identifiers (PRODUCT.md, "Number
 * canonical forms").  Every function here is pure: no allocation, no
 * global state, safe from any thread.  The input is read once, left to
 * right; nothing is copied but the digits kept.
 *
 * msisdn: the rules, in the order they are tried (the first that applies
 * decides):
 *
 *   1. Surrounding white space (space, tab, CR, LF, VT, FF) is trimmed.
 *   2. An empty value, or one of "anonymous", "withheld", "private",
 *      "unavailable" (any case) is CDR_NUM_WITHHELD, output "withheld".
 *   3. A URI scheme "tel:", "sip:" or "sips:" (any case) is removed.  A tel
 *      URI's number ends at the first ';' (its parameters, such as
 *      phone-context, are dropped).  A SIP URI must have a user part
 *      before '@'; the host, the URI parameters and any ';' parameters of
 *      the user part are dropped.  An empty number or user part is
 *      malformed.  A user part that is one of the words of rule 2 is
 *      withheld ("sip:anonymous@anonymous.invalid", RFC 3323).
 *   4. The remaining characters are read once: the separators ' ', '-',
 *      '.', '(' and ')' are skipped; a '+' may come only once and only
 *      before the first digit; letters and any other character make the
 *      value malformed.  In a number that is international at that point
 *      ('+' or the international prefix, then exactly a country code), a
 *      group "(0)" is dropped: the E.123 habit of showing the national
 *      trunk prefix, as in "+44 (0)7700 900123".
 *   5. No digit at all is malformed.
 *   6. A '+': the digits are country code and national number.
 *   7. Digits starting with the plan's international prefix: the digits
 *      after it are country code and national number.
 *   8. At most short_code_max_digits digits: a service number
 *      (CDR_NUM_SERVICE), output as its digits.  Rule 7 comes first, so
 *      "00" is never a service number; a national prefix does not prevent
 *      one ("000" under an international prefix "0011" is a service
 *      number).
 *   9. Digits starting with the plan's national prefix, of any length:
 *      the home country code replaces the prefix ("07700900123", 11
 *      digits, is national under the UK plan, not a number with country
 *      code 07...).
 *  10. 7 to 10 digits: a home-country national number, prefixed with the
 *      home country code.
 *  11. 11 to 15 digits: the digits already start with a country code.
 *  12. More than 15 digits is malformed; so is a count between
 *      short_code_max_digits + 1 and 6, which is neither a service number
 *      nor a national number.
 *
 * Every international result (rules 6, 7, 9, 10, 11) is then checked as
 * E.164: the first digit is not 0, there are 7 to 15 digits after the
 * '+' (the shortest numbers in service, such as Niue's, have 7), and the
 * digits start with an assigned country code (see the table below), so
 * that cdr_number_country_code_len() is non-zero for every personal
 * msisdn.
 *
 * imsi: 6 to 15 digits, nothing else (white space around is trimmed).
 * imei: 14 to 16 digits (IMEI with or without its check digit, IMEISV),
 * with '-' and ' ' allowed between them as IMEIs are often written; the
 * canonical form is the first 14 digits (TAC and serial number), so a
 * device's IMEI and IMEISV share one pseudonym.  The check digit is not
 * verified: devices and test equipment report IMEIs that fail it.
 * id: the value with surrounding white space removed, at most
 * CDR_CANON_MAX - 1 bytes.
 *
 * For every kind an empty (or all white space) value is CDR_NUM_WITHHELD;
 * only msisdn knows the withheld words.
 *
 * Reasons are static strings naming the rule broken; they never contain
 * any part of the value.
 */
#include "cdranon/number.h"

#include <string.h>

/* The longest E.164 number, without its '+'. */
#define E164_MAX_DIGITS 15
/* The shortest number in service, with country code (Niue, Tokelau). */
#define E164_MIN_DIGITS 7
/* The longest bare number read as national (rule 10). */
#define NATIONAL_MAX_DIGITS 10
/* Digits kept while reading: any longer number has more than 15 digits
 * after removing the longest possible prefix (7 digits). */
#define RAW_MAX_DIGITS 32

static const char R_TEL_EMPTY[] = "empty tel URI";
static const char R_SIP_NO_USER[] = "SIP URI without user part";
static const char R_SIP_EMPTY[] = "empty SIP user part";
static const char R_LETTERS[] = "letters in number";
static const char R_BAD_CHAR[] = "invalid character in number";
static const char R_PLUS_TWICE[] = "more than one '+'";
static const char R_PLUS_INSIDE[] = "'+' not at start of number";
static const char R_NO_DIGITS[] = "no digits in number";
static const char R_PLUS_ALONE[] = "no digits after '+'";
static const char R_IDD_ALONE[] = "no digits after international prefix";
static const char R_NP_ALONE[] = "no digits after national prefix";
static const char R_TOO_LONG[] = "more than 15 digits";
static const char R_TOO_SHORT[] = "fewer than 7 digits in E.164 number";
static const char R_CC_ZERO[] = "country code starts with 0";
static const char R_CC_SPARE[] = "unassigned country code";
static const char R_NATIONAL_SHORT[] =
    "too many digits for a short code, too few for a national number";
static const char R_IMSI_CHAR[] = "IMSI has a non-digit character";
static const char R_IMSI_SHORT[] = "IMSI shorter than 6 digits";
static const char R_IMSI_LONG[] = "IMSI longer than 15 digits";
static const char R_IMEI_CHAR[] = "IMEI has a character other than a digit, "
                                  "'-' or space";
static const char R_IMEI_SHORT[] = "IMEI shorter than 14 digits";
static const char R_IMEI_LONG[] = "IMEI longer than 16 digits";
static const char R_ID_LONG[] = "id too long";

static const char WITHHELD[] = "withheld";

/*
 * ITU-T E.164 assigned country calling codes ("List of ITU-T
 * Recommendation E.164 assigned country codes", including 383, assigned
 * in 2016, and 970, reserved for Palestine and in use).  Codes 1 (NANP) and 7
 * (Russia, Kazakhstan) are the only one-digit codes.  Every other code is two
 * or three digits, and its first two digits tell which: the entry for those two
 * digits is CC2 when they are a whole code, else a mask of the third digits
 * that complete an assigned three-digit code.  Spare codes and codes only
 * reserved (875-877, 879, 969, 999) are absent.  Shared and global codes in use
 * (388, 800, 808, 870, 878, 881-883, 888, 979, 991) are present.
 */
#define CC2         0x8000u
#define D(x)        (1u << (x))
#define D_ALL       0x03ffu
#define D_EXCEPT(x) (D_ALL & ~D(x))

static const unsigned short cc_table[100] = {
    /* 20 Egypt, 211 South Sudan, 212-218 North Africa */
    [20] = CC2,
    [21] = D(1) | D(2) | D(3) | D(6) | D(8),
    [22] = D_ALL,                            /* 220-229 West Africa */
    [23] = D_ALL,                            /* 230-239 */
    [24] = D_ALL,                            /* 240-249 */
    [25] = D_EXCEPT(9),                      /* 250-258; 259 spare */
    [26] = D_ALL,                            /* 260-269 */
    [27] = CC2,                              /* South Africa; 28x spare */
    [29] = D(0) | D(1) | D(7) | D(8) | D(9), /* 292-296 spare */
    [30] = CC2,                              /* Greece */
    [31] = CC2,                              /* Netherlands */
    [32] = CC2,                              /* Belgium */
    [33] = CC2,                              /* France */
    [34] = CC2,                              /* Spain */
    [35] = D_ALL,                            /* 350 Gibraltar - 359 Bulgaria */
    [36] = CC2,                              /* Hungary */
    [37] = D_ALL,                            /* 370 Lithuania - 379 Vatican */
    [38] = D_EXCEPT(4),        /* 380-389; 383 Kosovo; 384 spare */
    [39] = CC2,                /* Italy */
    [40] = CC2,                /* Romania */
    [41] = CC2,                /* Switzerland */
    [42] = D(0) | D(1) | D(3), /* Czechia, Slovakia, Liechtenstein */
    [43] = CC2,                /* Austria */
    [44] = CC2,                /* United Kingdom */
    [45] = CC2,                /* Denmark */
    [46] = CC2,                /* Sweden */
    [47] = CC2,                /* Norway */
    [48] = CC2,                /* Poland */
    [49] = CC2,                /* Germany */
    [50] = D_ALL,              /* 500 Falklands - 509 Haiti */
    [51] = CC2,                /* Peru */
    [52] = CC2,                /* Mexico */
    [53] = CC2,                /* Cuba */
    [54] = CC2,                /* Argentina */
    [55] = CC2,                /* Brazil */
    [56] = CC2,                /* Chile */
    [57] = CC2,                /* Colombia */
    [58] = CC2,                /* Venezuela */
    [59] = D_ALL,              /* 590 Guadeloupe - 599 Caribbean Netherlands */
    [60] = CC2,                /* Malaysia */
    [61] = CC2,                /* Australia */
    [62] = CC2,                /* Indonesia */
    [63] = CC2,                /* Philippines */
    [64] = CC2,                /* New Zealand */
    [65] = CC2,                /* Singapore */
    [66] = CC2,                /* Thailand */
    [67] = D_EXCEPT(1),        /* 670-679; 671 spare (Guam is +1 671) */
    [68] = D_EXCEPT(4),        /* 680-689; 684 spare (Am. Samoa is +1 684) */
    [69] = D(0) | D(1) | D(2), /* Tokelau, Micronesia, Marshall Is. */
    [80] = D(0) | D(8),        /* freephone, shared cost */
    [81] = CC2,                /* Japan */
    [82] = CC2,                /* Korea (Rep. of) */
    [84] = CC2,                /* Viet Nam; 83x spare */
    [85] = D(0) | D(2) | D(3) | D(5) | D(6),
    [86] = CC2,                                     /* China */
    [87] = D(0) | D(8),                             /* Inmarsat SNAC, UPT */
    [88] = D(0) | D(1) | D(2) | D(3) | D(6) | D(8), /* 89x spare */
    [90] = CC2,                                     /* Turkey */
    [91] = CC2,                                     /* India */
    [92] = CC2,                                     /* Pakistan */
    [93] = CC2,                                     /* Afghanistan */
    [94] = CC2,                                     /* Sri Lanka */
    [95] = CC2,                                     /* Myanmar */
    [96] = D_EXCEPT(9), /* 960 Maldives - 968 Oman */
    [97] = D_EXCEPT(8), /* 970 Palestine - 977 Nepal, 979 IPRS */
    [98] = CC2,         /* Iran */
    [99] = D(1) | D(2) | D(3) | D(4) | D(5) | D(6) | D(8),
};

static int is_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
               c == '\f';
}

static unsigned char lower(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* 1 when p[0..n) equals the lower-case word w, ignoring case. */
static int eq_nocase(const char *p, size_t n, const char *w)
{
        size_t i;

        for (i = 0; i < n; i++) {
                if (w[i] == '\0' || lower((unsigned char)p[i]) != w[i])
                        return 0;
        }
        return w[n] == '\0';
}

/* 1 when p[0..n) starts with the lower-case word w, ignoring case. */
static int prefix_nocase(const char *p, size_t n, const char *w)
{
        size_t i;

        for (i = 0; w[i] != '\0'; i++) {
                if (i == n || lower((unsigned char)p[i]) != w[i])
                        return 0;
        }
        return 1;
}

static void trim(const char **p, size_t *n)
{
        const char *s = *p;
        size_t len = *n;

        while (len > 0 && is_space((unsigned char)s[0])) {
                s++;
                len--;
        }
        while (len > 0 && is_space((unsigned char)s[len - 1]))
                len--;
        *p = s;
        *n = len;
}

static int is_withheld_word(const char *p, size_t n)
{
        /* Only words starting with a letter can match; this keeps the
         * common case (a number) to one comparison. */
        if (n == 0 || !is_alpha((unsigned char)p[0]))
                return 0;
        return eq_nocase(p, n, "anonymous") || eq_nocase(p, n, "withheld") ||
               eq_nocase(p, n, "private") || eq_nocase(p, n, "unavailable");
}

/* Digits (1-3) of the country code at the start of d[0..n) (digits
 * only), 0 when none is assigned or there are too few digits to tell. */
static size_t cc_len_digits(const char *d, size_t n)
{
        unsigned entry;

        if (n == 0 || !is_digit((unsigned char)d[0]))
                return 0;
        if (d[0] == '1' || d[0] == '7')
                return 1;
        if (n < 2 || !is_digit((unsigned char)d[1]))
                return 0;
        entry = cc_table[(d[0] - '0') * 10 + (d[1] - '0')];
        if (entry & CC2)
                return 2;
        if (n < 3 || !is_digit((unsigned char)d[2]))
                return 0;
        return (entry & D(d[2] - '0')) ? 3 : 0;
}

size_t cdr_number_country_code_len(const char *canon, size_t len)
{
        if (canon == NULL || len < 2 || canon[0] != '+')
                return 0;
        return cc_len_digits(canon + 1, len - 1);
}

const char *cdr_kind_name(cdr_kind_t kind)
{
        switch (kind) {
        case CDR_KIND_MSISDN:
                return "msisdn";
        case CDR_KIND_IMSI:
                return "imsi";
        case CDR_KIND_IMEI:
                return "imei";
        case CDR_KIND_ID:
                return "id";
        }
        /* Not "unknown": a kind name is part of the pseudonym input, so an
         * invalid kind must not quietly produce one. */
        return NULL;
}

int cdr_kind_parse(const char *name, size_t len, cdr_kind_t *kind)
{
        static const cdr_kind_t kinds[] = {CDR_KIND_MSISDN, CDR_KIND_IMSI,
                                           CDR_KIND_IMEI, CDR_KIND_ID};
        size_t i;

        if (name == NULL || kind == NULL)
                return CDR_ERR_INVAL;
        for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                const char *s = cdr_kind_name(kinds[i]);

                if (strlen(s) == len && memcmp(s, name, len) == 0) {
                        *kind = kinds[i];
                        return CDR_OK;
                }
        }
        return CDR_ERR_INVAL;
}

void cdr_numbering_default(cdr_numbering_t *plan)
{
        memset(plan, 0, sizeof(*plan));
        memcpy(plan->country_code, "44", 3);
        memcpy(plan->national_prefix, "0", 2);
        memcpy(plan->international_prefix, "00", 3);
        plan->short_code_max_digits = 6;
}

/* Length of the digit string s (capacity cap), or -1 when it is not
 * NUL-terminated within cap or holds a non-digit.  One pass: the plan is
 * checked on every call, and its strings are a few bytes long. */
static int digits_len(const char *s, size_t cap)
{
        size_t n;

        for (n = 0; n < cap && s[n] != '\0'; n++) {
                if (!is_digit((unsigned char)s[n]))
                        return -1;
        }
        return n < cap ? (int)n : -1;
}

/* The plan's strings, checked: the home country code must be an assigned
 * code exactly, the prefixes digits only. */
typedef struct {
        const char *cc;
        size_t cc_len;
        const char *np;
        size_t np_len;
        const char *idd;
        size_t idd_len;
        size_t short_max;
} plan_view_t;

static int plan_view(const cdr_numbering_t *plan, plan_view_t *pv)
{
        int cc = digits_len(plan->country_code, sizeof(plan->country_code));
        int np =
            digits_len(plan->national_prefix, sizeof(plan->national_prefix));
        int idd = digits_len(plan->international_prefix,
                             sizeof(plan->international_prefix));

        if (cc <= 0 || np < 0 || idd < 0 ||
            cc_len_digits(plan->country_code, (size_t)cc) != (size_t)cc)
                return CDR_ERR_INVAL;
        pv->cc = plan->country_code;
        pv->cc_len = (size_t)cc;
        pv->np = plan->national_prefix;
        pv->np_len = (size_t)np;
        pv->idd = plan->international_prefix;
        pv->idd_len = (size_t)idd;
        pv->short_max = plan->short_code_max_digits < E164_MAX_DIGITS
                            ? plan->short_code_max_digits
                            : E164_MAX_DIGITS;
        return CDR_OK;
}

/* Writes '+' cc nsn into out after the E.164 checks of the top comment;
 * cc may be empty when nsn already starts with the country code. */
static const char *put_e164(const char *cc, size_t cc_len, const char *nsn,
                            size_t nsn_len, char *out, size_t *outlen)
{
        size_t total = cc_len + nsn_len;
        const char *first = cc_len > 0 ? cc : nsn;

        if (first[0] == '0')
                return R_CC_ZERO;
        if (total > E164_MAX_DIGITS)
                return R_TOO_LONG;
        if (total < E164_MIN_DIGITS)
                return R_TOO_SHORT;
        out[0] = '+';
        memcpy(out + 1, cc, cc_len);
        memcpy(out + 1 + cc_len, nsn, nsn_len);
        out[1 + total] = '\0';
        if (cc_len_digits(out + 1, total) == 0)
                return R_CC_SPARE;
        *outlen = 1 + total;
        return NULL;
}

static int starts_with(const char *d, size_t n, const char *pfx, size_t len)
{
        return len > 0 && n >= len && memcmp(d, pfx, len) == 0;
}

/* Rule 4's "(0)": p points at '('; d[0..nd) are the digits so far. */
static int is_trunk_group(const char *p, size_t left, const plan_view_t *pv,
                          int plus, const char *d, size_t nd)
{
        size_t off;

        if (left < 3 || p[1] != '0' || p[2] != ')')
                return 0;
        if (plus)
                off = 0;
        else if (starts_with(d, nd, pv->idd, pv->idd_len) && nd > pv->idd_len)
                off = pv->idd_len;
        else
                return 0;
        return cc_len_digits(d + off, nd - off) == nd - off;
}

static const char *msisdn(const plan_view_t *pv, const char *p, size_t n,
                          char *out, size_t *outlen, cdr_numclass_t *cls)
{
        char d[RAW_MAX_DIGITS];
        size_t nd = 0;
        size_t i;
        int plus = 0, scheme;

        /* A URI scheme starts with a letter, which a number seldom
         * does: most values skip the scheme comparisons. */
        scheme = n > 0 && is_alpha((unsigned char)p[0]);
        if (scheme && prefix_nocase(p, n, "tel:")) {
                const char *semi;

                p += 4;
                n -= 4;
                semi = memchr(p, ';', n);
                if (semi != NULL)
                        n = (size_t)(semi - p);
                if (n == 0)
                        return R_TEL_EMPTY;
        } else if (scheme && (prefix_nocase(p, n, "sip:") ||
                              prefix_nocase(p, n, "sips:"))) {
                size_t skip = p[3] == ':' ? 4 : 5;
                const char *at, *semi;

                p += skip;
                n -= skip;
                at = memchr(p, '@', n);
                if (at == NULL)
                        return R_SIP_NO_USER;
                n = (size_t)(at - p);
                semi = memchr(p, ';', n);
                if (semi != NULL)
                        n = (size_t)(semi - p);
                if (n == 0)
                        return R_SIP_EMPTY;
        }
        /* Rule 2's words, bare or as a URI's number or user part. */
        if (is_withheld_word(p, n)) {
                *cls = CDR_NUM_WITHHELD;
                memcpy(out, WITHHELD, sizeof(WITHHELD));
                *outlen = sizeof(WITHHELD) - 1;
                return NULL;
        }

        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];

                if (is_digit(c)) {
                        if (nd == RAW_MAX_DIGITS)
                                return R_TOO_LONG;
                        d[nd++] = (char)c;
                        continue;
                }
                switch (c) {
                case ' ':
                case '-':
                case '.':
                case ')':
                        break;
                case '(':
                        if (is_trunk_group(p + i, n - i, pv, plus, d, nd))
                                i += 2;
                        break;
                case '+':
                        if (plus)
                                return R_PLUS_TWICE;
                        if (nd > 0)
                                return R_PLUS_INSIDE;
                        plus = 1;
                        break;
                default:
                        return is_alpha(c) ? R_LETTERS : R_BAD_CHAR;
                }
        }

        *cls = CDR_NUM_PERSONAL;
        if (plus) {
                if (nd == 0)
                        return R_PLUS_ALONE;
                return put_e164("", 0, d, nd, out, outlen);
        }
        if (nd == 0)
                return R_NO_DIGITS;
        if (starts_with(d, nd, pv->idd, pv->idd_len)) {
                if (nd == pv->idd_len)
                        return R_IDD_ALONE;
                return put_e164("", 0, d + pv->idd_len, nd - pv->idd_len, out,
                                outlen);
        }
        if (nd <= pv->short_max) {
                *cls = CDR_NUM_SERVICE;
                memcpy(out, d, nd);
                out[nd] = '\0';
                *outlen = nd;
                return NULL;
        }
        if (starts_with(d, nd, pv->np, pv->np_len)) {
                if (nd == pv->np_len)
                        return R_NP_ALONE;
                return put_e164(pv->cc, pv->cc_len, d + pv->np_len,
                                nd - pv->np_len, out, outlen);
        }
        if (nd > E164_MAX_DIGITS)
                return R_TOO_LONG;
        if (nd > NATIONAL_MAX_DIGITS)
                return put_e164("", 0, d, nd, out, outlen);
        if (nd >= E164_MIN_DIGITS)
                return put_e164(pv->cc, pv->cc_len, d, nd, out, outlen);
        return R_NATIONAL_SHORT;
}

static const char *imsi(const char *p, size_t n, char *out, size_t *outlen)
{
        size_t i;

        for (i = 0; i < n; i++) {
                if (!is_digit((unsigned char)p[i]))
                        return R_IMSI_CHAR;
        }
        if (n < 6)
                return R_IMSI_SHORT;
        if (n > 15)
                return R_IMSI_LONG;
        memcpy(out, p, n);
        out[n] = '\0';
        *outlen = n;
        return NULL;
}

static const char *imei(const char *p, size_t n, char *out, size_t *outlen)
{
        size_t nd = 0;
        size_t i;

        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];

                if (is_digit(c)) {
                        /* Digits past the 14th are only counted. */
                        if (nd < 14)
                                out[nd] = (char)c;
                        nd++;
                } else if (c != '-' && c != ' ') {
                        return R_IMEI_CHAR;
                }
        }
        if (nd < 14)
                return R_IMEI_SHORT;
        if (nd > 16)
                return R_IMEI_LONG;
        out[14] = '\0';
        *outlen = 14;
        return NULL;
}

static const char *id(const char *p, size_t n, char *out, size_t *outlen)
{
        if (n > CDR_CANON_MAX - 1)
                return R_ID_LONG;
        memcpy(out, p, n);
        out[n] = '\0';
        *outlen = n;
        return NULL;
}

/*
 * See number.h.  `in` may be NULL only when len is 0; `reason` may be
 * NULL.  plan is needed (and checked) for CDR_KIND_MSISDN only, and may
 * be NULL for the other kinds.  Returns CDR_ERR_INVAL for a NULL
 * argument, an unknown kind or a plan whose country code is not exactly
 * an assigned E.164 code or whose prefixes are not digits.  On any error
 * out is "" and *outlen 0.
 */
int cdr_number_canonical(const cdr_numbering_t *plan, cdr_kind_t kind,
                         const char *in, size_t len, char *out, size_t *outlen,
                         cdr_numclass_t *cls, const char **reason)
{
        plan_view_t pv = {0};
        const char *why;

        if (reason != NULL)
                *reason = NULL;
        if (out == NULL || outlen == NULL || cls == NULL ||
            (in == NULL && len > 0) || cdr_kind_name(kind) == NULL)
                return CDR_ERR_INVAL;
        out[0] = '\0';
        *outlen = 0;
        *cls = CDR_NUM_PERSONAL;
        if (kind == CDR_KIND_MSISDN &&
            (plan == NULL || plan_view(plan, &pv) != CDR_OK))
                return CDR_ERR_INVAL;

        trim(&in, &len);
        if (len == 0) {
                *cls = CDR_NUM_WITHHELD;
                memcpy(out, WITHHELD, sizeof(WITHHELD));
                *outlen = sizeof(WITHHELD) - 1;
                return CDR_OK;
        }

        switch (kind) {
        case CDR_KIND_MSISDN:
                why = msisdn(&pv, in, len, out, outlen, cls);
                break;
        case CDR_KIND_IMSI:
                why = imsi(in, len, out, outlen);
                break;
        case CDR_KIND_IMEI:
                why = imei(in, len, out, outlen);
                break;
        case CDR_KIND_ID:
                why = id(in, len, out, outlen);
                break;
        default:
                return CDR_ERR_INVAL;
        }
        if (why != NULL) {
                out[0] = '\0';
                *outlen = 0;
                *cls = CDR_NUM_PERSONAL;
                if (reason != NULL)
                        *reason = why;
                return CDR_ERR_MALFORMED;
        }
        return CDR_OK;
}
