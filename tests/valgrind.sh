#!/usr/bin/env bash
# valgrind memcheck over file-mode runs of the normal (gcc) build: a
# sealed anonymise run over CSV and over JSON, malformed records
# included, and the custodian's unseal runs over what they sealed.  Each
# must finish as it does without valgrind, with no memcheck error and no
# definite or indirect leak (--errors-for-leak-kinds makes those errors).
#
#   tests/valgrind.sh [path/to/cdranon]      (make valgrind)
#
# The inputs are small: memcheck runs some 50 times slower than the
# program.
source "$(dirname "${BASH_SOURCE[0]}")/e2e/lib.sh"

# memcheck reports some bits of a GCM tag as undefined, with their
# origin "a stack allocation" in an assembly routine of libcrypto 3.0's
# AVX code path (no symbol; it realigns its stack to 1024 bytes), and
# only depending on what earlier calls happened to leave on the stack:
# it appeared when the sealer's calls moved into three functions, with
# the same calls in the same order.  The tags are right (unseal checks
# them; test_seal.c regenerates the documented example byte for byte),
# and masking AVX in OPENSSL_ia32cap (bit 60, CPUID.1:ECX.AVX) removes
# the report where an environment variable of the same length does not.
# So memcheck runs OpenSSL's AES-NI + PCLMULQDQ code without AVX;
# cdranon's own code is checked all the same.
export OPENSSL_ia32cap="~0x1000000000000000"

VALGRIND=(valgrind --tool=memcheck --leak-check=full
        --errors-for-leak-kinds=definite,indirect --error-exitcode=1
        --track-origins=yes --num-callers=30)

# memcheck NAME DIR COMMAND...: runs the command in DIR under memcheck;
# its log is DIR/NAME.memcheck, its stdout DIR/NAME.out, its stderr
# DIR/NAME.err.
memcheck() {
        local name=$1 dir=$2 status
        shift 2
        (cd "$dir" && "${VALGRIND[@]}" --log-file="$name.memcheck" "$@" \
                >"$name.out" 2>"$name.err") && status=0 || status=$?
        check "$name: exit 0 under memcheck (status $status)" \
                test "$status" -eq 0
        check "$name: no memcheck error, no definite or indirect leak" \
                grep -q "ERROR SUMMARY: 0 errors from 0 contexts" \
                "$dir/$name.memcheck"
        printf '       %s; %s\n' \
                "$(grep -o 'total heap usage: .*' "$dir/$name.memcheck")" \
                "$(grep -oE 'All heap blocks were freed|(definitely|indirectly) lost: [0-9,]+ bytes' \
                        "$dir/$name.memcheck" | paste -sd, -)"
        if [[ $status -ne 0 ]]; then
                grep -E '^==[0-9]+== (Invalid|Conditional|Use of|[0-9,]+ bytes in)' \
                        "$dir/$name.memcheck" | head -5
        fi
}

command -v valgrind >/dev/null || {
        fail "valgrind is not installed (scripts/setup.sh deps)"
        finish
}

echo "== CSV, sealed"
csv=$(setup_case valgrind-csv config/generic.yaml)
"$BIN" gen --format csv --records 1000 --malformed-share 0.05 --seed 9 \
        --out "$csv/in.csv" 2>/dev/null
memcheck anonymise-csv "$csv" "$BIN" anonymise -c config.yaml --in in.csv \
        --out anon.jsonl --dead-letter dead.jsonl --sealed sealed.b64
check "anonymise-csv: the summary counts 1000 records, all sealed" \
        grep -q "1000 records read: .* 1000 sealed" "$csv/anonymise-csv.err"
check "anonymise-csv: some records were dead-lettered" test -s "$csv/dead.jsonl"
memcheck unseal-csv "$csv" "$BIN" unseal --key custodian.pem --in sealed.b64 \
        --out unsealed.csv --audit audit.log
check "unseal-csv: every record and the header line open" \
        grep -q "1001 records returned, 0 did not open" "$csv/unseal-csv.err"
