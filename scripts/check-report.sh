#!/usr/bin/env bash
# Renders a report.html in headless Chromium (Debian's `chromium` package), fails when the page
# logs anything to the console, and saves a full-page screenshot to look at.
#   scripts/check-report.sh OUT/report.html [screenshot.png]
set -euo pipefail
report=$(realpath "$1")
shot=${2:-${report%.html}.png}
command -v chromium >/dev/null || { echo "needs chromium (apt-get install -y chromium)" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --enable-logging=stderr --v=0 --window-size=1280,6000 \
    --screenshot="$shot" "file://$report" 2>"$log" >/dev/null
if grep -E ":CONSOLE|Uncaught|Failed to load resource" "$log"; then
    echo "report.html: console messages above" >&2
    exit 1
fi
echo "rendered without console messages; screenshot: $shot"
