#!/usr/bin/env bash
# Writes every output file of a blotquant build on a fixed set of inputs into one folder, so
# that two builds can be compared byte for byte (`diff -r`) when a change must leave the
# outputs as they were:
#   - the bundled sample through `batch` and `analyze --json` (stdout kept);
#   - every image of ../shared/realdata through `detect`;
#   - one experiment of every `synth` preset (seed 201): the synthetic files themselves, then
#     `batch` over all of them;
#   - `init` on a copy of one synthetic experiment without its manifest;
#   - `linearity` on the real standards gel;
#   - `background` on the ImageJ fixture inputs (rolling ball and paraboloid).
# Usage: scripts/outputs-snapshot.sh BINARY OUT_DIR, then diff -r -x .cache OLD NEW (the cache
# entries are keyed by the program file itself, so they differ between any two builds).
# The inputs are read from fixed places and the outputs written below a fixed work folder
# first, so paths recorded in the outputs are the same for any OUT_DIR.
set -euo pipefail
bin=$(realpath "$1")
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
real="$root/../shared/realdata"
work=/tmp/blotquant-snapshot-work
rm -rf "$work" "$out"
mkdir -p "$work"

# The sample, copied so nothing is written beside it.
cp -r "$root/samples/amitriptyline-lps" "$work/sample"
"$bin" batch "$work/sample" -o "$work/sample-out" -j 2 >"$work/sample-out.stdout" 2>"$work/sample-out.stderr" || echo "batch sample: exit $?" >>"$work/exits"
"$bin" analyze "$work/sample/rep1" -o "$work/rep1-out" --json >"$work/rep1-out.json" 2>"$work/rep1-out.stderr" || echo "analyze rep1: exit $?" >>"$work/exits"

# The real images through detect.
if [ -d "$real" ]; then
  for image in "$real"/*.tif "$real"/*.png "$real"/*.jpg; do
    name=$(basename "$image")
    "$bin" detect "$image" -o "$work/detect/$name" >"$work/detect-$name.stdout" 2>"$work/detect-$name.stderr" || echo "detect $name: exit $?" >>"$work/exits"
  done
  mkdir -p "$work/standards"
  cp "$real/sdspage_standards_gelblotanalyzer.png" "$work/standards/gel.png"
  cat >"$work/standards/experiment.json" <<'EOF'
{"name": "standards", "control": "standard", "ladder": "precision-plus-dual",
 "lanes": ["ladder", {"condition": "standard", "load_ug": 0.25}, {"condition": "standard", "load_ug": 0.5},
           {"condition": "standard", "load_ug": 1}, {"condition": "standard", "load_ug": 2},
           {"condition": "standard", "load_ug": 4}, {"condition": "standard", "load_ug": 8}, "ladder"],
 "targets": {"standard protein": {"mw_kda": [45, 60]}},
 "images": [{"file": "gel.png", "targets": ["standard protein"]}]}
EOF
  "$bin" linearity "$work/standards" -o "$work/linearity-out" --json >"$work/linearity.json" 2>"$work/linearity.stderr" || echo "linearity: exit $?" >>"$work/exits"
fi

# One experiment of every synth preset, and a batch over them.
mkdir -p "$work/synth"
for preset in standard clean hard saturated actin-varies smile tilt uneven faint doublet film bubbles marker membranes crescent slant edge-lines; do
  "$bin" synth "$work/synth/$preset" --seed 201 --preset "$preset" >/dev/null 2>&1
done
"$bin" batch "$work/synth" -o "$work/synth-out" -j 2 >"$work/synth-out.stdout" 2>"$work/synth-out.stderr" || echo "batch synth: exit $?" >>"$work/exits"

# init on a copy of one experiment without its manifest.
mkdir -p "$work/init"
cp "$work/synth/hard/"*.tif "$work/init/"
"$bin" init "$work/init" >"$work/init.stdout" 2>"$work/init.stderr" || echo "init: exit $?" >>"$work/exits"

# background on the ImageJ fixture inputs.
mkdir -p "$work/background"
for input in "$root"/tests/fixtures/imagej/inputs/*.tif; do
  name=$(basename "$input" .tif)
  "$bin" background "$input" "$work/background/$name-r50.tif" --radius 50 2>>"$work/background.stderr" || echo "background $name: exit $?" >>"$work/exits"
  "$bin" background "$input" "$work/background/$name-p30.tif" --radius 30 --sliding-paraboloid --light-background 2>>"$work/background.stderr" || true
done

mv "$work" "$out"
echo "snapshot in $out: $(find "$out" -type f | wc -l) files"
