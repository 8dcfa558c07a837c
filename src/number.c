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
 *   3. A URI scheme "tel:", "sip:" or "sips:" (any case) is removed.  What
 *      follows "tel:", and the user part before '@' that a SIP URI must
 *      have (RFC 3261 19.1.6: with user=phone it is a tel URI's
 *      telephone-subscriber; it is read so without it too), is a number
 *      and its ';' parameters (RFC 3966); the SIP host and URI parameters
 *      are dropped.  An empty number or user part is malformed; one that
 *      is a word of rule 2 is withheld ("sip:anonymous@anonymous.invalid",
 *      RFC 3323).  Parameters, names compared without case:
 *      - phone-context: see rule 5a.
 *      - ext (an extension, 1*phonedigit) and isub (a subaddress, not
 *        empty) are checked and dropped: neither is part of the E.164
 *        number, and neither becomes digits of it.
 *      - any other name[=value] (npdi, rn=, cic=, ...) is dropped.
 *      A parameter without a name, with a character outside letters,
 *      digits and '-' in its name, or with an empty value is malformed;
 *      so is phone-context, ext or isub given twice.
 *   4. The number's characters are read once: the separators ' ', '-',
 *      '.', '(' and ')' are skipped; a '+' may come only once and only
 *      before the first digit; letters and any other character make the
 *      value malformed.  In a number that is international at that point
 *      ('+' or the international prefix, then exactly a country code), a
 *      group "(0)" is dropped when no national number of that country
 *      begins with 0: E.123's mark of a trunk prefix, as in "+44 (0)7700
 *      900123" or "+34 (0)91...".  Where one may (Italy's 06...), the 0
 *      is a digit and the trunk rule below decides.
 *   5. No digit at all is malformed.
 *  5a. A phone-context (RFC 3966 5.1.5) must be a domain name or
 *      global-number-digits ('+', digits and visual separators, at most
 *      15 digits), else it is malformed.
 *      - A global number ('+') needs none: a domain name is ignored, and
 *        so are digits that begin the number; other digits contradict it
 *        (a local number given a '+' by mistake) and it is malformed.
 *      - A local number with a domain name is malformed: the domain names
 *        a numbering scope (a PBX, an IMS network) that cannot be
 *        resolved to a country.
 *      - A local number with digits: they must begin with an assigned
 *        country code.  When they are exactly the home country code and
 *        the number is a service number by rules 7-8, it is one (tel:112;
 *        phone-context=+44).  Otherwise the context's digits and the
 *        number's are read as a number with a country code (rule 6), the
 *        trunk prefix of a number in national format included
 *        (tel:01-42-68-53-00;phone-context=+33 is +33142685300).  A short
 *        code under another country's context is not a home service
 *        number: it is malformed unless it is as long as that country's
 *        national numbers, and then personal (Ascension's 62889 under
 *        +247 is a subscriber).  A context longer than a country code
 *        (+1-212) is not a prefix in RFC 3966, only a scope: the number is
 *        read so only when it completes the context to a national number
 *        of a possible length (555-1234 under +1-212), else it is
 *        malformed (863-1234 under +1-914-555, RFC 3966's example).
 *      A local number without a phone-context is read under the home plan
 *      (rules 6-12), as tel:112 is written.
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
 * Every international result (rules 5a, 6, 7, 9, 10, 11) then goes
 * through the country code's plan (number_plans.h, from libphonenumber's
 * metadata; see scripts/number-plans.py):
 *
 *   - Trunk prefix.  An E.164 number never holds one, so a trunk prefix
 *     written after the country code is dropped ("+44 0121...",
 *     "0049 030...", "+7 8 495...", "+375 80 29..."), by libphonenumber's
 *     rule: when what remains has a possible length for that country,
 *     unless the digits as written are a number of its plan and the rest
 *     is not (Russia's +7 812..., India's +91 000800..., whose first digit
 *     is the trunk digit).  Repeated until none goes, so that a canonical
 *     form canonicalises to itself.  A country without one keeps the
 *     digit (Italy's +39 06..., San Marino's +378 0549...).
 *   - NANP: 1 is the country code and the trunk prefix, and no national
 *     number begins with it, so a national number after country code 1
 *     that begins with 1 ("+1 1 212...") is malformed rather than
 *     guessed at; a local number in national format under phone-context
 *     +1 (1-212-555-1234) has its 1 dropped as a trunk prefix.
 *   - E.164: the first digit is not 0, the digits start with an assigned
 *     country code (see the table below), so that
 *     cdr_number_country_code_len() is non-zero for every personal
 *     msisdn, there are at most 15 of them, and the national number is at
 *     least as long as the shortest of that country code's regions (4 for
 *     Iran's UANs, Niue, Saint Helena; 7 for NANP; 9 for France), or 7
 *     digits in all for a code the metadata does not describe.  So short
 *     E.164 numbers with an explicit country code are personal, and
 *     bare digits keep rules 8-12.
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
/* The shortest bare national number (rule 10), and the shortest number,
 * country code included, under a country code that number_plans.h does
 * not describe. */
