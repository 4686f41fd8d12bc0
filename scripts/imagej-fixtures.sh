#!/usr/bin/env bash
# Regenerates tests/fixtures/imagej: test images and ImageJ's Subtract Background results for
# every option combination (rolling ball and sliding paraboloid, smoothing on and off, dark
# and light background, 8 and 16 bit, radii on both sides of the shrink thresholds 10/30/100).
# Needs Debian's ImageJ 1.53t and Xvfb; the tests only read the stored files.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! [ -f /usr/share/java/ij.jar ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y imagej xvfb
fi
out="$PWD/tests/fixtures/imagej"
rm -rf "$out" && mkdir -p "$out"
# A macro error opens a dialog and hangs ImageJ: always under a timeout.
timeout 600 xvfb-run -a java -cp /usr/share/java/ij.jar ij.ImageJ -batch scripts/imagej-fixtures.ijm "$out"
cat "$out/IMAGEJ_VERSION"
ls "$out/outputs" | wc -l
