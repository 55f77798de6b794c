#!/usr/bin/env bash
# Regenerates the committed seed corpus fuzz/corpus/<reader>/ from real outputs of chop (a
# checkpoint, a transform folder, graph text), the repository's configs, ONNX/PyTorch test fixtures
# and small binary files written by chop_fuzz_seed_tool (HDF5, IDX, CIFAR, NPY). Needs build/chop
# and the sanitizer build (bash scripts/sanitize.sh). Seeds stay small (a few KiB) so the corpus
# replays in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
CHOP=build/chop
OUT=fuzz/corpus
SEP=$'\n--chop-fuzz-next-file--\n'
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"/{checkpoint,transform_folder,graph_text,toml_config,csv_arff}
build-asan/chop_fuzz_seed_tool "$OUT"

# A trained jsc-tiny checkpoint and a quantized transform of it.
"$CHOP" train jsc-tiny jsc --dataset-size 2000 --max-epochs 1 --batch-size 64 --num-workers 1 \
  --project-dir "$WORK" --project seed >/dev/null
cp "$WORK/seed/software/training_ckpts/best.ckpt" "$OUT/checkpoint/jsc_tiny_trained.ckpt"
sed -e 's/^accelerator = "gpu"/accelerator = "cpu"/' configs/jsc_toy_by_type.toml >"$WORK/t.toml"
"$CHOP" transform --config "$WORK/t.toml" --dataset-size 2000 --num-workers 1 \
  --load "$WORK/seed/software/training_ckpts/best.ckpt" --project-dir "$WORK" --project tf >/dev/null
T="$WORK/tf/software/transform/transformed_ckpt"
cp "$T/transformed.ckpt" "$OUT/checkpoint/jsc_tiny_quantized.ckpt"
{ cat "$T/graph.txt"; printf '%s' "$SEP"; cat "$T/state.pt"; printf '%s' "$SEP"
  cat "$T/node_meta.toml"; printf '%s' "$SEP"; cat "$T/digest.json"; } >"$OUT/transform_folder/jsc_tiny_quantized"
cp "$T/graph.txt" "$OUT/graph_text/jsc_tiny_quantized.txt"
for m in jsc-s vgg7 mlp; do
  "$CHOP" analyze "$m" --graph --batch-size 2 | sed -n '/^graph /,/^%output/p' >"$OUT/graph_text/$m.txt"
done
cp configs/*.toml "$OUT/toml_config/"

# ONNX/QONNX models and PyTorch files: the small fixtures of tools/gen_onnx_fixtures.py (float,
# QONNX, tf2onnx layouts, a few the importer refuses) and their state dicts / Lightning files.
mkdir -p "$OUT"/{onnx,torch_file}
F=tests/interop/fixtures
for m in act_net conv1d_net tf2onnx_mlp qonnx_binary qonnx_mlp bad_op bad_pads bad_reshape; do
  cp "$F/$m.onnx" "$OUT/onnx/"
done
cp "$F/act_net_state.pt" "$F/conv1d_net_state.pt" "$F/conv1d_net_pl.ckpt" "$OUT/torch_file/"

# The OpenML 42468 layout as CSV and as ARFF (five classes, a few rows).
cols="zlogz,c1_b0_mmdt,c1_b1_mmdt,c1_b2_mmdt,c2_b1_mmdt,c2_b2_mmdt,d2_b1_mmdt,d2_b2_mmdt,d2_a1_b1_mmdt,d2_a1_b2_mmdt,m2_b1_mmdt,m2_b2_mmdt,n2_b1_mmdt,n2_b2_mmdt,mass_mmdt,multiplicity"
{ echo "$cols,class"
  i=0; for c in g q w z t g q; do
    row=""; for k in $(seq 1 16); do row="$row$((i + k)).$k,"; done
    echo "$row$c"; i=$((i + 1)); done; } >"$OUT/csv_arff/openml_7_rows.csv"
{ echo "@relation jets"
  for c in ${cols//,/ }; do echo "@attribute $c numeric"; done
  echo "@attribute class {g,q,t,w,z}"; echo "@data"
  tail -n +2 "$OUT/csv_arff/openml_7_rows.csv"; } >"$OUT/csv_arff/openml_7_rows.arff"
du -sh "$OUT"/*
