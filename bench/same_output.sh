#!/usr/bin/env bash
# Do two builds of cdranon write the same outputs?  Runs `anonymise` of
# each binary with every example configuration under config/ over one
# generated corpus in that configuration's layout (keys shared by both),
# and compares the SHA-256 of every output file: anonymised (each
# purpose's), dead-letter, the sealed file's index, and the sealed
# records once opened with `unseal` (sealing itself is randomised: a new
# encapsulation per run).  Exit 0 when every file matches.
#
#   bash bench/same_output.sh OLD_CDRANON NEW_CDRANON [RECORDS]
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
records=${3:-20000}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-same.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/keys"
"$old" keygen hmac --out "$tmp/keys/hmac.key" --id same 2>/dev/null
"$old" keygen custodian --private "$tmp/custodian.pem" \
        --public "$tmp/keys/custodian.pub" 2>/dev/null
cp config/suppression.txt "$tmp/"
"$old" gen --records "$records" --seed 7 --cells 250 \
        --cells-out "$tmp/cells.csv" --out "$tmp/in-csv" 2>/dev/null
for f in json asterisk cucm; do
        "$old" gen --records "$records" --seed 7 --format "$f" \
                --out "$tmp/in-$f" 2>/dev/null
done

status=0
for config in config/*.yaml; do
        name=$(basename "$config" .yaml)
        cp "$config" "$tmp/$name.yaml"
        case $name in
        json | asterisk | cucm) input=$tmp/in-$name ;;
        *) input=$tmp/in-csv ;;
        esac
        for build in old new; do
                bin=${!build}
                dir=$tmp/$name-$build
                mkdir -p "$dir"
                (cd "$tmp" && "$bin" anonymise -c "$name.yaml" \
                        --in "$input" --out "$dir/out.jsonl" \
                        --dead-letter "$dir/dead.jsonl" \
                        --sealed "$dir/sealed.b64" 2>"$dir/summary") ||
                        (cd "$tmp" && "$bin" anonymise -c "$name.yaml" \
                                --in "$input" --dead-letter "$dir/dead.jsonl" \
                                --sealed "$dir/sealed.b64" 2>"$dir/summary")
                # Purposes write their files in the current folder.
                for p in "$tmp"/*.jsonl; do
                        [[ -e $p ]] && mv "$p" "$dir/purpose-$(basename "$p")"
                done
                "$bin" unseal --key "$tmp/custodian.pem" --in "$dir/sealed.b64" \
                        --out "$dir/unsealed" --audit "$dir/audit" 2>/dev/null
                rm -f "$dir/sealed.b64" "$dir/audit"
        done
        for f in "$tmp/$name-old"/*; do
                b=$(basename "$f")
                if ! cmp -s "$f" "$tmp/$name-new/$b"; then
                        echo "DIFFERS: $name: $b"
                        status=1
                fi
        done
        n=$(ls "$tmp/$name-old" | wc -l)
        echo "$name: $n files compared ($(cat "$tmp/$name-old/summary" |
                tail -1))"
        sha256sum "$tmp/$name-old"/* | sed "s|$tmp/||"
done
exit $status