#define E164_MIN_DIGITS 7
/* The longest bare number read as national (rule 10). */
#define NATIONAL_MAX_DIGITS 10
/* Digits kept while reading: any longer number has more than 15 digits
 * after removing the longest possible prefix (7 digits), a country code
 * and the trunk prefixes, which are dropped only before a national
 * number of at most 17 digits. */
#define RAW_MAX_DIGITS 32

static const cdr_rule_t R_TEL_EMPTY = {CDR_REASON_NUMBER_MALFORMED,
                                       "empty tel URI"};
static const cdr_rule_t R_SIP_NO_USER = {CDR_REASON_NUMBER_MALFORMED,
                                         "SIP URI without user part"};
static const cdr_rule_t R_SIP_EMPTY = {CDR_REASON_NUMBER_MALFORMED,
                                       "empty SIP user part"};
static const cdr_rule_t R_LETTERS = {CDR_REASON_NUMBER_MALFORMED,
                                     "letters in number"};
static const cdr_rule_t R_BAD_CHAR = {CDR_REASON_NUMBER_MALFORMED,
                                      "invalid character in number"};
static const cdr_rule_t R_PLUS_TWICE = {CDR_REASON_NUMBER_MALFORMED,
                                        "more than one '+'"};
static const cdr_rule_t R_PLUS_INSIDE = {CDR_REASON_NUMBER_MALFORMED,
                                         "'+' not at start of number"};
static const cdr_rule_t R_NO_DIGITS = {CDR_REASON_NUMBER_MALFORMED,
                                       "no digits in number"};
static const cdr_rule_t R_PLUS_ALONE = {CDR_REASON_NUMBER_MALFORMED,
                                        "no digits after '+'"};
static const cdr_rule_t R_IDD_ALONE = {CDR_REASON_NUMBER_MALFORMED,
                                       "no digits after international prefix"};
static const cdr_rule_t R_NP_ALONE = {CDR_REASON_NUMBER_MALFORMED,
                                      "no digits after national prefix"};
static const cdr_rule_t R_TOO_LONG = {CDR_REASON_NUMBER_TOO_LONG,
                                      "more than 15 digits"};
static const cdr_rule_t R_TOO_SHORT = {CDR_REASON_NUMBER_TOO_SHORT,
                                       "too few digits for its country code"};
static const cdr_rule_t R_CC_ZERO = {CDR_REASON_NUMBER_COUNTRY_CODE,
                                     "country code starts with 0"};
static const cdr_rule_t R_CC_SPARE = {CDR_REASON_NUMBER_COUNTRY_CODE,
                                      "unassigned country code"};
static const cdr_rule_t R_NANP_TRUNK = {
    CDR_REASON_NUMBER_TRUNK_PREFIX, "NANP number starting with trunk prefix 1"};
