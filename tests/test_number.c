/*
 * Tests of number.c: canonical forms of msisdn, imsi, imei and id under
 * several numbering plans, and E.164 country code lengths.  Numbers are
 * from ranges reserved for fiction and examples (Ofcom 07700 900xxx and
 * 020 7946 0xxx, NANP 555) or from the standards' own examples.
 */
#include "cdranon/number.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

enum plan_id { UK = 0, NANP, DE, AU, IT };

static void plan_get(enum plan_id id, cdr_numbering_t *plan)
{
        cdr_numbering_default(plan);
        switch (id) {
        case UK:
                break;
        case NANP:
                strcpy(plan->country_code, "1");
                strcpy(plan->national_prefix, "1");
                strcpy(plan->international_prefix, "011");
                plan->short_code_max_digits = 3;
                break;
        case DE:
                strcpy(plan->country_code, "49");
                strcpy(plan->national_prefix, "0");
                strcpy(plan->international_prefix, "00");
                plan->short_code_max_digits = 5;
                break;
        case AU:
                strcpy(plan->country_code, "61");
                strcpy(plan->national_prefix, "0");
                strcpy(plan->international_prefix, "0011");
                plan->short_code_max_digits = 3;
                break;
        case IT:
                strcpy(plan->country_code, "39");
                strcpy(plan->national_prefix, "");
                strcpy(plan->international_prefix, "00");
                plan->short_code_max_digits = 5;
                break;
        }
}

/* Criterion runs each parameter in a new process image, where pointers
 * into the parent's data are not valid: the strings are held inline. */
struct num_case {
        enum plan_id plan;
        cdr_kind_t kind;
        char in[80];
        int rc;
        cdr_numclass_t cls;
        char want[80]; /* the canonical form, or the reason if rc != 0 */
};

#define MSISDN   CDR_KIND_MSISDN
#define IMSI     CDR_KIND_IMSI
#define IMEI     CDR_KIND_IMEI
#define ID       CDR_KIND_ID
#define PERSONAL CDR_NUM_PERSONAL
#define SERVICE  CDR_NUM_SERVICE
#define WITHHELD CDR_NUM_WITHHELD

#define OK(p, k, in, cls, want)                                                \
        {                                                                      \
                p, k, in, CDR_OK, cls, want                                    \
        }
#define BAD(p, k, in, why)                                                     \
        {                                                                      \
                p, k, in, CDR_ERR_MALFORMED, PERSONAL, why                     \
        }
#define HELD(p, k, in) OK(p, k, in, WITHHELD, "withheld")

/* The reasons of the number plan rules. */
#define TOO_FEW     "too few digits for its country code"
#define INCOMPLETE  "local number does not complete its phone-context"
#define DOMAIN      "local number with a domain name as phone-context"
#define BAD_CONTEXT "invalid phone-context in URI"
#define NO_CC       "phone-context without a country code"
#define MISMATCH    "phone-context does not begin the global number"
#define TWICE       "URI parameter given twice"
#define BAD_PARAM   "invalid URI parameter"
#define NANP_TRUNK  "NANP number starting with trunk prefix 1"

#define UK_MOBILE "+447700900123"
#define NANP_LINE "+14155552671"
#define DE_LINE   "+493012345678"

