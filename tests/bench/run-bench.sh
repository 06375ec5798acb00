#!/usr/bin/env bash
# Benchmarks Kiln against ONNX Runtime and counts Cortex-M4 instructions over a folder of models, then writes a
# Markdown table (model, MACs, Kiln ms, ORT ms, ratio, GMAC/s of both, Kiln's share of the roofline, Cortex-M4
# instructions/MAC float and int8, arena, flash). The roofline is one core's peak multiply-add rate, measured by
# tests/bench/peak_fma.c with the widest vector of the instruction set -march=native detects.
#
# Usage: tests/bench/run-bench.sh [MODELS_DIR]      (from the repository root; default ../shared/models)
# Environment:
#   OUT=FILE           where the table goes (default tests/bench/RESULTS.md)
#   SKIP_BUILD=1       use target/kiln.jar as it is instead of building it first
#   MAC_BUDGET=N       host runs per model = N / MACs, clamped to [MIN_RUNS, MAX_RUNS] (default 30000000000:
#                      ~100 runs of the 300-MMAC models, whose medians of 13 runs moved by 10 % between passes)
#   MIN_RUNS, MAX_RUNS (defaults 10 and 200)
#   CLOCK=cpu|wall     the clock of the medians and the ratio (default cpu: steady on a shared machine)
#   MODELS="a b c"     model folder names to run, in order (default: the nine float models and three int8 QDQ
#                      models of issue 21, issue 18's transformers from tests/models, then the rest); a name
#                      MODELS_DIR lacks is read from tests/models
#   M4=0               skip the Cortex-M4 instruction counts (qemu; most of the script's time)
#   REUSE=1            keep the JSON of earlier runs found in target/bench/ (only missing runs are made), e.g. to
#                      rewrite the table after an interrupted run
#   RUNS=N             run the host benchmarks N times (default 1), alternating: pass r benches every model once
#                      before pass r + 1 starts, so each model's runs are spread over the whole session's load. The
#                      table gives the run with the median Kiln/ORT (its Kiln ms, ORT ms, ratio, GMAC/s) and a
#                      "Kiln/ORT min–max" column with the spread of the N ratios; the Cortex-M4 counts (exact) run once
# Raw JSON of every bench run is kept in target/bench/. Not part of the test suite.
set -uo pipefail
cd "$(dirname "$0")/../.."
models_dir=${1:-../shared/models}
out=${OUT:-tests/bench/RESULTS.md}
jar=target/kiln.jar
budget=${MAC_BUDGET:-30000000000}
min_runs=${MIN_RUNS:-10}
max_runs=${MAX_RUNS:-200}
clock=${CLOCK:-cpu}
passes=${RUNS:-1}
case "$passes" in ''|*[!0-9]*|0) echo "run-bench.sh: RUNS must be a positive integer, not '$passes'" >&2; exit 2 ;; esac
raw=target/bench
command_line="tests/bench/run-bench.sh $*"
# why: the table says how it was made, including the settings that change which rows and columns it has
for v in M4 MODELS CLOCK MAC_BUDGET RUNS; do [ -n "${!v:-}" ] && command_line="$v=\"${!v}\" $command_line"; done
[ -d "$models_dir" ] || { echo "run-bench.sh: no models folder $models_dir" >&2; exit 2; }

if [ -z "${SKIP_BUILD:-}" ]; then
    echo "building Kiln ..." >&2
    mvn -B -q -o package -DskipTests >&2 || { echo "run-bench.sh: the build failed" >&2; exit 2; }
fi
[ -f "$jar" ] || { echo "run-bench.sh: $jar not found; build it with mvn -B -o package -DskipTests" >&2; exit 2; }
mkdir -p "$raw"

# The nine float and three int8 models issue 21 sets goals for, then every other folder with a model.onnx.
first="ds_cnn_kws_op13 mobilenet_v1_025_vww_op13 resnet8_cifar10_op13 fc_autoencoder_ad_op13 mobilenet_v2_op13 squeezenet1_1_op13 mobilenet_v3_small_op17 shufflenet_v2_x0_5_op13 blazeface_front_128 ds_cnn_kws_int8_qdq mobilenet_v1_025_vww_int8_qdq resnet8_cifar10_int8_qdq"
# Issue 18's transformer test models, bundled in tests/models (read from there when MODELS_DIR lacks them).
transformers="kws_transformer_op17 vit_tiny_op18 kws_transformer_attn_op23"
if [ -n "${MODELS:-}" ]; then
    names=$MODELS
