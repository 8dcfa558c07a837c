#!/usr/bin/env bash
# Hostile input sizes in file mode: a record of 100 MB, a line without
# end, a quote closed after more than 2^30 bytes, a JSON nesting 100,000
# deep, a CSV with a million columns.  Each is dead-lettered and sealed
# (the run goes on) or refused (one line on stderr, exit 1), never a
# crash or an out-of-memory kill, and the peak resident memory stays
# within a bound set by input.max_record_bytes, not by the input: also
# while a record of 100 MB is sealed, and opened again by unseal.
#
#   tests/e2e/test_hostile.sh [path/to/cdranon]
#
# Memory is measured with GNU time (/usr/bin/time -v, Debian package
# `time`).  The bound is the peak of the same command over a three-record
# file plus 8 x input.max_record_bytes: a few record-sized buffers, never
# a copy of the input.  Inputs are streamed through a pipe, so nothing of
# 100 MB is written to disk.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIB=1048576
# The generic layout's header (config/generic.yaml) and well-formed
# records (fictitious numbers from Ofcom's drama range).
header=record_id,record_type,start_time,end_time,duration,calling_number
header+=,called_number,imsi,imei,cell_id,bytes_up,bytes_down,cause_for_term
header+=,subscriber_name,subscriber_address,payment_ref
# Record 2's first nine fields; GOOD_CSV is record 1.
HEAD_CSV='2,voice,2026-11-27T10:00:00Z,2026-11-27T10:01:00Z,60,07700900123,'
HEAD_CSV+='07700900456,234150999999999,353490069873319,'
TAIL_CSV='0,0,16,Ann Example,1 Test Street,card ****0000'
GOOD_CSV="1${HEAD_CSV#2}234-15-1-2,$TAIL_CSV"
GOOD_JSON='{"record_id":1,"start_time":"2026-11-27T10:00:00Z",'
GOOD_JSON+='"calling_number":"07700900123","called_number":"07700900456",'
GOOD_JSON+='"imsi":"234150999999999"}'

csv_dir=$(setup_case hostile-csv config/generic.yaml)
json_dir=$(setup_case hostile-json config/json.yaml)
# with_max DIR SIZE: a copy of DIR's configuration with max_record_bytes.
with_max() {
        sed "s/^input:/input:\n  max_record_bytes: $2/" "$1/config.yaml" \
                >"$1/max-$2.yaml"
        echo "max-$2.yaml"
}

zeros() { head -c "$1" /dev/zero | tr '\0' "$2"; }

# measure NAME DIR CONFIG GENERATOR [ARGS...]: runs `cdranon anonymise`
# in DIR with GENERATOR's output on stdin, under GNU time.  Sets STATUS
# (the exit status, or 128 + the signal that killed it) and PEAK_KB.
measure() {
        local name=$1 dir=$2 config=$3
        shift 3
        set +e
        "$@" 2>/dev/null | (cd "$dir" && /usr/bin/time -v -o "time-$name.txt" \
                "$BIN" anonymise -c "$config" --out "anon-$name.jsonl" \
                --dead-letter "dead-$name.jsonl" --sealed "sealed-$name.b64" \
                2>"stderr-$name.txt")
        set -e
        PEAK_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
                "$dir/time-$name.txt")
        STATUS=$(awk -F': ' '/Exit status/ { print $2 }' "$dir/time-$name.txt")
        if grep -q 'terminated by signal' "$dir/time-$name.txt"; then
                STATUS=$((128 + $(grep -o 'signal [0-9]*' \
                        "$dir/time-$name.txt" | cut -d' ' -f2)))
        fi
}

# within_bound NAME MAX_BYTES: the peak of the last run is at most the
# baseline plus 8 x MAX_BYTES.
within_bound() {
        local limit=$((BASE_KB + 8 * $2 / 1024))
        check "$1: peak RSS $((PEAK_KB / 1024)) MiB <= $((limit / 1024)) MiB" \
                test "$PEAK_KB" -le "$limit"
}