static const cdr_rule_t R_PARAM_BAD = {CDR_REASON_NUMBER_URI_PARAMETER,
                                       "invalid URI parameter"};
static const cdr_rule_t R_PARAM_TWICE = {CDR_REASON_NUMBER_URI_PARAMETER,
                                         "URI parameter given twice"};
static const cdr_rule_t R_CONTEXT_BAD = {CDR_REASON_NUMBER_PHONE_CONTEXT,
                                         "invalid phone-context in URI"};
static const cdr_rule_t R_CONTEXT_DOMAIN = {
    CDR_REASON_NUMBER_PHONE_CONTEXT,
    "local number with a domain name as phone-context"};
static const cdr_rule_t R_CONTEXT_CC = {CDR_REASON_NUMBER_PHONE_CONTEXT,
                                        "phone-context without a country code"};
static const cdr_rule_t R_CONTEXT_SHORT = {
    CDR_REASON_NUMBER_PHONE_CONTEXT,
    "local number does not complete its phone-context"};
static const cdr_rule_t R_CONTEXT_MISMATCH = {
    CDR_REASON_NUMBER_PHONE_CONTEXT,
    "phone-context does not begin the global number"};
static const cdr_rule_t R_NATIONAL_SHORT = {
    CDR_REASON_NUMBER_TOO_SHORT,
    "too many digits for a short code, too few for a national number"};
static const cdr_rule_t R_IMSI_CHAR = {CDR_REASON_IMSI_MALFORMED,
                                       "IMSI has a non-digit character"};
static const cdr_rule_t R_IMSI_SHORT = {CDR_REASON_IMSI_MALFORMED,
                                        "IMSI shorter than 6 digits"};
static const cdr_rule_t R_IMSI_LONG = {CDR_REASON_IMSI_MALFORMED,
                                       "IMSI longer than 15 digits"};
static const cdr_rule_t R_IMEI_CHAR = {
    CDR_REASON_IMEI_MALFORMED, "IMEI has a character other than a digit, "
                               "'-' or space"};
static const cdr_rule_t R_IMEI_SHORT = {CDR_REASON_IMEI_MALFORMED,
                                        "IMEI shorter than 14 digits"};
static const cdr_rule_t R_IMEI_LONG = {CDR_REASON_IMEI_MALFORMED,
                                       "IMEI longer than 16 digits"};
static const cdr_rule_t R_ID_LONG = {CDR_REASON_ID_TOO_LONG, "id too long"};

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

/*
 * What a country code's numbering plan says about the digits written
 * after it, from libphonenumber's metadata (number_plans.h, generated by
 * scripts/number-plans.py, which says how).  lengths == 0: a code the
 * metadata does not describe (388, 991, ...).
 */
#define CC_TRUNKS 5
typedef struct {
        unsigned short cc;
        char trunk[CC_TRUNKS][3]; /* longest first; "" ends the list */
        unsigned rest[CC_TRUNKS]; /* bit n: [i] goes only before n digits;
                                   * 0: before any */
        unsigned lengths;         /* bit n: a national number of n digits */
        unsigned all;             /* the same in every region of the code */
        unsigned first[10]; /* [d] bit n: one of n digits may begin with d */
        unsigned short led; /* its entries in cc_led[]: led .. led+nled */
        unsigned char nled;
} cc_plan_t;

/* National numbers that begin with the first digit of a trunk prefix: a
 * number is valid when it starts with prefix and its length has its bit
 * in lengths (listed only for the lengths where it matters, see
 * trunk_len()). */
typedef struct {
        char prefix[8];
        unsigned lengths;
} cc_led_t;

#define L(n) (1u << (n))
#include "number_plans.h"

static int is_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(unsigned char c)
{
        return is_digit(c) || is_alpha(c);
}

