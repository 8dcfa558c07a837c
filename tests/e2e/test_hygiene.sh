#!/usr/bin/env bash
# Key hygiene: the processes that hold keys are not dumpable, hold their
# keys in locked memory, and refuse key files that group or others may
# read or that belong to another user.
#
#   tests/e2e/test_hygiene.sh [path/to/cdranon]
#
# A running process is caught while it waits on a FIFO for its input,
# which it opens only after loading its keys.  Not dumpable
# (prctl(PR_SET_DUMPABLE, 0) in main) shows in two ways the kernel ties
# to that flag (proc(5), ptrace(2)): the files under /proc/PID belong to
# root instead of the process's user, and another process of the same
# user may not read its /proc/PID/environ.  Each check has a control, a
# process of the same user that is dumpable (cat), which must show the
# opposite, so that the checks cannot pass for another reason.  Run as
# root the processes run as `nobody`; otherwise as the current user, with
# `sudo -n` for the one chown that needs root.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ((EUID == 0)); then
        RUNAS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
        run_uid=$(id -u nobody)
        ROOT=()
else
        RUNAS=()
        run_uid=$EUID
        ROOT=(sudo -n)
fi
chmod 711 "$TMP"

dir=$(setup_case hygiene config/generic.yaml)
FIFO=$dir/input.fifo
if ((EUID == 0)); then
        chown -R nobody:nogroup "$dir"
fi

# on_fifo CMD...: starts CMD, which reads $FIFO, in the background, and
# returns once it has opened $FIFO: a writer's open of a FIFO completes
# only when a reader has opened it too, and the writer here is a process
# of ours whose descriptors we can see.  Sets PID and HELPER.
# from_fifo CMD...: the same for a CMD that writes $FIFO.
on_fifo() { start_fifo 1 "$@"; }
from_fifo() { start_fifo 0 "$@"; }
start_fifo() {
        local fd=$1 i
        shift
        rm -f "$FIFO"
        mkfifo -m 0666 "$FIFO"
        (cd "$dir" && exec "$@") 2>>"$dir/stderr.txt" &
        PID=$!
        if ((fd == 1)); then
                (exec sleep 120 >"$FIFO") &
        else
                (exec sleep 120 <"$FIFO") &
        fi
        HELPER=$!
        for ((i = 0; i < 600; i++)); do
                if [[ $(readlink "/proc/$HELPER/fd/$fd" 2>/dev/null) == "$FIFO" ]]
                then
                        return 0
                fi
                kill -0 "$PID" 2>/dev/null || break
                sleep 0.05
        done
        echo "  (the process did not open the FIFO; its stderr follows)"
        cat "$dir/stderr.txt"
        kill "$HELPER" 2>/dev/null || true
        return 1
}

# finish_fifo: end of input for the process; its exit status.
finish_fifo() {
        kill "$HELPER" 2>/dev/null || true
        wait "$HELPER" 2>/dev/null || true
        wait "$PID"
}

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# not_dumpable NAME: checks on the process $PID.
not_dumpable() {
        check "$1: runs as uid $run_uid" \
                test "$(status_field "$PID" Uid)" = "$run_uid"
        check "$1: /proc/PID/status belongs to root, not uid $run_uid" \
                test "$(stat -c %u "/proc/$PID/status")" = 0
        check "$1: a process of the same user cannot read /proc/PID/environ" \
                bash -c "! ${RUNAS[*]} cat /proc/$PID/environ >/dev/null 2>&1"
}

echo "== control: a dumpable process of the same user"
if on_fifo "${RUNAS[@]}" cat "$FIFO"; then
        check "control: /proc/PID/status belongs to uid $run_uid" \
                test "$(stat -c %u "/proc/$PID/status")" = "$run_uid"
        check "control: the same user can read /proc/PID/environ" \
                bash -c "${RUNAS[*]} cat /proc/$PID/environ >/dev/null"
        check "control: holds no locked memory (VmLck 0 kB)" \
                test "$(status_field "$PID" VmLck)" -eq 0
        finish_fifo >/dev/null
else
        fail "control: cat did not start"
fi

echo "== cdranon anonymise (pseudonymisation keys)"
if on_fifo "${RUNAS[@]}" "$BIN" anonymise -c config.yaml --in "$FIFO" \
        --out /dev/null --sealed /dev/null; then
        not_dumpable anonymise
        locked=$(status_field "$PID" VmLck)
        check "anonymise: key material in locked memory (VmLck $locked kB > 0)" \
                test "$locked" -gt 0
        finish_fifo
        check "anonymise: exits 0 at the end of its input" test $? -eq 0
else
        fail "anonymise did not start"
fi

echo "== cdranon unseal (the custodian's private key)"
if on_fifo "${RUNAS[@]}" "$BIN" unseal --key custodian.pem --in "$FIFO" \
        --out /dev/null --audit audit.log; then
        not_dumpable unseal
        locked=$(status_field "$PID" VmLck)
        check "unseal: key material in locked memory (VmLck $locked kB > 0)" \
                test "$locked" -gt 0
        finish_fifo
        check "unseal: exits 0 at the end of its input" test $? -eq 0
else
        fail "unseal did not start"
fi

echo "== control: a command without keys locks nothing"
if from_fifo "${RUNAS[@]}" "$BIN" gen --records 1000000 --out "$FIFO"; then
        locked=$(status_field "$PID" VmLck)
        check "gen: holds no locked memory (VmLck $locked kB)" \
                test "$locked" -eq 0
        kill "$PID" 2>/dev/null || true
        finish_fifo 2>/dev/null || true
else
        fail "gen did not start"
fi

# give FILE OWNER: chown, as root (sudo -n when not root).
give() {
        check "chown $2 $1 (needs root or password-less sudo)" \
                "${ROOT[@]}" chown "$2" "$1"
}

