/* Schemas and record reuse (record.h). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "cdranon/record.h"

static cdr_schema_t *schema;

static void setup(void)
{
        schema = cdr_schema_new();
        cr_assert_not_null(schema);
}

static void teardown(void)
{
        cdr_schema_destroy(schema);
}

TestSuite(record, .init = setup, .fini = teardown);

Test(record, add_and_find)
{
        int a = cdr_schema_add(schema, "calling_number", 14);
        int b = cdr_schema_add(schema, "called_number", 13);

        cr_expect_eq(a, 0);
        cr_expect_eq(b, 1);
        cr_expect_eq(cdr_schema_add(schema, "calling_number", 14), a,
                     "adding a name twice returns its slot");
        cr_expect_eq(cdr_schema_count(schema), 2);
        cr_expect_eq(cdr_schema_find(schema, "calling_number", 14), a);
        cr_expect_eq(cdr_schema_find(schema, "called_number", 13), b);
        cr_expect_eq(cdr_schema_find(schema, "calling_numbe", 13), -1);
        cr_expect_eq(cdr_schema_find(schema, "calling_number2", 15), -1);
        cr_expect_eq(cdr_schema_find(schema, "", 0), -1);
        cr_expect_str_eq(cdr_schema_name(schema, a), "calling_number");
        cr_expect_str_eq(cdr_schema_name(schema, b), "called_number");
        cr_expect_null(cdr_schema_name(schema, 2));
        cr_expect_null(cdr_schema_name(schema, -1));
}

Test(record, names_are_views)
{
        const char *line = "imsi,imei";

        cr_expect_eq(cdr_schema_add(schema, line, 4), 0);
        cr_expect_eq(cdr_schema_add(schema, line + 5, 4), 1);
        cr_expect_str_eq(cdr_schema_name(schema, 0), "imsi");
        cr_expect_eq(cdr_schema_find(schema, "imei,", 4), 1);
}

Test(record, invalid_names)
{
        char name[CDR_FIELD_NAME_MAX + 2];

        cr_expect_eq(cdr_schema_add(schema, "", 0), CDR_ERR_INVAL);
        cr_expect_eq(cdr_schema_add(schema, "a\0b", 3), CDR_ERR_INVAL);
        memset(name, 'n', sizeof(name));
        cr_expect_eq(cdr_schema_add(schema, name, CDR_FIELD_NAME_MAX + 1),
                     CDR_ERR_TOOBIG);
        cr_expect_eq(cdr_schema_add(schema, name, CDR_FIELD_NAME_MAX), 0,
                     "a name of exactly CDR_FIELD_NAME_MAX bytes fits");
        cr_expect_eq(cdr_schema_find(schema, name, CDR_FIELD_NAME_MAX), 0);
        cr_expect_eq(cdr_schema_find(schema, name, CDR_FIELD_NAME_MAX + 1), -1);
        cr_expect_eq(cdr_schema_count(schema), 1);
}

Test(record, slot_limit)
{
        char name[16];
        int i;

        for (i = 0; i < CDR_MAX_SLOTS; i++) {
                snprintf(name, sizeof(name), "f%d", i);
                cr_assert_eq(cdr_schema_add(schema, name, strlen(name)), i);
        }
        cr_expect_eq(cdr_schema_add(schema, "one_more", 8), CDR_ERR_TOOBIG);
        cr_expect_eq(cdr_schema_add(schema, "f7", 2), 7,
                     "a full schema still finds its names");
        for (i = 0; i < CDR_MAX_SLOTS; i++) {
                snprintf(name, sizeof(name), "f%d", i);
                cr_expect_eq(cdr_schema_find(schema, name, strlen(name)), i);
                cr_expect_str_eq(cdr_schema_name(schema, i), name);
        }
        cr_expect_eq(cdr_schema_find(schema, "f64", 3), -1);
}

Test(record, null_schema)
{
        cr_expect_eq(cdr_schema_count(NULL), 0);
        cr_expect_eq(cdr_schema_find(NULL, "a", 1), -1);
        cr_expect_null(cdr_schema_name(NULL, 0));
        cdr_schema_destroy(NULL);
}

Test(record, reset_clears_and_reserves)
{
        cdr_record_t record;
        static const char raw[] = "some,record";
        size_t i;

        memset(&record, 0, sizeof(record));
        cr_assert_eq(cdr_record_reset(&record, 3, 1000), CDR_OK);
        cr_expect_geq(record.scratch.cap, 1001);
        cr_expect_eq(record.scratch.len, 0);

        for (i = 0; i < 3; i++) {
                record.value[i].p = raw;
                record.value[i].n = 4;
                record.flags[i] = CDR_VAL_NUMBER;
        }
        record.raw.p = raw;
        record.raw.n = sizeof(raw) - 1;
        record.nfields = 2;
        record.scratch.len = 10;

        cr_assert_eq(cdr_record_reset(&record, 3, 10), CDR_OK);
        for (i = 0; i < 3; i++) {
                cr_expect_null(record.value[i].p, "slot %zu cleared", i);
                cr_expect_eq(record.value[i].n, 0);
                cr_expect_eq(record.flags[i], 0);
        }
        cr_expect_null(record.raw.p);
        cr_expect_eq(record.nfields, 0);
        cr_expect_eq(record.scratch.len, 0);
        cr_expect_geq(record.scratch.cap, 1001, "the allocation is kept");

        /* More slots than a record has: clamped, not an overflow. */
        cr_expect_eq(cdr_record_reset(&record, CDR_MAX_SLOTS + 100, 1), CDR_OK);
        cdr_record_free(&record);
        cr_expect_null(record.scratch.data);
        cr_expect_eq(cdr_record_reset(&record, 1, 5), CDR_OK,
                     "a freed record can be used again");
        cdr_record_free(&record);
        cdr_record_free(NULL);
}