/* RFC 3966 visual-separator. */
static int is_visual(unsigned char c)
{
        return c == '-' || c == '.' || c == '(' || c == ')';
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

static int starts_with(const char *d, size_t n, const char *pfx, size_t len)
{
        return len > 0 && n >= len && memcmp(d, pfx, len) == 0;
}

/* The plan of the country code d[0..cc_len) (1-3 digits); an empty one
 * (lengths 0) for a code the metadata does not describe. */
static const cc_plan_t *cc_plan(const char *d, size_t cc_len)
{
        static const cc_plan_t none = {0, {""}, {0}, 0, 0, {0}, 0, 0};
        unsigned v = 0;
        size_t i;

        for (i = 0; i < cc_len; i++)
                v = v * 10 + (unsigned)(d[i] - '0');
        if (cc_plan_index[v] == 0)
                return &none;
        return &cc_plan_list[cc_plan_index[v] - 1];
}

static int nsn_possible(const cc_plan_t *cp, size_t n)
{
        return n < 32 && (cp->lengths & (1u << n)) != 0;
}

/* The fewest digits of a national number under cp, in any of its
 * regions; for a code the metadata does not describe, E164_MIN_DIGITS in
 * all. */
static size_t nsn_min(const cc_plan_t *cp, size_t cc_len)
{
        size_t n;

        if (cp->all == 0)
                return E164_MIN_DIGITS - cc_len;
        for (n = 1; !(cp->all & (1u << n)); n++)
                ;
        return n;
}

/* 1 when x[0..n) may be a national number of cp's plan: libphonenumber's
 * "viable number" test (a match of its general pattern), as the table
 * keeps it: a length that numbers beginning with x's first digit have,
 * and for a number that begins with the first digit of a trunk prefix,
 * one of the listed prefixes. */
static int nsn_viable(const cc_plan_t *cp, const char *x, size_t n)
{
        size_t i, k;

        if (n == 0 || n >= 32 || !(cp->first[x[0] - '0'] & (1u << n)))
                return 0;
        for (i = 0; i < CC_TRUNKS && cp->trunk[i][0] != '\0'; i++) {
                if (cp->trunk[i][0] == x[0])
                        break;
        }
        if (i == CC_TRUNKS || cp->trunk[i][0] == '\0')
                return 1;
        for (k = cp->led; k < (size_t)cp->led + cp->nled; k++) {
                const cc_led_t *e = &cc_led[k];
                size_t len = strlen(e->prefix);

                if ((e->lengths & (1u << n)) != 0 && len <= n &&
                    memcmp(x, e->prefix, len) == 0)
                        return 1;
        }
        return 0;
}

/*
 * How many leading digits of r[0..n), the digits written after a country
 * code, are trunk prefixes to drop.  libphonenumber's rule: a prefix is
 * dropped when the rest has a possible length, unless the digits as
 * written are a viable number and the rest is not (India's
 * +91 000800..., whose first 0 is the trunk digit).  Repeated until no
 * prefix goes, so that the result is a fixed point (a canonical form must
 * canonicalise to itself); a number has at most one trunk prefix, so
 * that the repetition only decides what doubled ones mean.
 */
static size_t trunk_len(const cc_plan_t *cp, const char *r, size_t n)
{
        size_t off = 0, i, len;
        int again = 1;

        while (again) {
                again = 0;
                for (i = 0; i < CC_TRUNKS && cp->trunk[i][0] != '\0'; i++) {
                        const char *x = r + off;
                        size_t left = n - off;

                        len = strlen(cp->trunk[i]);
                        if (left <= len || memcmp(x, cp->trunk[i], len) != 0 ||
                            !nsn_possible(cp, left - len) ||
                            (cp->rest[i] != 0 &&
                             !(cp->rest[i] & (1u << (left - len)))))
                                continue;
                        if (nsn_viable(cp, x, left) &&
                            !nsn_viable(cp, x + len, left - len))
                                continue;
                        off += len;
                        again = 1;
                        break;
                }
        }
        return off;
}

/* How a number's country code was given (put_e164()'s flags). */
enum {
        /* by a phone-context: the local number may be in national format,
         * so a NANP trunk 1 is dropped too */
        CC_FROM_CONTEXT = 1,
        /* by a phone-context longer than a country code, which a local
         * number must complete to a national number of a possible length */
        CC_MUST_COMPLETE = 2,
};

/*
 * Writes '+' d[0..nd) into out, where d starts with a country code, after
 * the rules of the top comment: the trunk prefixes after the country code
 * are dropped, then the E.164 checks.
 */
static const cdr_rule_t *put_e164(const char *d, size_t nd, unsigned how,
                                  char *out, size_t *outlen)
{
        const cc_plan_t *cp;
        size_t cc_len, off = 0, nsn;
        int nanp;

        if (nd == 0)
                return &R_TOO_SHORT;
        if (d[0] == '0')
                return &R_CC_ZERO;
        cc_len = cc_len_digits(d, nd);
        if (cc_len == 0)
                return nd < 3 ? &R_TOO_SHORT : &R_CC_SPARE;
        cp = cc_plan(d, cc_len);
        nanp = cc_len == 1 && d[0] == '1';
        if (!nanp || (how & CC_FROM_CONTEXT))
                off = trunk_len(cp, d + cc_len, nd - cc_len);
        if (nanp && nd > cc_len + off && d[cc_len + off] == '1')
                return &R_NANP_TRUNK;
        nsn = nd - cc_len - off;
        if (cc_len + nsn > E164_MAX_DIGITS)
                return &R_TOO_LONG;
        if ((how & CC_MUST_COMPLETE) && (nsn >= 32 || !(cp->all & (1u << nsn))))
                return &R_CONTEXT_SHORT;
        if (nsn < nsn_min(cp, cc_len))
                return &R_TOO_SHORT;
        out[0] = '+';
        memcpy(out + 1, d, cc_len);
        memcpy(out + 1 + cc_len, d + cc_len + off, nsn);
        out[1 + cc_len + nsn] = '\0';
        *outlen = 1 + cc_len + nsn;
        return NULL;
}

/*
 * Rule 4's "(0)": p points at '('; d[0..nd) are the digits so far.  The
 * group is dropped right after a country code whose national numbers
 * never begin with 0 (for the others, Italy's, the 0 is read as a digit
 * and the trunk rule decides).
 */
static int is_trunk_group(const char *p, size_t left, const plan_view_t *pv,
                          int plus, const char *d, size_t nd)
{
        const cc_plan_t *cp;
        size_t off, cc;

        if (left < 3 || p[1] != '0' || p[2] != ')')
                return 0;
        if (plus)
                off = 0;
        else if (starts_with(d, nd, pv->idd, pv->idd_len) && nd > pv->idd_len)
                off = pv->idd_len;
        else
                return 0;
        cc = cc_len_digits(d + off, nd - off);
        if (cc == 0 || cc != nd - off)
                return 0;
        cp = cc_plan(d + off, cc);
        return cp->lengths == 0 || cp->first[0] == 0;
}

/* A telephone-subscriber (RFC 3966), the part of a tel URI after "tel:"
 * or the user part of a sip URI: a number and its phone-context. */
typedef struct {
        const char *num;
        size_t num_len;
        const char *ctx; /* NULL: none */
        size_t ctx_len;
} subscriber_t;

/* RFC 3966 pname: 1*( alphanum / "-" ). */
static int is_pname(const char *p, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                if (!is_alnum((unsigned char)p[i]) && p[i] != '-')
                        return 0;
        }
        return n > 0;
}

