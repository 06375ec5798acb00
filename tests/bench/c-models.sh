#!/usr/bin/env bash
# Prints a Markdown table of the C backend over the bundled models: arena and its liveness lower bound,
# weights and code bytes for a Cortex-M target, and host latency beside ONNX Runtime's from the manifest.
# Not part of the test suite. Usage: tests/bench/c-models.sh [TARGET] (default cortex-m4f); run from the repo root
# after `mvn -B -q package -DskipTests`.
set -euo pipefail
target="${1:-cortex-m4f}"
jar=target/kiln.jar
field() { sed -n "s/^  \"$1\": \([0-9a-z]*\),*$/\1/p"; }
echo "| model | arena B | lower bound B | weights B | code B ($target) | host ms (Kiln C) | ORT ms (manifest) |"
echo "|---|---|---|---|---|---|---|"
for d in tests/models/*/; do
  m="$(basename "$d")"
  json="$(java -jar "$jar" inspect "$d/model.onnx" -t "$target" --json 2>/dev/null)" || { echo "| $m | (does not compile) | | | | | |"; continue; }
  ms="$(java -jar "$jar" bench "$d/model.onnx" --runs 100 2>/dev/null | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')"
  ort="$(awk -F'|' -v m="$m" '$2 ~ "^ "m" $" {gsub(/ /, "", $8); print $8}' tests/models/MANIFEST.md)"
  echo "| $m | $(field arena_bytes <<<"$json") | $(field arena_lower_bound_bytes <<<"$json") | $(field weights_bytes <<<"$json") | $(field code_bytes <<<"$json") | ${ms:-?} | ${ort:-?} |"
done
