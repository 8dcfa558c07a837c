#!/usr/bin/env bash
# `make install` puts the binary and the manual page under DESTDIR/PREFIX
# and nothing else; the page renders without a warning and documents every
# command and option exactly as the binary's --help prints them; the
# systemd unit and its sysusers.d file pass systemd's own checks.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PAGE=man/cdranon.1
UNIT=deploy/systemd/cdranon@.service
SYSUSERS=deploy/systemd/cdranon.sysusers

# The binary under test as the Makefile's BIN: relative to the top folder
# when it lies inside it (make sanitize tests build/asan/cdranon).
BIN_ARG=${BIN#"$TOP"/}

# install_into DESTDIR [PREFIX]: make install, its output kept in
# DESTDIR.log.
install_into() {
        local args=(--no-print-directory install DESTDIR="$1" BIN="$BIN_ARG")
        [[ $# -lt 2 ]] || args+=(PREFIX="$2")
        make "${args[@]}" >"$1.log" 2>&1
}

# file_list DESTDIR: the regular files under DESTDIR, relative to it.
file_list() {
        (cd "$1" && find . -type f | sed 's|^\./||' | sort)
}

echo "== make install DESTDIR=... PREFIX=/usr"
ROOT=$TMP/root
check "make install exits 0" install_into "$ROOT" /usr
check "the binary and the page, nothing else" \
        test "$(file_list "$ROOT")" = "$(printf '%s\n' usr/bin/cdranon \
                usr/share/man/man1/cdranon.1)"
check "usr/bin/cdranon: mode 0755" \
        test "$(stat -c %a "$ROOT/usr/bin/cdranon" 2>/dev/null)" = 755
check "usr/bin/cdranon is the binary under test" \
        cmp -s "$BIN" "$ROOT/usr/bin/cdranon"
check "the installed binary runs" \
        bash -c "'$ROOT/usr/bin/cdranon' --version | grep -q '^cdranon '"
check "usr/share/man/man1/cdranon.1: mode 0644" \
        test "$(stat -c %a "$ROOT/usr/share/man/man1/cdranon.1" \
                2>/dev/null)" = 644
check "usr/share/man/man1/cdranon.1 is man/cdranon.1" \
        cmp -s "$PAGE" "$ROOT/usr/share/man/man1/cdranon.1"

echo "== PREFIX"
check "default PREFIX is /usr/local" install_into "$TMP/local"
check "... usr/local/bin/cdranon and usr/local/share/man/man1/cdranon.1" \
        test "$(file_list "$TMP/local")" = "$(printf '%s\n' \
                usr/local/bin/cdranon usr/local/share/man/man1/cdranon.1)"
check "PREFIX=/opt/cdranon" install_into "$TMP/opt" /opt/cdranon
check "... opt/cdranon/bin/cdranon and opt/cdranon/share/man/man1/cdranon.1" \
        test "$(file_list "$TMP/opt")" = "$(printf '%s\n' \
                opt/cdranon/bin/cdranon opt/cdranon/share/man/man1/cdranon.1)"

echo "== the manual page renders"
# In the C.UTF-8 locale, which every Debian system has: man warns on
# standard error about a locale that is not installed.
INSTALLED_PAGE=$ROOT/usr/share/man/man1/cdranon.1
LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$INSTALLED_PAGE" >"$TMP/groff.out" 2>&1 && true
check "groff -man -Tutf8 -ww: exit 0" test $? -eq 0
check "groff -man -Tutf8 -ww: no warning" test ! -s "$TMP/groff.out"
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$INSTALLED_PAGE" >"$TMP/man.txt" \
        2>"$TMP/man.err" && true
check "man -l: exit 0" test $? -eq 0
check "man -l: no warning" test ! -s "$TMP/man.err"
check "man -l: the NAME line" \
        grep -q '^ *cdranon - pseudonymise, minimise and seal' "$TMP/man.txt"
check "man finds the installed page by name under PREFIX/share/man" \
        test "$(MANPATH=$ROOT/usr/share/man man -w cdranon 2>/dev/null)" = \
        "$INSTALLED_PAGE"

echo "== every command and option of --help is in the page, and no other"
mapfile -t COMMANDS < <("$BIN" --help |
        sed -n '/^Commands:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}')
check "cdranon --help lists commands" test "${#COMMANDS[@]}" -ge 7
check "global options (-h, -V) match the OPTIONS section" \
        bash -c "'$BIN' --help | python3 tests/e2e/man_options.py $PAGE OPTIONS"
for cmd in "${COMMANDS[@]}"; do
        check "cdranon $cmd: its options match the page's section" \
                bash -c "'$BIN' $cmd --help |
                        python3 tests/e2e/man_options.py $PAGE 'cdranon $cmd'"
        check "cdranon $cmd: in the SYNOPSIS" \
                bash -c "sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' '$TMP/man.txt' |
                        grep -q '^ *cdranon $cmd\\b'"
done
mapfile -t SECTIONS < <(python3 tests/e2e/man_options.py "$PAGE" --sections |
        sed -n 's/^cdranon //p')
check "the page has a section for each command and no other" \
        test "$(printf '%s\n' "${SECTIONS[@]}" | sort)" = \
        "$(printf '%s\n' "${COMMANDS[@]}" | sort)"

echo "== the systemd unit"
if command -v systemd-analyze >/dev/null; then
        # The unit as installed, its binary the one staged above, and
        # man:cdranon(1) looked up in the staged tree.
        mkdir -p "$TMP/unit"
        sed "s|^ExecStart=/usr/bin/cdranon |ExecStart=$ROOT/usr/bin/cdranon |" \
                "$UNIT" >"$TMP/unit/cdranon@.service"
        check "the unit starts /usr/bin/cdranon run" \
                grep -q '^ExecStart=/usr/bin/cdranon run ' "$UNIT"
        MANPATH=$ROOT/usr/share/man systemd-analyze verify \
                "$TMP/unit/cdranon@.service" >"$TMP/verify.out" 2>&1 && true
        check "systemd-analyze verify: exit 0" test $? -eq 0
        check "systemd-analyze verify: nothing to report" \
                test ! -s "$TMP/verify.out"
        if [[ -s $TMP/verify.out ]]; then
                sed 's/^/    /' "$TMP/verify.out"
        fi
        mkdir -p "$TMP/sysroot/etc"
        check "systemd-sysusers accepts the sysusers.d file" \
                bash -c "systemd-sysusers --root='$TMP/sysroot' - \
                        <'$SYSUSERS' >/dev/null 2>&1"
        check "... and creates the cdranon system user" \
                grep -q '^cdranon:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' \
                "$TMP/sysroot/etc/passwd"
else
        fail "systemd-analyze is not installed (package systemd," \
                "scripts/setup.sh)"
fi

finish
