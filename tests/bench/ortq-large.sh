#!/usr/bin/env bash
# Runs the ONNX Runtime-quantized large models (too big to commit) on Kiln's C, on the host and on cortex-m4f under
# qemu, and prints per case the max output steps and whether the top 5 agree, against two references:
#   ORT exact  ONNX Runtime with graph optimizations off (its float32 reference kernels: test_data_set_0/output_0.pb)
#   f64        the same QDQ graph evaluated in float64 (exact_f64/output_0.pb, made by qdq_fixtures.py exact64)
# beside ORT's own optimised int8 kernels (ort_optimized/output_0.pb) and ORT exact, both measured against f64.
#
#   tests/bench/ortq-large.sh CASES_DIR [TARGET...]
#
# CASES_DIR holds ONNX test folders made by tests/tools/qdq_fixtures.py from ../shared/models, e.g.
#   /work/venv/bin/python tests/tools/qdq_fixtures.py ort        ../shared/models /tmp/ortq        (batch norms kept)
#   /work/venv/bin/python tests/tools/qdq_fixtures.py ort-folded ../shared/models /tmp/ortq_folded (folded)
#   /work/venv/bin/python tests/tools/qdq_fixtures.py exact64 /tmp/ortq/*/ /tmp/ortq_folded/*/
# (exact64 prints each case's distance from ORT exact: more than a few steps means an op is evaluated differently;
# `qdq_fixtures.py selfcheck` checks exact64's own BatchNormalization and Q/DQ against ORT.)
# On a qemu target the script checks one case per kiln run: a folder of cases is linked into one program.
# TARGET defaults to "host cortex-m4f". A case whose flash or RAM exceeds a board's is reported as not fitting.
# Never run by mvn verify: it reads models outside tests/ and takes minutes per model. Needs target/kiln.jar (or
# KILN_JAR); PYTHON (default /work/venv/bin/python, with onnx and numpy) adds the ORT columns when present.
set -u
cases=${1:?usage: ortq-large.sh CASES_DIR [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(host cortex-m4f)
here=$(cd "$(dirname "$0")/../.." && pwd)
jar=${KILN_JAR:-$here/target/kiln.jar}
py=${PYTHON:-/work/venv/bin/python}
[ -f "$jar" ] || { echo "build first: mvn -B -o -q package -DskipTests" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ort_cols() { # ORT optimised vs ORT exact, ORT optimised vs f64, ORT exact vs f64 on case $1 (max steps, top-5)
    [ -x "$py" ] && [ -f "$1/ort_optimized/output_0.pb" ] || { echo "- | - | -"; return; }
    "$py" - "$1" <<'EOF'
import os, sys, onnx, numpy as np
from onnx import numpy_helper
case = sys.argv[1]
def load(p):
    if not os.path.exists(p):
        return None
    t = onnx.TensorProto(); t.ParseFromString(open(p, 'rb').read()); return numpy_helper.to_array(t)
m = onnx.load(os.path.join(case, 'model.onnx'), load_external_data=False)
out = m.graph.output[0].name
inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
dq = [n for n in m.graph.node if out in n.output][0]
s = float(inits[dq.input[1]].reshape(-1)[0])
e = load(os.path.join(case, 'test_data_set_0', 'output_0.pb'))
o = load(os.path.join(case, 'ort_optimized', 'output_0.pb'))
x = load(os.path.join(case, 'exact_f64', 'output_0.pb'))
t5 = lambda a: list(np.argsort(-a.reshape(-1), kind='stable')[:5])
def cmp(a, b):
    if a is None or b is None:
        return "-"
    return "%.0f, top-5 %s" % (np.abs(a.astype(np.float64) - b).max() / s, 'same' if t5(a) == t5(b) else 'differ')
print("%s | %s | %s" % (cmp(o, e), cmp(o, x), cmp(e, x)))
EOF
}

steps() { # "N, top-5 same" of data set $2 in kiln check's output $1, or why it failed
    # the check line ends "(output 0 'output': max N output steps, top-5 same; ...)", one per data set
    local k
    k=$(printf '%s\n' "$1" | grep -oE "max [0-9.]+ output steps(, top-5 [a-z]+)?" | sed -n "$2p" | sed -E 's/max ([0-9]+)(\.[0-9]+)? output steps/\1/')
    [ -z "$k" ] && k=$(printf '%s\n' "$1" | grep -m1 -E "FAIL|error|K0[0-9]+" | cut -c1-120)
    printf '%s' "${k:--}"
}

echo "| case | target | Kiln vs ORT exact | Kiln vs f64 | ORT opt. vs ORT exact | ORT opt. vs f64 | ORT exact vs f64 |"
echo "|---|---|---|---|---|---|---|"
for c in "$cases"/*/; do
    c=${c%/}
    [ -f "$c/model.onnx" ] || continue
    name=$(basename "$c")
    # ORT exact's outputs (data set 0) and, when made, the float64 ones (data set 1, same input): one folder of both
    # for one build and run on the host; a folder each on boards, whose flash may not hold a second copy of the input
    rm -rf "${work:?}/$name" "$work/x0/$name" "$work/x1/$name"
    mkdir -p "$work/$name" "$work/x0/$name" "$work/x1/$name"
    for d in "$work/$name" "$work/x0/$name" "$work/x1/$name"; do ln -s "$c/model.onnx" "$d/model.onnx"; done
    cp -r "$c/test_data_set_0" "$work/$name/"
    cp -r "$c/test_data_set_0" "$work/x0/$name/"
    if [ -f "$c/exact_f64/output_0.pb" ]; then
        mkdir "$work/$name/test_data_set_1" "$work/x1/$name/test_data_set_0"
        cp "$c"/test_data_set_0/input_*.pb "$c"/exact_f64/output_*.pb "$work/$name/test_data_set_1/"
        cp "$c"/test_data_set_0/input_*.pb "$c"/exact_f64/output_*.pb "$work/x1/$name/test_data_set_0/"
    fi
    opt=$(ort_cols "$c")
    for t in "${targets[@]}"; do
        args=(check --backend c --steps 1000 --no-progress)
        [ "$t" != host ] && args+=(-t "$t")
        if [ "$t" = host ]; then
            r=$(java -jar "$jar" "${args[@]}" "$work/$name" 2>&1)
            k0=$(steps "$r" 1)
            k1=-
            [ -d "$work/$name/test_data_set_1" ] && k1=$(steps "$r" 2)
        else
            k0=$(steps "$(java -jar "$jar" "${args[@]}" "$work/x0/$name" 2>&1)" 1)
            k1=-
            [ -d "$work/x1/$name/test_data_set_0" ] && k1=$(steps "$(java -jar "$jar" "${args[@]}" "$work/x1/$name" 2>&1)" 1)
        fi
        echo "| $name | $t | $k0 | $k1 | $opt |"
    done
done