static struct num_case cases[] = {
    /* PRODUCT.md's shapes */
    OK(UK, MSISDN, "+447700900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "00447700900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "07700 900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "(07700) 900-123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "447700900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "tel:+44-7700-900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "sip:+447700900123@ims.example.net;user=phone", PERSONAL,
       UK_MOBILE),
    /* URI variants */
    OK(UK, MSISDN, "sips:+447700900123@ims.example.net", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "TEL:+447700900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "Sip:+447700900123@ims.example.net", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "SIPS:+447700900123@ims.example.net", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "tel:+447700900123;phone-context=ims.example.net", PERSONAL,
       UK_MOBILE),
    OK(UK, MSISDN, "tel:7700900123;phone-context=+44", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "sip:07700900123@ims.example.net;user=phone", PERSONAL,
       UK_MOBILE),
    OK(UK, MSISDN, "sip:+447700900123;npdi@ims.example.net;user=phone",
       PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "sip:+44-7700-900123@ims.example.net", PERSONAL, UK_MOBILE),
    /* white space, separators, the E.123 "(0)" */
    OK(UK, MSISDN, "  +447700900123  ", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "\t07700900123\r\n", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "+44 (0)7700 900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "0044 (0) 7700 900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "+44.7700.900.123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "(+44) 7700 900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "+ 44 7700 900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "+44 7700 (0)900123", PERSONAL, "+4477000900123"),
    /* lengths: national 7-10, international 11-15 */
    OK(UK, MSISDN, "7700900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "020 7946 0018", PERSONAL, "+442079460018"),
    OK(UK, MSISDN, "1234567", PERSONAL, "+441234567"),
    OK(UK, MSISDN, "14155552671", PERSONAL, NANP_LINE),
    OK(UK, MSISDN, "33612345678", PERSONAL, "+33612345678"),
    OK(UK, MSISDN, "861381234567890", PERSONAL, "+861381234567890"),
    OK(UK, MSISDN, "0112345678901", PERSONAL, "+44112345678901"),
    OK(UK, MSISDN, "+8613812345678", PERSONAL, "+8613812345678"),
    OK(UK, MSISDN, "+6834002", PERSONAL, "+6834002"),
    OK(UK, MSISDN, "+123456789012345", PERSONAL, "+123456789012345"),
    OK(UK, MSISDN, "+38344123456", PERSONAL, "+38344123456"),
    OK(UK, MSISDN, "+88216123456", PERSONAL, "+88216123456"),
    /* service numbers */
    OK(UK, MSISDN, "999", SERVICE, "999"),
    OK(UK, MSISDN, "112", SERVICE, "112"),
    OK(UK, MSISDN, "150", SERVICE, "150"),
    OK(UK, MSISDN, "118118", SERVICE, "118118"),
    OK(UK, MSISDN, " 1 1 2 ", SERVICE, "112"),
    OK(UK, MSISDN, "tel:112", SERVICE, "112"),
    OK(UK, MSISDN, "sip:999@ims.example.net", SERVICE, "999"),
    /* withheld */
    HELD(UK, MSISDN, ""),
    HELD(UK, MSISDN, "   "),
    HELD(UK, MSISDN, "\t\r\n"),
    HELD(UK, MSISDN, "anonymous"),
    HELD(UK, MSISDN, "Anonymous"),
    HELD(UK, MSISDN, "WITHHELD"),
    HELD(UK, MSISDN, " private "),
    HELD(UK, MSISDN, "Unavailable"),
    HELD(UK, MSISDN, "sip:anonymous@anonymous.invalid"),
    /* malformed */
    BAD(UK, MSISDN, "+44770090012a", "letters in number"),
    BAD(UK, MSISDN, "07700 9OO123", "letters in number"),
    BAD(UK, MSISDN, "+44 7700 900123 ext 5", "letters in number"),
    BAD(UK, MSISDN, "anonymously", "letters in number"),
    BAD(UK, MSISDN, "sip:alice@example.com", "letters in number"),
    BAD(UK, MSISDN, "#31#07700900123", "invalid character in number"),
    BAD(UK, MSISDN, "07700_900123", "invalid character in number"),
    BAD(UK, MSISDN, "07700/900123", "invalid character in number"),
    BAD(UK, MSISDN, "07700\t900123", "invalid character in number"),
    BAD(UK, MSISDN,
        "07700\xc2\xa0"
        "900123",
        "invalid character in number"),
    BAD(UK, MSISDN, "+", "no digits after '+'"),
    BAD(UK, MSISDN, " + ", "no digits after '+'"),
    BAD(UK, MSISDN, "tel:+", "no digits after '+'"),
    BAD(UK, MSISDN, "++447700900123", "more than one '+'"),
    BAD(UK, MSISDN, "+44+7700900123", "more than one '+'"),
    BAD(UK, MSISDN, "4477+00900123", "'+' not at start of number"),
    BAD(UK, MSISDN, "00+447700900123", "'+' not at start of number"),
    BAD(UK, MSISDN, "tel:", "empty tel URI"),
    BAD(UK, MSISDN, "tel:;phone-context=+44", "empty tel URI"),
    BAD(UK, MSISDN, "sip:@ims.example.net", "empty SIP user part"),
    BAD(UK, MSISDN, "sip:;user=phone@ims.example.net", "empty SIP user part"),
    BAD(UK, MSISDN, "sip:+447700900123", "SIP URI without user part"),
    BAD(UK, MSISDN, "sip:", "SIP URI without user part"),
    BAD(UK, MSISDN, "---", "no digits in number"),
    BAD(UK, MSISDN, "()", "no digits in number"),
    BAD(UK, MSISDN, "00", "no digits after international prefix"),
    BAD(UK, MSISDN, "0044", TOO_FEW),
    BAD(UK, MSISDN, "+44123", TOO_FEW),
    BAD(UK, MSISDN, "+0447700900123", "country code starts with 0"),
    BAD(UK, MSISDN, "+2812345678", "unassigned country code"),
    BAD(UK, MSISDN, "+999123456", "unassigned country code"),
    BAD(UK, MSISDN, "0028112345678", "unassigned country code"),
    BAD(UK, MSISDN, "28123456789", "unassigned country code"),
    BAD(UK, MSISDN, "+1234567890123456", "more than 15 digits"),
    BAD(UK, MSISDN, "004412345678901234", "more than 15 digits"),
    BAD(UK, MSISDN, "077009001234567", "more than 15 digits"),
    BAD(UK, MSISDN, "1234567890123456", "more than 15 digits"),
    BAD(UK, MSISDN, "12345678901234567890123456789012345",
        "more than 15 digits"),
    /* North American plan: 1, national prefix 1, 011 */
    OK(NANP, MSISDN, "(415) 555-2671", PERSONAL, NANP_LINE),
    OK(NANP, MSISDN, "1-415-555-2671", PERSONAL, NANP_LINE),
    OK(NANP, MSISDN, "4155552671", PERSONAL, NANP_LINE),
    OK(NANP, MSISDN, "+1 415 555 2671", PERSONAL, NANP_LINE),
    OK(NANP, MSISDN, "011 44 7700 900123", PERSONAL, UK_MOBILE),
    OK(NANP, MSISDN, "01144 7700 900123", PERSONAL, UK_MOBILE),
    OK(NANP, MSISDN, "911", SERVICE, "911"),
    BAD(NANP, MSISDN, "011", "no digits after international prefix"),
    BAD(NANP, MSISDN, "00447700900123", "country code starts with 0"),
    BAD(NANP, MSISDN, "23456",
        "too many digits for a short code, too few for a national "
        "number"),
    /* Germany: 49, 0, 00 */
    OK(DE, MSISDN, "030 12345678", PERSONAL, DE_LINE),
    OK(DE, MSISDN, "0049 30 12345678", PERSONAL, DE_LINE),
    OK(DE, MSISDN, "+49 (0)30 12345678", PERSONAL, DE_LINE),
    OK(DE, MSISDN, "0171 1234567", PERSONAL, "+491711234567"),
    OK(DE, MSISDN, "110", SERVICE, "110"),
    BAD(DE, MSISDN, "123456",
        "too many digits for a short code, too few for a national "
        "number"),
    /* Australia: 61, 0, 0011; "000" is the emergency number */
    OK(AU, MSISDN, "000", SERVICE, "000"),
    OK(AU, MSISDN, "0412 345 678", PERSONAL, "+61412345678"),
    OK(AU, MSISDN, "0011 44 7700 900123", PERSONAL, UK_MOBILE),
    BAD(AU, MSISDN, "0011", "no digits after international prefix"),
    /* Italy: 39, no national prefix (the 0 is part of the number) */
    OK(IT, MSISDN, "06 1234 5678", PERSONAL, "+390612345678"),
    OK(IT, MSISDN, "0039 06 12345678", PERSONAL, "+390612345678"),
    OK(IT, MSISDN, "312 345 6789", PERSONAL, "+393123456789"),
    /* tel: and sip: URIs with a phone-context (RFC 3966 5.1.5): a
     * global-number context gives the country code; the national
     * (trunk) prefix of a number in national format is dropped */
    OK(UK, MSISDN, "tel:62889;phone-context=+247", PERSONAL, "+24762889"),
    OK(UK, MSISDN, "tel:142685300;phone-context=+33", PERSONAL, "+33142685300"),
    OK(UK, MSISDN, "tel:01-42-68-53-00;phone-context=+33", PERSONAL,
       "+33142685300"),
    OK(UK, MSISDN, "tel:142685300;phone-context=+3-3", PERSONAL,
       "+33142685300"),
    OK(UK, MSISDN, "TEL:142685300;Phone-Context=+33", PERSONAL, "+33142685300"),
    OK(UK, MSISDN, "tel:030-12345678;phone-context=+49", PERSONAL, DE_LINE),
    OK(UK, MSISDN, "tel:1-415-555-2671;phone-context=+1", PERSONAL, NANP_LINE),
    OK(UK, MSISDN, "tel:4002;phone-context=+683", PERSONAL, "+6834002"),
    OK(UK, MSISDN, "tel:07700900123;phone-context=+44", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "sip:62889;phone-context=+247@ims.example.net;user=phone",
       PERSONAL, "+24762889"),
    OK(UK, MSISDN, "sip:142685300;phone-context=+33@example.net;user=phone",
       PERSONAL, "+33142685300"),
    OK(UK, MSISDN, "sips:0142685300;phone-context=+33@example.net", PERSONAL,
       "+33142685300"),
    /* a context longer than a country code is not a prefix (RFC 3966
     * 5.1.5): only a local number that completes it to a number of a
     * length its country uses is read */
    OK(UK, MSISDN, "tel:555-2671;phone-context=+1-415", PERSONAL, NANP_LINE),
    OK(UK, MSISDN, "tel:7946-0018;phone-context=+44-20", PERSONAL,
       "+442079460018"),
    OK(UK, MSISDN, "tel:0018;phone-context=+44-20-7946", PERSONAL,
       "+442079460018"),
    BAD(UK, MSISDN, "tel:863-1234;phone-context=+1-914-555", INCOMPLETE),
    BAD(UK, MSISDN, "tel:999;phone-context=+44-20", INCOMPLETE),
    BAD(UK, MSISDN, "tel:62889;phone-context=+247-62", INCOMPLETE),
    /* a short code is a service number only in the home plan */
    OK(UK, MSISDN, "tel:112;phone-context=+44", SERVICE, "112"),
    OK(UK, MSISDN, "tel:118-118;phone-context=+44", SERVICE, "118118"),
    OK(UK, MSISDN, "sip:999;phone-context=+44@ims.example.net;user=phone",
       SERVICE, "999"),
    OK(NANP, MSISDN, "tel:911;phone-context=+1", SERVICE, "911"),
    BAD(UK, MSISDN, "tel:112;phone-context=+33", TOO_FEW),
    BAD(UK, MSISDN, "tel:3949;phone-context=+33", TOO_FEW),
    BAD(UK, MSISDN, "tel:911;phone-context=+1", TOO_FEW),
    BAD(UK, MSISDN, "sip:112;phone-context=+49@example.net;user=phone",
        TOO_FEW),
    BAD(NANP, MSISDN, "tel:999;phone-context=+44", TOO_FEW),
    BAD(DE, MSISDN, "tel:110;phone-context=+44", TOO_FEW),
    /* a domain name cannot be resolved to a numbering plan */
    BAD(UK, MSISDN, "tel:62889;phone-context=ims.example.net", DOMAIN),
    BAD(UK, MSISDN, "tel:7042;phone-context=example.com", DOMAIN),
    BAD(UK, MSISDN, "tel:112;phone-context=ims.mnc015.mcc234.3gppnetwork.org",
        DOMAIN),
    BAD(UK, MSISDN, "tel:07700900123;phone-context=example.com.", DOMAIN),
    BAD(UK, MSISDN, "sip:62889;phone-context=example.com@example.com", DOMAIN),
    /* contexts that are neither */
    BAD(UK, MSISDN, "tel:62889;phone-context=", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=+", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=+-", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=247", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=+24 7", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=+247x", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=-example.com", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=example..com", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=example.4com", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=+1234567890123456", BAD_CONTEXT),
    BAD(UK, MSISDN, "tel:62889;phone-context=+999", NO_CC),
    BAD(UK, MSISDN, "tel:62889;phone-context=+3", NO_CC),
    BAD(UK, MSISDN, "tel:62889;phone-context=+044", NO_CC),
    BAD(UK, MSISDN, "tel:62889;phone-context=+247;phone-context=+44", TWICE),
    /* a global number needs no context: a domain or digits that begin
     * the number are ignored; digits that do not are a contradiction */
    OK(UK, MSISDN, "tel:+447700900123;phone-context=+44", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "tel:+33142685300;phone-context=+33-1", PERSONAL,
       "+33142685300"),
    BAD(UK, MSISDN, "tel:+7700900123;phone-context=+44", MISMATCH),
    BAD(UK, MSISDN, "tel:+447700900123;phone-context=+33", MISMATCH),
    BAD(UK, MSISDN, "tel:+447700900123;phone-context=44", BAD_CONTEXT),
    /* ext and isub are not part of the number: checked, then dropped;
     * other parameters are dropped */
    OK(UK, MSISDN, "tel:+44-7700-900123;ext=5678", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "tel:+447700900123;EXT=(56)78", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "tel:7700900123;ext=12;phone-context=+44", PERSONAL,
       UK_MOBILE),
    OK(UK, MSISDN, "tel:+447700900123;isub=1411", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "sip:+447700900123;ext=22@ims.example.net;user=phone",
       PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "tel:+447700900123;rn=+447700900999;npdi", PERSONAL,
       UK_MOBILE),
    OK(UK, MSISDN, "tel:112;ext=1", SERVICE, "112"),
    BAD(UK, MSISDN, "tel:+447700900123;ext=", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;ext", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;ext=12a", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;ext=--", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;isub", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;;npdi", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;=5", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;rn=", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;e xt=5", BAD_PARAM),
    BAD(UK, MSISDN, "sip:+447700900123;ext=@ims.example.net", BAD_PARAM),
    BAD(UK, MSISDN, "tel:+447700900123;ext=1;ext=2", TWICE),
    BAD(UK, MSISDN, "tel:+447700900123;isub=1;ISUB=2", TWICE),
    /* a trunk prefix written after the country code is dropped where the
     * country's plan has one: one subscriber, one canonical form */
    OK(UK, MSISDN, "+44 0121 234 5678", PERSONAL, "+441212345678"),
    OK(UK, MSISDN, "0044 0121 234 5678", PERSONAL, "+441212345678"),
    OK(UK, MSISDN, "44 (0)121 234 5678", PERSONAL, "+441212345678"),
    OK(UK, MSISDN, "44 0121 234 5678", PERSONAL, "+441212345678"),
    OK(UK, MSISDN, "+44 (0)121 234 5678", PERSONAL, "+441212345678"),
    OK(UK, MSISDN, "+44 07700 900123", PERSONAL, UK_MOBILE),
    OK(UK, MSISDN, "+49 030 12345678", PERSONAL, DE_LINE),
    OK(UK, MSISDN, "0049 (0)30 12345678", PERSONAL, DE_LINE),
    OK(UK, MSISDN, "49 030 12345678", PERSONAL, DE_LINE),
    OK(UK, MSISDN, "+33 0 1 42 68 53 00", PERSONAL, "+33142685300"),
    OK(UK, MSISDN, "+61 0412 345 678", PERSONAL, "+61412345678"),
    OK(UK, MSISDN, "+36 06 1 234 5678", PERSONAL, "+3612345678"),
    OK(UK, MSISDN, "+7 8 495 123-45-67", PERSONAL, "+74951234567"),
    OK(UK, MSISDN, "+7 8 800 123-45-67", PERSONAL, "+78001234567"),
    OK(UK, MSISDN, "+370 8 612 34567", PERSONAL, "+37061234567"),
    OK(UK, MSISDN, "+370 0 612 34567", PERSONAL, "+37061234567"),
    OK(UK, MSISDN, "+375 8 029 123-45-67", PERSONAL, "+375291234567"),
    OK(UK, MSISDN, "+375 0 29 123-45-67", PERSONAL, "+375291234567"),
    OK(NANP, MSISDN, "011 44 0121 234 5678", PERSONAL, "+441212345678"),
    OK(DE, MSISDN, "00 44 (0) 121 234 5678", PERSONAL, "+441212345678"),
    OK(UK, MSISDN, "+57 03 601 234 5678", PERSONAL, "+576012345678"),
    OK(UK, MSISDN, "+57 0 321 123 4567", PERSONAL, "+573211234567"),
    OK(UK, MSISDN, "+241 011 68 94 53", PERSONAL, "+24111689453"),
    /* ... but not where the digit is part of the number */
    OK(UK, MSISDN, "+241 06 03 12 34", PERSONAL, "+24106031234"),
    OK(UK, MSISDN, "+39 06 1234 5678", PERSONAL, "+390612345678"),
    OK(UK, MSISDN, "+39 (0)6 1234 5678", PERSONAL, "+390612345678"),
    OK(UK, MSISDN, "0039 (0) 6 1234 5678", PERSONAL, "+390612345678"),
    OK(UK, MSISDN, "+378 0549 123456", PERSONAL, "+3780549123456"),
    OK(UK, MSISDN, "+7 812 123-45-67", PERSONAL, "+78121234567"),
    OK(UK, MSISDN, "+7 800 123-45-67", PERSONAL, "+78001234567"),
    OK(UK, MSISDN, "+375 801 123 4567", PERSONAL, "+3758011234567"),
    OK(UK, MSISDN, "+91 000800 1234567", PERSONAL, "+910008001234567"),
    OK(UK, MSISDN, "+91 0 22 1234 5678", PERSONAL, "+912212345678"),
    OK(UK, MSISDN, "+250 06 123456", PERSONAL, "+25006123456"),
    OK(UK, MSISDN, "+34 (0)91 123 45 67", PERSONAL, "+34911234567"),
    /* NANP: 1 is the country code and the trunk prefix; a national
     * number never begins with it, so "+1 1 ..." is not a number */
    BAD(UK, MSISDN, "+1 1 415 555 2671", NANP_TRUNK),
    BAD(UK, MSISDN, "001 1 415 555 2671", NANP_TRUNK),
    BAD(UK, MSISDN, "1 1 415 555 2671", NANP_TRUNK),
    BAD(NANP, MSISDN, "1 1 415 555 2671", NANP_TRUNK),
    BAD(NANP, MSISDN, "011 1 1 415 555 2671", NANP_TRUNK),
    BAD(UK, MSISDN, "+1 (1) 415 555 2671", NANP_TRUNK),
    BAD(UK, MSISDN, "tel:1-1-415-555-2671;phone-context=+1", NANP_TRUNK),
    /* short E.164 numbers: with an explicit country code, as short as the
     * country's plan allows (libphonenumber's possible lengths) */
    OK(UK, MSISDN, "+98 9610 12", PERSONAL, "+98961012"),
    OK(UK, MSISDN, "0098 9601", PERSONAL, "+989601"),
    OK(UK, MSISDN, "+290 2212", PERSONAL, "+2902212"),
    OK(UK, MSISDN, "+290 22123", PERSONAL, "+29022123"),
    OK(UK, MSISDN, "00683 4002", PERSONAL, "+6834002"),
    OK(UK, MSISDN, "+690 3123", PERSONAL, "+6903123"),
    OK(UK, MSISDN, "+43 1 123", PERSONAL, "+431123"),
    OK(UK, MSISDN, "+500 12345", PERSONAL, "+50012345"),
    OK(DE, MSISDN, "030 1234", PERSONAL, "+49301234"),
    OK(UK, MSISDN, "+388 1234", PERSONAL, "+3881234"),
    OK(UK, MSISDN, "+388 (0) 1234", PERSONAL, "+3881234"),
    BAD(UK, MSISDN, "+388 123", TOO_FEW),
    BAD(UK, MSISDN, "+98 960", TOO_FEW),
    BAD(UK, MSISDN, "+44 123456", TOO_FEW),
    BAD(UK, MSISDN, "+33 12345678", TOO_FEW),
    BAD(UK, MSISDN, "+1 212 555", TOO_FEW),
    BAD(UK, MSISDN, "+290 221", TOO_FEW),
    /* bare digits keep their rules */
    OK(UK, MSISDN, "989601", SERVICE, "989601"),
    OK(UK, MSISDN, "2902212", PERSONAL, "+442902212"),
    BAD(UK, MSISDN, "0 123456", TOO_FEW),
    /* imsi */
    OK(UK, IMSI, "234150999999999", PERSONAL, "234150999999999"),
    OK(UK, IMSI, " 310150123456789 ", PERSONAL, "310150123456789"),
    OK(UK, IMSI, "234150", PERSONAL, "234150"),
    HELD(UK, IMSI, ""),
    HELD(UK, IMSI, "  "),
    BAD(UK, IMSI, "23415", "IMSI shorter than 6 digits"),
    BAD(UK, IMSI, "2341509999999999", "IMSI longer than 15 digits"),
    BAD(UK, IMSI, "23415-0999999999", "IMSI has a non-digit character"),
    BAD(UK, IMSI, "234 150 999999999", "IMSI has a non-digit character"),
    BAD(UK, IMSI, "anonymous", "IMSI has a non-digit character"),
    /* imei: IMEI without and with check digit, IMEISV */
    OK(UK, IMEI, "35209900176148", PERSONAL, "35209900176148"),
    OK(UK, IMEI, "352099001761481", PERSONAL, "35209900176148"),
    OK(UK, IMEI, "3520990017614823", PERSONAL, "35209900176148"),
    OK(UK, IMEI, "35-209900-176148-1", PERSONAL, "35209900176148"),
    OK(UK, IMEI, "35 209900 176148 23", PERSONAL, "35209900176148"),
    OK(UK, IMEI, " 49-015420-323751-8 ", PERSONAL, "49015420323751"),
    HELD(UK, IMEI, ""),
    BAD(UK, IMEI, "3520990017614", "IMEI shorter than 14 digits"),
    BAD(UK, IMEI, "35209900176148123", "IMEI longer than 16 digits"),
    BAD(UK, IMEI, "35209900176148/1",
        "IMEI has a character other than a digit, '-' or space"),
    BAD(UK, IMEI, "35209900I76148",
        "IMEI has a character other than a digit, '-' or space"),
    /* id */
    OK(UK, ID, "  user-42@example  ", PERSONAL, "user-42@example"),
    OK(UK, ID, "anonymous", PERSONAL, "anonymous"),
    OK(UK, ID, "a b", PERSONAL, "a b"),
    HELD(UK, ID, ""),
    HELD(UK, ID, " \t "),
};

/* 1 when s holds a run of at least four digits: no reason may carry a
 * part of a number. */
static int has_digit_run(const char *s)
{
        int run = 0;

        for (; *s != '\0'; s++) {
                run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
                if (run >= 4)
                        return 1;
        }
        return 0;
}

ParameterizedTestParameters(number, canonical)
{
        return cr_make_param_array(struct num_case, cases,
                                   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct num_case *tc, number, canonical)
{
        cdr_numbering_t plan;
        char out[CDR_CANON_MAX];
        size_t outlen = 99;
        cdr_numclass_t cls = SERVICE;
        static const cdr_rule_t unset = {CDR_REASON_OTHER, "unset"};
        const cdr_rule_t *why = &unset;
        int rc;

        plan_get(tc->plan, &plan);
        memset(out, 'z', sizeof(out));
        rc = cdr_number_canonical(&plan, tc->kind, tc->in, strlen(tc->in), out,
                                  &outlen, &cls, &why);
        cr_assert_eq(rc, tc->rc, "%s '%s': rc %d, want %d (%s)",
                     cdr_kind_name(tc->kind), tc->in, rc, tc->rc,
                     why ? why->text : "no reason");
        if (rc != CDR_OK) {
                cr_assert_not_null(why);
                cr_assert_str_eq(why->text, tc->want, "'%s'", tc->in);
                cr_assert(!has_digit_run(why->text));
                /* Every rule is counted under a rule of its own kind. */
                cr_assert_neq(why->code, CDR_REASON_OTHER, "'%s'", tc->in);
                cr_assert_not_null(cdr_reason_name(why->code));
                cr_assert_str_eq(out, "");
                cr_assert_eq(outlen, 0);
                return;
        }
        cr_assert_null(why);
        cr_assert_eq(cls, tc->cls, "'%s': class %d, want %d", tc->in, cls,
                     tc->cls);
        cr_assert_str_eq(out, tc->want, "'%s'", tc->in);
        cr_assert_eq(outlen, strlen(tc->want));

        /* A canonical form is a fixed point, and a personal msisdn always
         * starts with an assigned country code. */
        if (tc->kind == MSISDN && cls == PERSONAL) {
                char again[CDR_CANON_MAX];
                size_t againlen;
                cdr_numclass_t againcls;

                cr_assert_gt(cdr_number_country_code_len(out, outlen), 0);
                rc = cdr_number_canonical(&plan, tc->kind, out, outlen, again,
                                          &againlen, &againcls, NULL);
                cr_assert_eq(rc, CDR_OK);
                cr_assert_str_eq(again, out);
                cr_assert_eq(againcls, PERSONAL);
        }
}

struct cc_case {
        char canon[24];
        size_t want;
};

static struct cc_case cc_cases[] = {
    {"+14155552671", 1},   /* NANP */
    {"+12845550123", 1},   /* NANP territory (BVI), not 284 */
    {"+74951234567", 1},   /* Russia */
    {"+77011234567", 1},   /* Kazakhstan */
    {"+201001234567", 2},  /* Egypt */
    {"+211912345678", 3},  /* South Sudan */
    {"+212612345678", 3},  /* Morocco */
    {"+27821234567", 2},   /* South Africa */
    {"+2901234", 3},       /* Saint Helena */
    {"+299123456", 3},     /* Greenland */
    {"+306912345678", 2},  /* Greece */
    {"+351912345678", 3},  /* Portugal */
    {"+37912345678", 3},   /* Vatican */
    {"+38344123456", 3},   /* Kosovo */
    {"+393123456789", 2},  /* Italy */
    {"+420601123456", 3},  /* Czechia */
    {"+423661234567", 3},  /* Liechtenstein */
    {UK_MOBILE, 2},        /* United Kingdom */
    {DE_LINE, 2},          /* Germany */
    {"+50051234", 3},      /* Falkland Islands */
    {"+5999123456", 3},    /* Curacao */
    {"+61412345678", 2},   /* Australia */
    {"+6721123456", 3},    /* Norfolk Island */
    {"+6834002", 3},       /* Niue */
    {"+80012345678", 3},   /* International Freephone */
    {"+8613812345678", 2}, /* China */
    {"+8801712345678", 3}, /* Bangladesh */
    {"+881612345678", 3},  /* GMSS (Iridium) */
    {"+88216123456", 3},   /* International Networks */
    {"+886912345678", 3},  /* Taiwan */
    {"+905321234567", 2},  /* Turkey */
    {"+970591234567", 3},  /* Palestine */
    {"+971501234567", 3},  /* United Arab Emirates */
    {"+97912345678", 3},   /* International Premium Rate */
    {"+998901234567", 3},  /* Uzbekistan */
    /* spare, reserved, or not a canonical msisdn */
    {"+2101234567", 0},
    {"+2591234567", 0},
    {"+2812345678", 0},
    {"+3841234567", 0},
    {"+4221234567", 0},
    {"+6711234567", 0},
    {"+6841234567", 0},
    {"+8011234567", 0},
    {"+8351234567", 0},
    {"+8751234567", 0},
    {"+8991234567", 0},
    {"+9691234567", 0},
    {"+9901234567", 0},
    {"+9991234567", 0},
    {"+0441234567", 0},
    {"447700900123", 0},
    {"+", 0},
    {"+4", 0}, /* too short to tell 4x from 42x */
    {"+44", 2},
    {"+35", 0}, /* 35x: three digits needed */
    {"+4a", 0},
};

ParameterizedTestParameters(number, country_code_len)
{
        return cr_make_param_array(struct cc_case, cc_cases,
                                   sizeof(cc_cases) / sizeof(cc_cases[0]));
}

ParameterizedTest(struct cc_case *tc, number, country_code_len)
{
        size_t got = cdr_number_country_code_len(tc->canon, strlen(tc->canon));

        cr_assert_eq(got, tc->want, "'%s': %zu, want %zu", tc->canon, got,
                     tc->want);
}

Test(number, country_code_len_uses_len_not_nul)
{
        /* "+351" cut to "+35" cannot be told; cut to "+44" it can. */
        cr_assert_eq(cdr_number_country_code_len("+351912345678", 3), 0);
        cr_assert_eq(cdr_number_country_code_len("+447700900123", 3), 2);
        cr_assert_eq(cdr_number_country_code_len(NULL, 0), 0);
}

Test(number, kind_names)
{
        static const cdr_kind_t kinds[] = {MSISDN, IMSI, IMEI, ID};
        static const char *names[] = {"msisdn", "imsi", "imei", "id"};
        static const char *bad[] = {"", "MSISDN", "ims", "imsi ", "ids", "tac"};
        size_t i;

        for (i = 0; i < 4; i++) {
                cdr_kind_t kind = (cdr_kind_t)99;

                cr_assert_str_eq(cdr_kind_name(kinds[i]), names[i]);
                cr_assert_eq(cdr_kind_parse(names[i], strlen(names[i]), &kind),
                             CDR_OK);
                cr_assert_eq(kind, kinds[i]);
        }
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cdr_kind_t kind = ID;

                cr_assert_eq(cdr_kind_parse(bad[i], strlen(bad[i]), &kind),
                             CDR_ERR_INVAL, "'%s'", bad[i]);
                cr_assert_eq(kind, ID);
        }
        /* A length, not a NUL, ends the name. */
        {
                cdr_kind_t kind = MSISDN;

                cr_assert_eq(cdr_kind_parse("imeisv", 4, &kind), CDR_OK);
                cr_assert_eq(kind, IMEI);
        }
        cr_assert_null(cdr_kind_name((cdr_kind_t)99));
}

Test(number, default_plan_is_uk)
{
        cdr_numbering_t plan;

        memset(&plan, 0x5a, sizeof(plan));
        cdr_numbering_default(&plan);
        cr_assert_str_eq(plan.country_code, "44");
        cr_assert_str_eq(plan.national_prefix, "0");
        cr_assert_str_eq(plan.international_prefix, "00");
        cr_assert_eq(plan.short_code_max_digits, 6);
}

static int canon(const cdr_numbering_t *plan, cdr_kind_t kind, const char *in,
                 char *out, cdr_numclass_t *cls, const cdr_rule_t **why)
{
        size_t outlen;

        return cdr_number_canonical(plan, kind, in, in ? strlen(in) : 0, out,
                                    &outlen, cls, why);
}

Test(number, id_length_limit)
{
        char in[CDR_CANON_MAX + 8];
        char out[CDR_CANON_MAX];
        size_t outlen;
        cdr_numclass_t cls;
        const cdr_rule_t *why;

        memset(in, 'x', sizeof(in));
        in[0] = ' ';
        cr_assert_eq(cdr_number_canonical(NULL, ID, in, CDR_CANON_MAX, out,
                                          &outlen, &cls, &why),
                     CDR_OK, "255 bytes after trimming fit");
        cr_assert_eq(outlen, CDR_CANON_MAX - 1);
        cr_assert_eq(out[outlen], '\0');
        cr_assert_eq(cdr_number_canonical(NULL, ID, in + 1, CDR_CANON_MAX, out,
                                          &outlen, &cls, &why),
                     CDR_ERR_MALFORMED);
        cr_assert_str_eq(why->text, "id too long");
}

Test(number, short_code_limit_follows_plan)
{
        cdr_numbering_t plan;
        char out[CDR_CANON_MAX];
        cdr_numclass_t cls;
        const cdr_rule_t *why;

        cdr_numbering_default(&plan);
        plan.short_code_max_digits = 0;
        cr_assert_eq(canon(&plan, MSISDN, "999", out, &cls, &why),
                     CDR_ERR_MALFORMED);
        plan.short_code_max_digits = 3;
        cr_assert_eq(canon(&plan, MSISDN, "999", out, &cls, &why), CDR_OK);
        cr_assert_eq(cls, SERVICE);
        cr_assert_eq(canon(&plan, MSISDN, "1181", out, &cls, &why),
                     CDR_ERR_MALFORMED);
        /* A limit above 15 cannot make a longer number a service one. */
        plan.short_code_max_digits = 40;
        cr_assert_eq(canon(&plan, MSISDN, "1234567890123456", out, &cls, &why),
                     CDR_ERR_MALFORMED);
        cr_assert_str_eq(why->text, "more than 15 digits");
}

Test(number, bad_arguments)
{
        cdr_numbering_t plan;
        char out[CDR_CANON_MAX];
        size_t outlen;
        cdr_numclass_t cls;
        const cdr_rule_t *why;
        static const char *bad_cc[] = {"", "0", "4", "28", "4a", "999"};
        size_t i;

        cdr_numbering_default(&plan);
        cr_assert_eq(canon(NULL, MSISDN, UK_MOBILE, out, &cls, &why),
                     CDR_ERR_INVAL);
        cr_assert_eq(canon(&plan, (cdr_kind_t)99, "1", out, &cls, &why),
                     CDR_ERR_INVAL);
        cr_assert_eq(canon(&plan, (cdr_kind_t)99, "", out, &cls, &why),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_number_canonical(&plan, MSISDN, NULL, 3, out, &outlen,
                                          &cls, &why),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_number_canonical(&plan, MSISDN, UK_MOBILE, 13, NULL,
                                          &outlen, &cls, &why),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_number_canonical(&plan, MSISDN, UK_MOBILE, 13, out,
                                          NULL, &cls, &why),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_number_canonical(&plan, MSISDN, UK_MOBILE, 13, out,
                                          &outlen, NULL, &why),
                     CDR_ERR_INVAL);

        /* NULL with length 0 is an empty value; plan is unused for imsi. */
        cr_assert_eq(canon(&plan, MSISDN, NULL, out, &cls, &why), CDR_OK);
        cr_assert_eq(cls, WITHHELD);
        cr_assert_eq(canon(NULL, IMSI, "234150999999999", out, &cls, &why),
                     CDR_OK);

        for (i = 0; i < sizeof(bad_cc) / sizeof(bad_cc[0]); i++) {
                cdr_numbering_default(&plan);
                strcpy(plan.country_code, bad_cc[i]);
                cr_assert_eq(canon(&plan, MSISDN, UK_MOBILE, out, &cls, &why),
                             CDR_ERR_INVAL, "country code '%s'", bad_cc[i]);
        }
        cdr_numbering_default(&plan);
        memcpy(plan.country_code, "4444", 4); /* no NUL */
        cr_assert_eq(canon(&plan, MSISDN, UK_MOBILE, out, &cls, &why),
                     CDR_ERR_INVAL);
        cdr_numbering_default(&plan);
        strcpy(plan.national_prefix, "o");
        cr_assert_eq(canon(&plan, MSISDN, UK_MOBILE, out, &cls, &why),
                     CDR_ERR_INVAL);
        cdr_numbering_default(&plan);
        strcpy(plan.international_prefix, "+");
        cr_assert_eq(canon(&plan, MSISDN, UK_MOBILE, out, &cls, &why),
                     CDR_ERR_INVAL);

        /* A reason is optional. */
        cdr_numbering_default(&plan);
        cr_assert_eq(cdr_number_canonical(&plan, MSISDN, "abc", 3, out, &outlen,
                                          &cls, NULL),
                     CDR_ERR_MALFORMED);
}

Test(number, length_bounds_input)
{
        cdr_numbering_t plan;
        char out[CDR_CANON_MAX];
        size_t outlen;
        cdr_numclass_t cls;
        const cdr_rule_t *why;

        /* Only len bytes are read: the trailing letters are not seen. */
        cdr_numbering_default(&plan);
        cr_assert_eq(cdr_number_canonical(&plan, MSISDN, "07700900123xyz", 11,
                                          out, &outlen, &cls, &why),
                     CDR_OK);
        cr_assert_str_eq(out, UK_MOBILE);
        cr_assert_eq(cdr_number_canonical(&plan, IMEI, "35209900176148123", 15,
                                          out, &outlen, &cls, &why),
                     CDR_OK);
        cr_assert_str_eq(out, "35209900176148");
}
