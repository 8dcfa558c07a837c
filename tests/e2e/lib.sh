# Shared helpers for the file-mode end-to-end tests (sourced).
set -euo pipefail

BIN=${1:-./cdranon}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
TOP=$(pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); printf '  ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL %s\n' "$*"; }
check() { # check DESCRIPTION COMMAND...
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

# A fixed pseudonymisation key, so that outputs can be compared with
# known answers, and a fresh custodian key pair.
FIXED_KEY_ID=e2e
FIXED_KEY_HEX=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# setup_case NAME CONFIG: a folder with the configuration and its keys.
setup_case() {
        local name=$1 config=$2 dir=$TMP/$1
        mkdir -p "$dir/keys"
        cp "$config" "$dir/config.yaml"
        printf '%s %s\n' "$FIXED_KEY_ID" "$FIXED_KEY_HEX" >"$dir/keys/hmac.key"
        chmod 600 "$dir/keys/hmac.key"
        "$BIN" keygen custodian --private "$dir/custodian.pem" \
                --public "$dir/keys/custodian.pub" 2>/dev/null
        # Suppression lists beside the configuration are copied along.
        cp "$(dirname "$config")"/*.txt "$dir/" 2>/dev/null || true
        echo "$dir"
}

# summary_field FILE WORD: the number before WORD in the summary line.
summary_field() {
        grep -o "[0-9]* $2" "$1" | tail -1 | cut -d' ' -f1
}

# The digits of every number-like value of a file (7+ digits after
# removing separators), as the national significant number's last 9
# digits: a raw identifier anywhere in an output contains them.
raw_digit_canaries() {
        grep -oE '\+?[0-9][0-9 ().-]{6,}[0-9]' "$1" | tr -dc '0-9\n' |
                awk 'length($0) >= 9 { print substr($0, length($0) - 8) }' |
                sort -u
}

# no_canary_in CANARIES FILE...: none of the canaries appears.
no_canary_in() {
        local canaries=$1
        shift
        [[ -s $canaries ]] || return 1
        ! grep -F -q -f "$canaries" "$@"
}

finish() {
        printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
        ((FAILED == 0))
}
