#!/usr/bin/env bash
# Compares the C two Kiln jars generate: the ONNX node cases of tests/onnx-node whose names match $CASES (a grep
# -E pattern, default all) for host, then every model under tests/models and $SHARED_MODELS (default
# /work/shared/models; float and int8) for host and cortex-m4f ($TARGETS), and the README's example.
# Usage: tests/bench/gen-diff.sh OLD.jar NEW.jar [WORKDIR]
# Prints one line per differing output folder and the counts; exit 0 when all are byte-identical.
set -u
old=$1; new=$2; work=${3:-/tmp/kiln-gen-diff}
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work"; mkdir -p "$work"
jobs=$work/jobs.txt; : > "$jobs"
n=0
add() { # model target tag [opts]
    local m=$1 t=$2 tag=$3; shift 3
    echo "$m $t @OUT@/$tag-$t $*" >> "$jobs"
}
for m in $(find "$root/tests/onnx-node" -name model.onnx | sort | grep -E "${CASES:-.}"); do
    d=$(dirname "$m"); add "$m" host "node_$(basename "$d")"
done
add "$root/tests/models/digits_lenet5_op13/model.onnx" host readme_digits
for m in $(find "$root/tests/models" ${SHARED_MODELS:-/work/shared/models} -name model.onnx 2>/dev/null | sort); do
    d=$(dirname "$m"); tag=$(echo "${d#/}" | tr '/' '_')
    for t in ${TARGETS:-host cortex-m4f}; do add "$m" "$t" "$tag"; done
done
for which in old new; do
    jar=$old; [ $which = new ] && jar=$new
    sed "s#@OUT@#$work/$which#" "$jobs" > "$work/jobs-$which.txt"
    java -cp "$jar" "$root/tests/bench/CompileMany.java" "$work/jobs-$which.txt" > "$work/failed-$which.txt" 2> "$work/err-$which.txt"
done
same=0; diff=0
for d in $(cd "$work/old" && ls); do
    if diff -r -q "$work/old/$d" "$work/new/$d" > /dev/null 2>&1; then same=$((same+1)); else diff=$((diff+1)); echo "DIFF $d"; fi
done
for d in $(cd "$work/new" && ls); do [ -d "$work/old/$d" ] || { echo "ONLY-NEW $d"; diff=$((diff+1)); }; done
echo "identical: $same, different: $diff (failed jobs: old $(wc -l < "$work/failed-old.txt"), new $(wc -l < "$work/failed-new.txt"))"
[ $diff = 0 ]