# counts NAME DIR READ PUBLISHED DEAD: the summary line's figures; every
# record read is sealed, the over-long ones too, and so is the CSV
# layout's header line (the first sealed line, not a record).  The sealed
# file is removed unless KEEP_SEALED is set.
counts() {
        local err=$2/stderr-$1.txt header=0
        [[ $2 == "$csv_dir" ]] && header=1
        check "$1: exit 0, no crash, no OOM kill (status $STATUS)" \
                test "$STATUS" -eq 0
        check "$1: $3 read = $4 published + $5 dead-lettered" \
                test "$(summary_field "$err" "records read")" -eq "$3" -a \
                "$(summary_field "$err" published)" -eq "$4" -a \
                "$(summary_field "$err" dead-lettered)" -eq "$5"
        check "$1: one dead-letter line per dead-lettered record" \
                test "$(wc -l <"$2/dead-$1.jsonl")" -eq "$5"
        check "$1: $3 sealed, one line each (and $header for the header)" \
                test "$(summary_field "$err" sealed)" -eq "$3" -a \
                "$(wc -l <"$2/sealed-$1.b64")" -eq "$(($3 + header))"
        [[ -n ${KEEP_SEALED:-} ]] || rm -f "$2/sealed-$1.b64"
}

# dead_reason NAME DIR LINE REASON: the dead-letter output names LINE of
# standard input and REASON.
dead_reason() {
        check "$1: dead-lettered at line $3: $4" \
                grep -qF "{\"reason\":\"$4\",\"source\":{\"file\":\"-\",\"line\":$3}}" \
                "$2/dead-$1.jsonl"
}

echo "== baseline"
small_csv() {
        printf '%s\n' "$header" "$GOOD_CSV" "$GOOD_CSV" "$GOOD_CSV"
}
measure baseline "$csv_dir" config.yaml small_csv
BASE_KB=$PEAK_KB
counts baseline "$csv_dir" 3 3 0
echo "  peak RSS over 3 records: $((BASE_KB / 1024)) MiB"

echo "== a record of 100 MB"
big_csv() {
        printf '%s\n%s\n' "$header" "$GOOD_CSV"
        printf '%s' "$HEAD_CSV"
        zeros $((100 * 1000 * 1000)) x
        printf ',%s\n%s\n' "$TAIL_CSV" "$GOOD_CSV"
}
measure csv-100mb "$csv_dir" config.yaml big_csv
KEEP_SEALED=1 counts csv-100mb "$csv_dir" 3 2 1
dead_reason csv-100mb "$csv_dir" 3 "record: longer than input.max_record_bytes"
within_bound csv-100mb $MIB
# The custodian opens it in bounded memory, byte for byte.
set +e
(cd "$csv_dir" && /usr/bin/time -v -o time-unseal-100mb.txt "$BIN" unseal \
        --key custodian.pem --in sealed-csv-100mb.b64 --audit audit.log \
        2>stderr-unseal-100mb.txt | sha256sum >unsealed-100mb.sha)
set -e
PEAK_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
        "$csv_dir/time-unseal-100mb.txt")
check "unseal-100mb: the header and the three records open" \
        grep -q "4 records returned, 0 did not open" \
        "$csv_dir/stderr-unseal-100mb.txt"
check "unseal-100mb: byte for byte the input, header included" \
        test "$(big_csv | sha256sum)" = \
        "$(cat "$csv_dir/unsealed-100mb.sha")"
within_bound unseal-100mb $MIB
rm -f "$csv_dir/sealed-csv-100mb.b64"

big_json() {
        printf '%s\n{"record_id":2,"calling_number":"' "$GOOD_JSON"
        zeros $((100 * 1000 * 1000)) 7
        printf '"}\n%s\n' "$GOOD_JSON"
}
measure json-100mb "$json_dir" config.yaml big_json
counts json-100mb "$json_dir" 3 2 1
dead_reason json-100mb "$json_dir" 2 "record: longer than input.max_record_bytes"
within_bound json-100mb $MIB

echo "== a line without end"
endless_csv() {
        printf '%s\n%s\n' "$header" "$GOOD_CSV"
        zeros $((256 * MIB)) y
}
measure csv-endless "$csv_dir" config.yaml endless_csv
counts csv-endless "$csv_dir" 2 1 1
dead_reason csv-endless "$csv_dir" 3 "record: longer than input.max_record_bytes"
within_bound csv-endless $MIB

endless_json() {
        printf '%s\n{"record_id":"' "$GOOD_JSON"
        zeros $((256 * MIB)) y
}
measure json-endless "$json_dir" config.yaml endless_json
counts json-endless "$json_dir" 2 1 1
dead_reason json-endless "$json_dir" 2 "record: longer than input.max_record_bytes"
within_bound json-endless $MIB

