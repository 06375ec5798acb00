#!/bin/sh
# OpenCL (generated host program, first OpenCL device: pocl on CPU-only machines) beside the C backend on the host,
# median latency per inference. Usage: tests/bench/opencl_vs_c.sh [RUNS] MODEL_DIR...
set -e
cd "$(dirname "$0")/../.."
runs=${1:-50}; shift
for m in "$@"; do
    java -jar target/kiln.jar bench "$m/model.onnx" -t host --runs "$runs" --warmup 5
    java -Dreps="$runs" -cp target/kiln.jar tests/bench/OpenClBench.java "$m"
done
