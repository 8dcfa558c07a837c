#!/usr/bin/env bash
# `make check`: every test the project has, one suite after another, then
# one closing line with the totals.  A suite that fails does not stop the
# others; the exit status is non-zero when any failed, or when a suite
# names no target of the Makefile.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUITES=${SUITES:-"setup-check test e2e integration failover clang-build format-check layering fuzz-check sanitize valgrind"}
log=build/check.log
mkdir -p build
: >"$log"
failed_suites=()

for suite in $SUITES; do
        # A suite without its target is a failure, not a skip: a renamed
        # or deleted target must not make `make check` pass quietly.
        if ! grep -q "^$suite:" Makefile; then
                echo "==== make $suite: no such target in the Makefile"
                failed_suites+=("$suite")
                continue
        fi
        echo "==== make $suite"
        start=$(date +%s)
        if ! make --no-print-directory "$suite" 2>&1 | tee -a "$log"; then
                failed_suites+=("$suite")
        fi
        echo "==== make $suite: $(($(date +%s) - start)) s"
done

# Totals: Criterion's synthesis lines and the scripts' "N passed, N failed".
read -r passed failed < <(awk '
        /Synthesis: Tested:/ {
                for (i = 1; i <= NF; i++) {
                        if ($i == "Passing:") p += $(i + 1)
                        if ($i == "Failing:" || $i == "Crashing:") f += $(i + 1)
                }
        }
        /^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
        END { print p + 0, f + 0 }' "$log")
if ((${#failed_suites[@]})); then
        # What failed, again at the end where a truncated log still shows
        # it: each failure line of the scripts and Criterion, and the last
        # lines a test printed before run.sh declared it failed.
        echo "check: the failures, from $log:"
        awk '
                { ring[NR % 12] = $0 }
                /^== integration: .* FAILED/ {
                        for (i = NR - 11; i <= NR; i++)
                                if (i > 0) print "  | " ring[i % 12]
                        next
                }
                /^  FAIL |^FAIL: |\[FAIL\]|^\[----\].*: / { print "  | " $0 }
        ' "$log" | head -n 200
        echo "check: failed suites: ${failed_suites[*]}"
        failed=$((failed > 0 ? failed : ${#failed_suites[@]}))
fi
echo "check: $passed passed, $failed failed"
((${#failed_suites[@]} == 0 && failed == 0))