check "unseal-csv: the input, byte for byte" \
        cmp -s "$csv/unsealed.csv" "$csv/in.csv"
# The calling number of the first record (its fields before the address
# hold no quotes).
number=$(awk -F, 'NR == 2 { print $6 }' "$csv/in.csv")
memcheck unseal-subscriber "$csv" "$BIN" unseal --key custodian.pem \
        --in sealed.b64 -c config.yaml --subscriber "$number" \
        --out subject.csv --audit audit.log
check "unseal-subscriber: the subscriber's records are found" \
        test -s "$csv/subject.csv"

echo "== JSON, sealed"
json=$(setup_case valgrind-json config/json.yaml)
"$BIN" gen --format json --records 1000 --malformed-share 0.05 --seed 10 \
        --out "$json/in.jsonl" 2>/dev/null
memcheck anonymise-json "$json" "$BIN" anonymise -c config.yaml \
        --in in.jsonl --out anon.jsonl --dead-letter dead.jsonl \
        --sealed sealed.b64
check "anonymise-json: the summary counts 1000 records, all sealed" \
        grep -q "1000 records read: .* 1000 sealed" "$json/anonymise-json.err"
memcheck unseal-json "$json" "$BIN" unseal --key custodian.pem \
        --in sealed.b64 --out unsealed.jsonl --audit audit.log
check "unseal-json: the records are the input, byte for byte" \
        cmp -s "$json/unsealed.jsonl" "$json/in.jsonl"

echo "== risk over the anonymised CSV output"
# Exhaustive unicity, every pair of fields and the plot, then the
# sampled default, so that each path runs under memcheck (malformed
# lines are tested under AddressSanitizer).
memcheck risk "$csv" "$BIN" risk --in anon.jsonl --exhaustive \
        --point-fields cell_id,start_hour --k-subsets 2 --plot risk.png --json
check "risk: the plot and the report are written" \
        test -s "$csv/risk.png" -a -s "$csv/risk.out"
memcheck risk-sampled "$csv" "$BIN" risk --in anon.jsonl --samples 50 --json

echo "== a record longer than the limit, sealed as it is read"
# A quoted field of 5 MB with line feeds: the record is sealed piece by
# piece, and its sealed line (over 4 MiB) opened in two passes.
{
        head -1 "$csv/in.csv"
        sed -n 2p "$csv/in.csv"
        printf '2,voice,2026-11-27T10:00:00Z,,60,07700900123,07700900456,,,,'
        printf '0,0,16,Ann Example,"'
        head -c 5000000 /dev/zero | tr '\0' 'a' | fold -w 999
        printf '",card\r\n'
        sed -n 3p "$csv/in.csv"
} >"$csv/long.csv"
memcheck anonymise-long "$csv" "$BIN" anonymise -c config.yaml \
        --in long.csv --out anon-long.jsonl --dead-letter dead-long.jsonl \
        --sealed sealed-long.b64
check "anonymise-long: 3 records read, 3 sealed" \
        grep -q "3 records read: .* 1 dead-lettered, 3 sealed" \
        "$csv/anonymise-long.err"
memcheck unseal-long "$csv" "$BIN" unseal --key custodian.pem \
        --in sealed-long.b64 --out unsealed-long.csv --audit audit.log
check "unseal-long: the header line and the records are the input, byte for byte" \
        cmp -s "$csv/unsealed-long.csv" "$csv/long.csv"

echo "== the control: memcheck sees a leak"
# A run that must fail, so that a clean report above means something:
# memcheck over a program that leaks one block.
printf '#include <stdlib.h>\nint main(void) { return malloc(64) == NULL; }\n' \
        >"$TMP/leak.c"
if cc -O0 -o "$TMP/leak" "$TMP/leak.c"; then
        "${VALGRIND[@]}" --log-file="$TMP/leak.memcheck" "$TMP/leak" &&
                status=0 || status=$?
        check "control: a leaking program fails under these options (status $status)" \
                test "$status" -eq 1
else
        fail "control: cannot build the leaking program"
fi

finish
