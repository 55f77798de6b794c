#!/usr/bin/env bash
# chop's main job on built-in data (run after a build): train jsc-tiny on the built-in synthetic
# JSC set, then run MASE's lab-3 quantization search (configs/jsc_toy_by_type.toml) on the trained
# checkpoint and print the Pareto table. Outputs: mase_output/main-job/.
set -euo pipefail
cd "$(dirname "$0")/.."
CHOP=${CHOP:-./build/chop}
OUT=mase_output
PROJECT=main-job
rm -rf "$OUT/$PROJECT"  # a fresh demo each time (a kept study would resume instead)
"$CHOP" analyze jsc-tiny --batch-size 8
"$CHOP" train jsc-tiny jsc --max-epochs 5 --batch-size 512 --learning-rate 1e-2 \
  --project-dir "$OUT" --project "$PROJECT" --seed 42 --num-workers 1
"$CHOP" search --config configs/jsc_toy_by_type.toml \
  --load "$OUT/$PROJECT/software/training_ckpts/best.ckpt" \
  --project-dir "$OUT" --project "$PROJECT" --num-workers 1