/* An extension: 1*phonedigit, at least one of them a digit. */
static int is_extension(const char *p, size_t n)
{
        size_t i;
        int digit = 0;

        for (i = 0; i < n; i++) {
                if (is_digit((unsigned char)p[i]))
                        digit = 1;
                else if (!is_visual((unsigned char)p[i]))
                        return 0;
        }
        return digit;
}

/*
 * Splits p[0..n) into the number and its ';' parameters.  phone-context
 * is kept; ext and isub are checked and dropped (neither is part of the
 * E.164 number); other parameters need a name and a non-empty value if
 * any, and are dropped.  phone-context, ext and isub may come once each.
 * Parameter names are compared without case.
 */
static const cdr_rule_t *split_params(const char *p, size_t n,
                                      subscriber_t *sub)
{
        const char *end = p + n, *q = memchr(p, ';', n);
        int ext = 0, isub = 0;

        sub->num = p;
        sub->num_len = q != NULL ? (size_t)(q - p) : n;
        sub->ctx = NULL;
        sub->ctx_len = 0;
        while (q != NULL) {
                const char *name = q + 1, *eq, *val;
                size_t len, name_len, val_len;

                q = memchr(name, ';', (size_t)(end - name));
                len = (size_t)((q != NULL ? q : end) - name);
                eq = memchr(name, '=', len);
                name_len = eq != NULL ? (size_t)(eq - name) : len;
                val = eq != NULL ? eq + 1 : NULL;
                val_len = eq != NULL ? len - name_len - 1 : 0;
                if (!is_pname(name, name_len) || (val != NULL && val_len == 0))
                        return eq_nocase(name, name_len, "phone-context")
                                   ? &R_CONTEXT_BAD
                                   : &R_PARAM_BAD;
                if (eq_nocase(name, name_len, "phone-context")) {
                        if (sub->ctx != NULL)
                                return &R_PARAM_TWICE;
                        if (val == NULL)
                                return &R_CONTEXT_BAD;
                        sub->ctx = val;
                        sub->ctx_len = val_len;
                } else if (eq_nocase(name, name_len, "ext")) {
                        if (ext++)
                                return &R_PARAM_TWICE;
                        if (val == NULL || !is_extension(val, val_len))
                                return &R_PARAM_BAD;
                } else if (eq_nocase(name, name_len, "isub")) {
                        if (isub++)
                                return &R_PARAM_TWICE;
                        if (val == NULL)
                                return &R_PARAM_BAD;
                }
        }
        return NULL;
}