# A quote that never closes holds its line breaks: the record runs to the
# end of the input, over the limit or not; nothing after the quote is
# read as a record of its own.
unclosed_quote() {
        printf '%s\n%s\n2,voice,"never closed\n' "$header" "$GOOD_CSV"
        for _ in 1 2 3; do
                zeros $((2 * MIB)) z
                echo
                printf '%s\n' "$GOOD_CSV"
        done
}
measure csv-quote "$csv_dir" config.yaml unclosed_quote
counts csv-quote "$csv_dir" 2 1 1
dead_reason csv-quote "$csv_dir" 3 "record: longer than input.max_record_bytes"
within_bound csv-quote $MIB
unclosed_short() {
        printf '%s\n%s\n2,voice,"never closed\nabc\n' "$header" "$GOOD_CSV"
}
measure csv-quote-eof "$csv_dir" config.yaml unclosed_short
counts csv-quote-eof "$csv_dir" 2 1 1
dead_reason csv-quote-eof "$csv_dir" 3 \
        "csv: unterminated quoted field in column 3 (start_time)"

# A quote closed only after 2^30 bytes: the end of a record is looked for
# within its first 2^30 bytes, so the record runs to the end of the input
# (the records after the closing quote are part of it).  Sealed too; the
# sealed line (1.4 GB) is only counted, not kept.
late_quote() {
        printf '%s\n%s\n2,voice,"closed too late\n' "$header" "$GOOD_CSV"
        zeros $((1024 * MIB + 100)) q
        printf '",x\n%s\n%s\n' "$GOOD_CSV" "$GOOD_CSV"
}
set +e
late_quote 2>/dev/null | (cd "$csv_dir" && /usr/bin/time -v -o time-late.txt \
        "$BIN" anonymise -c config.yaml --out anon-late.jsonl \
        --dead-letter dead-late.jsonl --sealed >(wc -c >sealed-late.count) \
        2>stderr-csv-late.txt)
set -e
PEAK_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
        "$csv_dir/time-late.txt")
err=$csv_dir/stderr-csv-late.txt
check "csv-late: 2 read = 1 published + 1 dead-lettered, 2 sealed" \
        test "$(summary_field "$err" "records read")" -eq 2 -a \
        "$(summary_field "$err" published)" -eq 1 -a \
        "$(summary_field "$err" dead-lettered)" -eq 1 -a \
        "$(summary_field "$err" sealed)" -eq 2
check "csv-late: one dead letter, at line 3, with the rest of the input" \
        grep -qxF '{"reason":"record: no record end within 1073741824 bytes; the rest of the input is this record","source":{"file":"-","line":3}}' \
        "$csv_dir/dead-late.jsonl"
within_bound csv-late $MIB

echo "== JSON nested 100,000 deep"
deep_json() {
        python3 - "$GOOD_JSON" <<'PY'
import sys
n = 100000
print(sys.argv[1])
print('{"a":' * n + "1" + "}" * n)
print("[" * n + "]" * n)
print('{"record_id":' + "[" * n + "]" * n + "}")
print('{"calling_number":' + '{"a":' * n + "1" + "}" * n + "}")
print(sys.argv[1])
PY
}
measure json-deep "$json_dir" config.yaml deep_json
counts json-deep "$json_dir" 6 2 4
dead_reason json-deep "$json_dir" 2 \
        "json: field 'a': nested objects are not accepted"
dead_reason json-deep "$json_dir" 3 "json: record is not an object"
dead_reason json-deep "$json_dir" 4 \
        "json: field 'record_id': nested arrays are not accepted"
dead_reason json-deep "$json_dir" 5 \
        "json: field 'calling_number': nested objects are not accepted"
within_bound json-deep $MIB

# YAML is a superset of JSON: the same nesting in a configuration.
{
        cat "$csv_dir/config.yaml"
        python3 -c 'n = 100000
print("deep: " + "{\"a\":" * n + "1" + "}" * n)'
} >"$csv_dir/deep.yaml"
set +e
(cd "$csv_dir" && /usr/bin/time -v -o time-deep-yaml.txt "$BIN" check-config \
        -c deep.yaml >/dev/null 2>err-deep-yaml.txt)
