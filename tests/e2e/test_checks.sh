#!/usr/bin/env bash
# The checks themselves must be able to fail: `make check` (tests/check.sh)
# fails on a suite whose make target is missing, and the layering check
# (scripts/layering.py) fails on an include circle, a call circle and a
# circle of the two mixed, each in a small tree of its own, and passes a
# tree without one.
#
#   tests/e2e/test_checks.sh [path/to/cdranon]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out=$TMP/check.txt
if SUITES=no-such-suite bash tests/check.sh >"$out" 2>&1; then
        fail "check.sh passes with a suite that has no target"
else
        pass "check.sh fails on a suite that has no target"
fi
check "... and names it" grep -q "failed suites: no-such-suite" "$out"

# tree NAME: a copy of scripts/layering.py over src/a.c, src/b.c and
# their headers, as the caller writes them, compiled to obj/.
tree() {
        local t=$TMP/$1
        mkdir -p "$t/scripts" "$t/src" "$t/include/cdranon" "$t/obj"
        cp scripts/layering.py "$t/scripts/"
        echo "$t"
}
build() {
        local t=$1 c
        for c in "$t"/src/*.c; do
                cc -I"$t/include" -c -o "$t/obj/$(basename "${c%.c}").o" "$c"
        done
}
layering() { python3 "$1/scripts/layering.py" "$1/obj" >"$out" 2>&1; }

t=$(tree clean)
echo 'int b_f(void);' >"$t/include/cdranon/b.h"
printf '#include "cdranon/b.h"\nint a_f(void) { return b_f(); }\n' >"$t/src/a.c"
printf '#include "cdranon/b.h"\nint b_f(void) { return 1; }\n' >"$t/src/b.c"
build "$t"
check "layering passes a tree without a circle" layering "$t"
check "... and draws a under b's layer" grep -q "1: a" "$out"

t=$(tree includes)
printf '#ifndef A_H\n#define A_H\n#include "cdranon/b.h"\nint a_f(void);\n#endif\n' \
        >"$t/include/cdranon/a.h"
printf '#ifndef B_H\n#define B_H\n#include "cdranon/a.h"\nint b_f(void);\n#endif\n' \
        >"$t/include/cdranon/b.h"
printf '#include "cdranon/a.h"\nint a_f(void) { return 0; }\n' >"$t/src/a.c"
printf '#include "cdranon/b.h"\nint b_f(void) { return 1; }\n' >"$t/src/b.c"
build "$t"
check "layering fails on an include circle" bash -c "! python3 $t/scripts/layering.py $t/obj >$out 2>&1"
check "... and names it" grep -q "include circle among a, b" "$out"

t=$(tree calls)
printf 'int b_f(void);\nint a_f(void) { return b_f(); }\n' >"$t/src/a.c"
printf 'int a_f(void);\nint b_f(void) { return a_f(); }\n' >"$t/src/b.c"
build "$t"
check "layering fails on a call circle" bash -c "! python3 $t/scripts/layering.py $t/obj >$out 2>&1"
check "... and names the symbols" grep -q "a -> b (b_f)" "$out"

t=$(tree mixed)
echo 'int b_f(void);' >"$t/include/cdranon/b.h"
printf '#include "cdranon/b.h"\nint a_f(void) { return 0; }\n' >"$t/src/a.c"
printf 'int a_f(void);\nint b_f(void) { return a_f(); }\n' >"$t/src/b.c"
build "$t"
check "layering fails on an include and a call closing a circle" \
        bash -c "! python3 $t/scripts/layering.py $t/obj >$out 2>&1"
check "... and names it" grep -q "include-or-call circle among a, b" "$out"

finish