echo "== key files: group/other access and the wrong owner are refused"
perm=$(setup_case hygiene-perm config/generic.yaml)
cd "$perm"
"$BIN" anonymise -c config.yaml --in /dev/null --out /dev/null \
        --sealed /dev/null 2>/dev/null && status=0 || status=$?
check "sealed run with the HMAC key at 0600, owned by its user: accepted" \
        test "$status" -eq 0
for mode in 0400 0600 0700; do
        chmod "$mode" keys/hmac.key
        check "HMAC key file mode $mode: accepted" \
                "$BIN" check-config -q -c config.yaml
done
for mode in 0640 0620 0610 0604 0602 0601 0644 0666; do
        chmod "$mode" keys/hmac.key
        "$BIN" check-config -c config.yaml 2>err.txt && status=0 || status=$?
        check "HMAC key file mode $mode: refused (exit $status)" \
                test "$status" -eq 1
        check "HMAC key file mode $mode: the message names the file and the cause" \
                grep -q "keys/hmac.key: key file mode $mode gives access to group or others" err.txt
        check "HMAC key file mode $mode: the message holds no key material" \
                bash -c "! grep -q '$FIXED_KEY_HEX' err.txt"
        "$BIN" anonymise -c config.yaml --in /dev/null --out out.jsonl \
                2>/dev/null && status=0 || status=$?
        check "HMAC key file mode $mode: anonymise refuses to start" \
                test "$status" -eq 1
done
chmod 0600 keys/hmac.key
give keys/hmac.key nobody
"$BIN" check-config -c config.yaml 2>err.txt && status=0 || status=$?
check "HMAC key file owned by another user (nobody): refused (exit $status)" \
        test "$status" -eq 1
check "... naming the file and its owner" \
        grep -q "keys/hmac.key: key file owned by uid $(id -u nobody), not by this user" err.txt
give keys/hmac.key "$EUID"
check "... and accepted again once it is ours" \
        "$BIN" check-config -q -c config.yaml

"$BIN" gen --records 10 --seed 2 --out in.csv 2>/dev/null || true
"$BIN" anonymise -c config.yaml --in in.csv --out /dev/null \
        --sealed sealed.b64 2>/dev/null || true
for mode in 0640 0604 0644; do
        chmod "$mode" custodian.pem
        "$BIN" unseal --key custodian.pem --in sealed.b64 --out opened \
                --audit audit.log 2>err.txt && status=0 || status=$?
        check "custodian private key mode $mode: refused (exit $status)" \
                test "$status" -ne 0
        check "custodian private key mode $mode: nothing opened" \
                test ! -s opened
        check "custodian private key mode $mode: the message names the file" \
                grep -q "custodian.pem: private key file mode $mode gives access to group or others" err.txt
done
chmod 0600 custodian.pem
give custodian.pem nobody
"$BIN" unseal --key custodian.pem --in sealed.b64 --out opened \
        --audit audit.log 2>err.txt && status=0 || status=$?
check "custodian private key owned by another user: refused (exit $status)" \
        test "$status" -ne 0
check "... naming the file and its owner" \
        grep -q "custodian.pem: private key file owned by uid $(id -u nobody)" err.txt
give custodian.pem "$EUID"
"$BIN" unseal --key custodian.pem --in sealed.b64 --out opened \
        --audit audit.log 2>err.txt || true
check "... and opens all 10 records and the header once it is ours, at 0600" \
        grep -q "11 records returned, 0 did not open" err.txt

echo "== key files handed over with an ACL, as systemd does for credentials"
# set_acl FILE UID: the access ACL that systemd (kernels 6.3 and later)
# gives a credential: owner r, user:UID r, group none, mask r, other
# none.  Written as the kernel's xattr (linux/posix_acl_xattr.h), so
# that the acl package is not needed.
set_acl() {
        python3 - "$1" "$2" <<'PY'
import os, struct, sys
e = lambda tag, perm, uid=0xFFFFFFFF: struct.pack("<HHI", tag, perm, uid)
acl = (struct.pack("<I", 2) + e(0x01, 4) + e(0x02, 4, int(sys.argv[2]))
       + e(0x04, 0) + e(0x10, 4) + e(0x20, 0))
os.setxattr(sys.argv[1], "system.posix_acl_access", acl)
PY
}
give keys/hmac.key 0
"${ROOT[@]}" chmod 0400 keys/hmac.key
check "ACL user:$run_uid:r on a root-owned HMAC key ring (mode shows 0440)" \
        "${ROOT[@]}" bash -c "$(declare -f set_acl); set_acl keys/hmac.key $run_uid && test \$(stat -c %a keys/hmac.key) = 440"
check "... the service user ($run_uid) reads it: accepted" \
        "${RUNAS[@]}" "$BIN" check-config -q -c config.yaml
check "... an ACL entry added for another user (uid 4242)" \
        "${ROOT[@]}" bash -c "$(declare -f set_acl); set_acl keys/hmac.key 4242"
# Read by its owner, root, who can still open it.
"${ROOT[@]}" "$BIN" check-config -c config.yaml 2>err.txt && status=0 ||
        status=$?
check "... read by its owner: exit 1 ($status), naming the file and the uid" \
        bash -c "test $status -eq 1 && grep -q 'keys/hmac.key: key file ACL gives uid 4242 access' err.txt"
"${ROOT[@]}" python3 -c 'import os, sys; os.removexattr(sys.argv[1], "system.posix_acl_access")' keys/hmac.key
"${ROOT[@]}" chmod 0600 keys/hmac.key
give keys/hmac.key "$EUID"
check "... and without the ACL, ours at 0600 again: accepted" \
        "$BIN" check-config -q -c config.yaml

finish
