#!/usr/bin/env bash
# Records longer than input.max_record_bytes, in the layouts that break a
# record reader (issue 11, F1 and F3): a quoted field holding line feeds
# and lines shaped like CDRs, CRLF, lone CRs, doubled quotes on the
# reader's boundaries, a quote never closed, JSON lines, a header over
# the limit, a BOM before an over-long first record, records at the limit
# and one byte over, and a generated corpus with over-long records in it.
# Each layout is read from a file and from standard input.  For each:
#
#   - counts: read = published + suppressed + dead-lettered, every
#     over-long record dead-lettered at its first line, sealed = read;
#   - no canary planted inside an over-long record (record id, cell,
#     name, address, raw number, or the number's pseudonym) in the
#     anonymised output, the dead letters or stderr;
#   - `cdranon unseal` gives the input's records back byte for byte, and
#     so does an opener written from docs/sealed-format.md alone
#     (tests/e2e/sealed_page.py), whose splitting of the input by the
#     page's rules names the same lines.
#
#   tests/e2e/test_framing.sh [path/to/cdranon]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=$(bash "$TOP/scripts/pyenv.sh")
GEN=$TOP/tests/e2e/framing_inputs.py
PAGE=$TOP/tests/e2e/sealed_page.py

# with_max DIR SIZE: a copy of DIR's configuration with max_record_bytes.
with_max() {
        sed "s/^input:/input:\n  max_record_bytes: $2/" "$1/config.yaml" \
                >"$1/max-$2.yaml"
        echo "max-$2.yaml"
}

csv_dir=$(setup_case framing-csv config/generic.yaml)
json_dir=$(setup_case framing-json config/json.yaml)
cols_dir=$(setup_case framing-columns config/generic.yaml)
# The generic layout with configured columns, so without a header line.
columns=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1])
import framing_inputs; print(framing_inputs.HEADER)' "$TOP/tests/e2e")
sed "s/^    header: true/    columns: [$columns]/" "$cols_dir/config.yaml" \
        >"$cols_dir/columns.yaml"
mv "$cols_dir/columns.yaml" "$cols_dir/config.yaml"
csv_4k=$(with_max "$csv_dir" 4KiB)
json_4k=$(with_max "$json_dir" 4KiB)
cols_4k=$(with_max "$cols_dir" 4KiB)

"$BIN" gen --format csv --records 3000 --malformed-share 0.03 --seed 7 \
        --out "$TMP/generated.csv" 2>/dev/null

# layout NAME DIR CONFIG FORMAT HEADER: generates the layout's input and
# checks a run over it from a file and from standard input.
layout() {
        local name=$1 dir=$2 config=$3 fmt=$4 header=$5
        local in=in-$name expect=$dir/expect-$name.json mode src out
        echo "== $name"
        (cd "$dir" && "$PY" "$GEN" "$name" "$in" "$expect" \
                --corpus "$TMP/generated.csv")
        "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], "w").write("".join(c + "\n" for c in d["canaries"]))
open(sys.argv[3], "w").write("".join(n + "\n" for n in d["numbers"]))' \
                "$expect" "$dir/canaries-$name" "$dir/numbers-$name"
        if [[ -s $dir/numbers-$name ]]; then
                # shellcheck disable=SC2046
                (cd "$dir" && "$BIN" pseudonym -c config.yaml \
                        $(cat "numbers-$name") | cut -f3 \
                        >>"canaries-$name")
        fi
        for mode in file stdin; do
                out=$name-$mode
                if [[ $mode == file ]]; then
                        src=$in
                        (cd "$dir" && "$BIN" anonymise -c "$config" \
                                --in "$in" --out "anon-$out.jsonl" \
                                --dead-letter "dead-$out.jsonl" \
                                --sealed "sealed-$out.b64" \
                                2>"stderr-$out.txt") && status=0 || status=$?
                else
                        src=-
                        (cd "$dir" && cat "$in" | "$BIN" anonymise \
                                -c "$config" --out "anon-$out.jsonl" \
                                --dead-letter "dead-$out.jsonl" \
                                --sealed "sealed-$out.b64" \
                                2>"stderr-$out.txt") && status=0 || status=$?
                fi
                if [[ $name == header-long ]]; then
                        header_refused "$dir" "$out" "$src" "$status"
                        continue
                fi
                check_run "$dir" "$out" "$src" "$status" "$expect" "$fmt" \
                        "$header" "$in" "$name"
        done
}

