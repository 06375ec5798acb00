#!/usr/bin/env bash
# Compares the speed of the code two Kiln jars generate, in one run on the same machine (not part of the test suite):
#   1. guest instructions of one inference on Cortex-M4F under qemu (kiln bench -t cortex-m4f), per model in $QEMU;
#   2. host latency against ONNX Runtime (kiln bench --against onnxruntime) per model in $HOST, $ROUNDS rounds
#      alternating the jars (the machine is shared and noisy), reporting each jar's median ratio.
# Usage: tests/bench/compare-jars.sh OLD.jar NEW.jar [MODELS_DIR]   (default MODELS_DIR: ../shared/models)
set -uo pipefail
old=$1; new=$2; dir=${3:-../shared/models}
qemu=${QEMU:-ds_cnn_kws_op13 ds_cnn_kws_int8_qdq resnet8_cifar10_op13 resnet8_cifar10_int8_qdq}
host=${HOST:-ds_cnn_kws_op13 resnet8_cifar10_op13 mobilenet_v1_025_vww_op13}
rounds=${ROUNDS:-5}
field() { sed -n "s/^ *\"$1\": *\\([^,]*\\),*$/\\1/p" | head -1; }
echo "# qemu cortex-m4f instructions of one inference"
for m in $qemu; do
    a=$(java -jar "$old" bench "$dir/$m/model.onnx" -t cortex-m4f --json - 2>/dev/null | field instructions)
    b=$(java -jar "$new" bench "$dir/$m/model.onnx" -t cortex-m4f --json - 2>/dev/null | field instructions)
    echo "$m old=$a new=$b $([ "$a" = "$b" ] && echo same || echo DIFFERENT)"
done
echo "# host: Kiln ms / ONNX Runtime ms (cpu clock), $rounds rounds alternating the jars; medians"
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for m in $host; do
    ra=(); rb=()
    for r in $(seq "$rounds"); do
        ra+=("$(java -jar "$old" bench "$dir/$m/model.onnx" --against onnxruntime --json - 2>/dev/null | field ratio)")
        rb+=("$(java -jar "$new" bench "$dir/$m/model.onnx" --against onnxruntime --json - 2>/dev/null | field ratio)")
    done
    echo "$m old=$(printf '%s\n' "${ra[@]}" | median) new=$(printf '%s\n' "${rb[@]}" | median) (old: ${ra[*]}; new: ${rb[*]})"
done
