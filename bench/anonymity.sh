#!/usr/bin/env bash
# The trade-off between what a published record still says and how well
# it singles out its subscriber (PRODUCT.md "Re-identification risk"):
# generates 14 days of mobility for 50,000 subscribers (cdranon gen's
# default activity, 20 records a subscriber a day, and default cell
# density, one cell per 200 subscribers), anonymises it once with
# bench/anonymity.yaml, which publishes every place resolution (cell,
# area, district, region: the cell table `gen --cells-out` writes) and
# every time resolution (hour, 6 hours, day), then runs `cdranon risk
# --json` once per policy of the matrix place x time, the policy's two
# fields being the point fields and the k-anonymity fields, every
# pseudonym field a trace.  Writes bench/results/anonymity.md (the
# table), anonymity.csv and anonymity.png.  A few minutes.
#
#   bash bench/anonymity.sh [./cdranon]
#
# SUBSCRIBERS, DAYS, SEED and CELLS (empty: the generator's default)
# override the data; ROTATIONS is the rotation axis (see below).
set -euo pipefail

BIN=$(realpath "${1:-./cdranon}")
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$TOP/bench/results
SUBSCRIBERS=${SUBSCRIBERS:-50000}
DAYS=${DAYS:-14}
SEED=${SEED:-1}
CELLS=${CELLS:-}
# Pseudonym rotation: `never` is one pseudonym per subscriber for the
# whole span, all this build publishes.  Once per-purpose `rotate:
# day|week|month|never` exists, list its values here and set it in the
# working configuration in `configure` below: every policy is then
# measured under every rotation.
ROTATIONS=${ROTATIONS:-never}
PLACES="cell area district region"
TIMES="hour 6h day"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdranon-anonymity.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/keys" "$OUT"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' |
        sed 's/^/bench /' >"$WORK/keys/hmac.key"
echo >>"$WORK/keys/hmac.key"
chmod 600 "$WORK/keys/hmac.key"

configure() { # configure ROTATION: the working configuration
        cp "$TOP/bench/anonymity.yaml" "$WORK/config.yaml"
        [[ $1 == never ]] || {
                echo "rotation '$1' is not supported by this build" >&2
                exit 2
        }
}

start=$(date +%s)
cells_opt=()
[[ -n $CELLS ]] && cells_opt=(--cells "$CELLS")
"$BIN" gen --subscribers "$SUBSCRIBERS" --days "$DAYS" --seed "$SEED" \
        "${cells_opt[@]}" --cells-out "$WORK/cells.csv" --out "$WORK/in.csv"
ncells=$(($(wc -l <"$WORK/cells.csv") - 1))
nrecords=$(($(wc -l <"$WORK/in.csv") - 1))
echo "generated $nrecords records, $ncells cells" >&2

: >"$WORK/runs.txt"
for rot in $ROTATIONS; do
        configure "$rot"
        "$BIN" anonymise -c "$WORK/config.yaml" --in "$WORK/in.csv" \
                --out "$WORK/out.jsonl" --dead-letter /dev/null
        for place in $PLACES; do
                for time in $TIMES; do
                        f="p_$place,t_$time"
                        echo "risk: rotation $rot, $place x $time" >&2
                        "$BIN" risk --in "$WORK/out.jsonl" --point-fields "$f" \
                                --k-fields "$f" --json \
                                >"$WORK/risk-$rot-$place-$time.json"
                        echo "$rot $place $time $WORK/risk-$rot-$place-$time.json" \
                                >>"$WORK/runs.txt"
                done
        done
done
elapsed=$(($(date +%s) - start))

python3 "$TOP/bench/anonymity_report.py" "$WORK/runs.txt" "$OUT" \
        "$SUBSCRIBERS" "$DAYS" "$SEED" "$ncells" "$nrecords" "$elapsed" \
        "$("$BIN" --version 2>/dev/null | head -1 || echo cdranon)"
gnuplot <<GP
set terminal pngcairo size 1000,600
set output "$OUT/anonymity.png"
set title "Unicity of the imsi trace at 4 points (cdranon risk), $SUBSCRIBERS subscribers, $DAYS days"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "share of traces singled out by 4 points"
set yrange [0:1]
set key top right title "time"
set datafile separator ","
set grid ytics
set arrow from graph 0, first 0.05 to graph 1, first 0.05 nohead lw 2 dt 2 lc rgb "red"
set label "5%" at graph 0.01, first 0.07 tc rgb "red"
plot "$OUT/anonymity-plot.csv" using 2:xtic(1) title "hour", \
     "" using 3 title "6 hours", "" using 4 title "day"
GP
echo "wrote $OUT/anonymity.md, anonymity.csv, anonymity.png" >&2