else
    names="$first $transformers"
    for d in "$models_dir"/*/; do
        n=$(basename "$d")
        case " $first $transformers " in *" $n "*) continue ;; esac
        names="$names $n"
    done
fi

# jget FILE KEY: the value of KEY in bench's flat JSON (one key per line), without quotes; empty when absent.
jget() {
    [ -f "$1" ] || return 0
    sed -n "s/^  \"$2\": //p" "$1" | head -n 1 | sed 's/,$//; s/^"//; s/"$//'
}
# num VALUE FORMAT: VALUE printed with printf FORMAT (",d": an integer with thousands separators), or n/a for
# null, empty or a failed run.
num() {
    case "$1" in
        ""|null) echo "n/a" ;;
        *) if [ "$2" = ",d" ]; then echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; else LC_ALL=C printf "$2" "$1"; fi ;;
    esac
}
# bench NAME TAG ARGS...: runs kiln bench with --json into target/bench/NAME.TAG.json; 0 when it succeeded.
bench() {
    local name=$1 tag=$2
    shift 2
    local f="$raw/$name.$tag.json"
    [ -n "${REUSE:-}" ] && [ -f "$f" ] && return 0
    rm -f "$f"
    echo "  bench $* " >&2
    if ! timeout 1200 java -jar "$jar" bench "$@" --json "$f" >"$raw/$name.$tag.txt" 2>&1; then
        echo "  failed: $(tail -n 3 "$raw/$name.$tag.txt")" >&2
        rm -f "$f"
        return 1
    fi
}

# The roofline: one core's peak float multiply-adds per second (GFMA/s), best of 7 trials of CPU time; int8 MACs
# peak at 4 per 32-bit lane and instruction with VNNI (vpdpbusd), else 2 (vpmaddwd), at the same instruction rate.
peak_isa="" peak_lanes="" peak_f32=""
if gcc -O2 -march=native tests/bench/peak_fma.c -o "$raw/peak_fma" 2>"$raw/peak_fma.txt"; then
    read -r peak_isa peak_lanes peak_f32 < <("$raw/peak_fma")
fi
int8_per_lane=2
grep -qwE "avx512_vnni|avx_vnni" /proc/cpuinfo 2>/dev/null && int8_per_lane=4
peak_i8=""
[ -n "$peak_f32" ] && peak_i8=$(LC_ALL=C awk -v p="$peak_f32" -v k="$int8_per_lane" 'BEGIN { printf "%.1f", p * k }')
# share KILN_GMACS PEAK: Kiln's GMAC/s as a percentage of the peak, or n/a.
share() {
    if [ -z "$1" ] || [ "$1" = null ] || [ -z "$2" ]; then echo "n/a"; return; fi
    LC_ALL=C awk -v g="$1" -v p="$2" 'BEGIN { printf "%.1f %%", 100 * g / p }'
}

# why: the commit is taken before the runs, so that a commit made while they run is not named
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src templates runtime-c targets 2>/dev/null || commit="$commit (with uncommitted changes)"
# prepare NAME: sets dir, model, int8 and macs (empty when the model does not compile; cached in macs_of), and
# host_bench, the arguments of its host bench; 1 when NAME has no model.onnx.
declare -A macs_of=()
prepare() {
    dir="$models_dir/$1"
    [ -d "$dir" ] || dir="tests/models/$1"
    model="$dir/model.onnx"
    [ -f "$model" ] || return 1
    int8=()
    case "$1" in *_int8_*) int8=(--int8) ;; esac
    if [ -z "${macs_of[$1]+set}" ]; then
        macs=""
        [ -n "${REUSE:-}" ] && macs=$(jget "$raw/$1.host.json" macs)
        [ -n "${REUSE:-}" ] && [ -z "$macs" ] && macs=$(jget "$raw/$1.host.r1.json" macs)
        [ -n "$macs" ] || macs=$(java -jar "$jar" inspect "$model" "${int8[@]}" --json 2>/dev/null | sed -n 's/^  "macs": \([0-9]*\),$/\1/p')
        macs_of[$1]=$macs
    fi
    macs=${macs_of[$1]}
    local runs=$(( ${macs:-0} > 0 ? budget / ${macs:-1} : max_runs ))
    (( runs < min_runs )) && runs=$min_runs
    (( runs > max_runs )) && runs=$max_runs
    local rounds=$(( runs < 10 ? runs : 10 )) warmup=$(( runs / 10 < 2 ? 2 : runs / 10 ))
    host_bench=("$model" "${int8[@]}" --against onnxruntime --runs "$runs" --rounds "$rounds" --warmup "$warmup" --clock "$clock")
}
# With RUNS=N the host runs come first, in N alternating passes over the models (NAME.host.rR.json).
if (( passes > 1 )); then
    for (( r = 1; r <= passes; r++ )); do
        for name in $names; do
            prepare "$name" && [ -n "$macs" ] || continue
            echo "$name (host pass $r of $passes)" >&2
            bench "$name" "host.r$r" "${host_bench[@]}"
        done
    done
fi
# spread NAME: "MEDIAN_FILE MIN MAX" over NAME's pass files that have a ratio (the median run: the lower middle one
# when an even count succeeded), or nothing when none has.
spread() {
    local r f v list=()
    for (( r = 1; r <= passes; r++ )); do
        f="$raw/$1.host.r$r.json"
        v=$(jget "$f" ratio)
        case "$v" in ""|null) continue ;; esac
        list+=("$v $f")
    done
    (( ${#list[@]} )) || return 0
    printf '%s\n' "${list[@]}" | LC_ALL=C sort -g | awk '{ v[NR] = $1; f[NR] = $2 } END { print f[int((NR + 1) / 2)], v[1], v[NR] }'
}
rows=()
for name in $names; do
    prepare "$name" || continue
    echo "$name" >&2
    if [ -z "$macs" ]; then
        rows+=("| $name | (does not compile) |$( (( passes > 1 )) && echo " |") | | | | | | | | | | | |")
        continue
    fi
    h="$raw/$name.host.json" range=""
    if (( passes > 1 )); then
        read -r med lo hi < <(spread "$name")
        if [ -n "${med:-}" ]; then
            h=$med
            range="$(num "$lo" "%.2f")–$(num "$hi" "%.2f")"
        else
            h="$raw/$name.host.r1.json" range="n/a"
        fi
        med=""
    else
        bench "$name" host "${host_bench[@]}"
    fi
    # Cortex-M4F: the float model (float rows only) and int8 (the QDQ sibling when there is one, else calibrated
    # on the model's own test input).
    if [ "${M4:-1}" = 0 ]; then
        int8_how=""
    elif [ ${#int8[@]} -eq 0 ]; then
        bench "$name" m4f "$model" -t cortex-m4f
        qdq="$models_dir/${name%_op*}_int8_qdq/model.onnx"
        if [ -f "$qdq" ]; then
            int8_how="QDQ"
            bench "$name" m4i8 "$qdq" -t cortex-m4f --int8
        else
            int8_how="cal"
            bench "$name" m4i8 "$model" -t cortex-m4f --int8 --calibrate "$dir/test_data_set_0"
        fi
    else
        int8_how="QDQ"
        bench "$name" m4i8 "$model" -t cortex-m4f --int8
    fi
    f="$raw/$name.m4f.json" i="$raw/$name.m4i8.json"
    flash() { # JSON -> weights + code bytes, or n/a
        local w c
        w=$(jget "$1" weights_bytes) c=$(jget "$1" code_bytes)
        case "$w$c" in *null*|"") echo "n/a" ;; *) num $((w + c)) ",d" ;; esac
    }
    label=$name
    [ ${#int8[@]} -gt 0 ] && label="$name (int8)"
    i8cell=$(num "$(jget "$i" instructions_per_mac)" "%.2f")
    [ -f "$i" ] && i8cell="$i8cell ($int8_how)"
    peak=$peak_f32
    [ ${#int8[@]} -gt 0 ] && peak=$peak_i8
    ratio_cells="$(num "$(jget "$h" ratio)" "%.2f")"
    (( passes > 1 )) && ratio_cells="$ratio_cells | $range"
    rows+=("| $label | $(num "$macs" ",d") | $(num "$(jget "$h" kiln_ms)" "%.3f") | $(num "$(jget "$h" ort_ms)" "%.3f") | $ratio_cells | $(num "$(jget "$h" kiln_gmacs)" "%.1f") | $(num "$(jget "$h" ort_gmacs)" "%.1f") | $(share "$(jget "$h" kiln_gmacs)" "$peak") | $(num "$(jget "$f" instructions_per_mac)" "%.2f") | $i8cell | $(num "$(jget "$f" arena_bytes)" ",d") | $(num "$(jget "$i" arena_bytes)" ",d") | $(flash "$f") | $(flash "$i") |")
done

ort_version=$(for f in "$raw"/*.host.json "$raw"/*.host.r1.json; do jget "$f" ort_version; done | sort -u | head -n 1)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
    echo "# Benchmark results"
    echo
    echo "Written by \`$command_line\` (models from \`$models_dir\`)."
    echo
    echo "- Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Kiln commit: $commit; $(gcc --version | head -n 1); ONNX Runtime ${ort_version:-n/a} (Java API, one intra-op and one inter-op thread, all graph optimizations)"
    echo "- Host: \`kiln bench MODEL --against onnxruntime --runs N --rounds 10 --warmup N/10 --clock $clock\`, N = $budget / MACs clamped to [$min_runs, $max_runs];"
    echo "  Kiln and ONNX Runtime take turns in rounds on the same input; medians of the inference thread's $clock time in ms."
    echo "  Kiln/ORT below 1 means Kiln is faster. Rows marked (int8) run Kiln in int8 and ONNX Runtime on the QDQ model as given."
    echo "- Cortex-M4: \`kiln bench MODEL -t cortex-m4f --json\` (float) and with \`--int8\` (int8: the model's \`*_int8_qdq\` sibling (QDQ) where there is one,"
    echo "  else \`--calibrate test_data_set_0\` (cal)); instructions per MAC counted under qemu; n/a where not counted or the model does not fit."
    echo "- GMAC/s: the model's MACs over the median time. Roofline: one core's peak, measured by \`tests/bench/peak_fma.c\` (${peak_isa:-n/a}, ${peak_lanes:-?} float lanes):"
    echo "  **${peak_f32:-n/a} GFMA/s** float; int8 rows against ${peak_i8:-n/a} GMAC/s ($int8_per_lane MACs per 32-bit lane and instruction). \"% of peak\" is Kiln's share of it."
    echo "- Arena and flash (weights + code bytes) are the Cortex-M4F builds'."
    [ "${M4:-1}" = 0 ] && echo "- M4=0: the Cortex-M4 columns were not measured in this run."
    [ -n "${REUSE:-}" ] && echo "- REUSE=1: runs whose JSON was already in \`$raw/\` were not repeated."
    if (( passes > 1 )); then
        echo "- RUNS=$passes: the host benchmarks ran $passes times, in alternating passes over the models; each row gives the run with the"
        echo "  median Kiln/ORT (its ms and GMAC/s) and the lowest and highest Kiln/ORT of the $passes runs."
    fi
    echo
    if (( passes > 1 )); then
        echo "| model | MACs | Kiln ms | ORT ms | Kiln/ORT (median of $passes) | Kiln/ORT min–max | Kiln GMAC/s | ORT GMAC/s | % of peak | M4 instr/MAC f32 | M4 instr/MAC int8 | arena f32 | arena int8 | flash f32 | flash int8 |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    else
        echo "| model | MACs | Kiln ms | ORT ms | Kiln/ORT | Kiln GMAC/s | ORT GMAC/s | % of peak | M4 instr/MAC f32 | M4 instr/MAC int8 | arena f32 | arena int8 | flash f32 | flash int8 |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    fi
    printf '%s\n' "${rows[@]}"
} >"$out"
echo "wrote $out" >&2
