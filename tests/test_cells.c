/*
 * Tests for the cell table (cells.h): RFC 4180 parsing, errors naming
 * file, line and column, duplicate cells, lookups of 100,000 cells; and
 * the policy's `cell COLUMN` action over it (policy.h): the table's value,
 * the unknown rule (dead letter or null, never the cell), a missing
 * column.
 */
#include "cdranon/cells.h"
#include "cdranon/policy.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cdr_cells_t *parse(const char *text, char *err, size_t size)
{
        return cdr_cells_parse("cells.csv", text, strlen(text), err, size);
}

static void expect_value(const cdr_cells_t *t, const char *id, int col,
                         const char *json)
{
        cdr_view_t v = {NULL, 0};

        cr_assert(cdr_cells_lookup(t, id, strlen(id), col, &v), "%s", id);
        cr_expect(v.n == strlen(json) && memcmp(v.p, json, v.n) == 0,
                  "%s: %.*s, expected %s", id, (int)v.n, v.p, json);
}

Test(cells, parses_rfc4180)
{
        char err[256] = "";
        cdr_cells_t *t = parse("\xEF\xBB\xBF"
                               "cell_id,area,town\r\n"
                               "c1,A1,\"Town, \"\"one\"\"\"\r\n"
                               "\"c2\",A2,\"two\nlines\"\n"
                               "\n"
                               "c3,,\"\"\n"
                               "c4,A4,caf\xC3\xA9",
                               err, sizeof(err));

        cr_assert_not_null(t, "%s", err);
        cr_expect_eq(cdr_cells_count(t), 4);
        cr_expect_eq(cdr_cells_column(t, "cell_id"), 0);
        cr_expect_eq(cdr_cells_column(t, "area"), 1);
        cr_expect_eq(cdr_cells_column(t, "town"), 2);
        cr_expect_eq(cdr_cells_column(t, "Town"), -1);
        expect_value(t, "c1", 2, "\"Town, \\\"one\\\"\"");
        expect_value(t, "c2", 1, "\"A2\"");
        expect_value(t, "c2", 2, "\"two\\nlines\"");
        expect_value(t, "c3", 1, "\"\"");
        expect_value(t, "c4", 2, "\"caf\xC3\xA9\"");
        {
                cdr_view_t v;

                cr_expect(!cdr_cells_lookup(t, "c5", 2, 1, &v));
                cr_expect(!cdr_cells_lookup(t, "c", 1, 1, &v));
                cr_expect(!cdr_cells_lookup(t, "c11", 3, 1, &v));
                cr_expect(!cdr_cells_lookup(t, "", 0, 1, &v));
        }
        cdr_cells_destroy(t);
}

static void expect_error(const char *text, const char *msg)
{
        char err[256] = "";
        cdr_cells_t *t = parse(text, err, sizeof(err));

        cr_expect_null(t, "accepted: %s", text);
        cr_expect_str_eq(err, msg);
        cdr_cells_destroy(t);
}

Test(cells, errors_name_file_line_and_column)
{
        expect_error("", "cells.csv:1: empty file: a header line naming the "
                         "columns, cell_id first, is needed");
        expect_error("area,cell_id\n",
                     "cells.csv:1: column 1: the first column must be "
                     "cell_id");
        expect_error("cell_id,,town\n", "cells.csv:1: column 2: empty "
                                        "column name");
        expect_error("cell_id,area,area\n",
                     "cells.csv:1: column 3 (area): column name repeated");
        expect_error("cell_id,area\nc1,A1\nc2,A2,x\n",
                     "cells.csv:3: column 3: more columns than the header's "
                     "2");
        expect_error("cell_id,area,town\nc1,A1,T\nc2,A2\n",
                     "cells.csv:3: column 3 (town): missing; the header has "
                     "3 columns");
        expect_error("cell_id,area\nc1,\"A1\n",
                     "cells.csv:2: column 2: quoted field not closed");
        expect_error("cell_id,area\nc1,\"A1\"x\n",
                     "cells.csv:2: column 2: text after a closing quote");
        expect_error("cell_id,area\nc1,A\"1\n",
                     "cells.csv:2: column 2: quote inside an unquoted field");
        expect_error("cell_id,area\nc1,A1\n,A2\n",
                     "cells.csv:3: column 1 (cell_id): empty cell_id");
        expect_error("cell_id,area\nc1,\"a\nb\"\nc2,\xFF\n",
                     "cells.csv:4: column 2 (area): invalid UTF-8");
        expect_error("cell_id,area\nc1,A1\nc2,A2\nc1,A3\n",
                     "cells.csv: column 1 (cell_id): duplicate cell_id: "
                     "data rows 1 and 3");
}

