#!/usr/bin/env bash
# Render test of `kiln inspect --html`: builds the report of a bundled model (resnet8, lowered to int8 with its
# test input as calibration data) and screenshots it in headless Chromium. The screenshot committed beside this
# script (tests/report/inspect-report.png) is what README shows; look at a fresh one after changing the report.
#
#   tests/report/render.sh [OUT_PNG]     (default: target/report/inspect-report.png)
#
# Needs target/kiln.jar (mvn -B -o package -DskipTests) and Debian's chromium. Not part of `mvn test` (CI has no
# browser); it fails when the page cannot be built or the browser draws nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out_png="${1:-target/report/inspect-report.png}"
work="target/report"
mkdir -p "$work" "$(dirname "$out_png")"
jar="target/kiln.jar"
[ -f "$jar" ] || { echo "render.sh: $jar is missing: run mvn -B -o package -DskipTests" >&2; exit 2; }
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "render.sh: chromium is not installed (apt-get install chromium)" >&2; exit 2; }

model="tests/models/resnet8_cifar10_op13"
html="$work/inspect-report.html"
if ! java -jar "$jar" inspect "$model/model.onnx" --int8 --calibrate "$model/test_data_set_0" --html "$html" > "$work/inspect.txt" 2> "$work/inspect.err"; then
    cat "$work/inspect.err" >&2
    exit 1
fi

# the page must be self-contained: nothing fetched from anywhere
if grep -Eq 'https?:|src=|@import|<link|<script' "$html"; then
    echo "render.sh: $html refers to outside resources" >&2
    exit 1
fi

"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1400,1750 --screenshot="$out_png" "file://$root/$html" > "$work/chromium.log" 2>&1
[ -s "$out_png" ] || { echo "render.sh: chromium wrote no screenshot (see $work/chromium.log)" >&2; exit 1; }
bytes=$(stat -c %s "$out_png")
# why: a blank page compresses to a few kilobytes; the graph and the memory picture make it far larger
if [ "$bytes" -lt 40000 ]; then
    echo "render.sh: $out_png is only $bytes bytes: the page rendered (almost) empty" >&2
    exit 1
fi
echo "rendered $html -> $out_png ($bytes bytes)"
