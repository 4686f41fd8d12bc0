#!/usr/bin/env bash
# Whole-process throughput of `blotquant batch`: 40 synthetic experiments of four 16-bit
# 2048×1536 images each (160 images, ~1 GB), overlays, cache and report included, with 1 and
# 2 worker threads alternately, each run recomputing everything (--force). Prints every run,
# the median images per second per thread count and the peak memory (max RSS).
#   benches/batch-throughput.sh [WORKDIR] [RUNS]
# WORKDIR keeps the generated tree between calls (default: a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/target/release/blotquant"
[ -x "$bin" ] || cargo build --release
work=${1:-}
runs=${2:-3}
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
tree="$work/tree"
if [ ! -f "$tree/w5/e40/experiment.json" ]; then
    echo "generating 40 experiments of 2048x1536 images in $tree ..." >&2
    for i in $(seq 1 40); do
        "$bin" synth "$tree/w$(( (i - 1) / 8 + 1 ))/e$(printf %02d "$i")" \
            --size 2048x1536 --seed $((1000 + i)) --name "e$i" 2>/dev/null
    done
fi
images=$(find -L "$tree" -name '*.tif' | wc -l)
declare -A walls
for run in $(seq 1 "$runs"); do
    for jobs in 1 2; do
        out="$work/out$jobs"
        /usr/bin/time -o "$work/time" -f "%e %M" "$bin" batch "$tree" -j "$jobs" -o "$out" \
            --force >/dev/null 2>&1
        read -r wall rss <"$work/time"
        walls[$jobs]+="$wall "
        awk -v j="$jobs" -v w="$wall" -v m="$rss" -v n="$images" \
            'BEGIN { printf "run -j %d: %.2f s, %.1f images/s, max RSS %.0f MB\n", j, w, n / w, m / 1024 }'
    done
done
for jobs in 1 2; do
    median=$(tr ' ' '\n' <<<"${walls[$jobs]}" | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    awk -v j="$jobs" -v w="$median" -v n="$images" \
        'BEGIN { printf "median -j %d: %.2f s for %d images = %.1f images/s\n", j, w, n, n / w }'
done
du -sh "$work/out2/report.html" "$work/out2/overlays" | sed 's/^/output: /'