/* RFC 3966 domainname: *( domainlabel "." ) toplabel [ "." ], labels of
 * letters, digits and inner '-', the last one starting with a letter. */
static int is_domainname(const char *p, size_t n)
{
        size_t i, start = 0;

        if (n > 0 && p[n - 1] == '.')
                n--;
        if (n == 0)
                return 0;
        for (i = 0; i <= n; i++) {
                if (i < n && p[i] != '.') {
                        if (!is_alnum((unsigned char)p[i]) && p[i] != '-')
                                return 0;
                        continue;
                }
                if (i == start || p[start] == '-' || p[i - 1] == '-')
                        return 0;
                if (i == n && !is_alpha((unsigned char)p[start]))
                        return 0;
                start = i + 1;
        }
        return 1;
}

/* A phone-context value: a global-number-digits descriptor ('+', then
 * digits and visual separators) gives its digits in cd (at most 15), a
 * domain name sets *domain; anything else is malformed. */
static const cdr_rule_t *context_parse(const char *c, size_t n, char *cd,
                                       size_t *ncd, int *domain)
{
        size_t i;

        *ncd = 0;
        *domain = 0;
        if (n > 0 && c[0] == '+') {
                for (i = 1; i < n; i++) {
                        unsigned char ch = (unsigned char)c[i];

                        if (is_digit(ch)) {
                                if (*ncd == E164_MAX_DIGITS)
                                        return &R_CONTEXT_BAD;
                                cd[(*ncd)++] = (char)ch;
                        } else if (!is_visual(ch)) {
                                return &R_CONTEXT_BAD;
                        }
                }
                return *ncd > 0 ? NULL : &R_CONTEXT_BAD;
        }
        if (!is_domainname(c, n))
                return &R_CONTEXT_BAD;
        *domain = 1;
        return NULL;
}

