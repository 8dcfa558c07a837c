/*
 * The index file's lines: what anonymise writes, request reads back.
 */
#include <criterion/criterion.h>

#include "cdranon/request.h"

#include <string.h>

static const uint8_t A[CDR_IDX_TAG_LEN] = {0x01, 0x23, 0x45, 0x67,
                                           0x89, 0xab, 0xcd, 0xef};
static const uint8_t B[CDR_IDX_TAG_LEN] = {0xff, 0, 0, 0, 0, 0, 0, 0x10};

Test(request, header_round_trip)
{
        cdr_buf_t b = CDR_BUF_INIT;
        char id[32];

        cr_assert_eq(cdr_idx_put_header(&b, "k20261201"), 0);
        cr_expect_str_eq(b.data, "# cdranon-index v1 key=k20261201\n");
        cr_assert_eq(cdr_idx_parse_header(b.data, b.len, id, sizeof(id)), 0);
        cr_expect_str_eq(id, "k20261201");
        cr_expect_eq(cdr_idx_parse_header("0 h\n", 4, id, sizeof(id)),
                     CDR_ERR_MALFORMED);
        cr_expect_eq(cdr_idx_parse_header(b.data, b.len, id, 5),
                     CDR_ERR_MALFORMED, "an id too long for the buffer");
        cdr_buf_free(&b);
}

Test(request, line_unique_tags_and_hit)
{
        cdr_idx_entry_t e = {0};
        cdr_buf_t b = CDR_BUF_INIT;
        uint64_t off;
        int header, hit;

        cdr_idx_entry_add(&e, "number", A);
        cdr_idx_entry_add(&e, "number", B);
        cdr_idx_entry_add(&e, "number", A); /* caller = callee */
        cdr_idx_entry_add(&e, "imsi", A);   /* another kind */
        cr_assert_eq(e.ntags, 3);
        cr_assert_eq(cdr_idx_put_line(&b, 1234567, 0, &e), 0);
        cr_expect_str_eq(b.data, "1234567 number:0123456789abcdef "
                                 "number:ff00000000000010 "
                                 "imsi:0123456789abcdef\n");
        cr_assert_eq(cdr_idx_parse_line(b.data, b.len, "number",
                                        "ff00000000000010", &off, &header,
                                        &hit),
                     0);
        cr_expect_eq(off, 1234567);
        cr_expect_eq(header, 0);
        cr_expect_eq(hit, 1);
        cr_assert_eq(cdr_idx_parse_line(b.data, b.len, "imsi",
                                        "ff00000000000010", &off, &header,
                                        &hit),
                     0);
        cr_expect_eq(hit, 0, "the tag under another kind is no hit");
        cr_assert_eq(cdr_idx_parse_line(b.data, b.len, "number",
                                        "ff0000000000001", &off, &header, &hit),
                     0);
        cr_expect_eq(hit, 0, "a prefix of a tag is no hit");
        cdr_buf_free(&b);
}

Test(request, header_line_and_malformed)
{
        cdr_buf_t b = CDR_BUF_INIT;
        uint64_t off;
        int header, hit;

        cr_assert_eq(cdr_idx_put_line(&b, 0, 1, NULL), 0);
        cr_expect_str_eq(b.data, "0 h\n");
        cr_assert_eq(cdr_idx_parse_line(b.data, b.len, "number", NULL, &off,
                                        &header, &hit),
                     0);
        cr_expect_eq(header, 1);
        cr_expect_eq(off, 0);
        cr_expect_eq(
            cdr_idx_parse_line("x 1\n", 4, "number", NULL, &off, &header, &hit),
            CDR_ERR_MALFORMED);
        cr_expect_eq(cdr_idx_parse_line("12 number:0123\n", 15, "number", NULL,
                                        &off, &header, &hit),
                     CDR_ERR_MALFORMED, "a short tag");
        cr_expect_eq(cdr_idx_parse_line("99999999999999999999 h", 22, "number",
                                        NULL, &off, &header, &hit),
                     CDR_ERR_MALFORMED, "an offset over 64 bits");
        cdr_buf_free(&b);
}