# header_refused DIR OUT SRC STATUS: a header over the limit stops the
# run before any record, in one line that names line 1.
header_refused() {
        local dir=$1 out=$2 src=$3 status=$4 name=${2%-*}
        check "$out: a header over the limit is refused (exit $status)" \
                test "$status" -eq 1
        check "$out: ... naming line 1 and the limit" \
                grep -qx "cdranon anonymise: $src:1: header: longer than input.max_record_bytes (4096)" \
                "$dir/stderr-$out.txt"
        check "$out: ... and nothing is published" \
                test ! -s "$dir/anon-$out.jsonl"
        check "$out: no canary of the header in any output" \
                no_canary_in "$dir/canaries-$name" "$dir/anon-$out.jsonl" \
                "$dir/dead-$out.jsonl" "$dir/stderr-$out.txt"
}

check_run() {
        local dir=$1 out=$2 src=$3 status=$4 expect=$5 fmt=$6 header=$7
        local in=$8 name=$9 err=$1/stderr-$2.txt read published suppressed
        local dead sealed want reason line lines split_args=()
        check "$out: anonymise exits 0 (status $status)" test "$status" -eq 0
        read=$(summary_field "$err" "records read")
        published=$(summary_field "$err" published)
        suppressed=$(summary_field "$err" suppressed)
        dead=$(summary_field "$err" dead-lettered)
        sealed=$(summary_field "$err" sealed)
        want=$("$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["read"])' "$expect")
        check "$out: $want records read ($read)" test "${read:-0}" -eq "$want"
        check "$out: read = published + suppressed + dead-lettered" \
                test $((published + suppressed + dead)) -eq "$read"
        check "$out: sealed = read ($sealed)" test "$sealed" -eq "$read"
        check "$out: one sealed line per record, and one for a header line" \
                test "$(wc -l <"$dir/sealed-$out.b64")" -eq "$((read + header))"
        check "$out: one dead-letter line per dead-lettered record" \
                test "$(wc -l <"$dir/dead-$out.jsonl")" -eq "$dead"
        reason=$("$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["reason"])' "$expect")
        lines=$("$PY" -c 'import json, sys
print(" ".join(map(str, json.load(open(sys.argv[1]))["dead"])))' "$expect")
        for line in $lines; do
                check "$out: the over-long record at line $line is dead-lettered there" \
                        grep -qxF "{\"reason\":\"$reason\",\"source\":{\"file\":\"$src\",\"line\":$line}}" \
                        "$dir/dead-$out.jsonl"
        done
        check "$out: no canary from inside an over-long record in any output" \
                no_canary_in "$dir/canaries-$name" "$dir/anon-$out.jsonl" \
                "$dir/dead-$out.jsonl" "$err"

        (cd "$dir" && "$BIN" unseal --key custodian.pem \
                --in "sealed-$out.b64" --out "unsealed-$out" \
                --audit audit.log 2>"unseal-$out.txt") && status=0 ||
                status=$?
        check "$out: unseal exits 0 (status $status)" test "$status" -eq 0
        split_args=(--format "$fmt" --name "$src")
        (cd "$dir" && "$PY" "$PAGE" split "$in" "${split_args[@]}" \
                --out "split-$out" --list "split-$out.list")
        check "$out: unsealed records = the input's records, byte for byte" \
                cmp -s "$dir/unsealed-$out" "$dir/split-$out"
        (cd "$dir" && "$PY" "$PAGE" open --key custodian.pem \
                "sealed-$out.b64" --out "page-$out" --list "page-$out.list" \
                2>"page-$out.txt") && status=0 || status=$?
        check "$out: the opener written from the page opens every line" \
                test "$status" -eq 0
        check "$out: ... to the input's records, byte for byte" \
                cmp -s "$dir/page-$out" "$dir/split-$out"
        check "$out: ... each with the source name and line the page gives" \
                cmp -s "$dir/page-$out.list" "$dir/split-$out.list"
        rm -f "$dir"/{unsealed,split,page}-"$out" "$dir/sealed-$out.b64"
}

layout f1 "$csv_dir" config.yaml csv 1
layout crlf "$csv_dir" "$csv_4k" csv 1
layout lone-cr "$csv_dir" "$csv_4k" csv 1
layout doubled "$csv_dir" "$csv_4k" csv 1
layout unterminated "$csv_dir" "$csv_4k" csv 1
layout json "$json_dir" "$json_4k" json 0
layout header-long "$csv_dir" "$csv_4k" csv 1
layout bom-header "$csv_dir" "$csv_4k" csv 1
layout bom-columns "$cols_dir" "$cols_4k" csv 0
layout at-limit "$csv_dir" "$csv_4k" csv 1
layout corpus "$csv_dir" "$csv_4k" csv 1

# The records at the limit are published, not dead-lettered.
check "at-limit: the records of exactly 4096 bytes are published" \
        test "$(grep -c '"record_id":"6"' "$csv_dir/anon-at-limit-file.jsonl")" -eq 2

echo "== the page's worked example"
check "the opener written from the page opens the page's example" \
        "$PY" "$PAGE" example "$TOP/docs/sealed-format.md"

finish