static const cdr_rule_t *put_service(const char *d, size_t nd, char *out,
                                     size_t *outlen, cdr_numclass_t *cls)
{
        *cls = CDR_NUM_SERVICE;
        memcpy(out, d, nd);
        out[nd] = '\0';
        *outlen = nd;
        return NULL;
}

/*
 * Rule 3's phone-context: d[0..nd) are the number's digits, plus its '+'.
 * all is room for the context's digits and d.
 */
static const cdr_rule_t *with_context(const plan_view_t *pv,
                                      const subscriber_t *sub, const char *d,
                                      size_t nd, int plus, char *all, char *out,
                                      size_t *outlen, cdr_numclass_t *cls)
{
        const cdr_rule_t *why;
        size_t ncd, cc;
        int domain;

        why = context_parse(sub->ctx, sub->ctx_len, all, &ncd, &domain);
        if (why != NULL)
                return why;
        if (plus) {
                if (nd == 0)
                        return &R_PLUS_ALONE;
                if (!domain && (ncd > nd || memcmp(d, all, ncd) != 0))
                        return &R_CONTEXT_MISMATCH;
                return put_e164(d, nd, 0, out, outlen);
        }
        if (nd == 0)
                return &R_NO_DIGITS;
        if (domain)
                return &R_CONTEXT_DOMAIN;
        cc = all[0] == '0' ? 0 : cc_len_digits(all, ncd);
        if (cc == 0)
                return &R_CONTEXT_CC;
        if (ncd == pv->cc_len && memcmp(all, pv->cc, ncd) == 0 &&
            nd <= pv->short_max && !starts_with(d, nd, pv->idd, pv->idd_len))
                return put_service(d, nd, out, outlen, cls);
        memcpy(all + ncd, d, nd);
        return put_e164(all, ncd + nd,
                        CC_FROM_CONTEXT | (ncd > cc ? CC_MUST_COMPLETE : 0u),
                        out, outlen);
}

/* The home country code, then d[0..nd). */
static const cdr_rule_t *put_national(const plan_view_t *pv, const char *d,
                                      size_t nd, char *all, char *out,
                                      size_t *outlen)
{
        memcpy(all, pv->cc, pv->cc_len);
        memcpy(all + pv->cc_len, d, nd);
        return put_e164(all, pv->cc_len + nd, 0, out, outlen);
}

