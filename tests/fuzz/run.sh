#!/usr/bin/env bash
# Runs the libFuzzer targets, one after another, each for SECONDS, and
# prints one line of figures per target and a closing line of totals.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     (targets: csv json number
#                                              config unseal sources;
#                                              default all)
#
# Built by `make fuzz-build`.  Each target starts from its seed corpus
# (tests/fuzz/corpus/TARGET, read only) and from what earlier runs found
# (build/fuzz/corpus/TARGET, where new inputs go).  A crash, a leak, a
# broken contract or an input that takes more than 10 s fails the target;
# the input is saved under build/fuzz/crashes/TARGET/ and named in the
# output.  To replay one: build/fuzz/fuzz_TARGET FILE.  Logs are kept in
# build/fuzz/logs/.
#
# FUZZ_OUT (default build/fuzz) moves corpus/, crashes/ and logs/, and
# FUZZ_BIN (default build/fuzz) names where the targets are, so that a
# long run can go on beside `make check`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if ((${#targets[@]} == 0)); then
        targets=(csv json number config unseal sources)
fi

passed=0
failed=0
out=${FUZZ_OUT:-build/fuzz}
bindir=${FUZZ_BIN:-build/fuzz}
for t in "${targets[@]}"; do
        bin=$bindir/fuzz_$t
        seeds=tests/fuzz/corpus/$t
        work=$out/corpus/$t
        crashes=$out/crashes/$t
        log=$out/logs/$t.log
        if [[ ! -x $bin || ! -d $seeds ]]; then
                echo "fuzz $t: FAIL: no $bin or no $seeds (make fuzz-build)"
                failed=$((failed + 1))
                continue
        fi
        mkdir -p "$work" "$crashes" "$(dirname "$log")"
        args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
                -max_len=65536 -print_final_stats=1
                -artifact_prefix="$crashes/")
        if [[ -f tests/fuzz/$t.dict ]]; then
                args+=(-dict="tests/fuzz/$t.dict")
        fi
        start=$(date +%s)
        "$bin" "${args[@]}" "$work" "$seeds" >"$log" 2>&1
        rc=$?
        elapsed=$(($(date +%s) - start))
        runs=$(awk '/^stat::number_of_executed_units/ { print $NF }' \
                "$log")
        rss=$(awk '/^stat::peak_rss_mb/ { print $NF }' "$log")
        last=$(grep -E '^#[0-9]+' "$log" | tail -1)
        cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
        ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
        corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
        figures="${runs:-?} runs in $elapsed s, ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}, peak RSS ${rss:-?} MB"
        if ((rc == 0)) && grep -q '^Done [0-9]* runs' "$log"; then
                echo "fuzz $t: ok: $figures"
                passed=$((passed + 1))
        else
                echo "fuzz $t: FAIL (exit $rc): $figures"
                grep -E '^(==[0-9]+==ERROR|SUMMARY|.*contract broken|artifact_prefix|Test unit written)' \
                        "$log" | head -5 | sed 's/^/    /'
                failed=$((failed + 1))
        fi
done
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
