/*
 * Dead-letter rules: the name of each code (reason.h), as
 * docs/operations.md lists them.
 */
#include "cdranon/reason.h"

static const char *const names[CDR_REASON_COUNT] = {
    [CDR_REASON_OTHER] = "other",
    [CDR_REASON_RECORD_TOO_LONG] = "record_too_long",
    [CDR_REASON_CSV_SYNTAX] = "csv_syntax",
    [CDR_REASON_CSV_COLUMN_COUNT] = "csv_column_count",
    [CDR_REASON_CSV_EMPTY_RECORD] = "csv_empty_record",
    [CDR_REASON_JSON_SYNTAX] = "json_syntax",
    [CDR_REASON_JSON_NOT_AN_OBJECT] = "json_not_an_object",
    [CDR_REASON_JSON_INVALID_UTF8] = "json_invalid_utf8",
    [CDR_REASON_JSON_NESTED] = "json_nested",
    [CDR_REASON_JSON_DUPLICATE_FIELD] = "json_duplicate_field",
    [CDR_REASON_JSON_TOO_MANY_FIELDS] = "json_too_many_fields",
    [CDR_REASON_NUMBER_MALFORMED] = "number_malformed",
    [CDR_REASON_NUMBER_TOO_LONG] = "number_too_long",
    [CDR_REASON_NUMBER_TOO_SHORT] = "number_too_short",
    [CDR_REASON_NUMBER_COUNTRY_CODE] = "number_country_code",
    [CDR_REASON_IMSI_MALFORMED] = "imsi_malformed",
    [CDR_REASON_IMEI_MALFORMED] = "imei_malformed",
    [CDR_REASON_ID_TOO_LONG] = "id_too_long",
    [CDR_REASON_VALUE_INVALID_UTF8] = "value_invalid_utf8",
    [CDR_REASON_VALUE_NOT_A_NUMBER] = "value_not_a_number",
    [CDR_REASON_TIMESTAMP_MALFORMED] = "timestamp_malformed",
    [CDR_REASON_TIMESTAMP_OUT_OF_RANGE] = "timestamp_out_of_range",
    [CDR_REASON_VALUE_INVALID] = "value_invalid",
    [CDR_REASON_NUMBER_URI_PARAMETER] = "number_uri_parameter",
    [CDR_REASON_NUMBER_PHONE_CONTEXT] = "number_phone_context",
    [CDR_REASON_NUMBER_TRUNK_PREFIX] = "number_trunk_prefix",
    [CDR_REASON_CELL_UNKNOWN] = "cell_unknown",
    [CDR_REASON_EVENT_TIME_UNREADABLE] = "event_time_unreadable",
};

const char *cdr_reason_name(cdr_reason_t code)
{
        return (unsigned)code < CDR_REASON_COUNT ? names[code] : NULL;
}