status=$?
set -e
check "configuration nested 100,000 deep: refused, exit 1" test $status -eq 1
check "... in one line naming the file, line and depth limit" \
        grep -qE '^cdranon check-config: deep.yaml:[0-9]+: deep(\.a)+: nested more than [0-9]+ levels deep$' \
        "$csv_dir/err-deep-yaml.txt"

echo "== a CSV with a million columns"
million() { # million PREFIX: PREFIX0,PREFIX1,...,PREFIX999999
        python3 -c 'import sys
sys.stdout.write(",".join(sys.argv[1] + str(i) for i in range(1000000)) + "\n")' "$1"
}
million_row() {
        printf '%s\n%s\n' "$header" "$GOOD_CSV"
        million ""
        printf '%s\n' "$GOOD_CSV"
}
measure csv-columns "$csv_dir" config.yaml million_row
counts csv-columns "$csv_dir" 3 2 1
dead_reason csv-columns "$csv_dir" 3 "record: longer than input.max_record_bytes"
within_bound csv-columns $MIB

big=$(with_max "$csv_dir" 64MiB)
measure csv-columns-64m "$csv_dir" "$big" million_row
counts csv-columns-64m "$csv_dir" 3 2 1
dead_reason csv-columns-64m "$csv_dir" 3 "csv: too many columns (more than 4096)"
within_bound csv-columns-64m $((64 * MIB))

million_header() { million c; printf '%s\n' "$GOOD_CSV"; }
measure csv-header "$csv_dir" config.yaml million_header
check "csv-header: a header over the limit is refused, exit 1 (status $STATUS)" \
        test "$STATUS" -eq 1
check "csv-header: ... and no record is read against a wrong header" \
        test ! -s "$csv_dir/anon-csv-header.jsonl"
check "csv-header: ... in one line naming line 1 and the limit" \
        grep -qx 'cdranon anonymise: -:1: header: longer than input.max_record_bytes (1048576)' \
        "$csv_dir/stderr-csv-header.txt"
within_bound csv-header $MIB
measure csv-header-64m "$csv_dir" "$big" million_header
check "csv-header-64m: a million header columns refused, exit 1 (status $STATUS)" \
        test "$STATUS" -eq 1
check "csv-header-64m: ... in one line naming line 1 and the column limit" \
        grep -qE '^cdranon anonymise: -:1: header: .*too many columns \(more than 4096\)$' \
        "$csv_dir/stderr-csv-header-64m.txt"
within_bound csv-header-64m $((64 * MIB))

million_fields() {
        printf '%s\n' "$GOOD_JSON"
        python3 -c 'import sys
sys.stdout.write("{" + ",".join("\"f%d\":1" % i for i in range(1000000)) + "}\n")'
}
big=$(with_max "$json_dir" 64MiB)
measure json-fields-64m "$json_dir" "$big" million_fields
counts json-fields-64m "$json_dir" 2 1 1
dead_reason json-fields-64m "$json_dir" 2 "json: more than 1024 fields"
within_bound json-fields-64m $((64 * MIB))

echo "== input.max_record_bytes is the limit"
record_of() { # a well-formed record whose record_id has $1 digits
        printf '%s\n' "$header"
        printf '%s' "$GOOD_CSV" | sed "s/^1,/$(zeros "$1" 9),/"
        echo
}
small=$(with_max "$csv_dir" 4KiB)
measure max-4k "$csv_dir" "$small" record_of 6000
counts max-4k "$csv_dir" 1 0 1
dead_reason max-4k "$csv_dir" 2 "record: longer than input.max_record_bytes"
measure max-default "$csv_dir" config.yaml record_of 6000
counts max-default "$csv_dir" 1 1 0
check "max-default: the same record is published under the default 1 MiB" \
        grep -q "\"record_id\":\"$(zeros 6000 9)\"" \
        "$csv_dir/anon-max-default.jsonl"
sed "s/^input:/input:\n  max_record_bytes: 65MiB/" "$csv_dir/config.yaml" \
        >"$csv_dir/max-65m.yaml"
set +e
(cd "$csv_dir" && "$BIN" check-config -c max-65m.yaml >/dev/null 2>err-65m.txt)
status=$?
set -e
check "a limit above 64 MiB is refused by the configuration (exit $status)" \
        test $status -eq 1
check "... naming the key" grep -q "input.max_record_bytes" \
        "$csv_dir/err-65m.txt"

finish
