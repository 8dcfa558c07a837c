/*
 * Fuzz target: the number canonicaliser (number.h), every kind, under
 * six numbering plans and a plan made from the input.
 *
 * Input: byte 0 picks the kind (bits 0-1) and the plan (bits 2-4); with
 * the input's plan, bytes 1-4 give its country code, national prefix,
 * international prefix and short-code length.  The rest is the value.
 *
 * Contracts checked (PRODUCT.md, "Number canonical forms"): the output
 * is NUL-terminated, shorter than CDR_CANON_MAX and, but for an id (whose
 * bytes may include a NUL), as long as *outlen; a
 * personal msisdn is '+' then 6-15 digits (the shortest: a 4-digit
 * national number after a 2-digit country code), not starting with 0,
 * with a country code from the E.164 list, and after country code 1 not
 * starting with 1; a service number is at most
 * short_code_max_digits digits; withheld is "withheld"; an IMSI is 6-15
 * digits, an IMEI 14; an id has no surrounding white space; a canonical
 * form canonicalises to itself; an error leaves the output empty and
 * gives a static reason that is one line of printable ASCII.
 */
#include "fuzz.h"

#include "cdranon/number.h"

static const cdr_numbering_t PLANS[] = {
    {"44", "0", "00", 6},   /* United Kingdom */
    {"1", "1", "011", 3},   /* NANP */
    {"61", "0", "0011", 3}, /* Australia */
    {"39", "", "00", 5},    /* Italy: no trunk prefix */
    {"49", "0", "00", 5},   /* Germany */
    {"7", "8", "810", 3},   /* Russia: trunk 8, also a leading digit */
};
#define NPLANS (sizeof(PLANS) / sizeof(PLANS[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

/* A plan from four input bytes: digit strings of 1-3, 0-3 and 0-7
 * digits, and a short-code length of 0-20, so that invalid plans are
 * tried too. */
static void plan_from(const uint8_t *b, cdr_numbering_t *plan)
{
        size_t i, n;

        memset(plan, 0, sizeof(*plan));
        n = 1 + b[0] % 3;
        for (i = 0; i < n; i++)
                plan->country_code[i] = (char)('0' + (b[0] + 7 * i) % 10);
        n = b[1] % 4;
        for (i = 0; i < n; i++)
                plan->national_prefix[i] = (char)('0' + (b[1] >> 2) % 10);
        n = b[2] % 8;
        for (i = 0; i < n; i++)
                plan->international_prefix[i] =
                    (char)('0' + ((b[2] >> 3) + i) % 10);
        plan->short_code_max_digits = b[3] % 21;
}

static int all_digits(const char *p, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (p[i] < '0' || p[i] > '9')
                        return 0;
        return 1;
}

static int space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
               c == '\f';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char out[CDR_CANON_MAX], again[CDR_CANON_MAX], *value;
        const cdr_numbering_t *plan;
        cdr_numbering_t fuzzed;
        static const cdr_rule_t unset = {CDR_REASON_OTHER, "unset"};
        const cdr_rule_t *reason = &unset;
        cdr_numclass_t cls, cls2;
        size_t outlen = 12345, len2, cc, short_max;
        cdr_kind_t kind;
        size_t skip = 1;
        int rc, rc2;

        if (size < 1)
                return 0;
        kind = (cdr_kind_t)(data[0] & 3);
        if (((data[0] >> 2) & 7) < NPLANS) {
                plan = &PLANS[(data[0] >> 2) & 7];
        } else {
                if (size < 5)
                        return 0;
                plan_from(data + 1, &fuzzed);
                plan = &fuzzed;
                skip = 5;
        }
        value = fuzz_dup(data + skip, size - skip);
        memset(out, 'X', sizeof(out));
        rc = cdr_number_canonical(plan, kind, value, size - skip, out, &outlen,
                                  &cls, &reason);
        if (rc == CDR_ERR_INVAL) {
                /* Only a plan the loader would refuse is invalid. */
                FUZZ_ASSERT(plan == &fuzzed && kind == CDR_KIND_MSISDN);
                goto out;
        }
        if (rc != 0) {
                FUZZ_ASSERT(rc == CDR_ERR_MALFORMED);
                FUZZ_ASSERT(reason != NULL && fuzz_errstr_ok(reason->text));
                FUZZ_ASSERT(cdr_reason_name(reason->code) != NULL &&
                            reason->code != CDR_REASON_OTHER);
                FUZZ_ASSERT(out[0] == '\0' && outlen == 0);
                goto out;
        }
        FUZZ_ASSERT(reason == NULL);
        FUZZ_ASSERT(outlen < CDR_CANON_MAX && out[outlen] == '\0');
        /* An id is the value's bytes, a NUL byte included (JSON's \u0000);
         * every other canonical form is text. */
        if (kind != CDR_KIND_ID)
                FUZZ_ASSERT(strlen(out) == outlen);
        if (cls == CDR_NUM_WITHHELD) {
                FUZZ_ASSERT(strcmp(out, "withheld") == 0);
                goto out;
        }
        switch (kind) {
        case CDR_KIND_MSISDN:
                short_max = plan->short_code_max_digits;
                if (cls == CDR_NUM_SERVICE) {
                        FUZZ_ASSERT(outlen >= 1 && outlen <= short_max &&
                                    all_digits(out, outlen));
                        break;
                }
                FUZZ_ASSERT(cls == CDR_NUM_PERSONAL);
                FUZZ_ASSERT(out[0] == '+' && outlen >= 7 && outlen <= 16);
                FUZZ_ASSERT(all_digits(out + 1, outlen - 1) && out[1] != '0');
                cc = cdr_number_country_code_len(out, outlen);
                FUZZ_ASSERT(cc >= 1 && cc <= 3);
                FUZZ_ASSERT(!(out[1] == '1' && out[2] == '1'));
                break;
        case CDR_KIND_IMSI:
                FUZZ_ASSERT(cls == CDR_NUM_PERSONAL);
                FUZZ_ASSERT(outlen >= 6 && outlen <= 15 &&
                            all_digits(out, outlen));
                break;
        case CDR_KIND_IMEI:
                FUZZ_ASSERT(cls == CDR_NUM_PERSONAL);
                FUZZ_ASSERT(outlen == 14 && all_digits(out, outlen));
                break;
        case CDR_KIND_ID:
                FUZZ_ASSERT(cls == CDR_NUM_PERSONAL);
                FUZZ_ASSERT(outlen >= 1 && !space(out[0]) &&
                            !space(out[outlen - 1]));
                break;
        }
        /* A canonical form is a fixed point. */
        rc2 = cdr_number_canonical(plan, kind, out, outlen, again, &len2, &cls2,
                                   NULL);
        FUZZ_ASSERT(rc2 == 0 && len2 == outlen && cls2 == cls &&
                    memcmp(again, out, outlen) == 0);
out:
        free(value);
        return 0;
}