static const cdr_rule_t *msisdn(const plan_view_t *pv, const char *p, size_t n,
                                char *out, size_t *outlen, cdr_numclass_t *cls)
{
        char d[RAW_MAX_DIGITS];
        char all[E164_MAX_DIGITS + RAW_MAX_DIGITS];
        subscriber_t sub = {p, n, NULL, 0};
        const cdr_rule_t *params = NULL;
        size_t nd = 0;
        size_t i;
        int plus = 0, scheme;

        /* A URI scheme starts with a letter, which a number seldom
         * does: most values skip the scheme comparisons. */
        scheme = n > 0 && is_alpha((unsigned char)p[0]);
        if (scheme && prefix_nocase(p, n, "tel:")) {
                params = split_params(p + 4, n - 4, &sub);
                if (sub.num_len == 0)
                        return &R_TEL_EMPTY;
        } else if (scheme && (prefix_nocase(p, n, "sip:") ||
                              prefix_nocase(p, n, "sips:"))) {
                size_t skip = p[3] == ':' ? 4 : 5;
                const char *at;

                p += skip;
                n -= skip;
                at = memchr(p, '@', n);
                if (at == NULL)
                        return &R_SIP_NO_USER;
                params = split_params(p, (size_t)(at - p), &sub);
                if (sub.num_len == 0)
                        return &R_SIP_EMPTY;
        }
        p = sub.num;
        n = sub.num_len;
        /* Rule 2's words, bare or as a URI's number or user part. */
        if (is_withheld_word(p, n)) {
                *cls = CDR_NUM_WITHHELD;
                memcpy(out, WITHHELD, sizeof(WITHHELD));
                *outlen = sizeof(WITHHELD) - 1;
                return NULL;
        }
        if (params != NULL)
                return params;

        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];

                if (is_digit(c)) {
                        if (nd == RAW_MAX_DIGITS)
                                return &R_TOO_LONG;
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
                                return &R_PLUS_TWICE;
                        if (nd > 0)
                                return &R_PLUS_INSIDE;
                        plus = 1;
                        break;
                default:
                        return is_alpha(c) ? &R_LETTERS : &R_BAD_CHAR;
                }
        }

        *cls = CDR_NUM_PERSONAL;
        if (sub.ctx != NULL)
                return with_context(pv, &sub, d, nd, plus, all, out, outlen,
                                    cls);
        if (plus) {
                if (nd == 0)
                        return &R_PLUS_ALONE;
                return put_e164(d, nd, 0, out, outlen);
        }
        if (nd == 0)
                return &R_NO_DIGITS;
        if (starts_with(d, nd, pv->idd, pv->idd_len)) {
                if (nd == pv->idd_len)
                        return &R_IDD_ALONE;
                return put_e164(d + pv->idd_len, nd - pv->idd_len, 0, out,
                                outlen);
        }
        if (nd <= pv->short_max)
                return put_service(d, nd, out, outlen, cls);
        if (starts_with(d, nd, pv->np, pv->np_len)) {
                if (nd == pv->np_len)
                        return &R_NP_ALONE;
                return put_national(pv, d + pv->np_len, nd - pv->np_len, all,
                                    out, outlen);
        }
        if (nd > E164_MAX_DIGITS)
                return &R_TOO_LONG;
        if (nd > NATIONAL_MAX_DIGITS)
                return put_e164(d, nd, 0, out, outlen);
        if (nd >= E164_MIN_DIGITS)
                return put_national(pv, d, nd, all, out, outlen);
        return &R_NATIONAL_SHORT;
}

static const cdr_rule_t *imsi(const char *p, size_t n, char *out,
                              size_t *outlen)
{
        size_t i;

        for (i = 0; i < n; i++) {
                if (!is_digit((unsigned char)p[i]))
                        return &R_IMSI_CHAR;
        }
        if (n < 6)
                return &R_IMSI_SHORT;
        if (n > 15)
                return &R_IMSI_LONG;
        memcpy(out, p, n);
        out[n] = '\0';
        *outlen = n;
        return NULL;
}

static const cdr_rule_t *imei(const char *p, size_t n, char *out,
                              size_t *outlen)
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
                        return &R_IMEI_CHAR;
                }
        }
        if (nd < 14)
                return &R_IMEI_SHORT;
        if (nd > 16)
                return &R_IMEI_LONG;
        out[14] = '\0';
        *outlen = 14;
        return NULL;
}

static const cdr_rule_t *id(const char *p, size_t n, char *out, size_t *outlen)
{
        if (n > CDR_CANON_MAX - 1)
                return &R_ID_LONG;
        memcpy(out, p, n);
        out[n] = '\0';
        *outlen = n;
        return NULL;
}

/*
 * See number.h.  `in` may be NULL only when len is 0; `rule` may be
 * NULL.  plan is needed (and checked) for CDR_KIND_MSISDN only, and may
 * be NULL for the other kinds.  Returns CDR_ERR_INVAL for a NULL
 * argument, an unknown kind or a plan whose country code is not exactly
 * an assigned E.164 code or whose prefixes are not digits.  On any error
 * out is "" and *outlen 0.
 */
int cdr_number_canonical(const cdr_numbering_t *plan, cdr_kind_t kind,
                         const char *in, size_t len, char *out, size_t *outlen,
                         cdr_numclass_t *cls, const cdr_rule_t **rule)
{
        plan_view_t pv = {0};
        const cdr_rule_t *why;

        if (rule != NULL)
                *rule = NULL;
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
                if (rule != NULL)
                        *rule = why;
                return CDR_ERR_MALFORMED;
        }
        return CDR_OK;
}
