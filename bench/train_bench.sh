#!/bin/bash
# Training throughput, chop vs the MASE-style PyTorch peer (../shared/peers/mase_peer.py), on the
# same data, model, batch size (256), optimizer (Adam + cosine), epochs, one thread each.
#   bench/train_bench.sh [BUILD_DIR]      (default: build; needs targets chop and train_bench)
# Env: EPOCHS (2), JSC_SIZE (synthetic JSC rows before the 80/20 split, 200000), REPEATS (1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PEER=${PEER:-$ROOT/../shared/peers/mase_peer.py}
MNIST=${MNIST:-$ROOT/../shared/data/mnist}
EPOCHS=${EPOCHS:-2}
JSC_SIZE=${JSC_SIZE:-200000}
REPEATS=${REPEATS:-1}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BUILD/chop" dataset export jsc --dataset-size "$JSC_SIZE" --out "$TMP/jsc" >/dev/null

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

compare() {  # name data model
  local name=$1 data=$2 model=$3 best_peer=0 best_chop=0
  for _ in $(seq "$REPEATS"); do
    local p c
    p=$(/usr/bin/python3 "$PEER" train --data "$data" --model "$model" --epochs "$EPOCHS" \
          --batch-size 256 --lr 1e-3 --threads 1)
    c=$(OMP_NUM_THREADS=1 "$BUILD/bench/train_bench" --data "$data" --model "$model" \
          --epochs "$EPOCHS" --batch-size 256 --lr 1e-3 --threads 1)
    best_peer=$(echo "$p" | field samples_per_s | awk -v b="$best_peer" '{print ($1 > b) ? $1 : b}')
    best_chop=$(echo "$c" | field samples_per_s | awk -v b="$best_chop" '{print ($1 > b) ? $1 : b}')
    echo "  peer: $p"
    echo "  chop: $c"
  done
  awk -v n="$name" -v p="$best_peer" -v c="$best_chop" \
    'BEGIN {printf "%-28s peer %10.0f samples/s   chop %10.0f samples/s   ratio %.2fx\n", n, p, c, c / p}'
}

echo "training throughput, batch 256, Adam lr 1e-3, $EPOCHS epoch(s), 1 thread (best of $REPEATS)"
compare "jsc-s on synthetic JSC" "npy:$TMP/jsc" jsc-s
compare "jsc-tiny on synthetic JSC" "npy:$TMP/jsc" jsc-tiny
if [ -e "$MNIST/t10k-images-idx3-ubyte.gz" ] || [ -e "$MNIST/t10k-images-idx3-ubyte" ]; then
  compare "mlp 256,128 on MNIST 8k" "mnist:$MNIST" mlp:256,128
fi
