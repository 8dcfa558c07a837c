/*
 * Dead-letter reasons as rule names: see reason.h.
 */
#include "cdranon/reason.h"

#include <string.h>

enum {
        R_OTHER = 0,
        R_RECORD_TOO_LONG,
        R_CSV_SYNTAX,
        R_CSV_COLUMN_COUNT,
        R_CSV_EMPTY_RECORD,
        R_JSON_SYNTAX,
        R_JSON_NOT_AN_OBJECT,
        R_JSON_INVALID_UTF8,
        R_JSON_NESTED,
        R_JSON_DUPLICATE_FIELD,
        R_JSON_TOO_MANY_FIELDS,
        R_NUMBER_MALFORMED,
        R_NUMBER_TOO_LONG,
        R_NUMBER_TOO_SHORT,
        R_NUMBER_COUNTRY_CODE,
        R_IMSI_MALFORMED,
        R_IMEI_MALFORMED,
        R_ID_TOO_LONG,
        R_VALUE_INVALID_UTF8,
        R_VALUE_NOT_A_NUMBER,
        R_TIMESTAMP_MALFORMED,
        R_TIMESTAMP_OUT_OF_RANGE,
        R_VALUE_INVALID,
        R_NCLASSES
};

static const char *const reason_names[] = {
    "other",
    "record_too_long",
    "csv_syntax",
    "csv_column_count",
    "csv_empty_record",
    "json_syntax",
    "json_not_an_object",
    "json_invalid_utf8",
    "json_nested",
    "json_duplicate_field",
    "json_too_many_fields",
    "number_malformed",
    "number_too_long",
    "number_too_short",
    "number_country_code",
    "imsi_malformed",
    "imei_malformed",
    "id_too_long",
    "value_invalid_utf8",
    "value_not_a_number",
    "timestamp_malformed",
    "timestamp_out_of_range",
    "value_invalid",
};

_Static_assert(R_NCLASSES <= CDR_REASON_COUNT, "CDR_REASON_COUNT too small");
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == R_NCLASSES,
               "a name per reason class");

static int starts(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The policy's reasons are "field 'FROM': ACTION: RULE" where FROM and
 * ACTION come from the configuration and RULE from the code (policy.c,
 * number.c); only RULE, the text after the last ": ", is looked at.  The
 * readers' reasons may quote an input field name, so they are matched
 * only on their fixed prefixes and suffixes. */
static unsigned policy_class(const char *reason)
{
        const char *rule = reason, *p;

        while ((p = strstr(rule, ": ")) != NULL)
                rule = p + 2;
        if (strstr(rule, "IMSI") != NULL)
                return R_IMSI_MALFORMED;
        if (strstr(rule, "IMEI") != NULL)
                return R_IMEI_MALFORMED;
        if (strcmp(rule, "id too long") == 0)
                return R_ID_TOO_LONG;
        if (strstr(rule, "more than 15 digits") != NULL)
                return R_NUMBER_TOO_LONG;
        if (strstr(rule, "fewer than") != NULL ||
            strstr(rule, "too few") != NULL)
                return R_NUMBER_TOO_SHORT;
        if (strstr(rule, "country code") != NULL)
                return R_NUMBER_COUNTRY_CODE;
        if (strstr(rule, "UTF-8") != NULL)
                return R_VALUE_INVALID_UTF8;
        if (strstr(rule, "not a number") != NULL ||
            strstr(rule, "significant digits") != NULL)
                return R_VALUE_NOT_A_NUMBER;
        if (strstr(rule, "not a timestamp") != NULL)
                return R_TIMESTAMP_MALFORMED;
        if (strstr(rule, "out of range") != NULL)
                return R_TIMESTAMP_OUT_OF_RANGE;
        if (strstr(rule, "number") != NULL || strstr(rule, "URI") != NULL ||
            strstr(rule, "'+'") != NULL || strstr(rule, "prefix") != NULL)
                return R_NUMBER_MALFORMED;
        if (strcmp(rule, "invalid value") == 0)
                return R_VALUE_INVALID;
        return R_OTHER;
}

unsigned cdr_reason_class(const char *reason)
{
        if (reason == NULL)
                return R_OTHER;
        if (starts(reason, "record: longer than"))
                return R_RECORD_TOO_LONG;
        if (starts(reason, "json: ")) {
                if (strcmp(reason, "json: record too long") == 0)
                        return R_RECORD_TOO_LONG;
                if (strcmp(reason, "json: record is not an object") == 0)
                        return R_JSON_NOT_AN_OBJECT;
                if (starts(reason, "json: invalid UTF-8 in "))
                        return R_JSON_INVALID_UTF8;
                if (starts(reason, "json: duplicate "))
                        return R_JSON_DUPLICATE_FIELD;
                if (starts(reason, "json: more than "))
                        return R_JSON_TOO_MANY_FIELDS;
                if (ends(reason, ": nested objects are not accepted") ||
                    ends(reason, ": nested arrays are not accepted"))
                        return R_JSON_NESTED;
                return R_JSON_SYNTAX;
        }
        if (starts(reason, "csv: ")) {
                if (strcmp(reason, "csv: empty record") == 0)
                        return R_CSV_EMPTY_RECORD;
                if (starts(reason, "csv: too many columns") ||
                    (reason[5] >= '0' && reason[5] <= '9'))
                        return R_CSV_COLUMN_COUNT;
                return R_CSV_SYNTAX;
        }
        if (starts(reason, "field '"))
                return policy_class(reason);
        return R_OTHER;
}

const char *cdr_reason_name(unsigned c)
{
        return c < R_NCLASSES ? reason_names[c] : NULL;
}