Test(cells, missing_file)
{
        char err[256] = "";

        cr_expect_null(
            cdr_cells_load("tests/data/no-such-cells.csv", err, sizeof(err)));
        cr_expect(strstr(err, "tests/data/no-such-cells.csv: cannot open") ==
                      err,
                  "%s", err);
}

Test(cells, hundred_thousand_cells)
{
        cdr_buf_t text = CDR_BUF_INIT;
        char err[256] = "", id[32], want[32];
        cdr_cells_t *t;
        size_t i;

        cr_assert_eq(cdr_buf_puts(&text, "cell_id,area\n"), CDR_OK);
        for (i = 0; i < 100000; i++)
                cr_assert_eq(
                    cdr_buf_printf(&text, "234-15-%zu,area-%zu\n", i, i / 7),
                    CDR_OK);
        t = cdr_cells_parse("big.csv", text.data, text.len, err, sizeof(err));
        cr_assert_not_null(t, "%s", err);
        cr_expect_eq(cdr_cells_count(t), 100000);
        for (i = 0; i < 100000; i += 997) {
                snprintf(id, sizeof(id), "234-15-%zu", i);
                snprintf(want, sizeof(want), "\"area-%zu\"", i / 7);
                expect_value(t, id, 1, want);
        }
        {
                cdr_view_t v;

                cr_expect(!cdr_cells_lookup(t, "234-15-100000", 13, 1, &v));
        }
        cdr_cells_destroy(t);
        cdr_buf_free(&text);
}

/* The policy's `cell` action over a table. */
static char *apply(cdr_policy_t *policy, const char *cell, cdr_reason_t *code)
{
        static cdr_record_t record;
        cdr_buf_t json = CDR_BUF_INIT;
        char reason[256] = "";
        const cdr_schema_t *schema = cdr_policy_schema(policy);
        int slot = cdr_schema_find(schema, "cell_id", 7), v;

        cr_assert_geq(slot, 0);
        cr_assert_eq(cdr_record_reset(&record, cdr_schema_count(schema), 0),
                     CDR_OK);
        record.value[slot].p = cell;
        record.value[slot].n = strlen(cell);
        v = cdr_policy_apply(policy, NULL, NULL, &record, &json, NULL, NULL,
                             code, reason, sizeof(reason));
        cdr_record_free(&record);
        if (v == CDR_VERDICT_DEAD) {
                cr_expect_str_eq(reason, "field 'cell_id': cell area: cell "
                                         "not in the cell table");
                cdr_buf_free(&json);
                return NULL;
        }
        cr_assert_eq(v, CDR_VERDICT_PUBLISH);
        return json.data;
}

static cdr_policy_t *cell_policy(void)
{
        cdr_numbering_t plan;
        cdr_policy_t *policy;
        char err[256] = "";

        cdr_numbering_default(&plan);
        policy = cdr_policy_new(&plan);
        cr_assert_not_null(policy);
        cr_assert_eq(cdr_policy_add_field(policy, "area", "cell area",
                                          "cell_id", err, sizeof(err)),
                     CDR_OK, "%s", err);
        return policy;
}

