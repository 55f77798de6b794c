#!/usr/bin/env bash
# Regression check for refactors: runs the example searches (configs/*.toml) and a few variants
# (samplers, pruners, constraints, spaces, storage, --max-epochs, a trained checkpoint) with fixed
# seeds and keeps each run's log.json / best.json with the per-run fields (timestamps, durations,
# heartbeat, worker pid) blanked. Two builds must give byte-identical folders:
#   tools/search_regression.sh build/chop /tmp/before   # on the old commit
#   tools/search_regression.sh build/chop /tmp/after    # on the new one
#   diff -r /tmp/before /tmp/after
set -euo pipefail
CHOP=$(realpath "${1:?usage: search_regression.sh CHOP OUT_DIR}")
OUT=$(realpath -m "${2:?usage: search_regression.sh CHOP OUT_DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CIFAR="$ROOT/../shared/data/cifar10"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"
COMMON=(--num-workers 1 --dataset-size 20000 --project-dir "$WORK/out")

# Blanks the values that differ between two runs of the same search.
normalise() {
  sed -E -e 's/("(datetime_start|datetime_complete|duration|system_attrs_chop:heartbeat_ms|system_attrs_chop:worker)": ).*[^,]/\1"X"/' "$1"
}

keep() {  # keep NAME: copies the project NAME's result files into $OUT/NAME
  local dir="$WORK/out/$1/software/search_ckpts"
  mkdir -p "$OUT/$1"
  for f in log.json best.json; do
    if [ -f "$dir/$f" ]; then normalise "$dir/$f" >"$OUT/$1/$f"; fi
  done
}

search() {  # search NAME CONFIG [extra flags...]
  local name=$1 cfg=$2
  shift 2
  local rc=0
  "$CHOP" search --config "$cfg" --project "$name" "${COMMON[@]}" "$@" >"$WORK/$name.out" 2>&1 ||
    rc=$?
  echo "$rc" >"$OUT/$name.rc"
  keep "$name"
  echo "$name: exit $rc"
}

# Variant TOMLs: an example config edited by sed expressions, plus appended lines.
variant() {  # variant SRC NAME APPEND SED_ARGS...
  local src=$1 name=$2 append=$3
  shift 3
  sed -E "$@" "$src" >"$WORK/$name.toml"
  if [ -n "$append" ]; then printf '%s\n' "$append" >>"$WORK/$name.toml"; fi
  echo "$WORK/$name.toml"
}

PTQ="$ROOT/configs/jsc_toy_by_type.toml"
NAS="$ROOT/configs/jsc_three_linear_nas.toml"
VGG="$ROOT/configs/vgg7_cifar10_nas.toml"
JOINT="$ROOT/configs/jsc_three_linear_joint.toml"

search ptq_tpe "$PTQ"
for s in nsgaii nsgaiii random qmc bruteforce grid; do
  search "ptq_$s" "$(variant "$PTQ" "ptq_$s" "" -e "s/^sampler = .*/sampler = \"$s\"/")"
done
search ptq_memory "$(variant "$PTQ" ptq_memory "" -e 's/^n_jobs = 1/n_jobs = 1\nstorage = "memory"/')"
search ptq_two_jobs "$(variant "$PTQ" ptq_two_jobs "" -e 's/^n_jobs = 1/n_jobs = 2/')"
search ptq_categorical "$(variant "$PTQ" ptq_categorical "" \
  -e 's/^n_jobs = 1/n_jobs = 1\nparam_encoding = "categorical"/')"
search ptq_summed "$(variant "$PTQ" ptq_summed "" \
  -e 's/^sum_scaled_metrics = false.*/sum_scaled_metrics = true\ndirection = "maximize"/' \
  -e '/^average_bitwidth\.direction/d' -e '/^accuracy\.direction/d' \
  -e 's/^average_bitwidth\.scale = .*/average_bitwidth.scale = -0.01/')"
search ptq_constrained "$(variant "$PTQ" ptq_constrained \
  $'[search.strategy.hw_runner.model_size]\n[search.strategy.hw_runner.flops]\n[search.strategy.hw_runner.bitops]\n[search.strategy.constraints]\nmax_model_size = 700' \
  -e 's/^sampler = .*/sampler = "nsgaii"/')"
search ptq_qat "$(variant "$PTQ" ptq_qat \
  $'[search.strategy.sw_runner.basic_train]\nmax_epochs = 1\nlearning_rate = 1e-2\nlr_scheduler = "cosine"\nnum_warmup_steps = 3' \
  -e 's#^name = "graph/quantize/mixed_precision_ptq"#name = "graph/quantize/mixed_precision_qat"#' \
  -e 's/^eval_mode = true/eval_mode = false/' -e 's/^n_trials = 20/n_trials = 6/')"
# A trained checkpoint loaded into the search (train's checkpoint path, then --load).
"$CHOP" train jsc-tiny jsc --max-epochs 1 --batch-size 512 --learning-rate 1e-2 --seed 42 \
  --project trained "${COMMON[@]}" >"$WORK/train.out" 2>&1
search ptq_loaded "$PTQ" --load "$WORK/out/trained/software/training_ckpts/best.ckpt"

search nas_bruteforce "$NAS"
search nas_max_epochs "$NAS" --max-epochs 2
search nas_hyperband "$(variant "$NAS" nas_hyperband "" \
  -e 's/^sampler = .*/sampler = "tpe"\npruner = "hyperband"\npruner_options = { min_resource = 1, max_resource = 5, reduction_factor = 2 }/' \
  -e 's/^n_trials = 16/n_trials = 10/')"
search nas_constrained "$(variant "$NAS" nas_constrained \
  $'[search.strategy.constraints]\nmax_params = 2000' -e 's/^n_trials = 16/n_trials = 8/')"
search nas_sgd "$(variant "$NAS" nas_sgd "" \
  -e 's/^optimizer = "adam"/optimizer = "sgd"\nweight_decay = 1e-4\ngradient_accumulation_steps = 2/' \
  -e 's/^lr_scheduler = .*/lr_scheduler = "linear"/' -e 's/^n_trials = 16/n_trials = 5/' \
  -e 's/^max_epochs = 5/max_epochs = 2\neval_num_samples = 1000\nnum_samples = 20000/')"
# The joint example with the dominance pruner and a third objective's runner.
search joint "$(variant "$JOINT" joint "" \
  -e 's/^\[search\.strategy\.setup\]/[search.strategy.hw_runner.average_bitwidth]\ncompare_to = 32\n[search.strategy.setup]/' \
  -e 's/^sum_scaled_metrics = false/sum_scaled_metrics = false\npruner = "dominance"/')"
if [ -d "$CIFAR" ]; then
  search vgg7 "$VGG" --data-path "$CIFAR" --max-epochs 1
fi
echo "results in $OUT"
