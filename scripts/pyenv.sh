#!/usr/bin/env bash
# The tests' Python environment: a venv under build/pyenv holding exactly
# the packages pinned in tests/requirements.txt (independent
# implementations that outputs are checked against).  Idempotent: the venv
# is rebuilt only when the requirements change.  Prints the path of its
# python on standard output.  The only test step that uses the network.
#
#   py=$(bash scripts/pyenv.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

req=tests/requirements.txt
venv=build/pyenv
stamp=$venv/.requirements

if ! cmp -s "$req" "$stamp" 2>/dev/null || [ ! -x "$venv/bin/python" ]; then
        printf '== pyenv: %s from %s\n' "$venv" "$req" >&2
        rm -rf "$venv"
        mkdir -p build
        /usr/bin/python3 -m venv "$venv"
        if grep -qv '^[[:space:]]*\(#\|$\)' "$req"; then
                "$venv/bin/pip" install -q --disable-pip-version-check \
                        --only-binary=:all: -r "$req" >&2
        fi
        cp "$req" "$stamp"
fi
echo "$PWD/$venv/bin/python"