Test(cells, action_publishes_the_table_value)
{
        char err[256] = "";
        cdr_cells_t *t =
            parse("cell_id,area\nc1,A1\nc2,A2\n", err, sizeof(err));
        cdr_policy_t *policy = cell_policy();
        cdr_reason_t code = CDR_REASON_OTHER;
        char *out;

        cr_assert_not_null(t, "%s", err);
        cr_assert_eq(cdr_policy_uses_cells(policy), 1);
        cr_assert_eq(cdr_policy_set_cells(policy, t, 0, NULL, err, sizeof(err)),
                     CDR_OK, "%s", err);
        out = apply(policy, "c2", &code);
        cr_expect_str_eq(out, "{\"area\":\"A2\"}");
        free(out);
        out = apply(policy, " c1 ", &code);
        cr_expect_str_eq(out, "{\"area\":\"A1\"}");
        free(out);
        out = apply(policy, "", &code);
        cr_expect_str_eq(out, "{\"area\":null}");
        free(out);
        /* Unknown: a dead letter by default, with its code. */
        cr_expect_null(apply(policy, "c9-secret", &code));
        cr_expect_eq(code, CDR_REASON_CELL_UNKNOWN);
        cr_expect_str_eq(cdr_reason_name(code), "cell_unknown");
        /* Or null: never the cell itself. */
        cr_assert_eq(cdr_policy_set_cells(policy, t, 1, NULL, err, sizeof(err)),
                     CDR_OK);
        out = apply(policy, "c9-secret", &code);
        cr_expect_str_eq(out, "{\"area\":null}");
        free(out);
        cdr_policy_destroy(policy);
        cdr_cells_destroy(t);
}

Test(cells, missing_column_or_table_keeps_the_old_one)
{
        char err[256] = "";
        cdr_cells_t *t = parse("cell_id,area\nc1,A1\n", err, sizeof(err));
        cdr_cells_t *u = parse("cell_id,district\nc1,D1\n", err, sizeof(err));
        cdr_policy_t *policy = cell_policy();
        const char *field = NULL;
        cdr_reason_t code;
        char *out;

        cr_assert(t != NULL && u != NULL);
        cr_expect_eq(
            cdr_policy_set_cells(policy, NULL, 0, &field, err, sizeof(err)),
            CDR_ERR_INVAL);
        cr_expect_str_eq(err, "cell: no cell table (cells.file)");
        cr_assert_eq(cdr_policy_set_cells(policy, t, 0, NULL, err, sizeof(err)),
                     CDR_OK);
        field = NULL;
        cr_expect_eq(
            cdr_policy_set_cells(policy, u, 0, &field, err, sizeof(err)),
            CDR_ERR_INVAL);
        cr_expect_str_eq(field, "area");
        cr_expect_str_eq(err, "cell: no column 'area' in the cell table "
                              "cells.csv");
        out = apply(policy, "c1", &code);
        cr_expect_str_eq(out, "{\"area\":\"A1\"}");
        free(out);
        cdr_policy_destroy(policy);
        cdr_cells_destroy(t);
        cdr_cells_destroy(u);
}

Test(cells, action_syntax)
{
        cdr_numbering_t plan;
        cdr_policy_t *policy;
        char err[256] = "";

        cdr_numbering_default(&plan);
        policy = cdr_policy_new(&plan);
        cr_expect_eq(cdr_policy_add_field(policy, "a", "cell", "cell_id", err,
                                          sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(err, "cell: name one column of the cell table "
                              "(cell area)");
        cr_expect_eq(cdr_policy_add_field(policy, "b", "cell area town",
                                          "cell_id", err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_eq(cdr_policy_add_field(policy, "c", "cell cell_id",
                                          "cell_id", err, sizeof(err)),
                     CDR_ERR_INVAL);
        cr_expect_str_eq(err, "cell: cell_id is the cell itself; name another "
                              "column of the cell table");
        cr_expect_eq(cdr_policy_uses_cells(policy), 0);
        cdr_policy_destroy(policy);
}
