#!/usr/bin/env bash
# `make sanitize`: the unit tests and the file-mode end-to-end tests run
# against the build in BUILD (default build/asan), compiled with
# AddressSanitizer + UndefinedBehaviorSanitizer (the Makefile builds it).
#
#   tests/sanitize.sh [BUILD]
#
# Every report goes to a file in BUILD/reports, one per process, and any
# report fails the suite.  Reports, not exit statuses, decide: Criterion
# runs each test in a child process and ignores a leak that child reports
# as it exits, and its runner process (the test binary itself, which runs
# no project code) leaks a timer of its own in tests with a timeout.  So:
#   - memory errors and undefined behaviour abort the process at once
#     (abort_on_error=1, halt_on_error=1): a test crashes, an end-to-end
#     check sees a killed process;
#   - a leak is reported at exit without changing the exit status
#     (exitcode=0), and its report file fails the suite;
#   - reports of a Criterion runner process are printed as notes, not
#     counted.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${1:-build/asan}
reports=$(pwd)/$build/reports
rm -rf "$reports"
mkdir -p "$reports/runner"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:exitcode=0:log_path=$reports/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan

# The binary under test must be the sanitized one, before and after.
instrumented() {
        if ! grep -q __asan_report "$build/cdranon"; then
                echo "sanitize: $build/cdranon is not built with" \
                        "AddressSanitizer ($1)"
                exit 1
        fi
}
instrumented "before the tests"

failed=0
for t in "$build"/tests/test_*; do
        echo "== $t"
        start=$SECONDS
        "$t" --jobs 2 &
        pid=$!
        wait "$pid" || failed=$((failed + 1))
        echo "   ($((SECONDS - start)) s)"
        for r in "$reports"/*."$pid"; do
                [[ -e $r ]] && mv "$r" "$reports/runner/${t##*/}.${r##*/}"
        done
done
# test_hygiene.sh checks that keys sit in locked memory, and
# AddressSanitizer turns mlock into a no-op: it runs in `make e2e` only.
for t in tests/e2e/test_*.sh; do
        [[ $t == */test_hygiene.sh ]] && continue
        echo "== $t"
        start=$SECONDS
        bash "$t" "$build/cdranon" || failed=$((failed + 1))
        echo "   ($((SECONDS - start)) s)"
done

instrumented "after the tests"

for r in "$reports"/runner/*; do
        [[ -e $r ]] || continue
        echo "note: Criterion's runner process (no project code) reported:"
        grep -E '^(SUMMARY|Direct leak|Indirect leak)' "$r" | sed 's/^/    /'
done
nreports=$(find "$reports" -maxdepth 1 -type f | wc -l)
if ((nreports > 0)); then
        cat "$reports"/asan.* "$reports"/ubsan.* 2>/dev/null
        echo "sanitize: $nreports sanitizer reports from project code"
        exit 1
fi
if ((failed > 0)); then
        echo "sanitize: $failed test programs failed"
        exit 1
fi
echo "sanitize: no AddressSanitizer, LeakSanitizer or UBSan report"
