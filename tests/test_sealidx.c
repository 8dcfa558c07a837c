/*
 * The sealed store's index tags: known answers computed with Python's
 * hmac and hashlib (key bytes 0..31), kind separation, bounds.
 */
#include <criterion/criterion.h>

#include "cdranon/sealidx.h"

#include <string.h>

static cdr_hmac_t *test_key(void)
{
        unsigned char k[32];

        for (int i = 0; i < 32; i++)
                k[i] = (unsigned char)i;
        return cdr_idx_key_new(k, sizeof(k));
}

static void expect_tag(const cdr_hmac_t *ik, const char *kind,
                       const char *canon, const char *want)
{
        uint8_t tag[CDR_IDX_TAG_LEN];
        char hex[CDR_IDX_TAG_HEX];

        cr_assert_eq(cdr_idx_tag(ik, kind, canon, strlen(canon), tag), 0);
        cdr_idx_tag_hex(tag, hex);
        cr_expect_str_eq(hex, want, "%s %s", kind, canon);
}

Test(sealidx, known_answers)
{
        cdr_hmac_t *ik = test_key();

        cr_assert_not_null(ik);
        expect_tag(ik, "number", "+447700900123", "681860bec480e0d5");
        expect_tag(ik, "imsi", "234150999999999", "cceef019de8c31c3");
        expect_tag(ik, "imei", "35209900176148", "583fb9d428f7709c");
        cdr_hmac_destroy(ik);
}

Test(sealidx, kind_separates)
{
        cdr_hmac_t *ik = test_key();
        uint8_t a[CDR_IDX_TAG_LEN], b[CDR_IDX_TAG_LEN];

        cr_assert_eq(cdr_idx_tag(ik, "imsi", "234150999999999", 15, a), 0);
        cr_assert_eq(cdr_idx_tag(ik, "imei", "234150999999999", 15, b), 0);
        cr_expect_neq(memcmp(a, b, sizeof(a)), 0);
        cdr_hmac_destroy(ik);
}

Test(sealidx, bounds)
{
        cdr_hmac_t *ik = test_key();
        uint8_t t[CDR_IDX_TAG_LEN];
        char big[300];

        memset(big, '1', sizeof(big));
        cr_expect_eq(cdr_idx_tag(ik, "number", "", 0, t), CDR_ERR_INVAL);
        cr_expect_eq(cdr_idx_tag(ik, "", "1", 1, t), CDR_ERR_INVAL);
        cr_expect_eq(cdr_idx_tag(ik, "number", big, sizeof(big), t),
                     CDR_ERR_INVAL);
        cdr_hmac_destroy(ik);
}
