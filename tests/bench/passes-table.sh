#!/usr/bin/env bash
# Prints, for each model folder given (default: tests/models/* and, when present, ../shared/models/*), the
# node count, MACs and C arena bytes at -O0 and at -O3, as a Markdown table (from `kiln inspect --json`).
# Usage: tests/bench/passes-table.sh [MODEL_DIR...]   (run from the repository root after `mvn package`)
set -euo pipefail
jar=${KILN_JAR:-target/kiln.jar}
[ -f "$jar" ] || { echo "passes-table.sh: $jar not found; build it with mvn -B -o package -DskipTests" >&2; exit 2; }
if [ $# -eq 0 ]; then
    set -- tests/models/*
    [ -d ../shared/models ] && set -- "$@" ../shared/models/*
fi
# why: a model in both sets (shared models are copied into tests/models) is listed once
declare -A seen
stats() { # MODEL LEVEL -> "nodes macs arena"
    java -jar "$jar" inspect "$1" "-O$2" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(d["nodes"].values()), d["macs"], d["arena_bytes"])'
}
echo "| model | nodes -O0 | nodes -O3 | MACs -O0 | MACs -O3 | arena -O0 | arena -O3 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for dir in "$@"; do
    model="$dir/model.onnx"
    name=$(basename "$dir")
    [ -f "$model" ] || continue
    [ -n "${seen[$name]:-}" ] && continue
    seen[$name]=1
    if ! a=$(stats "$model" 0 2>/dev/null) || ! b=$(stats "$model" 3 2>/dev/null); then
        echo "| $name | (inspect failed) | | | | | |"
        continue
    fi
    read -r n0 m0 r0 <<<"$a"
    read -r n3 m3 r3 <<<"$b"
    printf '| %s | %d | %d | %d | %d | %d | %d |\n' "$name" "$n0" "$n3" "$m0" "$m3" "$r0" "$r3"
done
