/*
 * Tests for the suppression list (policy.h, cdr_suppress_*): loading,
 * canonicalisation of each line, errors that name file and line but never
 * the number, and membership.  Numbers are from Ofcom's drama range
 * (07700 900000-900999).
 */
#include "cdranon/policy.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA "tests/data/policy/"

static cdr_numbering_t plan;

static void setup(void)
{
        cdr_numbering_default(&plan);
}

TestSuite(suppress, .init = setup);

static int contains(const cdr_suppress_t *set, const char *canon)
{
        return cdr_suppress_contains(set, canon, strlen(canon));
}

Test(suppress, loads_every_shape_and_skips_comments)
{
        char err[256] = "";
        cdr_suppress_t *set;

        set =
            cdr_suppress_load(DATA "suppress_ok.txt", &plan, err, sizeof(err));
        cr_assert_not_null(set, "%s", err);
        /* Six number lines, two of them the same subscriber. */
        cr_expect_eq(cdr_suppress_count(set), 5);
        cr_expect(contains(set, "+447700900001"));
        cr_expect(contains(set, "+447700900002"));
        cr_expect(contains(set, "+447700900003"));
        cr_expect(contains(set, "+447700900004"));
        cr_expect(contains(set, "+447700900005"));
        cr_expect(!contains(set, "+447700900006"));
        cr_expect(!contains(set, "+44770090000"));
        cr_expect(!contains(set, "+4477009000011"));
        cr_expect(!contains(set, "447700900001"), "only canonical forms");
        cr_expect(!contains(set, ""));
        cdr_suppress_destroy(set);
}

Test(suppress, empty_file_is_an_empty_set)
{
        char err[256] = "";
        cdr_suppress_t *set;

        set = cdr_suppress_load(DATA "suppress_empty.txt", &plan, err,
                                sizeof(err));
        cr_assert_not_null(set, "%s", err);
        cr_expect_eq(cdr_suppress_count(set), 0);
        cr_expect(!contains(set, "+447700900001"));
        cdr_suppress_destroy(set);
}

typedef struct {
        const char *file;
        const char *want;   /* the whole error */
        const char *canary; /* must not appear in the error */
} load_error_t;

static const load_error_t load_errors[] = {
    {DATA "suppress_bad_number.txt",
     DATA "suppress_bad_number.txt:3: not a valid number", "CANARY"},
    {DATA "suppress_service.txt",
     DATA "suppress_service.txt:3: not a subscriber number (a service "
          "number or withheld)",
     "999"},
    {DATA "suppress_withheld.txt",
     DATA "suppress_withheld.txt:2: not a subscriber number (a service "
          "number or withheld)",
     "anonymous"},
};

Test(suppress, load_errors_name_file_and_line_not_the_value)
{
        size_t i;

        for (i = 0; i < sizeof(load_errors) / sizeof(load_errors[0]); i++) {
                char err[256] = "";
                cdr_suppress_t *set;

                set = cdr_suppress_load(load_errors[i].file, &plan, err,
                                        sizeof(err));
                cr_expect_null(set, "%s", load_errors[i].file);
                cr_expect_str_eq(err, load_errors[i].want);
                cr_expect_null(strstr(err, load_errors[i].canary), "%s", err);
                cdr_suppress_destroy(set);
        }
}

Test(suppress, missing_file)
{
        char err[256] = "";

        cr_expect_null(cdr_suppress_load(DATA "no-such-file.txt", &plan, err,
                                         sizeof(err)));
        cr_expect_not_null(strstr(err, DATA "no-such-file.txt"), "%s", err);
}

Test(suppress, many_numbers_grow_the_table)
{
        char path[] = "/tmp/cdranon-suppress-XXXXXX";
        char err[256] = "";
        char canon[32];
        cdr_suppress_t *set;
        FILE *f;
        int fd, i;

        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        /* 5000 national-format numbers, each listed twice. */
        for (i = 0; i < 10000; i++)
                fprintf(f, "07700 %06d\n", 100000 + (i % 5000) * 2);
        fclose(f);
        set = cdr_suppress_load(path, &plan, err, sizeof(err));
        unlink(path);
        cr_assert_not_null(set, "%s", err);
        cr_expect_eq(cdr_suppress_count(set), 5000);
        for (i = 0; i < 5000; i++) {
                snprintf(canon, sizeof(canon), "+447700%06d", 100000 + i * 2);
                cr_assert(contains(set, canon), "%s", canon);
                snprintf(canon, sizeof(canon), "+447700%06d",
                         100000 + i * 2 + 1);
                cr_assert(!contains(set, canon), "%s", canon);
        }
        cdr_suppress_destroy(set);
}

Test(suppress, null_set_contains_nothing)
{
        cr_expect(!cdr_suppress_contains(NULL, "+447700900001", 13));
        cr_expect_eq(cdr_suppress_count(NULL), 0);
        cdr_suppress_destroy(NULL);
}
