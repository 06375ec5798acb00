#!/usr/bin/env bash
# Runs the ONNX Runtime-quantized large models (too big to commit) on Kiln's C, on the host and on cortex-m4f under
# qemu, and prints per case the max output steps against ORT's exact QDQ outputs and whether the top 5 agree, beside
# ORT's own optimised int8 kernels measured when the fixtures were made (ort_optimized/output_0.pb).
#
#   tests/bench/ortq-large.sh CASES_DIR [TARGET...]
#
# CASES_DIR holds ONNX test folders made by tests/tools/qdq_fixtures.py from ../shared/models, e.g.
#   /work/venv/bin/python tests/tools/qdq_fixtures.py ort        ../shared/models /tmp/ortq        (batch norms kept)
#   /work/venv/bin/python tests/tools/qdq_fixtures.py ort-folded ../shared/models /tmp/ortq_folded (folded)
# TARGET defaults to "host cortex-m4f". A case whose flash or RAM exceeds a board's is reported as not fitting.
# Never run by mvn verify: it reads models outside tests/ and takes minutes per model. Needs target/kiln.jar (or
# KILN_JAR);
# PYTHON (default /work/venv/bin/python, with onnx and numpy) adds the ORT-optimised column when present.
set -u
cases=${1:?usage: ortq-large.sh CASES_DIR [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(host cortex-m4f)
here=$(cd "$(dirname "$0")/../.." && pwd)
jar=${KILN_JAR:-$here/target/kiln.jar}
py=${PYTHON:-/work/venv/bin/python}
[ -f "$jar" ] || { echo "build first: mvn -B -o -q package -DskipTests" >&2; exit 2; }

ort_opt() { # max steps and top-5 agreement of ORT's optimised kernels on case $1
    [ -x "$py" ] && [ -f "$1/ort_optimized/output_0.pb" ] || { echo "-"; return; }
    "$py" - "$1" <<'EOF'
import os, sys, onnx, numpy as np
from onnx import numpy_helper
case = sys.argv[1]
def load(p):
    t = onnx.TensorProto(); t.ParseFromString(open(p, 'rb').read()); return numpy_helper.to_array(t)
m = onnx.load(os.path.join(case, 'model.onnx'), load_external_data=False)
out = m.graph.output[0].name
inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
dq = [n for n in m.graph.node if out in n.output][0]
s = float(inits[dq.input[1]].reshape(-1)[0])
e = load(os.path.join(case, 'test_data_set_0', 'output_0.pb')); o = load(os.path.join(case, 'ort_optimized', 'output_0.pb'))
t5 = lambda a: list(np.argsort(-a.reshape(-1), kind='stable')[:5])
print("%.0f steps, top-5 %s" % (np.abs(e - o).max() / s, 'same' if t5(e) == t5(o) else 'differ'))
EOF
}

printf '%-44s %-12s %-36s %s\n' case target kiln "ORT optimised"
for c in "$cases"/*/; do
    c=${c%/}
    [ -f "$c/model.onnx" ] || continue
    opt=$(ort_opt "$c")
    for t in "${targets[@]}"; do
        args=(check --backend c --steps 1000 --no-progress)
        [ "$t" != host ] && args+=(-t "$t")
        r=$(java -jar "$jar" "${args[@]}" "$c" 2>&1)
        # the check line ends "(output 0 'output': max N output steps, top-5 same)" or names why it failed
        k=$(printf '%s\n' "$r" | grep -o "max [0-9.]* output steps[^)]*" | head -1)
        [ -z "$k" ] && k=$(printf '%s\n' "$r" | grep -m1 -E "FAIL|error|K0[0-9]+" | cut -c1-160)
        printf '%-44s %-12s %-36s %s\n' "$(basename "$c")" "$t" "$k" "$opt"
    done
done
